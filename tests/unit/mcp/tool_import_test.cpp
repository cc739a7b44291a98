// Importing MCP tools as function_tools: names, filters, the result mapping, and user-context binding proven
// through whole agent runs (the scripted OpenAI server plays the model) against a real MCP peer keyed by
// user_id.
#include <chatkit/mcp/tool_import.hpp>

#include "unit/agents/agent_support.hpp"
#include "unit/mcp/peers.hpp"

#include <chatkit/agents/tool_registry.hpp>

using namespace chatkit;
using namespace chatkit::mcp::testing;
namespace asio = boost::asio;
namespace json = boost::json;
using agents::test::call_spec;
using agents::test::model_for;
using agents::test::request_bodies;
using agents::test::scripted_server;
using agents::test::text_answer;
using agents::test::tool_calls;
using chatkit::testing::run_sync;
using openai::testing::exchange;

TEST_CASE("import: SDK names are prefixed, sanitised and stay distinct", "[mcp][import]") {
  CHECK(mcp::sdk_tool_name("fs", "read_file") == "fs__read_file");
  CHECK(mcp::sdk_tool_name("", "echo") == "echo");
  CHECK(mcp::sdk_tool_name("my server", "get.thing/v2") == "my_server__get_thing_v2");
  const std::string long_a = mcp::sdk_tool_name("alias", std::string(80, 'a') + "1");
  const std::string long_b = mcp::sdk_tool_name("alias", std::string(80, 'a') + "2");
  CHECK(long_a.size() == 64);
  CHECK(long_b.size() == 64);
  CHECK(long_a != long_b);
  CHECK(agents::is_valid_tool_name(long_a));
}

TEST_CASE("import: the result mapping", "[mcp][import]") {
  auto r = mcp::parse_call_result(json::parse(R"({"content":[
      {"type":"text","text":"hello"},
      {"type":"audio","data":"AAAA","mimeType":"audio/wav"},
      {"type":"resource_link","uri":"file:///a.txt","name":"a.txt"},
      {"type":"resource","resource":{"uri":"mem://x","mimeType":"text/plain","text":"embedded"}},
      {"type":"resource","resource":{"uri":"mem://y","mimeType":"application/gzip","blob":"AAAAAAAA"}},
      {"type":"hologram"}]})")
                                      .as_object());
  auto out = mcp::to_tool_output(r);
  REQUIRE(out.value.is_string());
  CHECK(out.value.as_string() ==
        "hello\n[audio, audio/wav, 3 bytes]\n[resource link: a.txt file:///a.txt]\nembedded\n"
        "[resource mem://y, application/gzip, 6 bytes]\n[hologram content]");

  auto structured =
      mcp::parse_call_result(json::parse(R"({"content":[],"structuredContent":{"sum":42}})").as_object());
  CHECK(mcp::to_tool_output(structured).value == "{\"sum\":42}");

  auto image = mcp::parse_call_result(
      json::parse(
          R"({"content":[{"type":"text","text":"look"},{"type":"image","data":"iVBO","mimeType":"image/png"}]})")
          .as_object());
  auto parts = mcp::to_tool_output(image);
  REQUIRE(parts.is_content);
  CHECK(parts.value.as_array().at(0).at("type") == "input_text");
  CHECK(parts.value.as_array().at(1).at("image_url") == "data:image/png;base64,iVBO");
  mcp::import_options no_images;
  no_images.images_as_input = false;
  CHECK(mcp::to_tool_output(image, no_images).value == "look\n[image, image/png, 3 bytes]");

  mcp::import_options small;
  small.max_output_bytes = 10;
  auto big = mcp::parse_call_result(
      json::parse(R"({"content":[{"type":"text","text":"0123456789abcdef"}]})").as_object());
  const std::string cut(mcp::to_tool_output(big, small).value.as_string());
  CHECK(cut.rfind("0123456789\n[output truncated", 0) == 0);
}

namespace {

mcp::stdio_server notes_server() {
  skip_unless_peers();
  return mcp::stdio_server({node_binary(), (peers_dir() / "notes-server.mjs").string()});
}

agents::agent notes_agent(std::vector<agents::function_tool> tools) {
  agents::agent a;
  a.name = "Notes";
  a.instructions = std::string("Keep notes.");
  a.model = "gpt-test";
  a.tools = std::move(tools);
  return a;
}

struct turn_result {
  std::vector<std::string> outputs;  // the function_call_output texts of the run
  std::string final_text;
};

// Runs one agent turn for `user` and collects what the tools answered.
asio::awaitable<turn_result> turn(agents::agent a, std::shared_ptr<agents::model> model, std::string user,
                                  std::vector<std::string>* violation_params = nullptr) {
  request_context caller;
  caller.user_id = std::move(user);
  agents::run_context ctx(caller);
  ctx.on_binding_violation = [&](const agents::binding_violation& v) {
    if (violation_params) violation_params->push_back(std::string(v.parameter) + "@" + v.caller.user_id);
  };
  auto run = agents::run_streamed(std::move(a), "go", ctx, {.model = model});
  turn_result out;
  while (auto ev = co_await run.next()) {
    if (auto* item = std::get_if<agents::run_item_event>(&*ev)) {
      if (item->item->type == agents::run_item_type::tool_call_output)
        out.outputs.push_back(item->item->output.value.is_string()
                                  ? std::string(item->item->output.value.as_string())
                                  : json::serialize(item->item->output.value));
    }
  }
  out.final_text = run.final_text();
  co_return out;
}

}  // namespace

