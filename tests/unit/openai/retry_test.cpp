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
  CHECK(retry_delay(0ms, 1, 0.0) == 1000ms);  // 0 is not a usable server delay
  CHECK(retry_delay(-5ms, 0, 0.0) == 500ms);
  CHECK(retry_delay(std::nullopt, 2, 0.0) == 2000ms);
}
