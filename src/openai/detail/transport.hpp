// The HTTP/1.1 transport under the client: connections (plain TCP, TLS, or TLS through an HTTP CONNECT
// proxy), a keep-alive pool keyed by destination, and one request/response exchange whose body is read
// incrementally. Private to the openai layer; only this and transport.cpp see Beast.
#pragma once

#include <chatkit/openai/client_options.hpp>
#include <chatkit/openai/error.hpp>
#include "openai/detail/api_url.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace chatkit::openai::detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct connection {
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;  // bytes read past the previous message (keep-alive)
  std::string key;            // pool key: destination (+ proxy)
  bool reused = false;

  beast::tcp_stream& tcp() { return secure ? beast::get_lowest_layer(*secure) : *plain; }
  void close() noexcept {
    if (plain || secure) {
      boost::system::error_code ec;
      tcp().socket().close(ec);
    }
  }
};

// Per-call time limits. `deadline` bounds everything (time_point::max() = none).
struct timeouts {
  std::chrono::milliseconds connect{5000};
  std::chrono::milliseconds read{600000};
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

// Settings resolved once from client_options and the environment.
struct client_config {
  std::string api_key;
  api_url target;
  std::optional<proxy_url> proxy;
  std::string organization;
  std::string project;
  header_overrides extra_headers;
  client_options options;
};

// Shared by the client and every stream it opened (streams keep it alive).
class client_state {
 public:
  client_state(net::any_io_executor ex, client_config cfg);

  net::any_io_executor executor() const { return ex_; }
  const client_config& config() const noexcept { return cfg_; }
  net::ssl::context& ssl_context() noexcept { return ssl_; }

  std::unique_ptr<connection> take_idle(const std::string& key);
  void give_back(std::unique_ptr<connection> c);
  std::string pool_key() const;

 private:
  net::any_io_executor ex_;
  client_config cfg_;
  net::ssl::context ssl_;
  std::mutex mu_;
  std::unordered_map<std::string, std::vector<std::unique_ptr<connection>>> idle_;
};

// One exchange after its response head arrived.
struct http_exchange {
  std::unique_ptr<connection> conn;
  std::unique_ptr<http::response_parser<http::buffer_body>> parser;
  int status = 0;
  header_list headers;
  std::string request_id;
  bool released = false;

  std::string header(std::string_view name) const;
};

// Sends `req` and reads the response head. Throws api_error: connection / timeout / cancelled.
net::awaitable<http_exchange> send_request(client_state& state, http::request<http::string_body>& req,
                                           const timeouts& t);

// Reads the next body bytes into [buf, buf+size); 0 at the end of the body. Throws api_error:
// stream_truncated (connection dropped mid-body), timeout (idle), cancelled.
net::awaitable<std::size_t> read_body_some(http_exchange& x, char* buf, std::size_t size, const timeouts& t);

// Reads the whole remaining body (error bodies, non-streaming responses), at most `limit` bytes.
net::awaitable<std::string> read_body_all(http_exchange& x, const timeouts& t, std::size_t limit);

// Puts the connection back in the pool when the message completed and keep-alive holds, else closes it.
void release(client_state& state, http_exchange& x);

}  // namespace chatkit::openai::detail
