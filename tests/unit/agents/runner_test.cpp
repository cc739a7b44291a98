// The run loop against the scripted OpenAI-compatible server (real client, real loopback sockets).
#include "agent_support.hpp"
#include "support/prometheus_check.hpp"

#include <chatkit/agents/context_binding.hpp>
#include <chatkit/agents/runner.hpp>
#include <chatkit/metrics.hpp>
#include <chatkit/openai/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <catch2/catch.hpp>

using namespace chatkit;
using namespace chatkit::agents;
using namespace chatkit::agents::test;
namespace net = boost::asio;
namespace json = boost::json;
using openai::testing::ending;
using openai::testing::write_plan;

namespace {

struct collected {
  std::vector<std::string> names;        // "raw:<type>", "item:<name>", "agent", "usage"
  std::vector<std::string> item_events;  // "<name>(<call_id or item id>)"
  std::exception_ptr error;
};

std::string describe(const run_event& ev) {
  if (auto* r = std::get_if<raw_response_event>(&ev))
    return "raw:" + std::string(openai::event_type(r->event));
  if (auto* i = std::get_if<run_item_event>(&ev)) return "item:" + std::string(to_string(i->name));
  if (std::holds_alternative<agent_updated_event>(ev)) return "agent";
  return "usage";
}

net::awaitable<collected> drain(run_stream& run) {
  collected c;
  try {
    while (auto ev = co_await run.next()) {
      c.names.push_back(describe(*ev));
      if (auto* i = std::get_if<run_item_event>(&*ev)) {
        const auto& item = *i->item;
        const std::string key = item.type == run_item_type::tool_call_output ? item.call_id
                                : item.item.is_function_call()               ? item.item.call_id
                                                                             : item.item.id;
        c.item_events.push_back(std::string(to_string(i->name)) + "(" + key + ")");
      }
    }
  } catch (...) {
    c.error = std::current_exception();
  }
  co_return c;
}

// drain() with a deadline: nullopt when the run has not ended by then, so a run that hangs fails a test
// instead of hanging it.
std::optional<collected> drain_within(net::io_context& ioc, run_stream& run, std::chrono::seconds limit) {
  std::optional<collected> c;
  net::co_spawn(
      ioc, [&]() -> net::awaitable<void> { c = co_await drain(run); }, net::detached);
  ioc.run_for(limit);
  return c;
}

template <class E>
std::string error_message(const std::exception_ptr& p) {
  try {
    std::rethrow_exception(p);
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("wrong exception: ") + e.what();
  }
}

// What every run needs besides the model: an executor and an authenticated caller.
struct run_env {
  net::io_context ioc;
  request_context alice{"alice", {}, {}};
  run_context ctx{alice};
};

const json::object& input_item(const json::object& request, std::size_t i) {
  return request.at("input").as_array().at(i).as_object();
}

}  // namespace

TEST_CASE("runner: T2 — a tool call, then the answer (fixture)", "[agents][runner]") {
  scripted_server server;
  server.add(exchange::sse(sse_fixture("T2_tool_then_text_1.sse"), "req_t2a"));
  server.add(exchange::sse(sse_fixture("T2_tool_then_text_2.sse"), "req_t2b"));
  run_env env;
  auto& [ioc, alice, ctx] = env;
  int calls = 0;
  auto run = run_streamed(weather_agent(weather_tool(&calls)), "Weather in Paris?", ctx,
                          {.model = model_for(ioc, server)});
  auto c = run_sync(ioc, drain(run));
  REQUIRE_FALSE(c.error);
  CHECK(calls == 1);
  CHECK(run.final_output() == "It is 18°C in Paris.");
  CHECK(c.item_events == std::vector<std::string>{"tool_called(call_t2)", "tool_output(call_t2)",
                                                  "message_output_created(msg_t2)"});
  // Ordering guarantee (docs/agents.md#events): raw events of a call, then its usage and items, then tool
  // outputs.
  REQUIRE(c.names.front() == "agent");
  const auto first_completed = std::find(c.names.begin(), c.names.end(), "raw:response.completed");
  REQUIRE(first_completed != c.names.end());
  CHECK(*(first_completed + 1) == "usage");
  CHECK(*(first_completed + 2) == "item:tool_called");
  CHECK(*(first_completed + 3) == "item:tool_output");
  CHECK(*(first_completed + 4) == "raw:response.created");

  const auto& u = run.usage();
  CHECK(u.requests == 2);
  CHECK(u.input_tokens == 130);
  CHECK(u.cached_tokens == 64);
  CHECK(u.output_tokens == 24);
  CHECK(u.total_tokens == 154);
  CHECK(u.per_request.size() == 2);
  CHECK(run.raw_responses().size() == 2);
  CHECK(run.raw_responses()[0].request_id == "req_t2a");  // x-request-id of the HTTP response, for support
  CHECK(run.raw_responses()[1].output.at(0).content.at(0).text == "It is 18°C in Paris.");
  CHECK(run.last_response_id() == "resp_t2b");

  auto bodies = request_bodies(server);
  REQUIRE(bodies.size() == 2);
  for (const auto& b : bodies) {
    CHECK(b.at("model") == "gpt-test");
    CHECK(b.at("instructions") == "Answer about the weather.");
    CHECK(b.at("stream") == true);
    const auto& tool = b.at("tools").as_array().at(0).as_object();
    CHECK(tool.at("type") == "function");
    CHECK(tool.at("name") == "get_weather");
    CHECK(tool.at("strict") == true);
    CHECK(tool.at("parameters") == json::value(city_schema()));
    CHECK_FALSE(b.contains("parallel_tool_calls"));  // unset settings are omitted
    CHECK_FALSE(b.contains("temperature"));
  }
  for (const auto& r : server.requests()) CHECK(r.header("User-Agent") == agents_user_agent);
  const auto& second = bodies[1];
  REQUIRE(second.at("input").as_array().size() == 3);
  CHECK(input_item(second, 0) == json::object{{"role", "user"}, {"content", "Weather in Paris?"}});
  CHECK(input_item(second, 1).at("type") == "function_call");
  CHECK(input_item(second, 1).at("call_id") == "call_t2");
  CHECK(input_item(second, 1).at("arguments") == "{\"city\":\"Paris\"}");
  CHECK(input_item(second, 2) == json::object{{"type", "function_call_output"},
                                              {"call_id", "call_t2"},
                                              {"output", "{\"temp_c\":18}"}});

  // to_input_list: the original input and every generated item, ready for the next turn.
  const auto history = run.to_input_list();
  REQUIRE(history.size() == 4);
  CHECK(history[3].at("type") == "message");
  CHECK(history[3].at("id") == "msg_t2");
}

