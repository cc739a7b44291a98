// server.hpp: a running chatkit::http::server in front of a test processor — JSON and streaming answers,
// errors, limits, extra routes, the access log, disconnects, timeouts and graceful shutdown.
#include "server_fixture.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <set>
#include <stdexcept>
#include <thread>

using namespace chatkit::http;
using namespace chatkit::http::test;
namespace asio = boost::asio;

TEST_CASE("server: JSON answers and keep-alive across requests", "[server]") {
  server_fixture f;
  auto c = f.connect();
  for (int i = 0; i < 3; ++i) {
    auto r = c.request(post("/chatkit", R"({"type":"json","params":{}})", as_user("alice")));
    CHECK(r.status == 200);
    CHECK(r.header("content-type") == "application/json");
    CHECK(json_of(r.body).at("user").as_string() == "alice");
  }
  CHECK(f.proc->process_calls == 3);
  CHECK(f.srv->connections() == 1);  // all three on one connection
  // Query strings do not change the route.
  CHECK(c.request(post("/chatkit?x=1", R"({"type":"json","params":{}})", as_user("bob"))).status == 200);
}

TEST_CASE("server: pipelined requests are answered in order", "[server]") {
  server_fixture f;
  auto c = f.connect();
  c.write(post("/chatkit", R"({"type":"json","params":{}})", as_user("u1")) +
          post("/chatkit", R"({"type":"stream","params":{"n":2}})", as_user("u2")) +
          post("/chatkit", R"({"type":"json","params":{}})", as_user("u3")));
  auto a = c.read_response();
  auto b = c.read_response();
  auto d = c.read_response();
  CHECK(json_of(a.body).at("user").as_string() == "u1");
  CHECK(b.frames.size() == 2);
  CHECK(json_of(d.body).at("user").as_string() == "u3");
}

TEST_CASE("server: streaming is real, the first frame arrives before the processor finishes", "[server]") {
  server_fixture f;
  auto c = f.connect();
  c.write(post("/chatkit", R"({"type":"gated","params":{}})", as_user("alice")));
  auto h = c.read_head();
  CHECK(h.status == 200);
  CHECK(h.header("content-type") == "text/event-stream");
  CHECK(h.header("cache-control") == "no-cache");
  CHECK(h.header("transfer-encoding") == "chunked");
  CHECK(h.header("content-length") == "<absent>");
  CHECK(c.next_frame() == std::string(R"(data: {"i":0})"));
  // The processor is still waiting on the gate: the frame was flushed as it was produced.
  CHECK(f.proc->finished.count() == 0);
  f.proc->release.open();
  CHECK(c.next_frame() == std::string(R"(data: {"i":1})"));
  CHECK(c.next_frame() == std::nullopt);
  CHECK(f.proc->finished.count() == 1);
  // The connection is still usable after the stream.
  CHECK(c.request(post("/chatkit", R"({"type":"json","params":{}})", as_user("alice"))).status == 200);
}

TEST_CASE("server: frames produced faster than the socket are coalesced into few writes", "[server]") {
  server_fixture f;
  auto c = f.connect();
  auto r = c.request(post("/chatkit", R"({"type":"burst","params":{"n":2000}})", as_user("alice")));
  REQUIRE(r.frames.size() == 2000);
  for (std::size_t i = 0; i < r.frames.size(); ++i)
    REQUIRE(r.frames[i] == R"(data: {"i":)" + std::to_string(i) + R"(,"tag":""})");
  // One chunk per write: a producer that never yields gets all its frames out in a handful of writes.
  CHECK(r.chunks < 20);
  REQUIRE(f.log_written.wait());
  auto logs = f.log_copy();
  REQUIRE(logs.size() == 1);
  CHECK(logs[0].events == 2000);
}

