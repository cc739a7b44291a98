#include "server_fixture.hpp"

#include <boost/json/parse.hpp>

using namespace chatkit::http;
using namespace chatkit::http::test;

namespace {

std::string error_message(const full_response& r) {
  return std::string(boost::json::parse(r.body).at("error").at("message").as_string());
}

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

TEST_CASE("server: JWT bearer auth, every failure is a 401", "[server][auth]") {
  const std::string secret = "test-secret-of-enough-length-123";
  server_fixture f([&](server_options& o) {
    jwt_options j;
    j.keys = {jwt_key::hmac(secret)};
    j.issuer = "https://issuer.test";
    o.endpoint.authenticate = jwt_bearer_auth(std::make_shared<jwt_verifier>(j));
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
  CHECK(call({"authorization: bearer " + token({{"sub", "user_42"}})}).status == 200);  // scheme is case-insensitive

  struct failing {
    std::string header, reason;
  };
  std::string none_token = base64url_encode(R"({"alg":"none"})") + "." + base64url_encode(R"({"sub":"admin"})") + ".";
  std::string good = token({{"sub", "u"}});
  std::string bad_sig = good.substr(0, good.rfind('.') + 1) + base64url_encode(std::string(32, 'x'));
  for (const auto& [header, reason] : std::vector<failing>{
           {"", "missing bearer token"},
           {"Authorization: Basic dXNlcjpwYXNz", "not a bearer token"},
           {"Authorization: Bearer", "not a bearer token"},
           {"Authorization: Bearer not-a-jwt", "malformed token"},
           {"Authorization: Bearer " + none_token, "unsupported token algorithm"},
           {"Authorization: Bearer " + bad_sig, "invalid token signature"},
           {"Authorization: Bearer " + sign_jwt({{"sub", "u"}, {"exp", now_s() + 600}, {"iss", "https://issuer.test"}},
                                                jwt_key::hmac("another-secret-another-secret-xx")),
            "invalid token signature"},
           {"Authorization: Bearer " + token({{"sub", "u"}, {"exp", now_s() - 3600}}), "token expired"},
           {"Authorization: Bearer " + token({{"sub", "u"}, {"nbf", now_s() + 3600}}), "token not yet valid"},
           {"Authorization: Bearer " + token({{"sub", "u"}, {"iss", "https://evil.test"}}), "wrong token issuer"},
           {"Authorization: Bearer " + token({{"name", "no sub"}}), "no user id claim"},
       }) {
    INFO(header.substr(0, 60));
    auto r = call(header.empty() ? std::vector<std::string>{} : std::vector<std::string>{header});
    CHECK(r.status == 401);
    CHECK(r.header("content-type") == "application/json");
    CHECK(error_message(r).find(reason) != std::string::npos);
  }
  CHECK(f.proc->process_calls == 2);
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

TEST_CASE("server: CORS preflight and headers on real responses", "[server][cors]") {
  server_fixture f(
      [](server_options& o) {
        cors_options co;
        co.allowed_origins = {"https://app.example.com"};
        co.allow_credentials = true;
        o.endpoint.cors = co;
      },
      [](server& s) {
        s.add_route("/api/ping", [](request req) -> boost::asio::awaitable<response> {
          co_return make_json_response(R"({"pong":true})", req.version());
        });
      });
  auto c = f.connect();
  auto pre = c.request(
      "OPTIONS /chatkit HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example.com\r\n"
      "Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type, x-user-id\r\n\r\n");
  CHECK(pre.status == 204);
  CHECK(pre.header("access-control-allow-origin") == "https://app.example.com");
  CHECK(pre.header("access-control-allow-credentials") == "true");
  CHECK(pre.header("access-control-allow-methods").find("POST") != std::string::npos);
  CHECK(pre.header("access-control-allow-headers").find("x-user-id") != std::string::npos);

  auto refused = c.request(
      "OPTIONS /chatkit HTTP/1.1\r\nHost: x\r\nOrigin: https://evil.example\r\nAccess-Control-Request-Method: POST\r\n\r\n");
  CHECK(refused.status == 403);
  CHECK(refused.header("access-control-allow-origin") == "<absent>");

  // Preflights of extra routes use the same policy.
  auto route_pre = c.request(
      "OPTIONS /api/ping HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example.com\r\nAccess-Control-Request-Method: GET\r\n\r\n");
  CHECK(route_pre.status == 204);

  auto origin = as_user("alice", {"Origin: https://app.example.com"});
  auto j = c.request(post("/chatkit", R"({"type":"json","params":{}})", origin));
  CHECK(j.header("access-control-allow-origin") == "https://app.example.com");
  CHECK(j.header("vary") == "Origin");
  auto s = c.request(post("/chatkit", R"({"type":"stream","params":{"n":2}})", origin));
  CHECK(s.header("access-control-allow-origin") == "https://app.example.com");
  CHECK(s.frames.size() == 2);
  // Errors carry the CORS headers too, or the browser could not read them.
  auto e = c.request(post("/chatkit", R"({"type":"not_found","params":{}})", origin));
  CHECK(e.status == 404);
  CHECK(e.header("access-control-allow-origin") == "https://app.example.com");
  auto r = c.request(get("/api/ping", {"Origin: https://app.example.com"}));
  CHECK(r.status == 200);
  CHECK(r.header("access-control-allow-origin") == "https://app.example.com");
  // Requests from other origins are processed but get no allow headers (the browser withholds the answer).
  auto other = c.request(post("/chatkit", R"({"type":"json","params":{}})", as_user("alice", {"Origin: https://evil.example"})));
  CHECK(other.header("access-control-allow-origin") == "<absent>");
}