TEST_CASE("runner: tool calls and model calls are counted and timed (metrics)", "[agents][runner][metrics]") {
  scripted_server server;
  server.add(exchange::sse(sse_fixture("T2_tool_then_text_1.sse"), "req_t2a"));
  server.add(exchange::sse(sse_fixture("T2_tool_then_text_2.sse"), "req_t2b"));
  run_env env;
  auto& [ioc, alice, ctx] = env;
  const auto before = chatkit::testing::check_prometheus(chatkit::metrics::render_prometheus());
  auto run = run_streamed(weather_agent(weather_tool()), "Weather in Paris?", ctx,
                          {.model = model_for(ioc, server)});
  auto c = run_sync(ioc, drain(run));
  REQUIRE_FALSE(c.error);
  const auto after = chatkit::testing::check_prometheus(chatkit::metrics::render_prometheus());
  for (const auto& e : after.errors) UNSCOPED_INFO(e);
  CHECK(after.errors.empty());
  auto delta = [&](const std::string& key) { return after.value(key) - before.value(key); };
  CHECK(delta(R"(chatkit_tool_calls_total{tool="get_weather",outcome="ok"})") == 1);
  CHECK(delta(R"(chatkit_model_calls_total{outcome="ok"})") == 2);
  CHECK(delta("chatkit_model_duration_seconds_count") == 2);
  CHECK(delta("chatkit_model_first_event_seconds_count") == 2);
  CHECK(delta("chatkit_model_duration_seconds_sum") >= delta("chatkit_model_first_event_seconds_sum"));
}

TEST_CASE("runner: parallel calls run concurrently; outputs keep call order", "[agents][runner]") {
  scripted_server server;
  server.add(exchange::sse(sse_fixture("T3_parallel_calls_1.sse"), "req_t3a"));
  server.add(exchange::sse(sse_fixture("T3_parallel_calls_2.sse"), "req_t3b"));
  run_env env;
  auto& [ioc, alice, ctx] = env;

  // The first call (Paris) waits until the second (Tokyo) has started and finished: only possible when
  // they run at the same time. It also makes completion order the reverse of call order.
  int started = 0;
  bool tokyo_done = false;
  std::vector<std::string> completion;
  auto tool = simple_tool("get_weather", city_schema(),
                          [&](tool_context& tc, json::object args) -> net::awaitable<tool_output> {
                            ++started;
                            const std::string city(args.at("city").as_string());
                            if (city == "Paris") {
                              net::steady_timer t(co_await net::this_coro::executor);
                              for (int i = 0; i < 500 && !tokyo_done; ++i) {
                                t.expires_after(std::chrono::milliseconds(2));
                                co_await t.async_wait(net::use_awaitable);
                              }
                              CHECK(tokyo_done);
                            } else {
                              tokyo_done = true;
                            }
                            completion.push_back(city);
                            co_return city + " / " + std::string(tc.call_id);
                          });
  auto run = run_streamed(weather_agent(tool), "Paris and Tokyo?", ctx, {.model = model_for(ioc, server)});
  auto c = run_sync(ioc, drain(run));
  REQUIRE_FALSE(c.error);
  CHECK(started == 2);
  CHECK(completion == std::vector<std::string>{"Tokyo", "Paris"});
  CHECK(c.item_events == std::vector<std::string>{"tool_called(call_t3a)", "tool_called(call_t3b)",
                                                  "tool_output(call_t3a)", "tool_output(call_t3b)",
                                                  "message_output_created(msg_t3)"});
  auto bodies = request_bodies(server);
  REQUIRE(bodies.size() == 2);
  const auto& input = bodies[1].at("input").as_array();
  REQUIRE(input.size() == 5);
  CHECK(input[3].at("output") == "Paris / call_t3a");
  CHECK(input[4].at("output") == "Tokyo / call_t3b");
}

