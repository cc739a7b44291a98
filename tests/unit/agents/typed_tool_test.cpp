// typed_tool: the generated schema (golden file), validation before the handler, decoding, handler
// signatures and results; plus the function_tool / tool_output / agent / run_context basics.
#include <catch2/catch.hpp>

#include <chatkit/agents/typed_tool.hpp>

#include "support/fixtures.hpp"
#include "tools_support.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/describe.hpp>
#include <boost/json.hpp>
#include "support/run_sync.hpp"

#include <memory>
#include <stdexcept>

namespace {

namespace agents = chatkit::agents;
namespace json = boost::json;
namespace net = boost::asio;
using namespace tools_test;

struct weather_args {
  std::string city;
  std::optional<std::string> unit;
};
BOOST_DESCRIBE_STRUCT(weather_args, (), (city, unit))

struct weather_report {
  std::string city;
  double temp_c = 0;
  task_status status = task_status::done;
  std::optional<int> wind;
};
BOOST_DESCRIBE_STRUCT(weather_report, (), (city, temp_c, status, wind))

chatkit::request_context alice() {
  chatkit::request_context c;
  c.user_id = "alice";
  return c;
}

}  // namespace

TEST_CASE("typed_tool: the generated schema equals the golden file", "[agents][typed_tool]") {
  auto tool =
      agents::typed_tool<task_args>("add_task", "Add a task.", [](task_args) { return std::string("ok"); });
  const json::value golden = chatkit::testing::read_json_file(chatkit::testing::fixtures_dir() / "agents" /
                                                              "typed_tool_schema.json");
  CHECK(json::value(tool.parameters) == golden);
  // Object equality ignores key order; the properties must also come in declaration order.
  std::vector<std::string> keys;
  for (const auto& kv : tool.parameters.at("properties").as_object()) keys.emplace_back(kv.key());
  CHECK(keys == std::vector<std::string>{"title", "status", "estimate_minutes", "tags", "due", "reminders",
                                         "urgent", "weight", "previous_status"});
  CHECK(tool.strict);
  CHECK(tool.bound_parameters.empty());
  CHECK(tool.to_responses_tool() == json::object{{"type", "function"},
                                                 {"name", "add_task"},
                                                 {"description", "Add a task."},
                                                 {"parameters", golden},
                                                 {"strict", true}});
}

TEST_CASE("typed_tool: a valid call decodes the arguments and passes the context", "[agents][typed_tool]") {
  std::string seen_user;
  std::string seen_call;
  auto tool = agents::typed_tool<task_args>(
      "add_task", "Add a task.", [&](task_args a, agents::tool_context& ctx) -> net::awaitable<std::string> {
        seen_user = ctx.caller().user_id;
        seen_call = std::string(ctx.call_id);
        co_return a.title + "/" + std::to_string(a.tags.size()) + "/" +
            (a.due ? std::to_string(a.due->day) : "none");
      });
  const auto caller = alice();
  agents::run_context run(caller);
  const auto r =
      call_tool(tool, run, R"({"title":"Ship","status":"open","estimate_minutes":null,"tags":["a","b"],
      "due":{"year":2026,"month":12,"day":24},"reminders":[],"urgent":false,"weight":1,"previous_status":null})");
  REQUIRE_FALSE(r.error);
  CHECK(output_text(r) == "Ship/2/24");
  CHECK(seen_user == "alice");
  CHECK(seen_call == "call_1");
}