TEST_CASE("server: errors before the first frame become statuses with JSON bodies", "[server]") {
  server_fixture f;
  auto c = f.connect();
  auto call = [&](const char* type) {
    return c.request(
        post("/chatkit", std::string(R"({"type":")") + type + R"(","params":{}})", as_user("alice")));
  };
  auto r = call("not_found");
  CHECK(r.status == 404);
  CHECK(r.header("content-type") == "application/json");
  CHECK(error_type(r) == "not_found");
  CHECK(error_message(r) == "thread not found");

  r = call("stream_not_found");
  CHECK(r.status == 404);
  CHECK(r.header("content-type") == "application/json");
  CHECK(error_type(r) == "not_found");

  r = call("invalid");
  CHECK(r.status == 400);
  CHECK(error_type(r) == "invalid_request");
  CHECK(error_message(r).find("params.input.content[0].type") != std::string::npos);

  r = call("not_implemented");
  CHECK(r.status == 501);
  CHECK(error_type(r) == "not_implemented");

  r = call("boom");
  CHECK(r.status == 500);
  CHECK(error_type(r) == "internal_error");
  CHECK(error_message(r) == "Internal server error");
  CHECK(r.body.find("secret") == std::string::npos);
  CHECK(r.body.find("hunter2") == std::string::npos);

  // Every error kept the connection alive.
  CHECK(call("json").status == 200);
  CHECK(f.srv->connections() == 1);
}

TEST_CASE("server: an error after the first frame ends the body cleanly", "[server]") {
  server_fixture f;
  auto c = f.connect();
  auto r = c.request(post("/chatkit", R"({"type":"fail_mid","params":{}})", as_user("alice")));
  CHECK(r.status == 200);
  CHECK(r.frames == std::vector<std::string>{R"(data: {"i":0})"});
  CHECK(c.request(post("/chatkit", R"({"type":"json","params":{}})", as_user("alice"))).status == 200);
}

TEST_CASE("server: unknown paths are 404, wrong methods 405", "[server]") {
  server_fixture f;
  auto c = f.connect();
  auto r = c.request(post("/nope", "{}", as_user("alice")));
  CHECK(r.status == 404);
  CHECK(error_type(r) == "not_found");
  r = c.request(get("/chatkit", as_user("alice")));
  CHECK(r.status == 405);
  CHECK(error_type(r) == "method_not_allowed");
  CHECK(r.header("allow") == "POST, OPTIONS");
  r = c.request("DELETE /chatkit HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  CHECK(r.status == 405);
  CHECK(f.proc->process_calls == 0);
}

TEST_CASE("server: garbage on the socket gets a 400 and a closed connection", "[server]") {
  server_fixture f;
  for (std::string garbage :
       {std::string("GARBAGE\r\n\r\n"),
        std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 15),
        std::string("POST /chatkit HTTP/1.1\r\nContent-Length: abc\r\n\r\n"),
        // Bad chunking is found when the body is read, after the head passed its checks.
        std::string("POST /chatkit HTTP/1.1\r\nContent-Type: application/json\r\nX-User-Id: a\r\n"
                    "Transfer-Encoding: chunked\r\n\r\nzz\r\n")}) {
    auto c = f.connect();
    c.write(garbage);
    auto r = c.read_response();
    CHECK(r.status == 400);
    CHECK(error_type(r) == "invalid_request");
    CHECK(c.peer_closed());
  }
  // The server is still fine.
  auto c = f.connect();
  CHECK(c.request(post("/chatkit", R"({"type":"json","params":{}})", as_user("a"))).status == 200);
}

TEST_CASE("server: oversize bodies are 413, oversize headers 431", "[server]") {
  server_fixture f([](server_options& o) {
    o.endpoint.limits.max_body_bytes = 1024;
    o.endpoint.limits.max_header_bytes = 2048;
  });
  {
    auto c = f.connect();
    std::string big = R"({"type":"json","params":{"pad":")" + std::string(2000, 'x') + "\"}}";
    auto r = c.request(post("/chatkit", big, as_user("alice")));
    CHECK(r.status == 413);
    CHECK(error_type(r) == "payload_too_large");
    CHECK(c.peer_closed());
  }
  {
    auto c = f.connect();
    std::string pad(4000, 'h');
    auto r =
        c.request(post("/chatkit", R"({"type":"json","params":{}})", as_user("alice", {"X-Pad: " + pad})));
    CHECK(r.status == 431);
    CHECK(error_type(r) == "headers_too_large");
    CHECK(c.peer_closed());
  }
  {
    // A body just under the limit is fine, and Expect: 100-continue is honoured.
    auto c = f.connect();
    std::string ok = R"({"type":"json","params":{"pad":")" + std::string(900, 'x') + "\"}}";
    std::string req = post("/chatkit", ok, as_user("alice", {"Expect: 100-continue"}));
    auto split = req.find("\r\n\r\n") + 4;
    c.write(req.substr(0, split));
    CHECK(c.read_head().status == 100);
    c.write(req.substr(split));
    CHECK(c.read_response().status == 200);
  }
  CHECK(f.proc->process_calls == 1);
}

