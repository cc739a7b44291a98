// auth.hpp: jwt_bearer_auth, dev_header_auth and custom authenticate hooks, through a running server.
#include "server_fixture.hpp"

#include <boost/json/parse.hpp>

using namespace chatkit::http;
using namespace chatkit::http::test;

namespace {

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
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
  CHECK(call({"authorization: bearer " + token({{"sub", "user_42"}})}).status ==
        200);  // scheme is case-insensitive

  struct failing {
    std::string header, reason;
  };
  std::string none_token =
      base64url_encode(R"({"alg":"none"})") + "." + base64url_encode(R"({"sub":"admin"})") + ".";
  std::string good = token({{"sub", "u"}});
  std::string bad_sig = good.substr(0, good.rfind('.') + 1) + base64url_encode(std::string(32, 'x'));
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
