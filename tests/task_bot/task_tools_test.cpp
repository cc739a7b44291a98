// The six chat tools: bound to the caller (user_id is not in the schema the model sees, and a call that
// carries one is refused and reported), tasks named by id or unambiguous title, and never another user's.
#include "task_tools.hpp"
#include "memory_task_store.hpp"

#include <chatkit/agents/agent.hpp>
#include <chatkit/agents/run_context.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

using namespace task_bot;
namespace agents = chatkit::agents;
namespace json = boost::json;

namespace {

struct fixture {
  std::shared_ptr<task_event_bus> bus = std::make_shared<task_event_bus>();
  std::shared_ptr<task_service> tasks =
      std::make_shared<task_service>(std::make_shared<memory_task_store>(), bus);
  std::vector<agents::function_tool> tools = task_tools(tasks);

  const agents::function_tool& tool(std::string_view name) const {
    for (const auto& t : tools)
      if (t.name == name) return t;
    FAIL("no tool " << name);
    return tools.front();
  }

  // The tool's JSON answer for `user`, or the text of the error it raised ("error: ...").
  json::value call(std::string_view name, const std::string& user, const std::string& args,
                   std::vector<std::string>* violations = nullptr) {
    chatkit::request_context caller;
    caller.user_id = user;
    agents::run_context run(caller);
    if (violations)
      run.on_binding_violation = [violations](const agents::binding_violation& v) {
        violations->push_back(std::string(v.tool) + ":" + std::string(v.parameter) + ":" + v.caller.user_id);
      };
    agents::agent ag;
    ag.name = "test";
    const auto& t = tool(name);
    agents::tool_context ctx{run, ag, t.name, "call_1", args};
    boost::asio::io_context io;
    json::value out;
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> {
          try {
            auto o = co_await t.invoke(ctx, json::parse(args).as_object());
            out = o.value;
          } catch (const std::exception& e) {
            out = std::string("error: ") + e.what();
          }
        },
        boost::asio::detached);
    io.run();
    return out;
  }

  std::string message(std::string_view name, const std::string& user, const std::string& args) {
    auto v = call(name, user, args);
    if (v.is_string()) return std::string(v.get_string());
    return std::string(v.at("message").as_string());
  }
};

}  // namespace

TEST_CASE("tools: six tools, strict schemas without user_id", "[task_bot][tools]") {
  fixture f;
  std::vector<std::string> names;
  for (const auto& t : f.tools) {
    names.push_back(t.name);
    CHECK(t.strict);
    CHECK(json::serialize(t.parameters).find("user_id") == std::string::npos);
    CHECK(t.bound_parameters == std::vector<std::string>{"user_id"});
  }
  CHECK(names == std::vector<std::string>{"add_task", "list_tasks", "get_task", "update_task",
                                          "complete_task", "delete_task"});
}

TEST_CASE("tools: add, list, update, complete, delete for the caller", "[task_bot][tools]") {
  fixture f;
  auto added = f.call("add_task", "alice",
                      R"({"title":"buy milk","description":null,"priority":"high","due_date":"2026-12-01"})");
  CHECK(added.at("message").as_string() == R"(Added "buy milk" (pending, high priority, due 2026-12-01).)");
  const std::string id(added.at("task").at("id").as_string());

  auto listed = f.call("list_tasks", "alice", R"({"status":null,"priority":null,"search":"milk"})");
  CHECK(listed.at("tasks").as_array().size() == 1);

  CHECK(
      f.message(
          "update_task", "alice",
          R"({"task":"buy milk","title":null,"description":null,"status":null,"priority":"low","due_date":null})") ==
      R"(Updated "buy milk" (pending, low priority, due 2026-12-01).)");
  CHECK(f.message("complete_task", "alice", R"({"task":")" + id + R"("})") == R"(Completed "buy milk".)");
  CHECK(f.tasks->get("alice", id)->status == task_status::completed);
  CHECK(f.message("get_task", "alice", R"({"task":"BUY MILK"})") ==
        R"("buy milk" (completed, low priority, due 2026-12-01).)");
  CHECK(f.message("delete_task", "alice", R"({"task":"buy milk"})") == R"(Deleted "buy milk".)");
  CHECK(f.tasks->list("alice", {}).empty());
}