TEST_CASE("typed_tool: invalid arguments never reach the handler", "[agents][typed_tool]") {
  int calls = 0;
  auto tool = agents::typed_tool<weather_args>("weather", "Weather.", [&](const weather_args&) {
    ++calls;
    return std::string("sunny");
  });
  const auto caller = alice();
  agents::run_context run(caller);
  CHECK(call_tool(tool, run, R"({"city":"Paris"})").error_of<agents::tool_argument_error>() ==
        R"($: missing required property "unit")");
  CHECK(call_tool(tool, run, R"({"city":"Paris","unit":5})").error_of<agents::tool_argument_error>() ==
        "$.unit: expected string or null, got number");
  CHECK(call_tool(tool, run, R"({"city":"Paris","unit":null,"user_id":"bob"})")
            .error_of<agents::tool_argument_error>() == R"($: unexpected property "user_id")");
  CHECK(calls == 0);
  CHECK(output_text(call_tool(tool, run, R"({"city":"Paris","unit":null})")) == "sunny");
  CHECK(calls == 1);
}

TEST_CASE("typed_tool: handler results", "[agents][typed_tool]") {
  const auto caller = alice();
  agents::run_context run(caller);
  const std::string args = R"({"city":"Oslo","unit":"C"})";

  SECTION("a described struct is sent as compact JSON") {
    auto tool = agents::typed_tool<weather_args>(
        "weather", "Weather.", [](weather_args a) -> net::awaitable<weather_report> {
          co_return weather_report{a.city, 18.5, task_status::in_progress, std::nullopt};
        });
    CHECK(output_text(call_tool(tool, run, args)) ==
          R"({"city":"Oslo","temp_c":18.5,"status":"in_progress","wind":null})");
  }
  SECTION("a JSON object") {
    auto tool =
        agents::typed_tool<weather_args>("weather", "Weather.", [](weather_args a, agents::tool_context&) {
          return json::object{{"city", a.city}, {"unit", *a.unit}};
        });
    CHECK(output_text(call_tool(tool, run, args)) == R"({"city":"Oslo","unit":"C"})");
  }
  SECTION("tool_output content parts") {
    auto tool = agents::typed_tool<weather_args>(
        "weather", "Weather.", [](weather_args) -> net::awaitable<agents::tool_output> {
          co_return agents::tool_output::content(
              json::array{json::object{{"type", "input_text"}, {"text", "hi"}}});
        });
    const auto r = call_tool(tool, run, args);
    REQUIRE(r.output);
    CHECK(r.output->is_content);
    CHECK(r.output->to_wire() == json::parse(R"([{"type":"input_text","text":"hi"}])"));
  }
  SECTION("a handler exception propagates unchanged") {
    auto tool = agents::typed_tool<weather_args>(
        "weather", "Weather.", [](weather_args) -> std::string { throw std::runtime_error("backend down"); });
    CHECK(call_tool(tool, run, args).error_of<std::runtime_error>() == "backend down");
  }
}

TEST_CASE("typed_tool: the call owns its state (the tool may go away mid-call)", "[agents][typed_tool]") {
  auto tool = std::make_unique<agents::function_tool>(agents::typed_tool<weather_args>(
      "weather", "Weather.",
      [prefix = std::string("it is sunny in ")](weather_args a) -> net::awaitable<std::string> {
        co_return prefix + a.city;
      }));
  const auto caller = alice();
  agents::run_context run(caller);
  agents::agent ag;
  agents::tool_context ctx{run, ag, "weather", "c1", ""};
  net::io_context io;
  std::string out;
  auto task = [&]() -> net::awaitable<void> {
    auto pending = tool->invoke(ctx, json::object{{"city", "Rome"}, {"unit", nullptr}});
    tool.reset();  // the std::function and its lambda are gone before the coroutine body runs
    out = output_text(call_result{co_await std::move(pending), nullptr});
  };
  chatkit::testing::run_sync(io, task());
  CHECK(out == "it is sunny in Rome");
}

TEST_CASE("typed_tool: registration errors", "[agents][typed_tool]") {
  auto handler = [](weather_args) { return std::string(); };
  CHECK_THROWS_MATCHES(
      agents::typed_tool<weather_args>("get weather", "", handler), agents::user_error,
      Catch::Message("invalid tool name \"get weather\": it must match [A-Za-z0-9_-]{1,64}"));
  CHECK_THROWS_AS(agents::typed_tool<weather_args>("", "", handler), agents::user_error);
  CHECK_THROWS_AS(agents::typed_tool<weather_args>(std::string(65, 'a'), "", handler), agents::user_error);
  CHECK_NOTHROW(agents::typed_tool<weather_args>(std::string(64, 'a'), "", handler));
}

