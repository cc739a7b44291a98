// The task bot with an external MCP server (--mcp-stdio): full ChatKit turns over real sockets, the model
// played by the scripted OpenAI server, the tools of tests/mcp-peers/notes-server.mjs (keyed by user_id)
// imported and bound to the signed-in user. Each user sees only their own notes; a model that forges user_id
// is refused. Needs node and the installed peers (tests/mcp-peers); without them the case says so and checks
// nothing else.
#include "running_task_bot.hpp"
#include "unit/agents/agent_support.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

using namespace task_bot_test;
using chatkit::agents::test::request_bodies;
using chatkit::agents::test::text_answer;
using chatkit::agents::test::tool_calls;
using chatkit::openai::testing::exchange;
using chatkit::openai::testing::scripted_server;

namespace {

std::string create_thread(const std::string& text) {
  return R"({"type":"threads.create","params":{"input":{"content":[{"type":"input_text","text":")" + text +
         R"("}],"attachments":[],"inference_options":{}}}})";
}

std::filesystem::path notes_peer() {
  const char* src = std::getenv("CHATKIT_SOURCE_DIR");
  return std::filesystem::path(src ? src : ".") / "tests" / "mcp-peers" / "notes-server.mjs";
}

bool have_peers() {
  const auto dir = notes_peer().parent_path();
  return std::filesystem::exists(dir / "node_modules" / "@modelcontextprotocol") &&
         std::system("node --version > /dev/null 2>&1") == 0;
}

// The function_call_output the model received for `call_id`, from the recorded model requests.
std::string output_for(const scripted_server& s, const std::string& call_id) {
  for (const auto& body : request_bodies(s))
    if (auto* input = body.if_contains("input"); input && input->is_array())
      for (const auto& item : input->as_array())
        if (item.is_object() && item.as_object().contains("call_id") &&
            item.at("call_id") == boost::json::value(call_id) && item.at("type") == "function_call_output")
          return item.at("output").is_string() ? std::string(item.at("output").as_string())
                                               : boost::json::serialize(item.at("output"));
  return "(none)";
}

}  // namespace

TEST_CASE("mcp: imported MCP tools are bound to the signed-in user in ChatKit turns", "[task_bot][mcp]") {
  if (!have_peers()) {
    WARN("node or tests/mcp-peers/node_modules missing: the MCP part of the task bot is not exercised");
    return;
  }
  scripted_server openai;
  openai.add(exchange::sse(tool_calls("r1", {{"c1", "notes-peer__add_note", R"({"text":"alice's secret"})"}}),
                           "q1"));
  openai.add(exchange::sse(text_answer("r2", "m2", {"Saved."}), "q2"));
  openai.add(exchange::sse(tool_calls("r3", {{"c2", "notes-peer__list_notes", "{}"}}), "q3"));
  openai.add(exchange::sse(text_answer("r4", "m4", {"Nothing yet."}), "q4"));
  openai.add(
      exchange::sse(tool_calls("r5", {{"c3", "notes-peer__list_notes", R"({"user_id":"alice"})"}}), "q5"));
  openai.add(exchange::sse(text_answer("r6", "m6", {"Refused."}), "q6"));
  openai.add(exchange::sse(tool_calls("r7", {{"c4", "notes-peer__list_notes", "{}"}}), "q7"));
  openai.add(exchange::sse(text_answer("r8", "m8", {"Here they are."}), "q8"));

  auto config = test_config();
  config.demo_model = false;
  config.openai_api_key = "test-key";
  config.openai_base_url = openai.base_url();
  config.mcp_stdio = {"node " + notes_peer().string()};
  running_task_bot bot(config);
  const auto alice = bot.sign_in("alice");
  const auto bob = bot.sign_in("bob");

  auto r1 = http_call(bot.port(), "POST", "/chatkit", create_thread("remember my secret"), alice);
  CHECK(r1.body.find("Saved.") != std::string::npos);
  auto r2 = http_call(bot.port(), "POST", "/chatkit", create_thread("my notes?"), bob);
  CHECK(r2.body.find("Nothing yet.") != std::string::npos);
  auto r3 = http_call(bot.port(), "POST", "/chatkit", create_thread("alice's notes?"), bob);
  CHECK(r3.body.find("Refused.") != std::string::npos);
  auto r4 = http_call(bot.port(), "POST", "/chatkit", create_thread("my notes?"), alice);
  CHECK(r4.body.find("Here they are.") != std::string::npos);

  // What the MCP tools answered, as the model received it.
  CHECK(output_for(openai, "c1") == "saved (1 notes)");
  CHECK(output_for(openai, "c2") == "[]");  // bob sees none of alice's notes
  CHECK(output_for(openai, "c3").find("parameter \"user_id\" is set by the server and cannot be supplied") !=
        std::string::npos);
  CHECK(output_for(openai, "c3").find("secret") == std::string::npos);
  CHECK(output_for(openai, "c4") == "[\"alice's secret\"]");
  // The model never saw a user_id parameter, in the MCP tools or the task tools.
  for (const auto& body : request_bodies(openai))
    if (auto* tools = body.if_contains("tools"))
      CHECK(boost::json::serialize(*tools).find("user_id") == std::string::npos);
}
