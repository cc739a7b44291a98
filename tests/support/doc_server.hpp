// A small HTTP/1.1 server on 127.0.0.1 for tests that fetch: serves documents set by the test (per path,
// with a status and a Cache-Control), counts the requests, can answer slowly, and can go down (stop
// listening). Used by the JWKS tests and by the asynchronous authenticate hooks that look a session up.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace chatkit::testing {

class doc_server {
 public:
  struct doc {
    std::string body;
    std::string cache_control;
    unsigned status = 200;
  };

  doc_server() : acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    port_ = acceptor_.local_endpoint().port();
    boost::asio::co_spawn(ioc_, accept_loop(), boost::asio::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~doc_server() {
    ioc_.stop();
    thread_.join();
  }

  std::uint16_t port() const { return port_; }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  void set(const std::string& path, doc d) {
    std::lock_guard lock(mu_);
    docs_[path] = std::move(d);
  }
  void set_delay(std::chrono::milliseconds d) { delay_ms_ = d.count(); }
  int hits(const std::string& path) const {
    std::lock_guard lock(mu_);
    auto it = hits_.find(path);
    return it == hits_.end() ? 0 : it->second;
  }
  // Closes the listening socket: later connections are refused.
  void stop_listening() {
    std::promise<void> done;
    boost::asio::post(ioc_, [&] {
      boost::system::error_code ec;
      acceptor_.close(ec);
      done.set_value();
    });
    done.get_future().wait();
  }

 private:
  boost::asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, sock] = co_await acceptor_.async_accept(boost::asio::as_tuple(boost::asio::use_awaitable));
      if (ec) co_return;
      boost::asio::co_spawn(ioc_, serve(std::move(sock)), boost::asio::detached);
    }
  }

  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket sock) {
    namespace bhttp = boost::beast::http;
    constexpr auto tuple = boost::asio::as_tuple(boost::asio::use_awaitable);
    boost::beast::flat_buffer buffer;
    bhttp::request<bhttp::string_body> req;
    auto [rec, rn] = co_await bhttp::async_read(sock, buffer, req, tuple);
    (void)rn;
    if (rec) co_return;
    const std::string path(req.target());
    doc d{"{\"error\":\"not found\"}", {}, 404};
    {
      std::lock_guard lock(mu_);
      ++hits_[path];
      if (auto it = docs_.find(path); it != docs_.end()) d = it->second;
    }
    if (const auto ms = delay_ms_.load(); ms > 0) {
      boost::asio::steady_timer t(ioc_, std::chrono::milliseconds(ms));
      co_await t.async_wait(tuple);
    }
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(d.status), 11};
    res.set(bhttp::field::content_type, "application/json");
    if (!d.cache_control.empty()) res.set(bhttp::field::cache_control, d.cache_control);
    res.body() = std::move(d.body);
    res.keep_alive(false);
    res.prepare_payload();
    auto [wec, wn] = co_await bhttp::async_write(sock, res, tuple);
    (void)wec;
    (void)wn;
    boost::system::error_code ignored;
    sock.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  }

  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::map<std::string, doc> docs_;
  std::map<std::string, int> hits_;
  std::atomic<long long> delay_ms_{0};
};

}  // namespace chatkit::testing