TEST_CASE("tools: a model that sends user_id is refused and the attempt is reported", "[task_bot][tools]") {
  fixture f;
  f.tasks->create("bob", {"bob's task", {}, task_status::pending, task_priority::medium, {}});
  std::vector<std::string> violations;
  auto out = f.call("list_tasks", "alice", R"({"status":null,"priority":null,"search":null,"user_id":"bob"})",
                    &violations);
  REQUIRE(out.is_string());
  CHECK(std::string(out.get_string()).find("user_id") != std::string::npos);
  CHECK(violations == std::vector<std::string>{"list_tasks:user_id:alice"});
  out = f.call("add_task", "alice",
               R"({"title":"x","description":null,"priority":null,"due_date":null,"user_id":"bob"})",
               &violations);
  CHECK(out.is_string());
  CHECK(f.tasks->list("bob", {}).size() == 1);
  CHECK(f.tasks->list("alice", {}).empty());
}

TEST_CASE("tools: unknown and ambiguous titles are answered with a sentence", "[task_bot][tools]") {
  fixture f;
  f.call("add_task", "alice", R"({"title":"call mom","description":null,"priority":null,"due_date":null})");
  f.call("add_task", "alice", R"({"title":"call dad","description":null,"priority":null,"due_date":null})");
  CHECK(f.message("complete_task", "alice", R"({"task":"water plants"})") ==
        R"(There is no task "water plants".)");
  const auto ambiguous = f.message("complete_task", "alice", R"({"task":"call"})");
  CHECK(ambiguous.starts_with(R"(Several tasks match "call": )"));
  CHECK(ambiguous.find("Which one do you mean?") != std::string::npos);
  // An exact title wins over substrings.
  f.call("add_task", "alice", R"({"title":"call","description":null,"priority":null,"due_date":null})");
  CHECK(f.message("complete_task", "alice", R"({"task":"call"})") == R"(Completed "call".)");
  for (const auto& t : f.tasks->list("alice", {}))
    CHECK((t.title == "call") == (t.status == task_status::completed));
}

TEST_CASE("tools: another user's task is never found, by title or id", "[task_bot][tools]") {
  fixture f;
  const auto mine =
      f.tasks->create("alice", {"buy milk", {}, task_status::pending, task_priority::medium, {}});
  CHECK(f.message("complete_task", "bob", R"({"task":"buy milk"})") == R"(There is no task "buy milk".)");
  CHECK(f.message("delete_task", "bob", R"({"task":")" + mine.id + R"("})") ==
        "There is no task \"" + mine.id + "\".");
  CHECK(f.message("list_tasks", "bob", R"({"status":null,"priority":null,"search":null})") ==
        "You have no matching tasks.");
  CHECK(f.tasks->get("alice", mine.id)->status == task_status::pending);
}

TEST_CASE("tools: bad input becomes a sentence naming the field", "[task_bot][tools]") {
  fixture f;
  CHECK(f.message("add_task", "alice",
                  R"({"title":"x","description":null,"priority":null,"due_date":"31/12/2026"})") ==
        "Could not add the task: due_date: must be a date written YYYY-MM-DD, or null.");
  CHECK(f.message("add_task", "alice",
                  R"({"title":"  ","description":null,"priority":null,"due_date":null})") ==
        "Could not add the task: title: must be 1 to 200 characters.");
  CHECK(f.tasks->list("alice", {}).empty());
}

TEST_CASE("tools: changes are published on the caller's bus channel only", "[task_bot][tools]") {
  fixture f;
  std::vector<std::string> alice_events, bob_events;
  auto a = f.bus->subscribe("alice", [&](const task_event* e) {
    if (e) alice_events.push_back(std::string(event_type(e->change)) + ":" + e->value.title);
  });
  auto b = f.bus->subscribe("bob", [&](const task_event* e) {
    if (e) bob_events.push_back(std::string(event_type(e->change)));
  });
  f.call("add_task", "alice", R"({"title":"buy milk","description":null,"priority":null,"due_date":null})");
  f.call("complete_task", "alice", R"({"task":"buy milk"})");
  f.call("delete_task", "alice", R"({"task":"buy milk"})");
  CHECK(alice_events ==
        std::vector<std::string>{"task.created:buy milk", "task.updated:buy milk", "task.deleted:buy milk"});
  CHECK(bob_events.empty());
}