TEST_CASE("server: a per-user cap on concurrent streams answers 429", "[server]") {
  server_fixture f([](server_options& o) { o.endpoint.limits.max_streams_per_user = 2; });
  auto gated = post("/chatkit", R"({"type":"gated","params":{}})", as_user("alice"));
  auto a = f.connect();
  auto b = f.connect();
  a.write(gated);
  b.write(gated);
  (void)a.read_head();
  (void)b.read_head();
  CHECK(a.next_frame().has_value());
  CHECK(b.next_frame().has_value());
  CHECK(f.srv->chatkit_endpoint().active_streams() == 2);

  auto c = f.connect();
  auto r = c.request(gated);
  CHECK(r.status == 429);
  CHECK(error_type(r) == "too_many_requests");
  // Other users are not affected, and JSON requests of the same user neither.
  auto d = f.connect();
  d.write(post("/chatkit", R"({"type":"stream","params":{"n":1}})", as_user("bob")));
  CHECK(d.read_response().frames.size() == 1);
  CHECK(c.request(post("/chatkit", R"({"type":"json","params":{}})", as_user("alice"))).status == 200);

  f.proc->release.open();
  CHECK(a.read_response().frames.size() == 1);
  CHECK(b.read_response().frames.size() == 1);
  // Slots are given back when streams end.
  CHECK(c.request(gated).frames.size() == 2);
}

TEST_CASE("server: a client that disconnects mid-stream cancels the run", "[server][cancel]") {
  server_fixture f;
  {
    auto c = f.connect();
    c.write(post("/chatkit", R"({"type":"hang","params":{}})", as_user("alice")));
    CHECK(c.read_head().status == 200);
    CHECK(c.next_frame() == std::string(R"(data: {"i":0})"));
    c.close();
  }
  REQUIRE(f.proc->cancelled.wait());
  CHECK(f.proc->finished.count() == 0);
  REQUIRE(f.log_written.wait());
  auto logs = f.log_copy();
  CHECK(logs.back().cancelled);
  CHECK(logs.back().events == 1);
  CHECK(f.srv->chatkit_endpoint().active_streams() == 0);
}

TEST_CASE("server: a disconnect before the first frame cancels the run too", "[server][cancel]") {
  server_fixture f;
  {
    auto c = f.connect();
    c.write(post("/chatkit", R"({"type":"hang_silent","params":{}})", as_user("alice")));
    REQUIRE(f.proc->started.wait());
    c.close();
  }
  REQUIRE(f.proc->cancelled.wait());
}

TEST_CASE("server: the access log has one line per request", "[server][log]") {
  server_fixture f([](server_options& o) { o.endpoint.limits.max_body_bytes = 64; },
                   [](server& s) {
                     s.add_route("/health", [](request req) -> asio::awaitable<response> {
                       co_return make_json_response("{}", req.version());
                     });
                   });
  auto c = f.connect();
  c.request(post("/chatkit?token=secret", R"({"type":"stream","params":{"n":3}})", as_user("alice")));
  c.request(post("/chatkit", R"({"type":"json","params":{}})"));
  c.request(get("/health"));
  c.request(post("/missing", "{}"));
  // Lines are written once the response is out, so the client can be a little ahead of the log.
  REQUIRE(f.log_written.wait(4));
  auto logs = f.log_copy();
  REQUIRE(logs.size() == 4);
  CHECK(logs[0].method == "POST");
  CHECK(logs[0].path == "/chatkit");  // no query string: it may carry secrets
  CHECK(logs[0].status == 200);
  CHECK(logs[0].user == "alice");
  CHECK(logs[0].events == 3);
  CHECK(logs[1].status == 401);
  CHECK(logs[1].user.empty());
  CHECK(logs[2].path == "/health");
  CHECK(logs[2].status == 200);
  CHECK(logs[3].status == 404);
}