TEST_CASE("import: tools bound to the caller, through agent runs for two users",
          "[mcp][import][binding][peers]") {
  auto server_params = notes_server();
  asio::io_context ioc;
  scripted_server openai;
  openai.add(
      exchange::sse(tool_calls("r1", {{"c1", "notes__add_note", R"({"text":"alice's secret"})"}}), "q1"));
  openai.add(exchange::sse(text_answer("r2", "m2", {"Saved."}), "q2"));
  openai.add(exchange::sse(tool_calls("r3", {{"c2", "notes__list_notes", "{}"}}), "q3"));
  openai.add(exchange::sse(text_answer("r4", "m4", {"Nothing."}), "q4"));
  openai.add(exchange::sse(tool_calls("r5", {{"c3", "notes__list_notes", R"({"user_id":"alice"})"}}), "q5"));
  openai.add(exchange::sse(text_answer("r6", "m6", {"Refused."}), "q6"));
  openai.add(exchange::sse(tool_calls("r7", {{"c4", "notes__list_notes", "{}"}}), "q7"));
  openai.add(exchange::sse(text_answer("r8", "m8", {"Yours."}), "q8"));
  auto model = model_for(ioc, openai);

  run_sync(ioc, [&]() -> asio::awaitable<void> {
    auto server = co_await mcp::client::connect(server_params);
    agents::tool_registry registry;
    mcp::import_options options;
    options.alias = "notes";
    options.deny = {"whoami"};
    options.bindings = {agents::bind_user_id()};
    auto imported = co_await mcp::register_tools(registry, server, options);  // one call
    CHECK(registry.size() == 2);
    CHECK(imported.mcp_name.at("notes__add_note") == "add_note");
    CHECK(imported.skipped.size() == 1);
    for (const auto& t : registry.tools()) {
      CHECK(t.bound_parameters == std::vector<std::string>{"user_id"});
      CHECK(json::serialize(t.to_responses_tool()).find("user_id") == std::string::npos);
      CHECK_FALSE(t.strict);
    }

    // alice adds a note: user_id is hers, injected on the call.
    auto alice = co_await turn(notes_agent(registry.tools()), model, "alice");
    REQUIRE(alice.outputs.size() == 1);
    CHECK(alice.outputs[0] == "saved (1 notes)");

    // bob lists: he sees only his (none).
    auto bob = co_await turn(notes_agent(registry.tools()), model, "bob");
    REQUIRE(bob.outputs.size() == 1);
    CHECK(bob.outputs[0] == "[]");

    // bob's model forges user_id = alice: refused, reported, the server never asked.
    std::vector<std::string> violations;
    auto forged = co_await turn(notes_agent(registry.tools()), model, "bob", &violations);
    REQUIRE(forged.outputs.size() == 1);
    CHECK(forged.outputs[0].find("parameter \"user_id\" is set by the server and cannot be supplied") !=
          std::string::npos);
    CHECK(forged.outputs[0].find("secret") == std::string::npos);
    CHECK(violations == std::vector<std::string>{"user_id@bob"});

    // alice lists: her note.
    auto alice_list = co_await turn(notes_agent(registry.tools()), model, "alice");
    REQUIRE(alice_list.outputs.size() == 1);
    CHECK(alice_list.outputs[0] == "[\"alice's secret\"]");
    co_await server->close();
  }());

  // No model request ever showed user_id in a tool schema.
  for (const auto& body : request_bodies(openai))
    if (auto* tools = body.if_contains("tools"))
      CHECK(json::serialize(*tools).find("user_id") == std::string::npos);
}

TEST_CASE("import: isError and JSON-RPC errors become sentences for the model", "[mcp][import][peers]") {
  skip_unless_peers();
  asio::io_context ioc;
  run_sync(ioc, [&]() -> asio::awaitable<void> {
    auto server = co_await mcp::client::connect(
        mcp::stdio_server({node_binary(), (peers_dir() / "v2-server.mjs").string()}));
    mcp::import_options o;
    o.alias = "v2";
    auto imported = co_await mcp::import_tools(server, o);
    REQUIRE(imported.tools.size() == 2);
    const agents::function_tool* add = nullptr;
    for (const auto& t : imported.tools)
      if (t.name == "v2__add") add = &t;
    REQUIRE(add);
    request_context caller;
    caller.user_id = "u";
    agents::run_context ctx(caller);
    agents::agent a = notes_agent({});
    agents::tool_context tc{ctx, a, add->name, "call", "{}"};
    auto ok = co_await add->invoke(tc, json::object{{"a", 1}, {"b", 2}});
    CHECK(ok.value == "3");
    try {
      co_await add->invoke(tc, json::object{{"a", "x"}});
      FAIL("no error");
    } catch (const agents::tool_argument_error& e) {
      CHECK(std::string(e.what()).find("Input validation error") != std::string::npos);
    }
    co_await server->close();
    try {
      co_await add->invoke(tc, json::object{{"a", 1}, {"b", 2}});
      FAIL("no error");
    } catch (const mcp::mcp_error& e) {
      CHECK(e.code_value() == mcp::errc::connection_closed);  // a transport failure stays an error
    }
  }());
}