TEST_CASE("runner: tool failures go back to the model as sentences", "[agents][runner]") {
  scripted_server server;
  server.add(exchange::sse(tool_calls("resp_1", {{"c_throw", "thrower", "{}"},
                                                 {"c_json", "get_weather", "{\"city\":"},
                                                 {"c_args", "get_weather", "{\"town\":\"Paris\"}"},
                                                 {"c_array", "get_weather", "[1]"}}),
                           "req_1"));
  server.add(exchange::sse(text_answer("resp_2", "msg_2", {"Sorry."}), "req_2"));
  run_env env;
  auto& [ioc, alice, ctx] = env;
  auto a = weather_agent(simple_tool("get_weather", city_schema(),
                                     [](tool_context&, json::object args) -> net::awaitable<tool_output> {
                                       if (!args.contains("city"))
                                         throw tool_argument_error("$: missing required property \"city\"");
                                       co_return "sunny";
                                     }));
  a.tools.push_back(simple_tool("thrower",
                                json::object{{"type", "object"},
                                             {"properties", json::object{}},
                                             {"required", json::array{}},
                                             {"additionalProperties", false}},
                                [](tool_context&, json::object) -> net::awaitable<tool_output> {
                                  throw std::runtime_error("database is down");
                                  co_return "";
                                }));
  auto run = run_streamed(a, "go", ctx, {.model = model_for(ioc, server)});
  auto c = run_sync(ioc, drain(run));
  REQUIRE_FALSE(c.error);
  CHECK(run.final_output() == "Sorry.");
  const auto input = request_bodies(server).at(1).at("input").as_array();
  REQUIRE(input.size() == 9);
  CHECK(input[5].at("output") == "Tool call failed; you may try again. Error: database is down");
  CHECK(std::string(input[6].at("output").as_string())
            .starts_with("Tool argument parsing failed; call the tool again with valid JSON. Error: "));
  CHECK(input[7].at("output") ==
        "Tool call failed; fix the arguments and try again. Error: invalid arguments for tool get_weather: "
        "$: missing required property \"city\"");
  CHECK(input[8].at("output") ==
        "Tool argument parsing failed; call the tool again with valid JSON. Error: the arguments are not a "
        "JSON "
        "object");
  int failed = 0;
  for (const auto& item : run.new_items())
    if (item.type == run_item_type::tool_call_output && item.failed) ++failed;
  CHECK(failed == 4);
}

TEST_CASE("runner: a tool with failure_mode::propagate fails the run", "[agents][runner]") {
  scripted_server server;
  server.add(exchange::sse(tool_calls("resp_1", {{"c1", "get_weather", "{\"city\":\"Paris\"}"}}), "req_1"));
  run_env env;
  auto& [ioc, alice, ctx] = env;
  auto tool = simple_tool("get_weather", city_schema(),
                          [](tool_context&, json::object) -> net::awaitable<tool_output> {
                            throw std::runtime_error("fatal");
                            co_return "";
                          });
  tool.on_failure = failure_mode::propagate;
  auto run = run_streamed(weather_agent(tool), "go", ctx, {.model = model_for(ioc, server)});
  auto c = run_sync(ioc, drain(run));
  REQUIRE(c.error);
  CHECK(error_message<std::runtime_error>(c.error) == "fatal");
  CHECK(server.requests().size() == 1);
  // Events queued before the failure were delivered first.
  CHECK(c.item_events == std::vector<std::string>{"tool_called(c1)"});
}

TEST_CASE("runner: unknown tools fail the run, or are reported when asked", "[agents][runner]") {
  SECTION("default: model_behavior_error naming the tool and the agent") {
    scripted_server server;
    server.add(exchange::sse(tool_calls("resp_1", {{"c1", "launch_rockets", "{}"}}), "req_1"));
    run_env env;
    auto& [ioc, alice, ctx] = env;
    auto run = run_streamed(weather_agent(weather_tool()), "go", ctx, {.model = model_for(ioc, server)});
    auto c = run_sync(ioc, drain(run));
    REQUIRE(c.error);
    CHECK(error_message<model_behavior_error>(c.error) ==
          "model called the unknown tool 'launch_rockets' (agent 'Weather')");
  }
  SECTION("return_error_to_model") {
    scripted_server server;
    server.add(exchange::sse(tool_calls("resp_1", {{"c1", "launch_rockets", "{}"}}), "req_1"));
    server.add(exchange::sse(text_answer("resp_2", "msg_2", {"I cannot."}), "req_2"));
    run_env env;
    auto& [ioc, alice, ctx] = env;
    auto run = run_streamed(
        weather_agent(weather_tool()), "go", ctx,
        {.model = model_for(ioc, server), .on_unknown_tool = tool_not_found_policy::return_error_to_model});
    auto c = run_sync(ioc, drain(run));
    REQUIRE_FALSE(c.error);
    CHECK(request_bodies(server).at(1).at("input").as_array().at(2).at("output") ==
          "Tool 'launch_rockets' not found.");
  }
  SECTION("return_error_to_model, through the run's tool_error_formatter") {
    scripted_server server;
    server.add(exchange::sse(tool_calls("resp_1", {{"c1", "launch_rockets", "{}"}}), "req_1"));
    server.add(exchange::sse(text_answer("resp_2", "msg_2", {"I cannot."}), "req_2"));
    run_env env;
    auto& [ioc, alice, ctx] = env;
    run_options o{.model = model_for(ioc, server),
                  .on_unknown_tool = tool_not_found_policy::return_error_to_model};
    o.tool_error_formatter = [](const tool_failure& f) {
      return f.kind == tool_failure_kind::not_found ? "No tool " + std::string(f.tool_name) + " here."
                                                    : default_tool_error_message(f);
    };
    auto run = run_streamed(weather_agent(weather_tool()), "go", ctx, o);
    auto c = run_sync(ioc, drain(run));
    REQUIRE_FALSE(c.error);
    CHECK(request_bodies(server).at(1).at("input").as_array().at(2).at("output") ==
          "No tool launch_rockets here.");
  }
  SECTION("a disabled tool is not offered, and calling it is a model error") {
    scripted_server server;
    server.add(exchange::sse(tool_calls("resp_1", {{"c1", "get_weather", "{\"city\":\"Paris\"}"}}), "req_1"));
    run_env env;
    auto& [ioc, alice, ctx] = env;
    auto tool = weather_tool();
    tool.is_enabled = [](const run_context& c) { return c.caller().user_id == "admin"; };
    auto run = run_streamed(weather_agent(tool), "go", ctx, {.model = model_for(ioc, server)});
    auto c = run_sync(ioc, drain(run));
    REQUIRE(c.error);
    CHECK(error_message<model_behavior_error>(c.error) ==
          "model called the disabled tool 'get_weather' of agent 'Weather'");
    CHECK_FALSE(request_bodies(server).at(0).contains("tools"));
  }
}

