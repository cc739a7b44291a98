#include "tls_host.hpp"

// [mount]
#include <chatkit/http/beast_mount.hpp>
// [mount]

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>

namespace chatkit::examples {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

struct tls_host::state {
  asio::ssl::context& tls;
  http::endpoint ep;
  tcp::acceptor acceptor;

  state(asio::any_io_executor ex, asio::ssl::context& t, std::shared_ptr<server::request_processor> bot,
        http::endpoint_options options, std::uint16_t port)
      : tls(t), ep(std::move(bot), std::move(options)), acceptor(asio::make_strand(ex)) {
    tcp::endpoint at(asio::ip::make_address("127.0.0.1"), port);
    acceptor.open(at.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(at);
    acceptor.listen();
  }
};

namespace {

// [session]
// One TLS connection of the host's server: the host's own code up to the request head, then the ChatKit
// endpoint answers on the same TLS stream (JSON, or SSE written through TLS).
asio::awaitable<void> session(std::shared_ptr<tls_host::state> s, tcp::socket socket) {
  asio::ssl::stream<beast::tcp_stream> tls(beast::tcp_stream(std::move(socket)), s->tls);
  auto& tcp_layer = beast::get_lowest_layer(tls);
  tcp_layer.expires_after(std::chrono::seconds(10));
  auto [hs] =
      co_await tls.async_handshake(asio::ssl::stream_base::server, asio::as_tuple(asio::use_awaitable));
  if (hs) co_return;

  beast::flat_buffer buffer;
  for (;;) {
    chatkit::http::request_parser parser;
    parser.header_limit(16 * 1024);
    tcp_layer.expires_after(std::chrono::seconds(30));  // bounds the head read and the endpoint's body read
    auto [ec, n] =
        co_await bhttp::async_read_header(tls, buffer, parser, asio::as_tuple(asio::use_awaitable));
    if (ec) break;
    bool keep_alive = false;
    if (s->ep.matches(parser.get())) {
      keep_alive = co_await chatkit::http::serve(s->ep, parser, tls, buffer);  // the ChatKit endpoint
    } else {
      // The host's own route.
      auto [rec, rn] = co_await bhttp::async_read(tls, buffer, parser, asio::as_tuple(asio::use_awaitable));
      if (rec) break;
      const auto& req = parser.get();
      bhttp::response<bhttp::string_body> res{bhttp::status::not_found, req.version()};
      if (req.target() == "/hello") {
        res.result(bhttp::status::ok);
        res.set(bhttp::field::content_type, "text/plain");
        res.body() = "hello from the host\n";
      }
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      auto [wec, wn] = co_await bhttp::async_write(tls, res, asio::as_tuple(asio::use_awaitable));
      keep_alive = !wec && res.keep_alive();
    }
    if (!keep_alive) break;
  }
  // A TLS close_notify, then the socket closes.
  tcp_layer.expires_after(std::chrono::seconds(2));
  co_await tls.async_shutdown(asio::as_tuple(asio::use_awaitable));
  tcp_layer.close();
}
// [session]

asio::awaitable<void> accept_loop(std::shared_ptr<tls_host::state> s) {
  for (;;) {
    auto [ec, socket] = co_await s->acceptor.async_accept(asio::make_strand(s->acceptor.get_executor()),
                                                          asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted || !s->acceptor.is_open()) co_return;
    if (ec) continue;
    auto ex = socket.get_executor();
    asio::co_spawn(ex, session(s, std::move(socket)), asio::detached);
  }
}

}  // namespace

tls_host::tls_host(asio::any_io_executor ex, asio::ssl::context& tls,
                   std::shared_ptr<server::request_processor> bot, http::endpoint_options options,
                   std::uint16_t port)
    : state_(std::make_shared<state>(std::move(ex), tls, std::move(bot), std::move(options), port)) {}

tls_host::~tls_host() {
  stop();
}

void tls_host::start() {
  asio::co_spawn(state_->acceptor.get_executor(), accept_loop(state_), asio::detached);
}

void tls_host::stop() {
  asio::post(state_->acceptor.get_executor(), [s = state_] {
    boost::system::error_code ignored;
    s->acceptor.close(ignored);
  });
}

std::uint16_t tls_host::port() const {
  return state_->acceptor.local_endpoint().port();
}

}  // namespace chatkit::examples
