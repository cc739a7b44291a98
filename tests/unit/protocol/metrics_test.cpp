// chatkit::metrics: recording and the Prometheus text (docs/guide-operations.md#metrics). The registry is
// process-wide, so every check compares before and after.
#include "support/prometheus_check.hpp"

#include <chatkit/metrics.hpp>

#include <catch2/catch.hpp>

#include <set>
#include <thread>

namespace metrics = chatkit::metrics;
using chatkit::testing::check_prometheus;

namespace {

chatkit::testing::exposition scrape() {
  auto e = check_prometheus(metrics::render_prometheus());
  for (const auto& err : e.errors) UNSCOPED_INFO(err);
  CHECK(e.errors.empty());
  return e;
}

}  // namespace

TEST_CASE("metrics: the checker refuses broken exposition text") {
  CHECK_FALSE(check_prometheus("x_total 1\n").errors.empty());              // no TYPE
  CHECK_FALSE(check_prometheus("# TYPE x counter\nx 1\n").errors.empty());  // counter without _total
  CHECK_FALSE(check_prometheus("# TYPE h histogram\nh_bucket{le=\"1\"} 3\nh_bucket{le=\"+Inf\"} 2\n"
                               "h_sum 1\nh_count 2\n")
                  .errors.empty());  // not cumulative
  CHECK_FALSE(check_prometheus("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\n"
                               "h_sum 1\nh_count 3\n")
                  .errors.empty());  // +Inf differs from _count
  CHECK_FALSE(
      check_prometheus("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n").errors.empty());
  CHECK_FALSE(check_prometheus("# TYPE g gauge\ng{a=\"unterminated} 1\n").errors.empty());
  CHECK(check_prometheus("# HELP g a gauge\n# TYPE g gauge\ng{a=\"q\\\"\"} 1.5\n").errors.empty());
}

TEST_CASE("metrics: every family renders as valid exposition text, counters move") {
  const auto before = scrape();
  metrics::count_request(0, 200);                            // threads.create
  metrics::count_request(metrics::request_type_count, 400);  // a body that did not parse
  metrics::count_request(9, 299);                            // threads.update, an unusual status
  metrics::count_http_response(401);
  metrics::stream_opened();
  metrics::add_events_sent(5);
  metrics::count_tool_call("say \"hi\"\\\n", true);
  metrics::count_tool_call("plain_tool", false);
  const std::chrono::nanoseconds first = std::chrono::milliseconds(30);
  metrics::observe_model_call(std::chrono::milliseconds(300), &first, true);
  metrics::observe_model_call(std::chrono::seconds(500), nullptr, false);
  const auto after = scrape();
  metrics::stream_closed();

  auto delta = [&](const std::string& key) { return after.value(key) - before.value(key); };
  CHECK(delta(R"(chatkit_requests_total{type="threads.create",status="200"})") == 1);
  CHECK(delta(R"(chatkit_requests_total{type="invalid",status="400"})") == 1);
  CHECK(delta(R"(chatkit_requests_total{type="threads.update",status="other"})") == 1);
  CHECK(delta(R"(chatkit_http_responses_total{status="401"})") == 1);
  CHECK(delta("chatkit_open_streams") == 1);
  CHECK(delta("chatkit_streams_total") == 1);
  CHECK(delta("chatkit_events_sent_total") == 5);
  CHECK(delta(R"(chatkit_tool_calls_total{tool="say \"hi\"\\\n",outcome="ok"})") == 1);
  CHECK(delta(R"(chatkit_tool_calls_total{tool="plain_tool",outcome="error"})") == 1);
  CHECK(delta(R"(chatkit_model_calls_total{outcome="ok"})") == 1);
  CHECK(delta(R"(chatkit_model_calls_total{outcome="error"})") == 1);
  CHECK(delta(R"(chatkit_model_duration_seconds_bucket{le="0.25"})") == 0);
  CHECK(delta(R"(chatkit_model_duration_seconds_bucket{le="0.5"})") == 1);
  CHECK(delta(R"(chatkit_model_duration_seconds_bucket{le="120"})") == 1);
  CHECK(delta(R"(chatkit_model_duration_seconds_bucket{le="+Inf"})") == 2);
  CHECK(delta("chatkit_model_duration_seconds_count") == 2);
  CHECK(delta("chatkit_model_duration_seconds_sum") == Approx(500.3));
  CHECK(delta(R"(chatkit_model_first_event_seconds_bucket{le="0.05"})") == 1);
  CHECK(delta("chatkit_model_first_event_seconds_count") == 1);
}

TEST_CASE("metrics: tool labels are bounded; concurrent calls all count") {
  const auto before = scrape();
  constexpr int threads = 4, calls = 500;
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([t] {
      for (int i = 0; i < calls; ++i)
        metrics::count_tool_call("bounded_" + std::to_string((i * 7 + t) % 300), true);
    });
  for (auto& th : ts) th.join();
  const auto after = scrape();
  double total = 0;
  std::set<std::string> tools;
  for (const auto& [key, v] : after.samples) {
    if (key.rfind("chatkit_tool_calls_total{", 0) != 0) continue;
    total += v - before.value(key);
    tools.insert(key.substr(0, key.find("\",outcome")));
  }
  CHECK(total == threads * calls);
  CHECK(tools.size() <= metrics::max_tool_labels + 1);  // the table, and "_other"
  CHECK(after.value(R"(chatkit_tool_calls_total{tool="_other",outcome="ok"})") > 0);
}