TEST_CASE("function_tool basics: names, check(), to_wire, find_tool", "[agents][tool]") {
  CHECK(agents::is_valid_tool_name("get_orders-v2"));
  CHECK_FALSE(agents::is_valid_tool_name(""));
  CHECK_FALSE(agents::is_valid_tool_name("a.b"));
  CHECK_FALSE(agents::is_valid_tool_name("día"));

  agents::function_tool t;
  t.name = "noop";
  t.parameters = json::object{{"type", "object"}};
  CHECK_THROWS_MATCHES(t.check(), agents::user_error, Catch::Message("tool \"noop\" has no handler"));
  t.invoke = [](agents::tool_context&, json::object) -> net::awaitable<agents::tool_output> {
    co_return "x";
  };
  CHECK_NOTHROW(t.check());
  t.parameters = json::object{{"type", "array"}};
  CHECK_THROWS_AS(t.check(), agents::user_error);

  CHECK(agents::tool_output("plain \"text\"").to_wire() == "plain \"text\"");
  CHECK(agents::tool_output(json::value(42)).to_wire() == "42");
  CHECK(agents::tool_output(json::object{{"temp_c", 18}}).to_wire() == R"({"temp_c":18})");
  CHECK(agents::tool_output(json::value(json::array{1, "a"})).to_wire() == R"([1,"a"])");
  CHECK(agents::tool_output(json::object{{"t", 0.1}, {"w", 2.0}, {"city", "Zürich"}}).to_wire() ==
        R"({"t":0.1,"w":2.0,"city":"Zürich"})");
  CHECK(agents::tool_output::content(json::array{}).to_wire() == json::array{});

  agents::agent a;
  t.parameters = json::object{{"type", "object"}};
  a.tools.push_back(t);
  a.tools.push_back(
      agents::typed_tool<weather_args>("weather", "", [](weather_args) { return std::string(); }));
  REQUIRE(a.find_tool("weather") != nullptr);
  CHECK(a.find_tool("weather")->name == "weather");
  CHECK(a.find_tool("noop") == &a.tools[0]);
  CHECK(a.find_tool("missing") == nullptr);
}

TEST_CASE("run_context: usage, chatkit() without a bridge, violation reporting", "[agents][run_context]") {
  const auto caller = alice();
  agents::run_context run(caller);
  CHECK_FALSE(run.has_chatkit());
  CHECK_THROWS_AS(run.chatkit(), agents::user_error);

  chatkit::openai::usage u;
  u.input_tokens = 10;
  u.cached_tokens = 4;
  u.output_tokens = 5;
  u.reasoning_tokens = 2;
  u.total_tokens = 15;
  run.usage().add(u);
  run.usage().add(std::nullopt);
  run.usage().add(u);
  CHECK(run.usage().requests == 3);
  CHECK(run.usage().input_tokens == 20);
  CHECK(run.usage().cached_tokens == 8);
  CHECK(run.usage().output_tokens == 10);
  CHECK(run.usage().reasoning_tokens == 4);
  CHECK(run.usage().total_tokens == 30);
  REQUIRE(run.usage().per_request.size() == 3);
  CHECK(run.usage().per_request[1] == chatkit::openai::usage{});

  std::vector<std::string> seen;
  run.on_binding_violation = [&](const agents::binding_violation& v) {
    seen.push_back(std::string(v.tool) + ":" + std::string(v.parameter) + ":" + (v.overwritten ? "o" : "r") +
                   ":" + v.caller.user_id);
  };
  run.report(agents::binding_violation{"t", "user_id", true, caller});
  CHECK(seen == std::vector<std::string>{"t:user_id:o:alice"});
}
