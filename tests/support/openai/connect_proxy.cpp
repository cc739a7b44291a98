// A minimal HTTP CONNECT proxy for the proxy-path tests: loopback destinations only.
#include "openai/scripted_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>

#include <mutex>
#include <thread>

namespace chatkit::openai::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

net::awaitable<void> pump(std::shared_ptr<tcp::socket> from, std::shared_ptr<tcp::socket> to) {
  char buf[16384];
  for (;;) {
    auto [ec, n] = co_await from->async_read_some(net::buffer(buf), use_tuple);
    if (ec) break;
    auto [wec, wn] = co_await net::async_write(*to, net::buffer(buf, n), use_tuple);
    (void)wn;
    if (wec) break;
  }
  boost::system::error_code ignored;
  to->shutdown(tcp::socket::shutdown_send, ignored);
  from->close(ignored);
}
}  // namespace

struct connect_proxy::impl {
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::uint16_t port = 0;
  std::thread thread;
  mutable std::mutex mu;
  std::vector<std::string> targets;

  net::awaitable<void> session(tcp::socket sock) {
    auto client = std::make_shared<tcp::socket>(std::move(sock));
    beast::flat_buffer buf;
    http::request_parser<http::empty_body> parser;
    auto [ec, n] = co_await http::async_read(*client, buf, parser, use_tuple);
    (void)n;
    if (ec) co_return;
    const std::string target(parser.get().target());
    {
      std::lock_guard lock(mu);
      targets.push_back(target);
    }
    const auto colon = target.rfind(':');
    std::string reply = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n";
    auto upstream = std::make_shared<tcp::socket>(ioc);
    if (parser.get().method() == http::verb::connect && colon != std::string::npos &&
        target.substr(0, colon) == "127.0.0.1") {
      tcp::endpoint ep(net::ip::make_address("127.0.0.1"),
                       static_cast<std::uint16_t>(std::stoi(target.substr(colon + 1))));
      auto [cec] = co_await upstream->async_connect(ep, use_tuple);
      reply = cec ? "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n"
                  : "HTTP/1.1 200 Connection Established\r\n\r\n";
    }
    auto [wec, wn] = co_await net::async_write(*client, net::buffer(reply), use_tuple);
    (void)wn;
    if (wec || !upstream->is_open()) co_return;
    if (buf.size() != 0) {  // bytes the client sent right after the CONNECT head
      auto [fec, fn] = co_await net::async_write(*upstream, buf.data(), use_tuple);
      (void)fn;
      if (fec) co_return;
    }
    net::co_spawn(ioc, pump(client, upstream), net::detached);
    net::co_spawn(ioc, pump(upstream, client), net::detached);
  }

  net::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, sock] = co_await acceptor.async_accept(use_tuple);
      if (ec) co_return;
      net::co_spawn(ioc, session(std::move(sock)), net::detached);
    }
  }
};

connect_proxy::connect_proxy() : impl_(std::make_unique<impl>()) {
  tcp::endpoint ep(net::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  impl_->port = impl_->acceptor.local_endpoint().port();
  net::co_spawn(impl_->ioc, impl_->accept_loop(), net::detached);
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

connect_proxy::~connect_proxy() {
  impl_->ioc.stop();
  impl_->thread.join();
}

std::uint16_t connect_proxy::port() const noexcept {
  return impl_->port;
}
std::string connect_proxy::url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->port);
}
std::vector<std::string> connect_proxy::connect_targets() const {
  std::lock_guard lock(impl_->mu);
  return impl_->targets;
}

}  // namespace chatkit::openai::testing
