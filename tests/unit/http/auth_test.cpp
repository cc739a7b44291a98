// auth.hpp: jwt_bearer_auth, dev_header_auth and custom authenticate hooks, through a running server.
#include "server_fixture.hpp"
#include "support/doc_server.hpp"

#include "asio/detail/https_get.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <boost/json/parse.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <mutex>

using namespace chatkit::http;
using namespace chatkit::http::test;
using chatkit::testing::doc_server;

namespace {

// The base64url HS256 signature of `input`, computed independently of the library (via sign_jwt would
// re-serialize).
std::string hs256_signature(const std::string& input, const std::string& secret) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), out, &len);
  return base64url_encode(std::string(reinterpret_cast<const char*>(out), len));
}

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

TEST_CASE("server: JWT bearer auth, every failure is the same 401; the reason is only logged",
          "[server][auth]") {
  const std::string secret = "test-secret-of-enough-length-123";
  std::mutex reasons_mu;
  std::vector<std::string> reasons;
  server_fixture f([&](server_options& o) {
    jwt_options j;
    j.keys = {jwt_key::hmac(secret)};
    j.issuer = "https://issuer.test";
    o.endpoint.authenticate = jwt_bearer_auth(std::make_shared<jwt_verifier>(j), [&](std::string_view why) {
      std::lock_guard lock(reasons_mu);
      reasons.emplace_back(why);
    });
  });
  auto key = jwt_key::hmac(secret);
  auto token = [&](boost::json::object c) {
    if (!c.contains("iss")) c["iss"] = "https://issuer.test";
    if (!c.contains("exp")) c["exp"] = now_s() + 600;
    return sign_jwt(c, key);
  };
  auto c = f.connect();
  auto call = [&](std::vector<std::string> headers) {
    return c.request(post("/chatkit", R"({"type":"json","params":{}})", headers));
  };

  auto ok = call({"Authorization: Bearer " + token({{"sub", "user_42"}})});
  CHECK(ok.status == 200);
  CHECK(boost::json::parse(ok.body).at("user").as_string() == "user_42");
  CHECK(call({"authorization: bearer " + token({{"sub", "user_42"}})}).status ==
        200);  // scheme is case-insensitive

  struct failing {
    std::string header, reason;
  };
  std::string none_token =
      base64url_encode(R"({"alg":"none"})") + "." + base64url_encode(R"({"sub":"admin"})") + ".";
  std::string good = token({{"sub", "u"}});
  std::string bad_sig = good.substr(0, good.rfind('.') + 1) + base64url_encode(std::string(32, 'x'));
  // `sub` twice: the last one would win in a plain JSON parse.
  const std::string header_b64 = base64url_encode(R"({"alg":"HS256","typ":"JWT"})");
  const std::string twice_payload = R"({"sub":"u","iss":"https://issuer.test","exp":)" +
                                    std::to_string(now_s() + 600) + R"(,"sub":"admin"})";
  const std::string twice_input = header_b64 + "." + base64url_encode(twice_payload);
  for (const auto& [header, reason] : std::vector<failing>{
           {"", "missing bearer token"},
           {"Authorization: Basic dXNlcjpwYXNz", "not a bearer token"},
           {"Authorization: Bearer", "not a bearer token"},
           {"Authorization: Bearer not-a-jwt", "malformed token"},
           {"Authorization: Bearer " + none_token, "unsupported token algorithm"},
           {"Authorization: Bearer " + bad_sig, "invalid token signature"},
           {"Authorization: Bearer " +
                sign_jwt({{"sub", "u"}, {"exp", now_s() + 600}, {"iss", "https://issuer.test"}},
                         jwt_key::hmac("another-secret-another-secret-xx")),
            "invalid token signature"},
           {"Authorization: Bearer " + token({{"sub", "u"}, {"exp", now_s() - 3600}}), "token expired"},
           {"Authorization: Bearer " + token({{"sub", "u"}, {"nbf", now_s() + 3600}}), "token not yet valid"},
           {"Authorization: Bearer " + token({{"sub", "u"}, {"iss", "https://evil.test"}}),
            "wrong token issuer"},
           {"Authorization: Bearer " + token({{"name", "no sub"}}), "no user id claim"},
           {"Authorization: Bearer " + twice_input + "." + hs256_signature(twice_input, secret),
            "duplicate member name"},
       }) {
    INFO(header.substr(0, 60));
    {
      std::lock_guard lock(reasons_mu);
      reasons.clear();
    }
    auto r = call(header.empty() ? std::vector<std::string>{} : std::vector<std::string>{header});
    CHECK(r.status == 401);
    CHECK(r.header("content-type") == "application/json");
    CHECK(error_message(r) == "invalid or missing credentials");  // the same for every failure
    std::lock_guard lock(reasons_mu);
    REQUIRE(reasons.size() == 1);
    CHECK(reasons[0].find(reason) != std::string::npos);  // the precise reason, for the server's log
  }
  CHECK(f.proc->process_calls == 2);
}

