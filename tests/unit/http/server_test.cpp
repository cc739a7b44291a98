#include "server_fixture.hpp"

#include <boost/json/parse.hpp>

using namespace chatkit::http;
using namespace chatkit::http::test;

namespace {

boost::json::object json_of(const std::string& s) { return boost::json::parse(s).as_object(); }

std::string error_type(const full_response& r) {
  return std::string(json_of(r.body).at("error").as_object().at("type").as_string());
}
std::string error_message(const full_response& r) {
  return std::string(json_of(r.body).at("error").as_object().at("message").as_string());
}

}  // namespace

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
    return c.request(post("/chatkit", std::string(R"({"type":")") + type + R"(","params":{}})", as_user("alice")));
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

TEST_CASE("server: dev-header auth", "[server][auth]") {
  server_fixture f;
  auto c = f.connect();
  auto r = c.request(post("/chatkit", R"({"type":"json","params":{}})"));
  CHECK(r.status == 401);
  CHECK(error_type(r) == "unauthorized");
  CHECK(error_message(r) == "missing X-User-Id header");
  r = c.request(post("/chatkit", R"({"type":"json","params":{}})", {"X-User-Id: "}));
  CHECK(r.status == 401);
  r = c.request(post("/chatkit", R"({"type":"json","params":{}})", {"x-user-id: carol"}));
  CHECK(r.status == 200);
  CHECK(json_of(r.body).at("user").as_string() == "carol");
  CHECK(f.proc->process_calls == 1);  // refused requests never reached the processor
}

TEST_CASE("server: garbage on the socket gets a 400 and a closed connection", "[server]") {
  server_fixture f;
  for (std::string garbage : {std::string("GARBAGE\r\n\r\n"), std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 15),
                              std::string("POST /chatkit HTTP/1.1\r\nContent-Length: abc\r\n\r\n"),
                              std::string("POST /chatkit HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")}) {
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
    auto r = c.request(post("/chatkit", R"({"type":"json","params":{}})", as_user("alice", {"X-Pad: " + pad})));
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
