// The echo bot behind a host's own HTTPS server (tls_host.hpp): the ChatKit endpoint mounted on TLS streams.
//
//   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
//       -addext subjectAltName=IP:127.0.0.1 -keyout key.pem -out cert.pem
//   tls_host cert.pem key.pem 8443
//   curl --cacert cert.pem -H 'X-User-Id: me' -H 'Content-Type: application/json' \
//       -d
//       '{"type":"threads.create","params":{"input":{"content":[{"type":"input_text","text":"hi"}],"attachments":[],"inference_options":{}}}}'
//       \ https://127.0.0.1:8443/chatkit
#include "echo_bot.hpp"
#include "tls_host.hpp"

#include <chatkit/http/auth.hpp>
#include <chatkit/store/memory_store.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>

#include <csignal>
#include <cstdio>
#include <exception>
#include <string>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: tls_host CERT.pem KEY.pem PORT\n");
    return 2;
  }
  try {
    boost::asio::io_context ioc;
    boost::asio::ssl::context tls(boost::asio::ssl::context::tls_server);
    tls.use_certificate_chain_file(argv[1]);
    tls.use_private_key_file(argv[2], boost::asio::ssl::context::pem);

    auto bot =
        std::make_shared<chatkit::examples::echo_bot>(std::make_shared<chatkit::store::memory_store>());
    chatkit::examples::tls_host host(ioc.get_executor(), tls, bot,
                                     {.authenticate = chatkit::http::dev_header_auth("X-User-Id")},
                                     static_cast<std::uint16_t>(std::stoi(argv[3])));
    host.start();
    std::printf("serving https://127.0.0.1:%u/chatkit\n", host.port());
    std::fflush(stdout);
    boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code, int) { ioc.stop(); });
    ioc.run();
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tls_host: %s\n", e.what());
    return 1;
  }
}
