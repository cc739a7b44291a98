#include <chatkit/openai/detail/endpoint.hpp>
#include <chatkit/openai/error.hpp>
#include <chatkit/openai/retry.hpp>

using namespace chatkit::openai;
using namespace std::chrono_literals;

TEST_CASE("retry: server-directed delays", "[openai][retry]") {
  const auto now = std::chrono::system_clock::from_time_t(1445412480);  // Wed, 21 Oct 2015 07:28:00 GMT
  CHECK(server_retry_delay("50", "", now) == 50ms);
  CHECK(server_retry_delay("12.6", "3", now) == 13ms);  // retry-after-ms wins
  CHECK(server_retry_delay("", "2", now) == 2000ms);
  CHECK(server_retry_delay("", "0.5", now) == 500ms);
  CHECK(server_retry_delay("", "Wed, 21 Oct 2015 07:28:10 GMT", now) == 10000ms);
  CHECK_FALSE(server_retry_delay("", "", now));
  CHECK_FALSE(server_retry_delay("soon", "later", now));
  CHECK(server_retry_delay("200000", "", now) == 200000ms);
}

TEST_CASE("retry: which statuses are retried", "[openai][retry]") {
  for (int s : {408, 409, 429, 500, 502, 503, 504}) CHECK(should_retry_status(s, "", std::nullopt));
  for (int s : {400, 401, 403, 404, 422}) CHECK_FALSE(should_retry_status(s, "", std::nullopt));
  CHECK(should_retry_status(400, "true", std::nullopt));
  CHECK_FALSE(should_retry_status(500, "false", std::nullopt));
  CHECK_FALSE(should_retry_status(429, "", 200000ms));  // over 120 s: do not retry at all
  CHECK_FALSE(should_retry_status(429, "true", 121000ms));
  CHECK(should_retry_status(429, "", 120000ms));
}

TEST_CASE("retry: exponential backoff with jitter", "[openai][retry]") {
  CHECK(backoff_delay(0, 0.0) == 500ms);
  CHECK(backoff_delay(1, 0.0) == 1000ms);
  CHECK(backoff_delay(2, 0.0) == 2000ms);
  CHECK(backoff_delay(3, 0.0) == 4000ms);
  CHECK(backoff_delay(4, 0.0) == 8000ms);
  CHECK(backoff_delay(9, 0.0) == 8000ms);
  CHECK(backoff_delay(0, 1.0) == 375ms);
  CHECK(backoff_delay(4, 0.5) == 7000ms);
  CHECK(retry_delay(50ms, 0, 0.0) == 50ms);
  CHECK(retry_delay(0ms, 1, 0.0) == 1000ms);         // 0 is not a usable server delay
  CHECK(retry_delay(-5ms, 0, 0.0) == 500ms);
  CHECK(retry_delay(std::nullopt, 2, 0.0) == 2000ms);
}

TEST_CASE("errors: status mapping and error bodies", "[openai][errors]") {
  CHECK(errc_from_status(200) == errc::ok);
  CHECK(errc_from_status(400) == errc::bad_request);
  CHECK(errc_from_status(401) == errc::authentication);
  CHECK(errc_from_status(403) == errc::permission_denied);
  CHECK(errc_from_status(404) == errc::not_found);
  CHECK(errc_from_status(409) == errc::conflict);
  CHECK(errc_from_status(422) == errc::unprocessable_entity);
  CHECK(errc_from_status(429) == errc::rate_limit);
  CHECK(errc_from_status(503) == errc::internal_server);
  CHECK(errc_from_status(418) == errc::api_status);

  error_details d;
  parse_error_body(R"({"error":{"message":"Incorrect API key provided.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}})", d);
  CHECK(d.message == "Incorrect API key provided.");
  CHECK(d.type == "invalid_request_error");
  CHECK(d.code == "invalid_api_key");
  CHECK(d.param.empty());
  error_details raw;
  parse_error_body("<html>bad gateway</html>", raw);
  CHECK(raw.message == "<html>bad gateway</html>");

  api_error e(errc::rate_limit, d);
  CHECK(e.code() == errc::rate_limit);
  CHECK(e.code().category().name() == std::string("openai"));
  CHECK(std::string(e.what()).find("Incorrect API key") != std::string::npos);
}

TEST_CASE("endpoint: base URLs and proxies", "[openai][endpoint]") {
  using namespace chatkit::openai::detail;
  auto a = parse_base_url("https://api.openai.com/v1/");
  REQUIRE(a.has_value());
  CHECK(a->tls);
  CHECK(a->host == "api.openai.com");
  CHECK(a->port == "443");
  CHECK(a->base_path == "/v1");
  auto b = parse_base_url("http://127.0.0.1:8080/v1");
  REQUIRE(b.has_value());
  CHECK_FALSE(b->tls);
  CHECK(b->port == "8080");
  auto c = parse_base_url("http://[::1]:9/x");
  REQUIRE(c.has_value());
  CHECK(c->host == "::1");
  CHECK(parse_base_url("ftp://x/").has_error());
  CHECK(parse_base_url("not a url").has_error());

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

  endpoint https_target{true, "api.openai.com", "443", "/v1"};
  auto explicit_none = select_proxy(https_target, std::string());
  REQUIRE(explicit_none.has_value());
  CHECK_FALSE(explicit_none->has_value());
  auto explicit_proxy = select_proxy(https_target, std::string("http://127.0.0.1:3128"));
  REQUIRE(explicit_proxy.has_value());
  REQUIRE(explicit_proxy->has_value());
  CHECK((*explicit_proxy)->port == "3128");
  endpoint plain{false, "example.com", "80", ""};
  CHECK_FALSE(select_proxy(plain, std::string("http://127.0.0.1:3128"))->has_value());  // CONNECT is for TLS only
}
