// The echo bot behind chatkit::http::server on an ephemeral 127.0.0.1 port, and a minimal HTTP client for
// it: one request per connection (Connection: close), answered either as the raw response text or parsed
// into status, body and — for a stream — its SSE events. Shared by the integration tests.
#pragma once

#include "echo_bot.hpp"

#include <chatkit/http/auth.hpp>
#include <chatkit/http/server.hpp>
#include <chatkit/store/memory_store.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace chatkit::testing {

// `Bot` is the echo bot or a test's subclass of it.
template <class Bot = examples::echo_bot>
struct running_echo_server {
  std::shared_ptr<store::memory_store> store = std::make_shared<store::memory_store>();
  std::shared_ptr<Bot> bot =
      std::make_shared<Bot>(store, std::make_shared<examples::echo_attachment_store>());
  std::unique_ptr<http::server> http;

  running_echo_server() {
    http::server_options o;
    o.endpoint.authenticate = http::dev_header_auth("X-User-Id", true);
    o.endpoint.access_log = [](const auto&) {};
    o.endpoint.limits.stream_buffer_bytes = 16 * 1024;
    http = std::make_unique<http::server>(bot, std::move(o));
    http->start();
  }
  ~running_echo_server() { http->stop(std::chrono::milliseconds(0)); }
  running_echo_server(const running_echo_server&) = delete;
  running_echo_server& operator=(const running_echo_server&) = delete;

  std::uint16_t port() const noexcept { return http->port(); }
};

// The request text of one POST /chatkit; an empty `user` sends no X-User-Id header.
inline std::string http_post(const std::string& body, const std::string& user) {
  std::string r =
      "POST /chatkit HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nConnection: close\r\n";
  if (!user.empty()) r += "X-User-Id: " + user + "\r\n";
  r += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return r;
}

// Sends one request and returns the whole response text as received (the server closes the connection).
inline std::string round_trip(std::uint16_t port, const std::string& body, const std::string& user) {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket s(ioc);
  s.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  boost::asio::write(s, boost::asio::buffer(http_post(body, user)));
  std::string out;
  boost::system::error_code ec;
  boost::asio::read(s, boost::asio::dynamic_buffer(out), ec);
  return out;
}

struct http_answer {
  unsigned status = 0;
  std::string content_type;
  std::string body;                        // decoded (no chunk framing)
  std::vector<boost::json::value> events;  // the SSE "data:" frames of a text/event-stream answer

  bool is_stream() const { return content_type.starts_with("text/event-stream"); }
  boost::json::value json() const { return boost::json::parse(body); }
};

// Sends one request and parses the answer; a stream's frames are parsed into `events`.
inline http_answer post(std::uint16_t port, const std::string& body, const std::string& user) {
  namespace beast = boost::beast;
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket s(ioc);
  s.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  boost::asio::write(s, boost::asio::buffer(http_post(body, user)));
  beast::flat_buffer buffer;
  beast::http::response_parser<beast::http::string_body> parser;
  parser.body_limit(boost::none);
  beast::http::read(s, buffer, parser);
  auto& res = parser.get();
  http_answer a;
  a.status = res.result_int();
  a.content_type = std::string(res[beast::http::field::content_type]);
  a.body = std::move(res.body());
  if (a.is_stream()) {
    for (std::size_t at = 0; at < a.body.size();) {
      auto end = a.body.find("\n\n", at);
      if (end == std::string::npos) end = a.body.size();
      const std::string_view frame(a.body.data() + at, end - at);
      if (frame.starts_with("data: ")) a.events.push_back(boost::json::parse(frame.substr(6)));
      at = end + 2;
    }
  }
  return a;
}

// The path of the first null in `v` ("" when there is none), e.g. "$.items.data[1].output".
inline std::string first_null(const boost::json::value& v, const std::string& path = "$") {
  if (v.is_null()) return path;
  if (const auto* o = v.if_object()) {
    for (const auto& m : *o)
      if (auto p = first_null(m.value(), path + "." + std::string(m.key())); !p.empty()) return p;
  } else if (const auto* a = v.if_array()) {
    for (std::size_t i = 0; i < a->size(); ++i)
      if (auto p = first_null((*a)[i], path + "[" + std::to_string(i) + "]"); !p.empty()) return p;
  }
  return {};
}

// The body of a threads.create carrying one input_text part (`text` must need no JSON escaping).
inline std::string create_body(const std::string& text) {
  return R"({"type":"threads.create","params":{"input":{"content":[{"type":"input_text","text":")" + text +
         R"("}],"attachments":[],"inference_options":{}}}})";
}

}  // namespace chatkit::testing
