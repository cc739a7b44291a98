// The demo model's phrasebook (docs/task-bot.md#the-demo-model) and its Responses stream, without sockets.
#include "demo_phrasebook.hpp"
#include "demo_model.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

using namespace task_bot;
namespace json = boost::json;

namespace {

const auto today = std::chrono::sys_days(std::chrono::year(2026) / 11 / 29);

std::string call_of(std::string_view phrase) {
  auto c = interpret(phrase, today);
  if (!c) return "none";
  return c->name + " " + json::serialize(c->arguments);
}

}  // namespace

TEST_CASE("phrasebook: the documented phrases", "[task_bot][demo]") {
  CHECK(call_of("add a task to buy milk tomorrow, high priority") ==
        R"(add_task {"title":"buy milk","priority":"high","due_date":"2026-11-30"})");
  CHECK(call_of("add a task: call mom") == R"(add_task {"title":"call mom"})");
  CHECK(call_of("add a task to buy milk") == R"(add_task {"title":"buy milk"})");
  CHECK(call_of("Add task Pay rent due 2026-12-01") ==
        R"(add_task {"title":"Pay rent","due_date":"2026-12-01"})");
  CHECK(call_of("what are my tasks") == R"(list_tasks {})");
  CHECK(call_of("What are my tasks?") == R"(list_tasks {})");
  CHECK(call_of("list my completed tasks") == R"(list_tasks {"status":"completed"})");
  CHECK(call_of("show my pending tasks") == R"(list_tasks {"status":"pending"})");
  CHECK(call_of("complete buy milk") == R"(complete_task {"task":"buy milk"})");
  CHECK(call_of("mark call mom as done") == R"(complete_task {"task":"call mom"})");
  CHECK(call_of("change buy milk to low priority") == R"(update_task {"task":"buy milk","priority":"low"})");
  CHECK(call_of("rename buy milk to buy oat milk") ==
        R"(update_task {"task":"buy milk","title":"buy oat milk"})");
  CHECK(call_of("delete call mom") == R"(delete_task {"task":"call mom"})");
  CHECK(call_of("tell me a joke") == "none");
}

TEST_CASE("phrasebook: the variants docs/task-bot.md lists", "[task_bot][demo]") {
  CHECK(call_of("please create a task called pay rent") == R"(add_task {"title":"pay rent"})");
  CHECK(call_of("remember to water the plants") == R"(add_task {"title":"water the plants"})");
  CHECK(call_of("remind me to call mom today") == R"(add_task {"title":"call mom","due_date":"2026-11-29"})");
  CHECK(call_of("add a task to buy milk, priority low") ==
        R"(add_task {"title":"buy milk","priority":"low"})");
  CHECK(call_of("my tasks") == R"(list_tasks {})");
  CHECK(call_of("what do I have") == R"(list_tasks {})");
  CHECK(call_of("show my high priority tasks") == R"(list_tasks {"priority":"high"})");
  CHECK(call_of("I finished call mom") == R"(complete_task {"task":"call mom"})");
  CHECK(call_of("check off buy milk") == R"(complete_task {"task":"buy milk"})");
  CHECK(call_of("mark buy milk as pending") == R"(update_task {"task":"buy milk","status":"pending"})");
  CHECK(call_of("reopen buy milk") == R"(update_task {"task":"buy milk","status":"pending"})");
  CHECK(call_of("set buy milk to 2026-12-01") ==
        R"(update_task {"task":"buy milk","due_date":"2026-12-01"})");
  CHECK(call_of("move buy milk to tomorrow") == R"(update_task {"task":"buy milk","due_date":"2026-11-30"})");
  CHECK(call_of("make buy milk high priority") == R"(update_task {"task":"buy milk","priority":"high"})");
  CHECK(call_of("remove call mom") == R"(delete_task {"task":"call mom"})");
  CHECK(call_of("show buy milk") == R"(get_task {"task":"buy milk"})");
}

TEST_CASE("phrasebook: a request becomes calls with every parameter, then text from the outputs",
          "[task_bot][demo]") {
  const auto tools = json::parse(R"([{"type":"function","name":"add_task","parameters":{"type":"object",
      "properties":{"title":{},"description":{},"priority":{},"due_date":{}}}}])");
  json::object first{
      {"model", "demo"}, {"tools", tools}, {"input", json::parse(R"([{"type":"message","role":"user",
                         "content":[{"type":"input_text","text":"add a task: call mom"}]}])")}};
  auto r = demo_reply_for(first, today);
  REQUIRE(r.calls.size() == 1);
  CHECK(json::serialize(r.calls[0].arguments) ==
        R"({"title":"call mom","description":null,"priority":null,"due_date":null})");

  json::object second = first;
  auto& input = second["input"].as_array();
  input.push_back(
      json::parse(R"({"type":"function_call","call_id":"c1","name":"add_task","arguments":"{}"})"));
  input.push_back(json::parse(
      R"({"type":"function_call_output","call_id":"c1","output":"{\"message\":\"Added \\\"call mom\\\" (pending).\"}"})"));
  r = demo_reply_for(second, today);
  CHECK(r.calls.empty());
  CHECK(r.text == R"(Added "call mom" (pending).)");

  json::object unknown{{"input", json::parse(R"([{"role":"user","content":"sing"}])")}};
  CHECK(demo_reply_for(unknown, today).text == demo_help());
}

TEST_CASE("demo model: the Responses stream of a call and of a text", "[task_bot][demo]") {
  demo_reply calls;
  calls.calls.push_back({"list_tasks", {{"status", nullptr}}});
  const auto sse = responses_sse(calls, "demo");
  CHECK(sse.starts_with("event: response.created\ndata: "));
  CHECK(sse.find(R"("type":"response.function_call_arguments.done")") != std::string::npos);
  CHECK(sse.find(R"("name":"list_tasks")") != std::string::npos);
  CHECK(sse.find("event: response.completed\n") != std::string::npos);

  demo_reply text;
  text.text = "You have no matching tasks.";
  const auto t = responses_sse(text, "demo");
  CHECK(t.find(R"("type":"response.output_text.done")") != std::string::npos);
  CHECK(t.find(R"("text":"You have no matching tasks.")") != std::string::npos);
}
