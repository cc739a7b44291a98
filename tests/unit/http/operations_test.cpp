// /healthz and /metrics over real sockets (docs/guide-operations.md#health-and-metrics), and the access log
// through the SDK's log sink.
#include "server_fixture.hpp"
#include "support/doc_snippets.hpp"
#include "support/fixtures.hpp"
#include "support/log_capture.hpp"
#include "support/prometheus_check.hpp"

#include <chatkit/http/operations.hpp>
#include <chatkit/http/server.hpp>
#include <chatkit/metrics.hpp>

#include <catch2/catch.hpp>

#include <thread>

using namespace chatkit::http::test;
using chatkit::testing::check_prometheus;

namespace {

chatkit::testing::exposition scrape(std::uint16_t port, const std::vector<std::string>& extra = {}) {
  sync_client c(port);
  auto r = c.request(get("/metrics", extra));
  REQUIRE(r.status == 200);
  CHECK(r.header("content-type") == "text/plain; version=0.0.4; charset=utf-8");
  auto e = check_prometheus(r.body);
  for (const auto& err : e.errors) UNSCOPED_INFO(err);
  CHECK(e.errors.empty());
  return e;
}

chatkit::testing::exposition scrape(server_fixture& f, const std::vector<std::string>& extra = {}) {
  return scrape(f.port(), extra);
}

// Counts each request in chatkit_requests_total as the server core does — status 200 for an answer or a
// stream, as its last step before it returns — under the ChatKit type threads.create (alternative 0).
class core_counting_processor final : public chatkit::server::request_processor {
 public:
  std::shared_ptr<test_processor> inner = std::make_shared<test_processor>();

  boost::asio::awaitable<chatkit::server::process_result> process(std::string body,
                                                                  chatkit::request_context ctx) override {
    // As chatkit_server counts: a stream under 200 when the transport runs it, or under the status the
    // transport answers instead (event_stream::refused).
    auto result = co_await inner->process(std::move(body), std::move(ctx));
    auto& stream = std::get<chatkit::server::event_stream>(result);
    stream.run = [run = std::move(stream.run)](chatkit::server::event_sink& sink) {
      chatkit::metrics::count_request(0, 200);
      return run(sink);
    };
    stream.refused = [](int status) { chatkit::metrics::count_request(0, status); };
    co_return result;
  }
};

}  // namespace

TEST_CASE("operations: /healthz and /metrics are off unless enabled", "[http][operations]") {
  server_fixture f;
  auto c = f.connect();
  CHECK(c.request(get("/healthz")).status == 404);
  CHECK(c.request(get("/metrics")).status == 404);
}

TEST_CASE("operations: /healthz answers 200 with a JSON body; other methods 405", "[http][operations]") {
  server_fixture f([](chatkit::http::server_options& o) { o.operations.healthz = true; });
  auto c = f.connect();
  auto r = c.request(get("/healthz"));
  CHECK(r.status == 200);
  CHECK(r.header("content-type") == "application/json");
  CHECK(json_of(r.body).at("status").as_string() == "ok");
  CHECK(c.request(post("/healthz", "{}")).status == 405);
  CHECK(c.request(get("/metrics")).status == 404);  // not enabled
}

TEST_CASE("operations: /metrics is valid exposition text and its counters move with a stream",
          "[http][operations]") {
  server_fixture f([](chatkit::http::server_options& o) { o.operations.metrics = true; });
  const auto before = scrape(f);
  auto c = f.connect();
  auto s = c.request(post("/chatkit", R"({"type":"stream","params":{"n":4}})", as_user("alice")));
  REQUIRE(s.status == 200);
  CHECK(s.frames.size() == 4);
  CHECK(c.request(post("/chatkit", R"({"type":"not_found"})", as_user("alice"))).status == 404);
  CHECK(c.request(post("/chatkit", "{}")).status == 401);  // no identity
  // A response is counted once written, which may be just after the client read it: scrape until the last
  // one shows (a generous deadline only prevents a hang).
  auto after = scrape(f);
  auto delta = [&](const std::string& key) { return after.value(key) - before.value(key); };
  for (int i = 0; i < 200 && delta(R"(chatkit_http_responses_total{status="401"})") < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    after = scrape(f);
  }
  CHECK(delta(R"(chatkit_http_responses_total{status="200"})") >= 2);  // the stream and the first scrape
  CHECK(delta(R"(chatkit_http_responses_total{status="404"})") == 1);
  CHECK(delta(R"(chatkit_http_responses_total{status="401"})") == 1);
  for (const auto& [key, v] : after.samples) CHECK(key.find("alice") == std::string::npos);  // no user labels
}

