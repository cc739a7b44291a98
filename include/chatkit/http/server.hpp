// A ready HTTP server for a ChatKit app: one ChatKit endpoint plus the host's own routes (REST API,
// static files) on a listening socket, served by a pool of worker threads. Keep-alive, request limits,
// idle/read/write timeouts and graceful shutdown included.
//
//   chatkit::http::server srv(processor, {.endpoint = {.authenticate = chatkit::http::dev_header_auth()}});
//   srv.start();            // binds and returns; srv.port() is the bound port
//   ...                     // wait for a signal
//   srv.stop(std::chrono::seconds(10));
#pragma once

#include <chatkit/http/endpoint.hpp>
#include <chatkit/http/message.hpp>
#include <chatkit/http/operations.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace chatkit::http {

// Answers one request of an extra route. Throw chatkit::error for error statuses (the JSON error body
// and CORS headers are added); other exceptions become a 500.
using route_handler = std::function<boost::asio::awaitable<response>(request)>;

// Answers one request of a streaming route by writing to the connection itself (an SSE stream that stays
// open). Returns whether the connection may serve another request. CORS preflights of the route are
// answered by the server; the handler adds CORS headers to what it writes (endpoint::cors()). On stop()
// the handler gets the grace period to finish, then its socket is closed.
using stream_route_handler = std::function<boost::asio::awaitable<bool>(request, boost::beast::tcp_stream&)>;

enum class route_match { exact, prefix };

struct server_options {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: an ephemeral port, see server::port()
  unsigned threads = 1;
  endpoint_options endpoint;
  // Open client connections at once; one more is answered 503 with Retry-After and closed. 0: automatic,
  // three quarters of the process's open-file limit (RLIMIT_NOFILE) at start(), so that descriptors
  // remain for stores and logs.
  std::size_t max_connections = 0;
  // Open connections from one client address (IPv4-mapped IPv6 counts as IPv4); one more is answered 503
  // like the global cap. 0: unlimited. Behind a reverse proxy every connection comes from the proxy's
  // address: raise it to max_connections there, or set 0.
  std::size_t max_connections_per_ip = 256;
  // In-flight requests get this long to finish on stop() before they are cancelled.
  std::chrono::milliseconds shutdown_grace{std::chrono::seconds(10)};
  // GET /healthz and the Prometheus /metrics, added as routes when enabled (both off by default).
  operations_options operations;
};

class server {
 public:
  server(std::shared_ptr<chatkit::server::request_processor> processor, server_options options);
  ~server();  // stops (with a zero grace) if still running
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Adds a route beside the ChatKit path; call before start(). Exact routes win over prefix routes,
  // longer prefixes over shorter ones.
  void add_route(std::string path, route_handler handler, route_match match = route_match::exact);
  // The same for a route that streams its answer.
  void add_stream_route(std::string path, stream_route_handler handler,
                        route_match match = route_match::exact);

  // Binds, listens and starts the worker threads. Throws boost::system::system_error when it cannot bind, and
  // std::invalid_argument for dev-header auth on a non-loopback address (see dev_header_options).
  void start();
  // The bound port (after start()).
  std::uint16_t port() const noexcept;

  // Graceful shutdown: stops accepting, closes idle connections, lets in-flight requests finish within
  // `grace` (default: options.shutdown_grace), then cancels the rest (their streams see cancellation)
  // and joins the workers. Blocks; never call it from a worker thread. Idempotent.
  void stop();
  void stop(std::chrono::milliseconds grace);

  // Number of open client connections (refused ones not included).
  std::size_t connections() const noexcept;
  // The effective global connection cap (after start(): the automatic value when max_connections is 0).
  std::size_t max_connections() const noexcept;
  endpoint& chatkit_endpoint() noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace chatkit::http