TEST_CASE("jwt_verifier refuses HS256 secrets shorter than 32 bytes", "[server][auth]") {
  jwt_options j;
  j.keys = {jwt_key::hmac("short-secret")};
  CHECK_THROWS_WITH(jwt_verifier(j), Catch::Contains("at least 32 bytes"));
  j.keys = {jwt_key::hmac(std::string(31, 'x'))};
  CHECK_THROWS_AS(jwt_verifier(j), std::invalid_argument);
  j.keys = {jwt_key::hmac(std::string(32, 'x'))};
  CHECK_NOTHROW(jwt_verifier(j));
}

TEST_CASE("server: an authenticate hook may forbid, and its crashes are 500s", "[server][auth]") {
  server_fixture f([](server_options& o) {
    o.endpoint.authenticate = [](const request& req) -> chatkit::request_context {
      if (req["X-Role"] == "banned") throw chatkit::error(chatkit::errc::forbidden, "banned");
      if (req["X-Role"] == "crash") throw std::runtime_error("ldap: connection refused to 10.0.0.1");
      return {"host_user", {}, nullptr};
    };
  });
  auto c = f.connect();
  auto body = R"({"type":"json","params":{}})";
  CHECK(c.request(post("/chatkit", body, {"X-Role: banned"})).status == 403);
  auto r = c.request(post("/chatkit", body, {"X-Role: crash"}));
  CHECK(r.status == 500);
  CHECK(r.body.find("ldap") == std::string::npos);
  CHECK(c.request(post("/chatkit", body)).status == 200);
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

TEST_CASE("server: dev-header auth refuses duplicate, overlong and non-visible-ASCII ids", "[server][auth]") {
  server_fixture f;
  const std::string body = R"({"type":"json","params":{}})";
  struct refused {
    std::vector<std::string> headers;
    std::string message;
  };
  for (const auto& [headers, message] : std::vector<refused>{
           {{"X-User-Id: alice", "X-User-Id: bob"}, "duplicate X-User-Id header"},
           {{"X-User-Id: alice", "x-user-id: alice"}, "duplicate X-User-Id header"},
           {{"X-User-Id: " + std::string(129, 'a')}, "longer than 128 bytes"},
           {{"X-User-Id: al ice"}, "visible ASCII"},
           {{"X-User-Id: al\"ice"}, ""},  // visible ASCII: accepted below
           {{"X-User-Id: al\tice"}, "visible ASCII"},
           {{"X-User-Id: \xc3\xa9lise"}, "visible ASCII"},
       }) {
    INFO(headers.front());
    auto c = f.connect();  // a fresh connection: a 400 may close it
    auto r = c.request(post("/chatkit", body, headers));
    if (message.empty()) {
      CHECK(r.status == 200);
      continue;
    }
    CHECK(r.status == 400);
    CHECK(error_message(r).find(message) != std::string::npos);
  }
  auto c = f.connect();
  auto r = c.request(post("/chatkit", body, {"X-User-Id: " + std::string(128, 'a')}));
  CHECK(r.status == 200);
  CHECK(f.proc->process_calls == 2);
}

TEST_CASE("server: dev-header auth refuses a non-loopback address unless forced", "[server][auth]") {
  auto proc = std::make_shared<test_processor>();
  {
    server_options o;
    o.address = "0.0.0.0";
    o.endpoint.authenticate = dev_header_auth("X-User-Id", true);
    o.endpoint.access_log = [](const access_log_entry&) {};
    server srv(proc, std::move(o));
    // Refused before anything is bound.
    CHECK_THROWS_WITH(srv.start(), Catch::Contains("not a loopback address"));
  }
  // Forced for a gateway on another host: start() would listen (not done here: tests listen on loopback
  // only).
  CHECK_FALSE(dev_header_auth_needs_loopback(
      dev_header_auth({.header = "X-Gateway-User", .quiet = true, .allow_non_loopback = true})));
  {
    server_options o;  // 127.0.0.1
    o.endpoint.authenticate = dev_header_auth("X-User-Id", true);
    o.endpoint.access_log = [](const access_log_entry&) {};
    server srv(proc, std::move(o));
    CHECK_NOTHROW(srv.start());
    srv.stop(std::chrono::milliseconds(0));
  }
  CHECK(dev_header_auth_needs_loopback(dev_header_auth("X-User-Id", true)));
  CHECK_FALSE(dev_header_auth_needs_loopback([](const request&) { return chatkit::request_context{}; }));
}

namespace {

namespace asio = boost::asio;
using ctx_task = asio::awaitable<chatkit::request_context>;
const std::string json_request = R"({"type":"json","params":{}})";

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::use_awaitable);
}

}  // namespace