TEST_CASE("operations: chatkit_requests_total counts a stream the HTTP layer refuses as 429 or 503",
          "[http][operations]") {
  // One stream per user, two in all: alice's second stream is refused for her (429), carol's for the server
  // (503). The HTTP layer runs the two admitted streams and tells the processor the status of the others.
  auto proc = std::make_shared<core_counting_processor>();
  chatkit::http::server_options o;
  o.endpoint.authenticate = chatkit::http::dev_header_auth("X-User-Id", /*quiet=*/true);
  o.endpoint.limits.max_streams_per_user = 1;
  o.endpoint.limits.max_streams = 2;
  o.operations.metrics = true;
  chatkit::http::server srv(proc, std::move(o));
  srv.start();
  const auto before = scrape(srv.port());

  const auto gated = [](const std::string& user) {
    return post("/chatkit", R"({"type":"gated","params":{}})", as_user(user));
  };
  sync_client alice(srv.port()), bob(srv.port());
  alice.write(gated("alice"));
  CHECK(alice.read_head().status == 200);
  CHECK(alice.next_frame().has_value());
  CHECK(sync_client(srv.port()).request(gated("alice")).status == 429);
  bob.write(gated("bob"));
  CHECK(bob.read_head().status == 200);
  CHECK(bob.next_frame().has_value());
  CHECK(sync_client(srv.port()).request(gated("carol")).status == 503);

  const auto after = scrape(srv.port());
  const auto delta = [&](const std::string& status) {
    const std::string key = R"(chatkit_requests_total{type="threads.create",status=")" + status + "\"}";
    return after.value(key) - before.value(key);
  };
  CHECK(delta("200") == 2);
  CHECK(delta("429") == 1);
  CHECK(delta("503") == 1);

  proc->inner->release.open();
  CHECK(alice.read_response().frames.size() == 1);
  CHECK(bob.read_response().frames.size() == 1);
  srv.stop(std::chrono::seconds(2));
}

TEST_CASE("operations: requests refused while being read count in chatkit_http_responses_total",
          "[http][operations]") {
  server_fixture f([](chatkit::http::server_options& o) {
    o.operations.metrics = true;
    o.endpoint.limits.max_body_bytes = 1024;
    o.endpoint.limits.max_header_bytes = 2048;
  });
  const auto before = scrape(f);
  // Headers over the limit (431), a chunked body over the limit on the ChatKit path (413: found while the
  // body is read, after the head was accepted), a malformed request (400).
  CHECK(f.connect()
            .request(post("/chatkit", "{}", as_user("alice", {"X-Pad: " + std::string(4000, 'h')})))
            .status == 431);
  const std::string chunked =
      "POST /chatkit HTTP/1.1\r\nHost: x\r\nX-User-Id: alice\r\n"
      "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n" +
      std::string(2000, ' ') + "\r\n0\r\n\r\n";
  CHECK(f.connect().request(chunked).status == 413);
  CHECK(f.connect().request("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: z\r\n\r\n").status == 400);

  auto after = scrape(f);
  const auto delta = [&](const std::string& status) {
    const std::string key = R"(chatkit_http_responses_total{status=")" + status + "\"}";
    return after.value(key) - before.value(key);
  };
  for (int i = 0; i < 200 && (delta("431") < 1 || delta("413") < 1 || delta("400") < 1); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    after = scrape(f);
  }
  CHECK(delta("431") == 1);
  CHECK(delta("413") == 1);
  CHECK(delta("400") == 1);
}