TEST_CASE("runner: max_turns ends a run that keeps calling tools", "[agents][runner]") {
  scripted_server server;
  for (int i = 0; i < 3; ++i)
    server.add(exchange::sse(tool_calls("resp_" + std::to_string(i),
                                        {{"c" + std::to_string(i), "get_weather", "{\"city\":\"Paris\"}"}}),
                             "req"));
  run_env env;
  auto& [ioc, alice, ctx] = env;
  int calls = 0;
  auto run = run_streamed(weather_agent(weather_tool(&calls)), "loop", ctx,
                          {.model = model_for(ioc, server), .max_turns = 2});
  auto c = run_sync(ioc, drain(run));
  REQUIRE(c.error);
  CHECK(error_message<max_turns_exceeded>(c.error) == "max turns (2) exceeded");
  CHECK(server.requests().size() == 2);
  CHECK(calls == 2);
  CHECK(run.usage().requests == 2);
}

TEST_CASE("runner: stop_at_tools and ends_run make a tool's output final", "[agents][runner]") {
  for (int variant = 0; variant < 3; ++variant) {
    scripted_server server;
    server.add(exchange::sse(tool_calls("resp_1", {{"c1", "get_weather", "{\"city\":\"Paris\"}"}}), "req_1"));
    run_env env;
    auto& [ioc, alice, ctx] = env;
    auto a = weather_agent(weather_tool());
    if (variant == 0) a.tool_use_behavior = stop_on_first_tool{};
    if (variant == 1) a.tool_use_behavior = stop_at_tools{{"get_weather"}};
    if (variant == 2) a.tools[0].ends_run = true;
    auto run = run_streamed(a, "go", ctx, {.model = model_for(ioc, server)});
    auto c = run_sync(ioc, drain(run));
    REQUIRE_FALSE(c.error);
    CHECK(server.requests().size() == 1);
    CHECK(run.final_text() == "{\"temp_c\":18}");
  }
}

TEST_CASE("runner: request settings, dynamic instructions and tool_choice reset", "[agents][runner]") {
  scripted_server server;
  server.add(exchange::sse(tool_calls("resp_1", {{"c1", "get_weather", "{\"city\":\"Paris\"}"}}), "req_1"));
  server.add(exchange::sse(text_answer("resp_2", "msg_2", {"Done."}), "req_2"));
  run_env env;
  auto& [ioc, alice, ctx] = env;
  auto a = weather_agent(weather_tool());
  int evaluations = 0;
  a.instructions = dynamic_instructions([&](run_context& rc, const agent& ag) -> net::awaitable<std::string> {
    ++evaluations;
    co_return ag.name + " for " + rc.caller().user_id + " #" + std::to_string(evaluations);
  });
  a.settings.temperature = 0.5;
  a.settings.tool_choice = "get_weather";
  a.settings.parallel_tool_calls = false;
  a.settings.reasoning_effort = "low";
  a.settings.max_output_tokens = 300;
  run_options opts{.model = model_for(ioc, server)};
  opts.settings.temperature = 0.25;  // run-level wins
  opts.settings.metadata = json::object{{"app", "tests"}};
  auto run = run_streamed(a, "go", ctx, std::move(opts));
  auto c = run_sync(ioc, drain(run));
  REQUIRE_FALSE(c.error);
  auto bodies = request_bodies(server);
  REQUIRE(bodies.size() == 2);
  CHECK(bodies[0].at("instructions") == "Weather for alice #1");
  CHECK(bodies[1].at("instructions") == "Weather for alice #2");
  CHECK(bodies[0].at("temperature") == 0.25);
  CHECK(bodies[0].at("tool_choice") == json::object{{"type", "function"}, {"name", "get_weather"}});
  CHECK(bodies[0].at("parallel_tool_calls") == false);
  CHECK(bodies[0].at("reasoning") == json::object{{"effort", "low"}});
  CHECK(bodies[0].at("max_output_tokens") == 300);
  CHECK(bodies[0].at("metadata") == json::object{{"app", "tests"}});
  // After a tool ran, tool_choice is left to the model so a forced tool cannot loop forever.
  CHECK_FALSE(bodies[1].contains("tool_choice"));
}

