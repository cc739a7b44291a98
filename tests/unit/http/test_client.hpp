// A small HTTP/1.1 client over real sockets for the http tests: raw request bytes in, parsed responses
// and SSE frames out. Asynchronous (coroutines) so that hundreds can run at once; `sync_client` wraps
// one with its own io_context and a watchdog so a broken server fails a test instead of hanging it.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace chatkit::http::test {

struct head {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string("<absent>") : it->second;
  }
};

struct full_response : head {
  std::string body;
  std::vector<std::string> frames;  // SSE frames ("data: ..." without the blank line)
  std::size_t chunks = 0;           // chunked-encoding chunks received
};

// Request text: POST with Content-Length. `extra` lines are "Name: value" without CRLF.
std::string post(const std::string& path, const std::string& body,
                 const std::vector<std::string>& extra = {});
std::string get(const std::string& path, const std::vector<std::string>& extra = {});

class client {
 public:
  explicit client(boost::asio::any_io_executor ex);
  // `source`: the local address to connect from (any 127.x.y.z works on Linux), default 127.0.0.1.
  boost::asio::awaitable<void> connect(std::uint16_t port, std::string source = {});
  boost::asio::awaitable<void> write(std::string bytes);
  // Starts a new response: reads its head.
  boost::asio::awaitable<head> read_head();
  // The next complete SSE frame of the current response, or nullopt when its body ended.
  boost::asio::awaitable<std::optional<std::string>> next_frame();
  // Reads the (rest of the) current response.
  boost::asio::awaitable<full_response> read_response();
  // True when the server closed the connection (EOF or reset) before sending anything more.
  boost::asio::awaitable<bool> peer_closed();
  // Half-close: the server sees EOF, this side can still read.
  void shutdown_send();
  void close();

 private:
  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
  std::unique_ptr<boost::beast::http::response_parser<boost::beast::http::string_body>> parser_;
  std::size_t consumed_ = 0;
  std::size_t chunks_ = 0;
  head head_;
  // The parser keeps a reference to its chunk callback, so it lives here.
  std::function<void(std::uint64_t, boost::string_view, boost::beast::error_code&)> on_chunk_;
  void reset_parser();
};

// Runs `a` on `ioc` to completion; throws std::runtime_error when it does not finish within `watchdog`.
template <class T>
T run(boost::asio::io_context& ioc, boost::asio::awaitable<T> a,
      std::chrono::seconds watchdog = std::chrono::seconds(30));
void run(boost::asio::io_context& ioc, boost::asio::awaitable<void> a,
         std::chrono::seconds watchdog = std::chrono::seconds(30));

class sync_client {
 public:
  explicit sync_client(std::uint16_t port, std::string source = {});
  void write(std::string bytes);
  head read_head();
  std::optional<std::string> next_frame();
  full_response read_response();
  full_response request(std::string bytes) {
    write(std::move(bytes));
    return read_response();
  }
  bool peer_closed();
  void shutdown_send() { c_.shutdown_send(); }
  void close() { c_.close(); }

 private:
  boost::asio::io_context ioc_;
  client c_;
};

}  // namespace chatkit::http::test
