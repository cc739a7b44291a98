// Runs the documentation snippets (examples/openai_snippets/snippets.hpp) against the scripted server.
#include "openai_snippets/snippets.hpp"

#include "client_support.hpp"

#include <sstream>

using namespace chatkit::openai;
using namespace chatkit::openai::test;
using namespace std::chrono_literals;
using chatkit::openai::testing::exchange;
using chatkit::openai::testing::scripted_server;
using chatkit::openai::testing::write_plan;

TEST_CASE("docs snippets: stream_text, chat and blocking", "[openai][docs]") {
  scripted_server server;
  server.add(exchange::sse(fixture("T1_text.sse"), "req_1"));
  server.add(exchange::sse(fixture("C1_text.sse"), "req_2"));
  server.add(exchange::sse(fixture("T2_tool_then_text_2.sse"), "req_3"));
  net::io_context ioc;
  client c(ioc.get_executor(), client_options_for(server));
  std::ostringstream out;
  auto r = run_sync(ioc, snippets::stream_text(c, out));
  CHECK(out.str() == "Hello, world!\n");
  CHECK(r.request_id == "req_1");
  std::ostringstream chat_out;
  auto chat = run_sync(ioc, snippets::chat(c, chat_out));
  CHECK(chat_out.str() == "Hello, world!\n");
  CHECK(chat.usage->total_tokens == 16);
  CHECK(snippets::blocking_hello(client_options_for(server)) == "It is 18\xC2\xB0" "C in Paris.");
}

TEST_CASE("docs snippets: the function-call loop sends the outputs back", "[openai][docs]") {
  scripted_server server;
  server.add(exchange::sse(fixture("T3_parallel_calls_1.sse"), "req_t3a"));
  server.add(exchange::sse(fixture("T3_parallel_calls_2.sse"), "req_t3b"));
  net::io_context ioc;
  client c(ioc.get_executor(), client_options_for(server));
  CHECK(run_sync(ioc, snippets::weather_turns(c)) == "Paris 18, Tokyo 25.");
  auto reqs = server.requests();
  REQUIRE(reqs.size() == 2);
  const auto input = reqs[1].json().at("input").as_array();
  REQUIRE(input.size() == 5);
  CHECK(input[1].at("call_id") == "call_t3a");
  CHECK(input[2].at("call_id") == "call_t3b");
  CHECK(input[3].at("type") == "function_call_output");
  CHECK(input[3].at("call_id") == "call_t3a");
  CHECK(input[4].at("call_id") == "call_t3b");
}

TEST_CASE("docs snippets: deadline and error description", "[openai][docs]") {
  scripted_server server;
  server.add(exchange::sse(fixture("T1_text.sse"), "req_1", write_plan::per_event().with_pause(100ms)));
  auto slow = exchange::sse(fixture("T1_text.sse").substr(0, 10), "req_2");
  slow.end = chatkit::openai::testing::ending::hang;
  server.add(slow);
  net::io_context ioc;
  client c(ioc.get_executor(), client_options_for(server));
  CHECK(run_sync(ioc, snippets::first_event_within(c, 2s)));
  CHECK_FALSE(run_sync(ioc, snippets::first_event_within(c, 100ms)));
  CHECK(server.wait_for_client_disconnects(1, 5s) >= 1);

  error_details d;
  d.status = 429;
  d.code = "rate_limit_exceeded";
  d.request_id = "req_x";
  d.message = "slow down";
  CHECK(snippets::describe(api_error(errc::rate_limit, d)) == "rate limited (HTTP 429) code=rate_limit_exceeded request_id=req_x: slow down");
}