TEST_CASE("server: extra routes beside the ChatKit path", "[server][routes]") {
  server_fixture f({}, [](server& s) {
    s.add_route("/api/me", [](request req) -> asio::awaitable<response> {
      co_return make_json_response(R"({"me":")" + std::string(req["X-User-Id"]) + "\"}", req.version());
    });
    s.add_route(
        "/static/",
        [](request req) -> asio::awaitable<response> {
          response r{boost::beast::http::status::ok, req.version()};
          r.set(boost::beast::http::field::content_type, "text/plain");
          r.body() = "file " + std::string(req.target());
          co_return r;
        },
        route_match::prefix);
    s.add_route("/static/special", [](request) -> asio::awaitable<response> {
      throw chatkit::error(chatkit::errc::not_found, "no such file");
      co_return response{};
    });
    s.add_route("/api/crash", [](request) -> asio::awaitable<response> {
      throw std::runtime_error("internal detail");
      co_return response{};
    });
  });
  auto c = f.connect();
  auto r = c.request(get("/api/me", {"X-User-Id: zoe"}));
  CHECK(r.status == 200);
  CHECK(r.body == R"({"me":"zoe"})");
  r = c.request(get("/static/app.js"));
  CHECK(r.body == "file /static/app.js");
  CHECK(r.header("content-type") == "text/plain");
  r = c.request(get("/static/special"));
  CHECK(r.status == 404);
  CHECK(r.header("content-type") == "application/json");
  r = c.request(get("/api/crash"));
  CHECK(r.status == 500);
  CHECK(r.body.find("internal detail") == std::string::npos);
  CHECK(c.request(get("/api/other")).status == 404);
}

TEST_CASE("server: a stream route writes its own answer on the connection", "[server][routes]") {
  server_fixture f({}, [](server& s) {
    s.add_stream_route("/events", [](request req, boost::beast::tcp_stream& stream) -> asio::awaitable<bool> {
      const std::string answer =
          "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
          "data: " +
          std::string(req["X-User-Id"]) + "\n\ndata: 2\n\n";
      co_await asio::async_write(stream, asio::buffer(answer), asio::use_awaitable);
      co_return false;  // the body ended with the connection
    });
  });
  auto c = f.connect();
  c.write(get("/events", {"X-User-Id: zoe"}));
  auto h = c.read_head();
  CHECK(h.status == 200);
  CHECK(h.header("content-type") == "text/event-stream");
  CHECK(c.next_frame() == std::string("data: zoe"));
  CHECK(c.next_frame() == std::string("data: 2"));
  CHECK(c.next_frame() == std::nullopt);
}
TEST_CASE("server: idle and slow connections are closed", "[server][timeouts]") {
  server_fixture f([](server_options& o) {
    o.endpoint.limits.idle_timeout = std::chrono::milliseconds(50);
    o.endpoint.limits.read_timeout = std::chrono::milliseconds(50);
  });
  auto idle = f.connect();
  CHECK(idle.peer_closed());
  auto slow = f.connect();
  slow.write("POST /chatkit HTTP/1.1\r\nHost: x\r\n");  // and never the rest
  CHECK(slow.peer_closed());
  CHECK(f.proc->process_calls == 0);
}

