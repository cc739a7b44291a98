// auth.hpp: jwt_bearer_auth, dev_header_auth and custom authenticate hooks, through a running server.
#include "server_fixture.hpp"

#include <boost/json/parse.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <mutex>

using namespace chatkit::http;
using namespace chatkit::http::test;

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