TEST_CASE("operations: a metrics token is required when set", "[http][operations]") {
  server_fixture f([](chatkit::http::server_options& o) {
    o.operations.metrics = true;
    o.operations.metrics_token = "s3cret-scrape-token";
  });
  auto c = f.connect();
  auto none = c.request(get("/metrics"));
  CHECK(none.status == 401);
  CHECK(none.header("www-authenticate") == "Bearer");
  CHECK(none.body.find("chatkit_") == std::string::npos);
  CHECK(c.request(get("/metrics", {"Authorization: Bearer s3cret-scrape-tokem"})).status == 401);
  CHECK(c.request(get("/metrics", {"Authorization: Bearer s3cret"})).status == 401);
  CHECK(c.request(get("/metrics", {"Authorization: Basic s3cret-scrape-token"})).status == 401);
  scrape(f, {"Authorization: bearer s3cret-scrape-token"});
}

TEST_CASE("operations: the default access log is a structured record through the log sink",
          "[http][operations][log]") {
  chatkit::testing::log_capture cap(chatkit::log::level::info);
  {
    chatkit::http::server_options o;
    o.endpoint.authenticate = chatkit::http::dev_header_auth("X-User-Id", /*quiet=*/true);
    chatkit::http::server srv(std::make_shared<test_processor>(), std::move(o));
    srv.start();
    sync_client c(srv.port());
    CHECK(c.request(post("/chatkit?secret=1", R"({"type":"stream","params":{"n":2}})", as_user("bob")))
              .status == 200);
    srv.stop(std::chrono::seconds(2));
  }
  const auto rec = cap.find("http", "request");
  REQUIRE(rec);
  CHECK(rec->severity == chatkit::log::level::info);
  CHECK(rec->field("method") == "POST");
  CHECK(rec->field("path") == "/chatkit");
  CHECK(rec->field("status") == "200");
  CHECK(rec->field("user") == "bob");
  CHECK(rec->field("events") == "2");
  CHECK(rec->fields.count("duration_us") == 1);
  CHECK(rec->fields.count("cancelled") == 0);

  // Below the threshold, nothing is built or delivered.
  chatkit::log::set_level(chatkit::log::level::warn);
  chatkit::http::access_log_entry e;
  e.method = "GET";
  e.path = "/x";
  chatkit::http::structured_access_log()(e);
  CHECK(cap.count("http", "request") == 1);
}

TEST_CASE("operations: a refused token is logged through the sink; its reason never reaches the client",
          "[http][operations][log]") {
  chatkit::testing::log_capture cap(chatkit::log::level::info);
  auto verifier = std::make_shared<chatkit::http::jwt_verifier>(
      chatkit::http::jwt_options{.keys = {chatkit::http::jwt_key::hmac(std::string(32, 'k'), "k1")}});
  server_fixture f([&](chatkit::http::server_options& o) {
    o.endpoint.authenticate = chatkit::http::jwt_bearer_auth(verifier);
  });
  auto c = f.connect();
  auto r = c.request(post("/chatkit", R"({"type":"json"})", {"Authorization: Bearer not.a.token"}));
  CHECK(r.status == 401);
  const auto rec = cap.find("http", "authentication refused");
  REQUIRE(rec);
  CHECK(rec->severity == chatkit::log::level::warn);
  CHECK_FALSE(rec->field("reason").empty());
  CHECK(r.body.find(rec->field("reason")) == std::string::npos);
}

TEST_CASE("docs/guide-operations.md: the snippets are the compiled example's", "[http][operations][docs]") {
  const auto snippets = chatkit::testing::compiled_snippets("guide-operations.md");
  for (const auto& s : snippets) {
    INFO(s.path << " [" << s.name << "]");
    CHECK_FALSE(s.expected.empty());
    CHECK(s.block == s.expected);
  }
  CHECK(snippets.size() == 4);
}
