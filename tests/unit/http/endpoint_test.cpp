// The endpoint mounted in a host's own Beast server (not chatkit::http::server).
#include "server_fixture.hpp"
#include "test_client.hpp"
#include "test_processors.hpp"

#include <chatkit/http/endpoint.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <atomic>
#include <thread>

using namespace chatkit::http;
using namespace chatkit::http::test;
namespace asio = boost::asio;
namespace beast = boost::beast;

namespace {

// A minimal host server: its own accept loop and request reading, the ChatKit endpoint for one path.
asio::awaitable<void> host_session(asio::ip::tcp::socket s, endpoint& ep) {
  beast::tcp_stream stream(std::move(s));
  beast::flat_buffer buffer;
  for (;;) {
    request req;
    auto [ec, n] = co_await beast::http::async_read(stream, buffer, req, asio::as_tuple(asio::use_awaitable));
    if (ec) break;
    if (ep.matches(req)) {
      if (!co_await ep.handle(std::move(req), stream, buffer)) break;
      continue;
    }
    response res{beast::http::status::ok, req.version()};
    res.body() = "host page";
    res.prepare_payload();
    co_await beast::http::async_write(stream, res, asio::use_awaitable);
  }
}

}  // namespace

TEST_CASE("endpoint: mounted in a host's own Beast server", "[endpoint]") {
  auto proc = std::make_shared<test_processor>();
  endpoint_options o = host_endpoint_options();
  o.path = "/api/chatkit";
  endpoint ep(proc, o);
  host_server host(ep, host_session);
  {
    auto c = host.connect();
    auto j = c.request(post("/api/chatkit", R"({"type":"json","params":{}})", {"X-User-Id: hosted"}));
    CHECK(j.status == 200);
    CHECK(j.body == R"({"ok":true,"user":"hosted"})");
    auto s = c.request(post("/api/chatkit", R"({"type":"stream","params":{"n":4}})", {"X-User-Id: hosted"}));
    CHECK(s.header("content-type") == "text/event-stream");
    CHECK(s.frames.size() == 4);
    CHECK(c.request(get("/index.html")).body == "host page");
    CHECK(c.request(post("/api/chatkit", R"({"type":"json","params":{}})")).status == 401);
    CHECK(c.request(get("/api/chatkit")).status == 405);

    // Disconnect detection works on the host's connection too.
    auto d = host.connect();
    d.write(post("/api/chatkit", R"({"type":"hang","params":{}})", {"X-User-Id: hosted"}));
    CHECK(d.read_head().status == 200);
    CHECK(d.next_frame().has_value());
    d.close();
    CHECK(proc->cancelled.wait());
  }
}

TEST_CASE("endpoint: options are validated", "[endpoint]") {
  auto proc = std::make_shared<test_processor>();
  CHECK_THROWS_AS(endpoint(proc, endpoint_options{}), std::invalid_argument);  // no authenticate
  endpoint_options o;
  o.authenticate = dev_header_auth("X-User-Id", true);
  CHECK_THROWS_AS(endpoint(nullptr, o), std::invalid_argument);
  o.path = "chatkit";
  CHECK_THROWS_AS(endpoint(proc, o), std::invalid_argument);
  o.path = "/chatkit";
  cors_options bad;
  bad.allowed_origins = {"*"};
  bad.allow_credentials = true;
  o.cors = bad;
  CHECK_THROWS_AS(endpoint(proc, o), std::invalid_argument);
}

namespace {

// A POST head to /chatkit with the given extra lines (no body).
std::string chatkit_head(std::size_t content_length, const std::vector<std::string>& extra) {
  std::string r = "POST /chatkit HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& e : extra) r += e + "\r\n";
  return r + "Content-Length: " + std::to_string(content_length) + "\r\n\r\n";
}

// Accepts only `Authorization: Bearer good` (as alice); records what it was given.
struct token_auth {
  std::shared_ptr<std::atomic<int>> calls = std::make_shared<std::atomic<int>>(0);
  std::shared_ptr<std::atomic<bool>> saw_body = std::make_shared<std::atomic<bool>>(false);
  authenticate_fn fn() const {
    return [calls = calls, saw_body = saw_body](const request& head) {
      ++*calls;
      if (!head.body().empty()) *saw_body = true;
      if (head[boost::beast::http::field::authorization] != "Bearer good")
        throw chatkit::error(chatkit::errc::unauthorized, "invalid token");
      return chatkit::request_context{.user_id = "alice"};
    };
  }
};

const std::string json_body = R"({"type":"json","params":{}})";

}  // namespace

