// The task bot's /mcp over real sockets: the same bearer tokens as the app, the six tools bound to the
// signed-in user (no one reaches another user's tasks, a forged user_id is refused), and a change made over
// MCP reaching the dashboard's event stream.
#include "running_task_bot.hpp"

#include <boost/json/serialize.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace task_bot_test;
namespace json = boost::json;

namespace {

const std::string mcp_headers = "Accept: application/json, text/event-stream\r\n";

http_reply mcp_post(const running_task_bot& bot, const std::string& token, const json::object& message) {
  return http_call(bot.port(), "POST", "/mcp", json::serialize(message), token, mcp_headers);
}

json::value call_tool(const running_task_bot& bot, const std::string& token, const std::string& name,
                      json::object arguments) {
  auto r = mcp_post(bot, token,
                    {{"jsonrpc", "2.0"},
                     {"id", 1},
                     {"method", "tools/call"},
                     {"params", {{"name", name}, {"arguments", std::move(arguments)}}}});
  REQUIRE(r.status == 200);
  return r.json().at("result");
}

std::string text_of(const json::value& result) {
  return std::string(result.at("content").at(0).at("text").as_string());
}

}  // namespace

TEST_CASE("task bot /mcp: a valid token is required", "[task_bot][mcp]") {
  running_task_bot bot;
  const json::object list{{"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/list"}};
  auto none = mcp_post(bot, "", list);
  CHECK(none.status == 401);
  CHECK(none.has_header("WWW-Authenticate: Bearer"));
  auto forged = mcp_post(bot, "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5In0.c2lnbmF0dXJl", list);
  CHECK(forged.status == 401);

  auto ok = mcp_post(bot, bot.sign_in("alice"), list);
  REQUIRE(ok.status == 200);
  const json::value listed = ok.json();
  const auto& tools = listed.at("result").at("tools").as_array();
  CHECK(tools.size() == 6);
  for (const auto& t : tools) {
    CHECK_FALSE(t.at("inputSchema").at("properties").as_object().contains("user_id"));
  }
}

TEST_CASE("task bot /mcp: each user manages exactly their own tasks", "[task_bot][mcp]") {
  running_task_bot bot;
  const auto alice = bot.sign_in("alice");
  const auto bob = bot.sign_in("bob");

  auto added = call_tool(bot, alice, "add_task", {{"title", "water the plants"}});
  REQUIRE_FALSE(added.as_object().contains("isError"));
  const std::string id(added.at("structuredContent").at("task").at("id").as_string());

  auto bobs_list = call_tool(bot, bob, "list_tasks", {});
  CHECK(text_of(bobs_list).find("water the plants") == std::string::npos);
  auto alices_list = call_tool(bot, alice, "list_tasks", {});
  CHECK(text_of(alices_list).find("water the plants") != std::string::npos);

  // Bob names Alice's task by its id: for him it does not exist.
  CHECK(text_of(call_tool(bot, bob, "get_task", {{"task", id}})).find("water the plants") ==
        std::string::npos);
  call_tool(bot, bob, "complete_task", {{"task", id}});
  call_tool(bot, bob, "delete_task", {{"task", id}});
  auto still = bot.app->tasks().get("alice", id);
  REQUIRE(still);
  CHECK(still->status == task_bot::task_status::pending);

  // A client cannot choose whose tasks it touches.
  auto forged = call_tool(bot, bob, "delete_task", {{"task", id}, {"user_id", "alice"}});
  CHECK(forged.at("isError") == true);
  CHECK(text_of(forged).find("user_id") != std::string::npos);
  CHECK(bot.app->tasks().get("alice", id));

  auto completed = call_tool(bot, alice, "complete_task", {{"task", id}});
  CHECK_FALSE(completed.as_object().contains("isError"));
  CHECK(bot.app->tasks().get("alice", id)->status == task_bot::task_status::completed);
}

TEST_CASE("task bot /mcp: a change made over MCP reaches the dashboard stream", "[task_bot][mcp]") {
  running_task_bot bot;
  const auto alice = bot.sign_in("alice");
  sse_reader events(bot.port(), "/api/tasks/events", alice);
  REQUIRE(events.wait_for(": connected"));
  call_tool(bot, alice, "add_task", {{"title", "added from an IDE"}});
  CHECK(events.wait_for(R"("type":"task.created")"));
  CHECK(events.received().find("added from an IDE") != std::string::npos);
}