TEST_CASE("server: an asynchronous authenticate hook waits, then admits or refuses from the head",
          "[server][auth][async]") {
  std::atomic<int> calls{0};
  std::atomic<bool> saw_body{false};
  server_fixture f([&](server_options& o) {
    o.endpoint.authenticate = [&](const request& head) -> ctx_task {
      ++calls;
      if (!head.body().empty()) saw_body = true;
      co_await sleep_for(std::chrono::milliseconds(20));
      if (head[boost::beast::http::field::authorization] != "Bearer good")
        throw chatkit::error(chatkit::errc::unauthorized, "invalid token");
      co_return chatkit::request_context{.user_id = "alice"};
    };
  });
  CHECK(f.srv->chatkit_endpoint().options().authenticate.is_async());
  {
    auto c = f.connect();
    auto ok = c.request(post("/chatkit", json_request, {"Authorization: Bearer good"}));
    CHECK(ok.status == 200);
    CHECK(json_of(ok.body).at("user").as_string() == "alice");
    auto refused = c.request(post("/chatkit", json_request, {"Authorization: Bearer bad"}));
    CHECK(refused.status == 401);
    CHECK(error_message(refused) == "invalid token");
    // The body of the refused request had arrived with its head: the connection stays usable.
    CHECK(c.request(post("/chatkit", json_request, {"Authorization: Bearer good"})).status == 200);
  }
  {
    // A head announcing 1 MiB with Expect: 100-continue and bad credentials: 401, never 100 Continue.
    auto c = f.connect();
    c.write(
        "POST /chatkit HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Authorization: Bearer bad\r\nExpect: 100-continue\r\nContent-Length: 1048576\r\n\r\n");
    auto r = c.read_response();
    CHECK(r.status == 401);
    CHECK(c.peer_closed());
  }
  {
    // Good credentials: 100 Continue once the hook has admitted the caller, then the body.
    auto c = f.connect();
    c.write(
        "POST /chatkit HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Authorization: Bearer good\r\nExpect: 100-continue\r\nContent-Length: " +
        std::to_string(json_request.size()) + "\r\n\r\n");
    CHECK(c.read_head().status == 100);
    c.write(json_request);
    CHECK(c.read_response().status == 200);
  }
  CHECK(calls == 5);
  CHECK_FALSE(saw_body);  // the hook gets the head only
}

