// stream_limiter: global caps on running streams and on admitted requests (all users together), answered
// 503 with Retry-After and a JSON error; the server serves fresh requests once the load is gone. The
// per-user stream cap (429) is tested in server_test.cpp.
#include "server_fixture.hpp"

#include <thread>

using namespace chatkit::http;
using namespace chatkit::http::test;

namespace {

const std::string gated = R"({"type":"gated","params":{}})";
const std::string json = R"({"type":"json","params":{}})";

// Starts a gated stream of `user` on `c` and waits for its first frame.
void start_gated(sync_client& c, const std::string& user) {
  c.write(post("/chatkit", gated, as_user(user)));
  REQUIRE(c.read_head().status == 200);
  REQUIRE(c.next_frame().has_value());
}

bool requests_drain(endpoint& ep) {
  for (int i = 0; i < 2000; ++i) {
    if (ep.active_requests() == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

}  // namespace

TEST_CASE("stream_limiter: a global cap on streams answers 503 whoever asks", "[stream_limiter]") {
  server_fixture f([](server_options& o) {
    o.endpoint.limits.max_streams = 2;
    o.endpoint.limits.max_streams_per_user = 0;
  });
  auto a = f.connect();
  auto b = f.connect();
  start_gated(a, "alice");
  start_gated(b, "bob");
  CHECK(f.srv->chatkit_endpoint().active_streams() == 2);

  // A third user, who has no stream at all, is refused.
  auto c = f.connect();
  auto r = c.request(post("/chatkit", gated, as_user("carol")));
  CHECK(r.status == 503);
  CHECK(r.header("content-type") == "application/json");
  CHECK(r.header("retry-after") == "1");
  CHECK(error_type(r) == "unavailable");
  CHECK(error_message(r) == "server busy: too many concurrent streams");
  // Requests that do not stream are still served, on the same connection.
  CHECK(c.request(post("/chatkit", json, as_user("carol"))).status == 200);

  f.proc->release.open();
  CHECK(a.read_response().frames.size() == 1);
  CHECK(b.read_response().frames.size() == 1);
  // Once the load is gone a fresh stream is served.
  CHECK(c.request(post("/chatkit", gated, as_user("carol"))).frames.size() == 2);
}

TEST_CASE("stream_limiter: a global cap on requests in flight answers 503 before reading the body",
          "[stream_limiter]") {
  server_fixture f([](server_options& o) {
    o.endpoint.limits.max_requests_in_flight = 2;
    o.endpoint.limits.read_timeout = std::chrono::seconds(3);
  });
  auto a = f.connect();
  auto b = f.connect();
  start_gated(a, "alice");
  start_gated(b, "bob");
  CHECK(f.srv->chatkit_endpoint().active_requests() == 2);

  auto c = f.connect();
  auto r = c.request(post("/chatkit", json, as_user("carol")));
  CHECK(r.status == 503);
  CHECK(r.header("retry-after") == "1");
  CHECK(error_type(r) == "unavailable");
  CHECK(error_message(r) == "server busy: too many requests in flight");
  // Refused from the head: a large body announced but not sent is not waited for.
  auto d = f.connect();
  d.write(
      "POST /chatkit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-User-Id: dave\r\n"
      "Content-Length: 1000000\r\n\r\n");
  CHECK(d.read_response().status == 503);
  CHECK(d.peer_closed());
  CHECK(f.proc->process_calls == 2);

  f.proc->release.open();
  CHECK(a.read_response().frames.size() == 1);
  CHECK(b.read_response().frames.size() == 1);
  REQUIRE(requests_drain(f.srv->chatkit_endpoint()));
  CHECK(c.request(post("/chatkit", json, as_user("carol"))).status == 200);
  CHECK(requests_drain(f.srv->chatkit_endpoint()));  // its slot is given back after the answer
}