TEST_CASE("runner: previous_response_id chaining sends only new items", "[agents][runner]") {
  scripted_server server;
  server.add(exchange::sse(sse_fixture("T2_tool_then_text_1.sse"), "req_t2a"));
  server.add(exchange::sse(sse_fixture("T2_tool_then_text_2.sse"), "req_t2b"));
  run_env env;
  auto& [ioc, alice, ctx] = env;
  auto run = run_streamed(weather_agent(weather_tool()), "Weather in Paris?", ctx,
                          {.model = model_for(ioc, server), .previous_response_id = "resp_before"});
  auto c = run_sync(ioc, drain(run));
  REQUIRE_FALSE(c.error);
  auto bodies = request_bodies(server);
  CHECK(bodies[0].at("previous_response_id") == "resp_before");
  CHECK(bodies[0].at("input").as_array().size() == 1);
  CHECK(bodies[1].at("previous_response_id") == "resp_t2a");
  REQUIRE(bodies[1].at("input").as_array().size() == 1);
  CHECK(input_item(bodies[1], 0).at("type") == "function_call_output");
}

TEST_CASE("runner: failed, incomplete and truncated responses end the run with typed errors",
          "[agents][runner]") {
  SECTION("response.failed") {
    scripted_server server;
    server.add(exchange::sse(sse_fixture("T5c_failed.sse"), "req_1"));
    run_env env;
    auto& [ioc, alice, ctx] = env;
    auto run = run_streamed(weather_agent(weather_tool()), "go", ctx, {.model = model_for(ioc, server)});
    auto c = run_sync(ioc, drain(run));
    REQUIRE(c.error);
    CHECK_THAT(error_message<model_response_error>(c.error), Catch::StartsWith("model response failed"));
    CHECK(c.names.back() == "raw:response.failed");
  }
  SECTION("response.incomplete") {
    scripted_server server;
    server.add(exchange::sse(sse_fixture("T5d_incomplete.sse"), "req_1"));
    run_env env;
    auto& [ioc, alice, ctx] = env;
    auto run = run_streamed(weather_agent(weather_tool()), "go", ctx, {.model = model_for(ioc, server)});
    auto c = run_sync(ioc, drain(run));
    REQUIRE(c.error);
    CHECK_THAT(error_message<model_response_error>(c.error), Catch::StartsWith("model response incomplete"));
  }
  SECTION("an error event mid-stream") {
    scripted_server server;
    server.add(exchange::sse(sse_fixture("T5_error_mid_stream.sse"), "req_1"));
    run_env env;
    auto& [ioc, alice, ctx] = env;
    auto run = run_streamed(weather_agent(weather_tool()), "go", ctx, {.model = model_for(ioc, server)});
    auto c = run_sync(ioc, drain(run));
    REQUIRE(c.error);
    CHECK_NOTHROW(error_message<openai::api_error>(c.error));
    CHECK(std::count(c.names.begin(), c.names.end(), "raw:response.output_text.delta") >= 1);
  }
}

TEST_CASE("runner: cancel() mid-text stops the model stream", "[agents][runner]") {
  scripted_server server;
  sse_builder b("resp_1");
  b.message("msg_1", {"one ", "two ", "three ", "four"});
  auto x =
      exchange::sse(b.partial(), "req_1", write_plan::per_event().with_pause(std::chrono::milliseconds(20)));
  x.end = ending::hang;
  server.add(x);
  run_env env;
  auto& [ioc, alice, ctx] = env;
  auto run = run_streamed(weather_agent(weather_tool()), "count", ctx, {.model = model_for(ioc, server)});
  auto consume = [&]() -> net::awaitable<std::vector<std::string>> {
    std::vector<std::string> deltas;
    while (auto ev = co_await run.next()) {
      if (auto* d = text_delta(*ev)) {
        deltas.push_back(*d);
        if (deltas.size() == 2) run.cancel();
      }
    }
    co_return deltas;
  };
  auto deltas = run_sync(ioc, consume());
  CHECK(deltas == std::vector<std::string>{"one ", "two "});
  CHECK(run.cancelled());
  CHECK(run.final_output().is_null());
  CHECK(server.wait_for_client_disconnects(1, std::chrono::seconds(5)) == 1);
}

TEST_CASE("runner: cancelling the consumer's coroutine cancels a running tool", "[agents][runner]") {
  scripted_server server;
  server.add(exchange::sse(tool_calls("resp_1", {{"c1", "slow", "{}"}}), "req_1"));
  run_env env;
  auto& [ioc, alice, ctx] = env;
  bool tool_started = false;
  bool tool_saw_cancel = false;
  auto a = weather_agent(simple_tool("slow",
                                     json::object{{"type", "object"},
                                                  {"properties", json::object{}},
                                                  {"required", json::array{}},
                                                  {"additionalProperties", false}},
                                     [&](tool_context&, json::object) -> net::awaitable<tool_output> {
                                       tool_started = true;
                                       net::steady_timer t(co_await net::this_coro::executor,
                                                           std::chrono::seconds(30));
                                       try {
                                         co_await t.async_wait(net::use_awaitable);
                                       } catch (const boost::system::system_error&) {
                                         tool_saw_cancel = true;
                                         throw;
                                       }
                                       co_return "late";
                                     }));
  auto run = run_streamed(a, "go", ctx, {.model = model_for(ioc, server)});
  net::cancellation_signal signal;
  std::exception_ptr outcome;
  bool finished = false;
  auto consume = [&]() -> net::awaitable<void> {
    while (co_await run.next()) {
    }
  };
  net::co_spawn(ioc, consume(), net::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr e) {
                  outcome = e;
                  finished = true;
                }));
  // Cancel once the tool is running.
  net::steady_timer poll(ioc);
  std::function<void(boost::system::error_code)> check = [&](boost::system::error_code) {
    if (tool_started) {
      signal.emit(net::cancellation_type::terminal);
      return;
    }
    poll.expires_after(std::chrono::milliseconds(5));
    poll.async_wait(check);
  };
  poll.expires_after(std::chrono::milliseconds(5));
  poll.async_wait(check);
  ioc.run();
  REQUIRE(finished);
  CHECK(tool_saw_cancel);
  CHECK(outcome);                        // the consumer sees the cancellation
  CHECK(server.requests().size() == 1);  // no second model call
}