TEST_CASE("server: an asynchronous hook can look the session up over a socket", "[server][auth][async]") {
  doc_server sessions;
  sessions.set("/session/s-123", {R"({"user":"bob"})", ""});
  server_fixture f([&](server_options& o) {
    o.endpoint.authenticate = [&](const request& head) -> ctx_task {
      const auto h = head[boost::beast::http::field::authorization];
      const std::string token = h.starts_with("Bearer ") ? std::string(h.substr(7)) : std::string();
      auto r = co_await chatkit::detail::https_get(sessions.url("/session/" + token), {});
      if (r.status != 200) throw chatkit::error(chatkit::errc::unauthorized, "unknown session");
      co_return chatkit::request_context{.user_id = std::string(json_of(r.body).at("user").as_string())};
    };
  });
  auto c = f.connect();
  auto ok = c.request(post("/chatkit", json_request, {"Authorization: Bearer s-123"}));
  CHECK(ok.status == 200);
  CHECK(json_of(ok.body).at("user").as_string() == "bob");
  auto refused = c.request(post("/chatkit", json_request, {"Authorization: Bearer s-999"}));
  CHECK(refused.status == 401);
  CHECK(error_message(refused) == "unknown session");
  CHECK(sessions.hits("/session/s-123") == 1);
  CHECK(sessions.hits("/session/s-999") == 1);
}

TEST_CASE("server: an asynchronous hook that fails otherwise is a 500 with the fixed message",
          "[server][auth][async]") {
  server_fixture f([&](server_options& o) {
    o.endpoint.authenticate = [](const request&) -> ctx_task {
      co_await sleep_for(std::chrono::milliseconds(1));
      throw std::runtime_error("session store password is hunter2");
    };
  });
  auto c = f.connect();
  auto r = c.request(post("/chatkit", json_request));
  CHECK(r.status == 500);
  CHECK(error_message(r) == "Internal server error");
  CHECK(r.body.find("hunter2") == std::string::npos);
  // A hook that returns no user id is refused like a synchronous one.
  server_fixture g([&](server_options& o) {
    o.endpoint.authenticate = [](const request&) -> ctx_task { co_return chatkit::request_context{}; };
  });
  CHECK(g.connect().request(post("/chatkit", json_request)).status == 401);
}

TEST_CASE("server: a client that disconnects during authentication cancels the hook",
          "[server][auth][async]") {
  flag started, cancelled;
  server_fixture f([&](server_options& o) {
    o.endpoint.authenticate = [&](const request&) -> ctx_task {
      started.set();
      try {
        co_await sleep_for(std::chrono::seconds(60));
      } catch (const boost::system::system_error& e) {
        if (e.code() == asio::error::operation_aborted) cancelled.set();
        throw;
      }
      co_return chatkit::request_context{.user_id = "never"};
    };
  });
  {
    auto c = f.connect();
    c.write(
        "POST /chatkit HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Content-Length: 100\r\n\r\n");
    REQUIRE(started.wait());
    c.close();
  }
  REQUIRE(cancelled.wait());
  REQUIRE(f.log_written.wait());
  auto log = f.log_copy();
  REQUIRE(log.size() == 1);
  CHECK(log[0].status == 499);
  CHECK(log[0].cancelled);
  CHECK(f.proc->process_calls == 0);
}

TEST_CASE("server: an asynchronous hook slower than auth_timeout is a 503", "[server][auth][async]") {
  flag cancelled;
  server_fixture f([&](server_options& o) {
    o.endpoint.limits.auth_timeout = std::chrono::milliseconds(100);
    o.endpoint.authenticate = [&](const request&) -> ctx_task {
      try {
        co_await sleep_for(std::chrono::seconds(60));
      } catch (const boost::system::system_error&) {
        cancelled.set();
        throw;
      }
      co_return chatkit::request_context{.user_id = "never"};
    };
  });
  auto r = f.connect().request(post("/chatkit", json_request));
  CHECK(r.status == 503);
  CHECK(error_message(r) == "authentication timed out");
  CHECK(r.header("retry-after") == "1");
  CHECK(cancelled.wait());
}