TEST_CASE("endpoint: credentials are checked from the head, before the body is read or invited",
          "[endpoint][auth]") {
  token_auth auth;
  server_fixture f(
      [&](server_options& o) {
        o.endpoint.authenticate = auth.fn();
        o.endpoint.limits.read_timeout = std::chrono::seconds(3);
      },
      [](server& s) {
        s.add_route("/echo", [](request req) -> asio::awaitable<response> {
          co_return make_json_response(std::move(req.body()), req.version());
        });
      });
  {
    // A head announcing 1 MiB without credentials: 401 at once; the body is never sent.
    auto c = f.connect();
    c.write(chatkit_head(1024 * 1024, {"Content-Type: application/json"}));
    auto r = c.read_response();
    CHECK(r.status == 401);
    CHECK(error_type(r) == "unauthorized");
    CHECK(r.header("connection") == "close");
    CHECK(c.peer_closed());
  }
  {
    // Wrong credentials and Expect: 100-continue: 401, never 100 Continue.
    auto c = f.connect();
    c.write(chatkit_head(1024 * 1024, {"Content-Type: application/json", "Authorization: Bearer bad",
                                       "Expect: 100-continue"}));
    auto r = c.read_response();
    CHECK(r.status == 401);
    CHECK(c.peer_closed());
  }
  {
    // Valid credentials: 100 Continue, then the body is read and processed.
    auto c = f.connect();
    c.write(chatkit_head(json_body.size(), {"Content-Type: application/json", "Authorization: Bearer good",
                                            "Expect: 100-continue"}));
    CHECK(c.read_head().status == 100);
    c.write(json_body);
    auto r = c.read_response();
    CHECK(r.status == 200);
    CHECK(json_of(r.body).at("user").as_string() == "alice");
  }
  CHECK(f.proc->process_calls == 1);
  CHECK_FALSE(*auth.saw_body);  // authenticate() gets the head only
  {
    // A small refused request whose body came with its head still leaves the connection usable.
    auto c = f.connect();
    CHECK(c.request(post("/chatkit", json_body)).status == 401);
    CHECK(c.request(post("/chatkit", json_body, {"Authorization: Bearer good"})).status == 200);
    // Extra routes read their bodies as before.
    CHECK(c.request(post("/echo", R"({"x":1})")).body == R"({"x":1})");
  }
}

TEST_CASE("endpoint: only JSON request bodies are accepted, anything else is 415",
          "[endpoint][content_type]") {
  server_fixture f;
  auto send = [&](const std::vector<std::string>& extra) {
    auto c = f.connect();
    std::vector<std::string> lines = extra;
    lines.push_back("X-User-Id: alice");
    return c.request(chatkit_head(json_body.size(), lines) + json_body);
  };
  for (const char* refused :
       {"Content-Type: text/plain", "Content-Type: text/plain; charset=utf-8",
        "Content-Type: application/x-www-form-urlencoded", "Content-Type: multipart/form-data; boundary=x",
        "Content-Type: application/jsonp", "Content-Type: text/json", "Content-Type:"}) {
    INFO(refused);
    auto r = send({refused});
    CHECK(r.status == 415);
    CHECK(r.header("content-type") == "application/json");
    CHECK(error_type(r) == "unsupported_media_type");
  }
  auto missing = send({});
  CHECK(missing.status == 415);
  CHECK(error_message(missing).find("application/json") != std::string::npos);
  CHECK(f.proc->process_calls == 0);

  for (const char* accepted :
       {"Content-Type: application/json", "Content-Type: application/json; charset=utf-8",
        "Content-Type: Application/JSON", "Content-Type:  application/json ;charset=UTF-8"}) {
    INFO(accepted);
    CHECK(send({accepted}).status == 200);
  }
  CHECK(f.proc->process_calls == 4);
}

TEST_CASE("endpoint: the accepted content types are configurable", "[endpoint][content_type]") {
  server_fixture f([](server_options& o) {
    o.endpoint.accepted_content_types = {"application/json", "application/vnd.example+json"};
  });
  auto c = f.connect();
  CHECK(c.request(post("/chatkit", json_body, as_user("a", {"Content-Type: application/vnd.example+json"})))
            .status == 200);
  server_fixture any([](server_options& o) { o.endpoint.accepted_content_types.clear(); });
  auto d = any.connect();
  CHECK(d.request(chatkit_head(json_body.size(), {"X-User-Id: a"}) + json_body).status == 200);
}

TEST_CASE("endpoint: a host's own server gets the same head checks", "[endpoint][content_type]") {
  auto proc = std::make_shared<test_processor>();
  endpoint ep(proc, host_endpoint_options());
  {
    host_server host(ep, host_session);
    auto c = host.connect();
    CHECK(c.request(chatkit_head(json_body.size(), {"Content-Type: text/plain", "X-User-Id: a"}) + json_body)
              .status == 415);
    CHECK(c.request(post("/chatkit", json_body, {"X-User-Id: a"})).status == 200);
  }
  CHECK(proc->process_calls == 1);
}
