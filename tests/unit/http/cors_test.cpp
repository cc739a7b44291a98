#include <chatkit/http/cors.hpp>

#include <catch2/catch.hpp>

#include <algorithm>

using namespace chatkit::http;

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
  CHECK_FALSE(p.origin_allowed("http://app.example.com"));       // scheme matters
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
  for (auto r : {p.preflight("https://evil.example", "POST", ""),
                 p.preflight("https://app.example.com", "DELETE", ""),
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

  CHECK(find(app_policy(true).response_headers("http://localhost:5173"), "Access-Control-Allow-Credentials") == "true");
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
