// A host's own HTTPS server written with Beast, with the ChatKit endpoint mounted on its TLS streams
// (docs/http.md#mounting-the-endpoint-on-a-tls-stream). The host accepts, does the TLS handshake and reads
// every request head itself; POST /chatkit goes to chatkit::http::serve on the TLS stream, GET /hello is
// the host's own route. tests/integration/tls_host_test.cpp drives it with a verifying TLS client.
#pragma once

#include <chatkit/http/endpoint.hpp>
#include <chatkit/server/request_processor.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace chatkit::examples {

class tls_host {
 public:
  // Listens on 127.0.0.1:`port` (0: any free port) with the certificate and key loaded in `tls`.
  tls_host(boost::asio::any_io_executor ex, boost::asio::ssl::context& tls,
           std::shared_ptr<server::request_processor> bot, http::endpoint_options options,
           std::uint16_t port = 0);
  ~tls_host();

  // Spawns the accept loop on the executor.
  void start();
  // Closes the listening socket; open connections end with their clients.
  void stop();
  std::uint16_t port() const;

  struct state;  // defined in tls_host.cpp

 private:
  std::shared_ptr<state> state_;
};

}  // namespace chatkit::examples