TEST_CASE("server: graceful shutdown lets streams finish within the grace period", "[server][shutdown]") {
  server_fixture f;
  auto streaming = f.connect();
  streaming.write(post("/chatkit", R"({"type":"gated","params":{}})", as_user("alice")));
  CHECK(streaming.read_head().status == 200);
  CHECK(streaming.next_frame().has_value());
  auto idle = f.connect();
  CHECK(idle.request(post("/chatkit", R"({"type":"json","params":{}})", as_user("bob"))).status == 200);

  std::thread stopper([&] { f.srv->stop(std::chrono::seconds(20)); });
  CHECK(idle.peer_closed());  // idle connections are closed at once
  // New connections are refused once the acceptor is closed.
  bool refused = false;
  for (int i = 0; i < 200 && !refused; ++i) {
    try {
      sync_client late(f.port());
      late.write(post("/chatkit", R"({"type":"json","params":{}})", as_user("late")));
      refused = late.peer_closed();
    } catch (const std::exception&) {
      refused = true;
    }
    if (!refused) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CHECK(refused);
  f.proc->release.open();
  CHECK(streaming.next_frame() == std::string(R"(data: {"i":1})"));
  CHECK(streaming.next_frame() == std::nullopt);
  stopper.join();
  CHECK(f.proc->finished.count() == 1);
  CHECK(f.proc->cancelled.count() == 0);
  CHECK(f.srv->connections() == 0);
}

TEST_CASE("server: streams still running at the deadline are cancelled", "[server][shutdown]") {
  server_fixture f;
  auto c = f.connect();
  c.write(post("/chatkit", R"({"type":"hang","params":{}})", as_user("alice")));
  CHECK(c.read_head().status == 200);
  CHECK(c.next_frame().has_value());
  f.srv->stop(std::chrono::milliseconds(20));
  CHECK(f.proc->cancelled.count() == 1);
  CHECK(f.proc->finished.count() == 0);
  CHECK(f.srv->connections() == 0);
}

TEST_CASE("server: 200 concurrent streams, no lost or duplicated events", "[server][load]") {
  constexpr int clients = 200;
  constexpr int events = 50;
  server_fixture f([](server_options& o) {
    o.endpoint.limits.max_streams_per_user = 0;
    o.threads = 2;
  });
  asio::io_context ioc;
  std::vector<std::vector<std::string>> got(clients);
  int done = 0;
  std::vector<std::string> errors;
  for (int k = 0; k < clients; ++k) {
    asio::co_spawn(
        ioc,
        [&, k]() -> asio::awaitable<void> {
          client c(co_await asio::this_coro::executor);
          co_await c.connect(f.port());
          co_await c.write(post("/chatkit",
                                R"({"type":"stream","params":{"n":)" + std::to_string(events) +
                                    R"(,"tag":"c)" + std::to_string(k) + "\"}}",
                                as_user("user" + std::to_string(k % 7))));
          auto r = co_await c.read_response();
          got[static_cast<std::size_t>(k)] = r.frames;
        },
        [&](std::exception_ptr e) {
          ++done;
          if (e) {
            try {
              std::rethrow_exception(e);
            } catch (const std::exception& ex) {
              errors.push_back(ex.what());
            }
          }
        });
  }
  ioc.run_for(std::chrono::seconds(60));
  CHECK(errors.empty());
  REQUIRE(done == clients);
  for (int k = 0; k < clients; ++k) {
    const auto& frames = got[static_cast<std::size_t>(k)];
    REQUIRE(frames.size() == events);
    for (int i = 0; i < events; ++i)
      REQUIRE(frames[static_cast<std::size_t>(i)] ==
              R"(data: {"i":)" + std::to_string(i) + R"(,"tag":"c)" + std::to_string(k) + "\"}");
  }
  CHECK(f.proc->finished.count() == clients);
}

TEST_CASE("server: a client that stops reading stalls the bot, then is dropped at the write timeout",
          "[server][backpressure]") {
  server_fixture f([](server_options& o) {
    o.endpoint.limits.stream_buffer_bytes = 16 * 1024;
    o.endpoint.limits.write_timeout = std::chrono::milliseconds(200);
  });
  auto c = f.connect();
  c.write(post("/chatkit", R"({"type":"flood","params":{}})", as_user("alice")));
  CHECK(c.read_head().status == 200);
  // The client reads nothing more. Back pressure stops the producer once the socket buffers and the
  // sink's 16 KiB are full; the stalled write then times out and the stream is cancelled.
  REQUIRE(f.proc->cancelled.wait());
  REQUIRE(f.log_written.wait());
  auto logs = f.log_copy();
  CHECK(logs.back().cancelled);
  CHECK(logs.back().events > 0);
}

TEST_CASE("server: HTTP/1.0 clients get an unchunked stream ended by close", "[server]") {
  server_fixture f;
  // A raw socket: the test reads every byte up to the server's FIN.
  asio::io_context ioc;
  asio::ip::tcp::socket s(ioc);
  s.connect({asio::ip::make_address("127.0.0.1"), f.port()});
  std::string body = R"({"type":"stream","params":{"n":3}})";
  std::string req =
      "POST /chatkit HTTP/1.0\r\nX-User-Id: old\r\nContent-Type: application/json\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  asio::write(s, asio::buffer(req));
  std::string got;
  boost::system::error_code ec;
  std::array<char, 4096> buf{};
  while (!ec) got.append(buf.data(), s.read_some(asio::buffer(buf), ec));
  CHECK(ec == asio::error::eof);
  CHECK(got.rfind("HTTP/1.0 200 OK\r\n", 0) == 0);
  CHECK(got.find("Transfer-Encoding") == std::string::npos);
  CHECK(got.find("Connection: close\r\n") != std::string::npos);
  auto body_start = got.find("\r\n\r\n") + 4;
  CHECK(got.substr(body_start) ==
        "data: {\"i\":0,\"tag\":\"\"}\n\ndata: {\"i\":1,\"tag\":\"\"}\n\ndata: {\"i\":2,\"tag\":\"\"}\n\n");
}

