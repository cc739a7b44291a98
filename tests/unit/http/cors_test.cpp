// cors.hpp: the sans-IO policy, then the policy applied by a running server (ChatKit path and extra routes).
#include "server_fixture.hpp"

#include <chatkit/http/cors.hpp>

#include <catch2/catch.hpp>

#include <algorithm>

using namespace chatkit::http;
using namespace chatkit::http::test;

namespace {

std::string find(const std::vector<header_field>& hs, std::string_view name) {
  auto it = std::find_if(hs.begin(), hs.end(), [&](const header_field& h) { return h.name == name; });
  return it == hs.end() ? std::string("<absent>") : it->value;
}

cors_policy app_policy(bool credentials = false) {
  cors_options o;
  o.allowed_origins = {"https://app.example.com", "http://localhost:5173"};
  o.allow_credentials = credentials;
  o.exposed_headers = {"x-request-id"};
  o.max_age = std::chrono::seconds(120);
  return cors_policy(o);
}

}  // namespace

TEST_CASE("cors: wildcard with credentials is refused", "[cors]") {
  cors_options o;
  o.allowed_origins = {"*"};
  o.allow_credentials = true;
  CHECK_THROWS_AS(cors_policy(o), std::invalid_argument);
  o.allowed_origins = {""};
  o.allow_credentials = false;
  CHECK_THROWS_AS(cors_policy(o), std::invalid_argument);
}

TEST_CASE("cors: origin matching is exact and case-insensitive", "[cors]") {
  auto p = app_policy();
  CHECK(p.origin_allowed("https://app.example.com"));
  CHECK(p.origin_allowed("HTTPS://APP.example.com"));
  CHECK(p.origin_allowed("http://localhost:5173"));
  CHECK_FALSE(p.origin_allowed("http://app.example.com"));        // scheme matters
  CHECK_FALSE(p.origin_allowed("https://app.example.com:8443"));  // port matters
  CHECK_FALSE(p.origin_allowed("https://evil.app.example.com"));
  CHECK_FALSE(p.origin_allowed("https://app.example.com.evil.net"));
  CHECK_FALSE(p.origin_allowed("null"));
  CHECK_FALSE(p.origin_allowed(""));
}

TEST_CASE("cors: preflight detection", "[cors]") {
  CHECK(cors_policy::is_preflight("OPTIONS", "https://a", "POST"));
  CHECK_FALSE(cors_policy::is_preflight("OPTIONS", "", "POST"));
  CHECK_FALSE(cors_policy::is_preflight("OPTIONS", "https://a", ""));
  CHECK_FALSE(cors_policy::is_preflight("POST", "https://a", "POST"));
}

TEST_CASE("cors: an allowed preflight", "[cors]") {
  auto p = app_policy(true);
  auto r = p.preflight("https://app.example.com", "POST", "Content-Type, Authorization");
  CHECK(r.status == 204);
  CHECK(find(r.headers, "Access-Control-Allow-Origin") == "https://app.example.com");
  CHECK(find(r.headers, "Access-Control-Allow-Methods") == "GET, POST, OPTIONS");
  CHECK(find(r.headers, "Access-Control-Allow-Headers") == "authorization, content-type, x-user-id");
  CHECK(find(r.headers, "Access-Control-Allow-Credentials") == "true");
  CHECK(find(r.headers, "Access-Control-Max-Age") == "120");
  CHECK(find(r.headers, "Vary").find("Origin") != std::string::npos);
  // No announced headers is fine too.
  CHECK(p.preflight("https://app.example.com", "POST", "").status == 204);
  CHECK(p.preflight("https://app.example.com", "POST", " , ").status == 204);
}

TEST_CASE("cors: refused preflights carry no allow headers", "[cors]") {
  auto p = app_policy();
  for (auto r :
       {p.preflight("https://evil.example", "POST", ""), p.preflight("https://app.example.com", "DELETE", ""),
        p.preflight("https://app.example.com", "POST", "content-type, x-secret")}) {
    CHECK(r.status == 403);
    CHECK(find(r.headers, "Access-Control-Allow-Origin") == "<absent>");
    CHECK(find(r.headers, "Access-Control-Allow-Methods") == "<absent>");
  }
}

TEST_CASE("cors: headers for actual responses", "[cors]") {
  auto p = app_policy();
  auto ok = p.response_headers("https://app.example.com");
  CHECK(find(ok, "Access-Control-Allow-Origin") == "https://app.example.com");
  CHECK(find(ok, "Vary") == "Origin");
  CHECK(find(ok, "Access-Control-Allow-Credentials") == "<absent>");
  CHECK(find(ok, "Access-Control-Expose-Headers") == "x-request-id");

  auto refused = p.response_headers("https://evil.example");
  CHECK(find(refused, "Access-Control-Allow-Origin") == "<absent>");
  CHECK(find(refused, "Vary") == "Origin");
  CHECK(p.response_headers("").empty());

  CHECK(find(app_policy(true).response_headers("http://localhost:5173"),
             "Access-Control-Allow-Credentials") == "true");
}

TEST_CASE("cors: wildcard origin without credentials", "[cors]") {
  cors_options o;
  o.allowed_origins = {"*"};
  cors_policy p(o);
  CHECK(p.origin_allowed("https://anything.example"));
  auto h = p.response_headers("https://anything.example");
  CHECK(find(h, "Access-Control-Allow-Origin") == "*");
  CHECK(find(h, "Access-Control-Allow-Credentials") == "<absent>");
  auto r = p.preflight("https://anything.example", "POST", "authorization");
  CHECK(r.status == 204);
  CHECK(find(r.headers, "Access-Control-Allow-Origin") == "*");
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
      "Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type, "
      "x-user-id\r\n\r\n");
  CHECK(pre.status == 204);
  CHECK(pre.header("access-control-allow-origin") == "https://app.example.com");
  CHECK(pre.header("access-control-allow-credentials") == "true");
  CHECK(pre.header("access-control-allow-methods").find("POST") != std::string::npos);
  CHECK(pre.header("access-control-allow-headers").find("x-user-id") != std::string::npos);

  auto refused = c.request(
      "OPTIONS /chatkit HTTP/1.1\r\nHost: x\r\nOrigin: "
      "https://evil.example\r\nAccess-Control-Request-Method: POST\r\n\r\n");
  CHECK(refused.status == 403);
  CHECK(refused.header("access-control-allow-origin") == "<absent>");

  // Preflights of extra routes use the same policy.
  auto route_pre = c.request(
      "OPTIONS /api/ping HTTP/1.1\r\nHost: x\r\nOrigin: "
      "https://app.example.com\r\nAccess-Control-Request-Method: GET\r\n\r\n");
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
  auto other = c.request(
      post("/chatkit", R"({"type":"json","params":{}})", as_user("alice", {"Origin: https://evil.example"})));
  CHECK(other.header("access-control-allow-origin") == "<absent>");
}