TEST_CASE("runner: cancel() while a tool runs ends the run without reporting to the model",
          "[agents][runner]") {
  scripted_server server;
  server.add(exchange::sse(tool_calls("resp_1", {{"c1", "slow", "{}"}}), "req_1"));
  run_env env;
  auto& [ioc, alice, ctx] = env;
  run_stream* self = nullptr;
  bool tool_saw_cancel = false;
  auto a = weather_agent(simple_tool("slow",
                                     json::object{{"type", "object"},
                                                  {"properties", json::object{}},
                                                  {"required", json::array{}},
                                                  {"additionalProperties", false}},
                                     [&](tool_context&, json::object) -> net::awaitable<tool_output> {
                                       self->cancel();  // e.g. the host decided to stop
                                       net::steady_timer t(co_await net::this_coro::executor,
                                                           std::chrono::seconds(30));
                                       auto [ec] = co_await t.async_wait(net::as_tuple(net::use_awaitable));
                                       tool_saw_cancel = ec == net::error::operation_aborted;
                                       co_return "late";
                                     }));
  auto run = run_streamed(a, "go", ctx, {.model = model_for(ioc, server)});
  self = &run;
  auto c = run_sync(ioc, drain(run));
  CHECK_FALSE(c.error);
  CHECK(run.cancelled());
  CHECK(tool_saw_cancel);
  CHECK(server.requests().size() == 1);
  CHECK(c.item_events == std::vector<std::string>{"tool_called(c1)"});
}

TEST_CASE("runner: a tool timeout is reported to the model, or fails the run", "[agents][runner]") {
  for (const auto behavior : {timeout_behavior::error_as_result, timeout_behavior::raise_exception}) {
    scripted_server server;
    server.add(exchange::sse(tool_calls("resp_1", {{"c1", "slow", "{}"}}), "req_1"));
    server.add(exchange::sse(text_answer("resp_2", "msg_2", {"ok"}), "req_2"));
    run_env env;
    auto& [ioc, alice, ctx] = env;
    auto tool =
        simple_tool("slow",
                    json::object{{"type", "object"},
                                 {"properties", json::object{}},
                                 {"required", json::array{}},
                                 {"additionalProperties", false}},
                    [](tool_context&, json::object) -> net::awaitable<tool_output> {
                      net::steady_timer t(co_await net::this_coro::executor, std::chrono::seconds(30));
                      co_await t.async_wait(net::use_awaitable);
                      co_return "late";
                    });
    tool.timeout = std::chrono::milliseconds(50);
    tool.on_timeout = behavior;
    auto run = run_streamed(weather_agent(tool), "go", ctx, {.model = model_for(ioc, server)});
    auto c = run_sync(ioc, drain(run));
    if (behavior == timeout_behavior::error_as_result) {
      REQUIRE_FALSE(c.error);
      CHECK(request_bodies(server).at(1).at("input").as_array().at(2).at("output") ==
            "Tool 'slow' timed out after 0.05 s.");
    } else {
      REQUIRE(c.error);
      CHECK_THAT(error_message<tool_timeout_error>(c.error), Catch::StartsWith("tool 'slow' timed out"));
    }
  }
}

TEST_CASE("runner: hooks see every step in order", "[agents][runner]") {
  struct recording_hooks : run_hooks {
    std::vector<std::string> log;
    net::awaitable<void> on_agent_start(run_context&, const agent& a) override {
      log.push_back("agent_start:" + a.name);
      co_return;
    }
    net::awaitable<void> on_agent_end(run_context&, const agent&, const json::value& out) override {
      log.push_back("agent_end:" + json::serialize(out));
      co_return;
    }
    net::awaitable<void> on_llm_start(run_context&, const agent&, const std::string&,
                                      const json::array& input) override {
      log.push_back("llm_start:" + std::to_string(input.size()));
      co_return;
    }
    net::awaitable<void> on_llm_end(run_context&, const agent&, const openai::response& r) override {
      log.push_back("llm_end:" + r.id);
      co_return;
    }
    net::awaitable<void> on_tool_start(run_context&, const agent&, const function_tool& t,
                                       const json::object&) override {
      log.push_back("tool_start:" + t.name);
      co_return;
    }
    net::awaitable<void> on_tool_end(run_context&, const agent&, const function_tool& t,
                                     const tool_output&) override {
      log.push_back("tool_end:" + t.name);
      co_return;
    }
  } hooks;
  scripted_server server;
  server.add(exchange::sse(sse_fixture("T2_tool_then_text_1.sse"), "req_t2a"));
  server.add(exchange::sse(sse_fixture("T2_tool_then_text_2.sse"), "req_t2b"));
  run_env env;
  auto& [ioc, alice, ctx] = env;
  auto run = run_streamed(weather_agent(weather_tool()), "Weather in Paris?", ctx,
                          {.model = model_for(ioc, server), .hooks = &hooks});
  auto c = run_sync(ioc, drain(run));
  REQUIRE_FALSE(c.error);
  CHECK(hooks.log == std::vector<std::string>{"agent_start:Weather", "llm_start:1", "llm_end:resp_t2a",
                                              "tool_start:get_weather", "tool_end:get_weather", "llm_start:3",
                                              "llm_end:resp_t2b", "agent_end:\"It is 18°C in Paris.\""});
}

