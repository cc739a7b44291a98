#include "openai/detail/api_url.hpp"

using namespace chatkit::openai::detail;

TEST_CASE("api_url: base URLs and proxies", "[openai][api_url]") {
  auto a = parse_api_url("https://api.openai.com/v1/");
  REQUIRE(a.has_value());
  CHECK(a->tls);
  CHECK(a->host == "api.openai.com");
  CHECK(a->port == "443");
  CHECK(a->base_path == "/v1");
  auto b = parse_api_url("http://127.0.0.1:8080/v1");
  REQUIRE(b.has_value());
  CHECK_FALSE(b->tls);
  CHECK(b->port == "8080");
  auto c = parse_api_url("http://[::1]:9/x");
  REQUIRE(c.has_value());
  CHECK(c->host == "::1");
  CHECK(parse_api_url("ftp://x/").has_error());
  CHECK(parse_api_url("not a url").has_error());

  auto p = parse_proxy_url("http://user:pw@proxy.local:3128");
  REQUIRE(p.has_value());
  CHECK(p->host == "proxy.local");
  CHECK(p->port == "3128");
  CHECK(p->authorization == "Basic dXNlcjpwdw==");
  auto bare = parse_proxy_url("proxy.local:8080");
  REQUIRE(bare.has_value());
  CHECK(bare->authorization.empty());
  CHECK(parse_proxy_url("https://proxy:1").has_error());

  CHECK(no_proxy_matches("api.openai.com", "443", "localhost, .openai.com"));
  CHECK(no_proxy_matches("api.openai.com", "443", "openai.com"));
  CHECK(no_proxy_matches("openai.com", "443", ".openai.com"));
  CHECK_FALSE(no_proxy_matches("notopenai.com", "443", "openai.com"));
  CHECK(no_proxy_matches("x.y", "443", "*"));
  CHECK(no_proxy_matches("10.0.0.1", "443", "10.0.0.1"));
  CHECK(no_proxy_matches("api.openai.com", "443", "api.openai.com:443"));
  CHECK_FALSE(no_proxy_matches("api.openai.com", "443", "api.openai.com:8443"));
  CHECK_FALSE(no_proxy_matches("api.openai.com", "443", ""));

  CHECK(is_loopback_host("127.0.0.1"));
  CHECK(is_loopback_host("localhost"));
  CHECK(is_loopback_host("::1"));
  CHECK_FALSE(is_loopback_host("10.1.1.1"));

  api_url https_target{true, "api.openai.com", "443", "/v1"};
  auto explicit_none = select_proxy(https_target, std::string());
  REQUIRE(explicit_none.has_value());
  CHECK_FALSE(explicit_none->has_value());
  auto explicit_proxy = select_proxy(https_target, std::string("http://127.0.0.1:3128"));
  REQUIRE(explicit_proxy.has_value());
  REQUIRE(explicit_proxy->has_value());
  CHECK((*explicit_proxy)->port == "3128");
  api_url plain{false, "example.com", "80", ""};
  CHECK_FALSE(
      select_proxy(plain, std::string("http://127.0.0.1:3128"))->has_value());  // CONNECT is for TLS only
}