TEST_CASE("server: a JSON answer's head follows the request's version and keep-alive", "[server]") {
  server_fixture f;
  const std::string body = R"({"type":"json","params":{}})";
  // One request on a raw socket; returns every byte up to the server's FIN, or what the first read brought
  // when the connection is kept (a JSON answer is written in one piece).
  auto exchange = [&](const std::string& version, const std::string& extra, bool kept) {
    asio::io_context ioc;
    asio::ip::tcp::socket s(ioc);
    s.connect({asio::ip::make_address("127.0.0.1"), f.port()});
    asio::write(s, asio::buffer("POST /chatkit " + version +
                                "\r\nX-User-Id: v\r\nContent-Type: application/json\r\n" + extra +
                                "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body));
    std::string got;
    boost::system::error_code ec;
    std::array<char, 4096> buf{};
    while (!ec && (!kept || got.find("\"}") == std::string::npos))
      got.append(buf.data(), s.read_some(asio::buffer(buf), ec));
    if (!kept) CHECK(ec == asio::error::eof);
    return got;
  };
  const std::string answer = R"({"ok":true,"user":"v"})";
  const std::string length = "Content-Length: " + std::to_string(answer.size()) + "\r\n";

  auto h11 = exchange("HTTP/1.1", "", true);
  CHECK(h11.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(h11.find("Content-Type: application/json\r\n") != std::string::npos);
  CHECK(h11.find(length) != std::string::npos);
  CHECK(h11.find("Connection") == std::string::npos);
  CHECK(h11.substr(h11.find("\r\n\r\n") + 4) == answer);

  auto h11_close = exchange("HTTP/1.1", "Connection: close\r\n", false);
  CHECK(h11_close.find("Connection: close\r\n") != std::string::npos);
  CHECK(h11_close.substr(h11_close.find("\r\n\r\n") + 4) == answer);

  auto h10 = exchange("HTTP/1.0", "", false);
  CHECK(h10.rfind("HTTP/1.0 200 OK\r\n", 0) == 0);
  CHECK(h10.find("Connection") == std::string::npos);
  CHECK(h10.find(length) != std::string::npos);

  auto h10_kept = exchange("HTTP/1.0", "Connection: keep-alive\r\n", true);
  CHECK(h10_kept.rfind("HTTP/1.0 200 OK\r\n", 0) == 0);
  CHECK(h10_kept.find("Connection: keep-alive\r\n") != std::string::npos);
  CHECK(h10_kept.substr(h10_kept.find("\r\n\r\n") + 4) == answer);
}

TEST_CASE("server: a request pipelined while a stream waits is read into a new buffer, then answered",
          "[server]") {
  // The connection's read buffer is given back when a stream starts; bytes that arrive during the stream are
  // read into a fresh one and answered after it.
  server_fixture f;
  auto c = f.connect();
  c.write(post("/chatkit", R"({"type":"gated","params":{}})", as_user("alice")));
  CHECK(c.read_head().status == 200);
  CHECK(c.next_frame() == std::string(R"(data: {"i":0})"));
  c.write(post("/chatkit", R"({"type":"json","params":{}})", as_user("bob")));
  std::this_thread::sleep_for(
      std::chrono::milliseconds(50));  // let the watch read it (the test passes either way)
  f.proc->release.open();
  CHECK(c.next_frame() == std::string(R"(data: {"i":1})"));
  CHECK(c.next_frame() == std::nullopt);
  auto next = c.read_response();
  CHECK(next.status == 200);
  CHECK(json_of(next.body).at("user").as_string() == "bob");
}

// ---- On the host's executor (docs/http.md#on-your-own-io_context) ----

namespace {

void rethrow(std::exception_ptr e) {
  if (e) std::rethrow_exception(e);
}

// Reads the rest of a stream; true when the server cut it (the body ends without its last chunk).
asio::awaitable<bool> cut_off(client& c) {
  try {
    while (co_await c.next_frame()) {
    }
  } catch (const boost::system::system_error&) {
    co_return true;
  }
  co_return false;
}

server_options host_options() {
  server_options o;
  o.endpoint.authenticate = dev_header_auth("X-User-Id", /*quiet=*/true);
  o.endpoint.access_log = [](const access_log_entry&) {};
  return o;
}

// A stream of one frame that ends at once, or one that waits for a byte on a local socket pair and then fails
// before its first frame: the test decides when it wakes, relative to the client's FIN.
class wake_processor final : public chatkit::server::request_processor {
 public:
  wake_processor(asio::local::stream_protocol::socket& wake, bool fail) : wake_(wake), fail_(fail) {}
  bool waiting = false;

  asio::awaitable<chatkit::server::process_result> process(std::string, chatkit::request_context) override {
    chatkit::server::event_stream s;
    s.run = [this](chatkit::server::event_sink& sink) -> asio::awaitable<void> {
      if (!fail_) {
        co_await sink.write("data: {\"i\":0}\n\n");
        co_return;
      }
      waiting = true;
      co_await wake_.async_wait(asio::socket_base::wait_read, asio::as_tuple(asio::use_awaitable));
      if (fail_) throw std::runtime_error("the model failed before the first event");
    };
    co_return s;
  }

 private:
  asio::local::stream_protocol::socket& wake_;
  bool fail_;
};

// The disconnect watch reads the client's EOF while the stream wins the race: the FIN comes with the request
// of a stream that ends at once, or (`fail`) it comes in the same poll of the one server thread as the
// wake-up of a stream that then fails. Asio reports an EOF once (a later read waits for a readiness edge that
// never comes), so a connection put back to wait for a next request would sit there for the hour of
// idle_timeout. Returns what the client received before the server closed; throws when it did not close
// within 10 s.
std::string half_close_as_the_stream_wakes(bool fail) {
  asio::io_context ioc(1);
  asio::local::stream_protocol::socket wake(ioc), waker(ioc);
  asio::local::connect_pair(wake, waker);
  auto proc = std::make_shared<wake_processor>(wake, fail);
  server_options o;
  o.endpoint.authenticate = dev_header_auth("X-User-Id", /*quiet=*/true);
  o.endpoint.access_log = [](const access_log_entry&) {};
  o.endpoint.limits.idle_timeout = std::chrono::hours(1);
  server srv(proc, o, ioc.get_executor());
  srv.start();

  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(srv.port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
  const std::string req = post("/chatkit", R"({"type":"any","params":{}})", as_user("alice"));
  REQUIRE(::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size()));

  if (fail) {
    // The server thread is this one: run it until the stream waits and the watch is parked on the socket.
    for (int i = 0; i < 10000 && !proc->waiting; ++i) ioc.run_one_for(std::chrono::milliseconds(10));
    REQUIRE(proc->waiting);
    ioc.poll();
    const char byte = 1;
    REQUIRE(::write(waker.native_handle(), &byte, 1) == 1);
  }
  REQUIRE(::shutdown(fd, SHUT_WR) == 0);

  std::thread io([&] { ioc.run(); });
  std::string got;
  char buf[4096];
  ssize_t n = 0;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) got.append(buf, static_cast<std::size_t>(n));
  const bool timed_out = n < 0;
  ::close(fd);
  srv.stop(std::chrono::milliseconds(0));
  ioc.stop();
  io.join();
  if (timed_out) throw std::runtime_error("the server kept the connection after the client's FIN: " + got);
  return got;
}

}  // namespace

TEST_CASE("server: a client that half-closes as its stream ends gets the whole stream, then a close",
          "[server][cancel]") {
  const auto got = half_close_as_the_stream_wakes(/*fail=*/false);
  CHECK(got.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(got.find(R"(data: {"i":0})") != std::string::npos);
  CHECK(got.ends_with("0\r\n\r\n"));
}

TEST_CASE("server: a client that half-closes as its stream fails gets the error answer, then a close",
          "[server][cancel]") {
  const auto got = half_close_as_the_stream_wakes(/*fail=*/true);
  CHECK(got.starts_with("HTTP/1.1 500 "));
  CHECK(got.find("Connection: close\r\n") != std::string::npos);
}

TEST_CASE(
    "server on a host's io_context: one host thread serves, the host's timers run beside it, "
    "async_stop lets the in-flight stream finish and run() returns",
    "[server][host]") {
  asio::io_context ioc;  // run by this thread only: nothing may block it
  auto proc = std::make_shared<test_processor>();
  server srv(proc, host_options(), ioc.get_executor());
  srv.start();
  REQUIRE(srv.port() != 0);

  bool stopped = false;
  std::vector<std::string> frames;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        client c(ioc.get_executor());
        co_await c.connect(srv.port());
        co_await c.write(post("/chatkit", R"({"type":"json","params":{}})", as_user("alice")));
        auto r = co_await c.read_response();
        CHECK(r.status == 200);
        CHECK(json_of(r.body).at("user").as_string() == "alice");

        co_await c.write(post("/chatkit", R"({"type":"gated","params":{}})", as_user("alice")));
        auto h = co_await c.read_head();
        CHECK(h.status == 200);
        frames.push_back((co_await c.next_frame()).value_or("<end>"));
        // Shutdown begins while the stream waits on its gate; a timer of the host's own opens the gate.
        asio::co_spawn(ioc, srv.async_stop(std::chrono::seconds(20)),
                       [&](std::exception_ptr e) { stopped = !e; });
        asio::steady_timer host_timer(ioc, std::chrono::milliseconds(1));
        co_await host_timer.async_wait(asio::use_awaitable);
        CHECK_FALSE(stopped);  // the stream is still in flight
        proc->release.open();
        while (auto f = co_await c.next_frame()) frames.push_back(*f);
        CHECK(co_await c.peer_closed());  // the connection closes after its current response
      },
      rethrow);
  ioc.run_for(std::chrono::seconds(30));  // a watchdog: returns at once when all work is done
  REQUIRE(ioc.stopped());
  CHECK(stopped);
  CHECK(frames == std::vector<std::string>{R"(data: {"i":0})", R"(data: {"i":1})"});
  CHECK(proc->finished.count() == 1);
  CHECK(srv.connections() == 0);
}

TEST_CASE("server on a host's io_context: stop() does not block, and cancels what outlives the grace",
          "[server][host]") {
  asio::io_context ioc;
  auto proc = std::make_shared<test_processor>();
  server srv(proc, host_options(), ioc.get_executor());
  srv.start();
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        client c(ioc.get_executor());
        co_await c.connect(srv.port());
        co_await c.write(post("/chatkit", R"({"type":"hang","params":{}})", as_user("bob")));
        CHECK((co_await c.read_head()).status == 200);
        CHECK(co_await c.next_frame() == std::optional<std::string>(R"(data: {"i":0})"));
        srv.stop(std::chrono::milliseconds(0));  // called on the host's only thread: returns at once
        CHECK(co_await cut_off(c));
      },
      rethrow);
  ioc.run_for(std::chrono::seconds(30));
  REQUIRE(ioc.stopped());
  CHECK(proc->cancelled.count() == 1);
  CHECK(srv.connections() == 0);
  // A new connection is refused: the listening socket is closed.
  asio::io_context probe;
  asio::ip::tcp::socket s(probe);
  boost::system::error_code ec;
  s.connect({asio::ip::make_address("127.0.0.1"), srv.port()}, ec);
  CHECK(ec);
}

TEST_CASE("server on a host's io_context: destroyed while a connection is open, its state lives until the "
          "connection ended",
          "[server][host]") {
  asio::io_context ioc;
  auto proc = std::make_shared<test_processor>();
  auto srv = std::make_unique<server>(proc, host_options(), ioc.get_executor());
  srv->start();
  const auto port = srv->port();
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        client c(ioc.get_executor());
        co_await c.connect(port);
        co_await c.write(post("/chatkit", R"({"type":"hang","params":{}})", as_user("carol")));
        CHECK((co_await c.read_head()).status == 200);
        CHECK(co_await c.next_frame() == std::optional<std::string>(R"(data: {"i":0})"));
        srv.reset();  // a zero-grace stop that completes on the io_context
        CHECK(co_await cut_off(c));
      },
      rethrow);
  ioc.run_for(std::chrono::seconds(30));
  REQUIRE(ioc.stopped());
  CHECK(proc->cancelled.count() == 1);
}

TEST_CASE("server: async_stop belongs to a server on a host's executor", "[server][host]") {
  server_fixture f;
  asio::io_context ioc;
  CHECK_THROWS_AS(run(ioc, f.srv->async_stop()), std::logic_error);
}