// A hook that throws fails the run with its exception (it used to hang the run: the tools' failure was waiting
// on the cancel watch). Run with a deadline, so that a regression fails here instead of hanging.
TEST_CASE("runner: an exception from on_tool_start or on_tool_end fails the run", "[agents][runner]") {
  struct throwing_hooks : run_hooks {
    bool at_start = true;
    net::awaitable<void> on_tool_start(run_context&, const agent&, const function_tool&,
                                       const json::object&) override {
      if (at_start) throw std::runtime_error("on_tool_start failed");
      co_return;
    }
    net::awaitable<void> on_tool_end(run_context&, const agent&, const function_tool&,
                                     const tool_output&) override {
      if (!at_start) throw std::runtime_error("on_tool_end failed");
      co_return;
    }
  };
  for (const bool at_start : {true, false}) {
    INFO(at_start);
    throwing_hooks hooks;
    hooks.at_start = at_start;
    scripted_server server;
    server.add(exchange::sse(sse_fixture("T2_tool_then_text_1.sse"), "req_t2a"));
    server.add(exchange::sse(sse_fixture("T2_tool_then_text_2.sse"), "req_t2b"));
    run_env env;
    auto& [ioc, alice, ctx] = env;
    auto run = run_streamed(weather_agent(weather_tool()), "Weather in Paris?", ctx,
                            {.model = model_for(ioc, server), .hooks = &hooks});
    const auto c = drain_within(ioc, run, std::chrono::seconds(30));
    REQUIRE(c);
    REQUIRE(c->error);
    CHECK(error_message<std::runtime_error>(c->error) ==
          (at_start ? "on_tool_start failed" : "on_tool_end failed"));
    CHECK(server.requests().size() == 1);  // no model call after the failed tool step
  }
}

// cancel() while the model call is still opening (here: the client sleeps 20 s before retrying a 500) has no
// stream to close; it must still stop the call at once, with no second request and no events. Run with a
// deadline shorter than the retry delay, so that a regression fails instead of waiting it out.
TEST_CASE("runner: cancel() while the model call opens stops it", "[agents][runner][cancel]") {
  scripted_server server;
  server.add(exchange::json(500, R"({"error":{"message":"boom","type":"server_error","param":null,"code":null}})",
                            {{"retry-after-ms", "20000"}}));
  server.add(exchange::sse(text_answer("resp_1", "msg_1", {"one ", "two"}), "req_1"));
  run_env env;
  auto& [ioc, alice, ctx] = env;
  auto run = run_streamed(weather_agent(weather_tool()), "hi", ctx, {.model = model_for(ioc, server)});
  net::co_spawn(
      ioc,
      [&]() -> net::awaitable<void> {
        net::steady_timer t(ioc);
        while (server.requests().empty()) {
          t.expires_after(std::chrono::milliseconds(5));
          co_await t.async_wait(net::use_awaitable);
        }
        run.cancel();
      },
      net::detached);
  const auto c = drain_within(ioc, run, std::chrono::seconds(10));
  REQUIRE(c);
  CHECK_FALSE(c->error);
  for (const auto& name : c->names) CHECK_FALSE(name.starts_with("raw:"));  // nothing from the model
  CHECK(run.cancelled());
  CHECK(server.requests().size() == 1);
}

TEST_CASE("runner: a run without a model is a user error", "[agents][runner]") {
  run_env env;
  auto& [ioc, alice, ctx] = env;
  auto run = run_streamed(weather_agent(weather_tool()), "go", ctx, {});
  auto c = run_sync(ioc, drain(run));
  REQUIRE(c.error);
  CHECK_THAT(error_message<user_error>(c.error), Catch::Contains("has no model"));
}

TEST_CASE("runner: make_tool validates arguments against its schema before the handler", "[agents][runner]") {
  scripted_server server;
  server.add(exchange::sse(tool_calls("resp_1", {{"c1", "get_weather", "{\"city\":5}"}}), "req_1"));
  server.add(exchange::sse(text_answer("resp_2", "msg_2", {"ok"}), "req_2"));
  run_env env;
  auto& [ioc, alice, ctx] = env;
  int calls = 0;
  // A loose schema given by hand: make_tool normalises it to strict form.
  auto tool =
      make_tool("get_weather", "Weather for a city.",
                json::parse(R"({"type":"object","properties":{"city":{"type":"string"}}})").as_object(),
                [&](tool_context&, json::object) -> net::awaitable<tool_output> {
                  ++calls;
                  co_return "sunny";
                });
  CHECK(json::value(tool.parameters) == json::value(city_schema()));
  auto run = run_streamed(weather_agent(tool), "go", ctx, {.model = model_for(ioc, server)});
  auto c = run_sync(ioc, drain(run));
  REQUIRE_FALSE(c.error);
  CHECK(calls == 0);
  CHECK(request_bodies(server).at(1).at("input").as_array().at(2).at("output") ==
        "Tool call failed; fix the arguments and try again. Error: invalid arguments for tool get_weather: "
        "$.city: expected string, got number");
}

TEST_CASE("runner: two tools with one name are refused at start", "[agents][runner]") {
  run_env env;
  auto& [ioc, alice, ctx] = env;
  auto a = weather_agent(weather_tool());
  a.tools.push_back(weather_tool());
  CHECK_THROWS_WITH(run_streamed(a, "go", ctx, {}), "agent 'Weather' has two tools named 'get_weather'");
}

namespace {

// Records what on_tool_start and the handler of a bound tool were given.
struct seen_by_tool {
  std::vector<std::string> hook_arguments;  // serialized `arguments` of each on_tool_start
  std::vector<std::string> handler_arguments;
  std::vector<std::string> handler_raw_arguments;
  std::vector<std::string> violations;
};

struct argument_hooks : run_hooks {
  seen_by_tool* seen;
  explicit argument_hooks(seen_by_tool* s) : seen(s) {}
  net::awaitable<void> on_tool_start(run_context&, const agent&, const function_tool&,
                                     const json::object& arguments) override {
    seen->hook_arguments.push_back(json::serialize(arguments));
    co_return;
  }
};

// An open (non-strict) schema whose `filter` object takes any member, with user_id bound to the caller.
function_tool open_bound_tool(seen_by_tool& seen, bound_argument_policy policy) {
  auto inner = make_tool(
      "find_notes", "Find the user's notes.",
      json::parse(R"({"type":"object","properties":{"filter":{"type":"object"},"tags":{"type":"array"},
                      "user_id":{"type":"string"}},"required":["user_id"]})")
          .as_object(),
      [&seen](tool_context& tc, json::object args) -> net::awaitable<tool_output> {
        seen.handler_arguments.push_back(json::serialize(args));
        seen.handler_raw_arguments.emplace_back(tc.raw_arguments);
        co_return "found";
      },
      /*strict=*/false);
  return bind_context(std::move(inner), {bind_user_id()}, policy);
}

}  // namespace

TEST_CASE("runner: a bound name anywhere in the arguments is refused before hooks and handler",
          "[agents][runner][binding]") {
  const std::string forged =
      GENERATE(as<std::string>{}, R"({"user_id":"bob"})", R"({"filter":{"owner":{"user_id":"bob"}}})",
               R"({"tags":[1,{"user_id":"bob"}]})");
  INFO(forged);
  scripted_server server;
  server.add(exchange::sse(tool_calls("resp_1", {{"c1", "find_notes", forged}}), "req_1"));
  server.add(exchange::sse(text_answer("resp_2", "msg_2", {"ok"}), "req_2"));
  run_env env;
  auto& [ioc, alice, ctx] = env;
  seen_by_tool seen;
  ctx.on_binding_violation = [&](const binding_violation& v) { seen.violations.emplace_back(v.parameter); };
  argument_hooks hooks(&seen);
  auto run = run_streamed(weather_agent(open_bound_tool(seen, bound_argument_policy::refuse)), "go", ctx,
                          {.model = model_for(ioc, server), .hooks = &hooks});
  auto c = run_sync(ioc, drain(run));
  REQUIRE_FALSE(c.error);
  CHECK(seen.hook_arguments.empty());
  CHECK(seen.handler_arguments.empty());
  CHECK(seen.violations == std::vector<std::string>{"user_id"});
  CHECK(request_bodies(server).at(1).at("input").as_array().at(2).at("output") ==
        "Tool call failed; fix the arguments and try again. Error: invalid arguments for tool find_notes: "
        "parameter \"user_id\" is set by the server and cannot be supplied");
}

TEST_CASE("runner: under the overwrite policy hooks and handler see the arguments without the forged values",
          "[agents][runner][binding]") {
  scripted_server server;
  server.add(exchange::sse(
      tool_calls("resp_1", {{"c1", "find_notes", R"({"user_id":"bob","filter":{"user_id":"bob","q":"x"}})"}}),
      "req_1"));
  server.add(exchange::sse(text_answer("resp_2", "msg_2", {"ok"}), "req_2"));
  run_env env;
  auto& [ioc, alice, ctx] = env;
  seen_by_tool seen;
  ctx.on_binding_violation = [&](const binding_violation& v) { seen.violations.emplace_back(v.parameter); };
  argument_hooks hooks(&seen);
  auto run = run_streamed(weather_agent(open_bound_tool(seen, bound_argument_policy::overwrite)), "go", ctx,
                          {.model = model_for(ioc, server), .hooks = &hooks});
  auto c = run_sync(ioc, drain(run));
  REQUIRE_FALSE(c.error);
  CHECK(seen.hook_arguments == std::vector<std::string>{R"({"filter":{"q":"x"}})"});
  REQUIRE(seen.handler_arguments.size() == 1);
  CHECK(json::parse(seen.handler_arguments[0]) == json::parse(R"({"filter":{"q":"x"},"user_id":"alice"})"));
  CHECK(seen.handler_raw_arguments == std::vector<std::string>{R"({"filter":{"q":"x"}})"});
  CHECK(seen.violations == std::vector<std::string>{"user_id"});
}
