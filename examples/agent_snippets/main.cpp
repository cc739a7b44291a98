// Runs the snippets of docs/agents.md and docs/tools.md that need no network against replay_model and
// checks what the pages claim: the generated schema, the sentences the model is shown, the hook order.
// Registered as the test example_agent_snippets.
#include "snippets.hpp"

#include <chatkit/store/memory_store.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <cstdio>
#include <sstream>

namespace {

using namespace snippets;

int failures = 0;

void expect(bool ok, const std::string& what) {
  if (!ok) {
    ++failures;
    std::fprintf(stderr, "FAILED: %s\n", what.c_str());
  }
}

void expect_eq(const std::string& got, const std::string& want, const std::string& what) {
  expect(got == want, what + "\n  got:  " + got + "\n  want: " + want);
}

// The function_call_output the runner sent back for `call_id` (the next request's input).
std::string output_for(const replay_model& m, std::size_t request, std::string_view call_id) {
  if (request >= m.requests.size()) return "(no request " + std::to_string(request) + ")";
  for (const auto& item : m.requests[request].at("input").as_array()) {
    const auto& o = item.as_object();
    const json::value* type = o.if_contains("type");  // user messages have none
    if (type && *type == "function_call_output" && o.at("call_id").as_string() == call_id) {
      const auto& out = o.at("output");
      return out.is_string() ? std::string(out.get_string()) : json::serialize(out);
    }
  }
  return "(no output for " + std::string(call_id) + ")";
}

void check_schemas() {
  const auto add_task = add_task_tool();
  expect(json::value(add_task.parameters) == json::parse(add_task_schema_json),
         "typed_tool schema == docs: " + json::serialize(add_task.parameters));
  std::string order;
  for (const auto& p : add_task.parameters.at("properties").as_object()) order += std::string(p.key()) + " ";
  expect_eq(order, "title level due tags ", "property order");

  const auto orders = get_orders_tool();
  expect_eq(
      json::serialize(orders.parameters),
      R"({"type":"object","properties":{"status":{"type":"string","enum":["open","shipped"],)"
      R"("description":"Order status filter"},"limit":{"type":["integer","null"],"minimum":1,"maximum":50,)"
      R"("description":"Max results"}},"required":["status","limit"],"additionalProperties":false})",
      "builder schema");
  expect(orders.bound_parameters == std::vector<std::string>{"user_id"}, "builder bound parameters");

  const auto ticket = open_ticket_tool();
  expect_eq(json::serialize(ticket.parameters),
            R"({"type":"object","properties":{"subject":{"type":"string"}},"required":["subject"],)"
            R"("additionalProperties":false})",
            "bound typed tool schema");
}

asio::awaitable<void> check_runs() {
  chatkit::request_context alice;
  alice.user_id = "alice";
  alice.claims = {{"tenant", "acme"}, {"name", "Alice"}};

  // Tools, the error sentences of docs/tools.md, the printed stream and the hooks.
  {
    auto model = std::make_shared<replay_model>(std::vector<json::array>{
        {function_call_item("c1", "get_weather", R"({"city":"Paris"})"),
         function_call_item("c2", "add_task", R"({"title":5,"level":"normal","due":null,"tags":[]})"),
         function_call_item("c3", "add_task",
                            R"({"title":"Call Bob","level":"urgent","due":null,"tags":[]})"),
         function_call_item("c4", "add_task", R"({"title":"Call Bob","level":"high","due":null})"),
         function_call_item("c5", "add_task", R"({"title":"Call Bob")"),
         function_call_item("c6", "get_weather", R"({"city":""})")},
        {message_item("msg_1", "Paris is 18 C; I could not add the task.")}});
    std::ostringstream printed;
    const auto text = co_await ask(make_assistant({weather_tool(), add_task_tool()}), model, alice,
                                   "Weather in Paris? And remind me to call Bob.", printed);
    expect_eq(text, "Paris is 18 C; I could not add the task.", "final text");
    expect(printed.str().find(R"([get_weather: "{\"city\":\"Paris\",\"temp_c\":18}"])") != std::string::npos,
           "printed tool output: " + printed.str());
    expect_eq(output_for(*model, 1, "c1"), R"({"city":"Paris","temp_c":18})", "by-hand tool output");
    expect_eq(
        output_for(*model, 1, "c2"),
        "Tool call failed; fix the arguments and try again. Error: invalid arguments for tool add_task: "
        "$.title: expected string, got number",
        "type error sentence");
    expect_eq(
        output_for(*model, 1, "c3"),
        "Tool call failed; fix the arguments and try again. Error: invalid arguments for tool add_task: "
        "$.level: expected one of \"low\", \"normal\", \"high\"",
        "enum error sentence");
    expect_eq(
        output_for(*model, 1, "c4"),
        "Tool call failed; fix the arguments and try again. Error: invalid arguments for tool add_task: "
        "$: missing required property \"tags\"",
        "missing property sentence");
    expect(output_for(*model, 1, "c5")
               .starts_with("Tool argument parsing failed; call the tool again with valid JSON. Error: "),
           "invalid JSON sentence: " + output_for(*model, 1, "c5"));
    expect_eq(
        output_for(*model, 1, "c6"),
        "Tool call failed; fix the arguments and try again. Error: invalid arguments for tool get_weather: "
        "$.city: must be at least 1 characters long",
        "by-hand validation sentence");
  }

  // Binding: the model cannot set a bound parameter; a missing claim is "not authorized".
  {
    auto model = std::make_shared<replay_model>(std::vector<json::array>{
        {function_call_item("t1", "open_ticket", R"({"subject":"Printer"})"),
         function_call_item("t2", "open_ticket", R"({"subject":"Printer","user_id":"mallory"})")},
        {message_item("msg_1", "Done.")}});
    trace_hooks hooks;
    agents::run_context ctx(alice);
    std::vector<std::string> violations;
    ctx.on_binding_violation = [&](const agents::binding_violation& v) {
      violations.push_back(v.caller.user_id + " set " + std::string(v.parameter));
    };
    agents::run_options options;
    options.model = model;
    options.hooks = &hooks;
    const auto answer = co_await answer_or_apology(make_assistant({open_ticket_tool()}),
                                                   "My printer is broken.", ctx, options);
    expect_eq(answer, "Done.", "bound run answer");
    expect_eq(output_for(*model, 1, "t1"), "Opened a ticket about \"Printer\".", "bound call output");
    expect_eq(
        output_for(*model, 1, "t2"),
        "Tool call failed; fix the arguments and try again. Error: invalid arguments for tool open_ticket: "
        "parameter \"user_id\" is set by the server and cannot be supplied",
        "refusal sentence");
    expect(violations == std::vector<std::string>{"alice set user_id"}, "violation reported");
    expect(json::serialize(model->requests[0].at("tools")).find("user_id") == std::string::npos,
           "no user_id sent");
    // The refused call (t2) never reaches the hooks: they see only what the tool was allowed to run with.
    expect(hooks.lines.size() == 5, "hook lines: " + std::to_string(hooks.lines.size()));
    if (hooks.lines.size() == 5) {
      expect_eq(hooks.lines[0], "llm_start Assistant with 1 input items", "hook 0");
      expect_eq(hooks.lines[1], R"(tool_start open_ticket {"subject":"Printer"})", "hook 1");
      expect_eq(hooks.lines[4], R"(agent_end Assistant "Done." after 2 model calls)", "hook 4");
    }
    for (const auto& line : hooks.lines) expect(line.find("mallory") == std::string::npos, "no forged value");

    chatkit::request_context no_tenant;
    no_tenant.user_id = "bob";
    auto model2 = std::make_shared<replay_model>(
        std::vector<json::array>{{function_call_item("t3", "open_ticket", R"({"subject":"Printer"})")},
                                 {message_item("msg_2", "Sorry.")}});
    agents::run_context bob_ctx(no_tenant);
    agents::run_options options2;
    options2.model = model2;
    co_await answer_or_apology(make_assistant({open_ticket_tool()}), "Help", bob_ctx, options2);
    expect_eq(output_for(*model2, 1, "t3"), "Tool call failed; you may try again. Error: not authorized",
              "binder failure sentence");
  }

  // Errors: a model that never stops calling tools.
  {
    std::vector<json::array> script;
    for (int i = 0; i < 6; ++i)
      script.push_back({function_call_item("w" + std::to_string(i), "get_weather", R"({"city":"Oslo"})")});
    agents::run_context ctx(alice);
    agents::run_options options;
    options.model = std::make_shared<replay_model>(std::move(script));
    const auto answer =
        co_await answer_or_apology(make_assistant({weather_tool()}), "Weather?", ctx, std::move(options));
    expect_eq(answer, "I gave up after 6 steps.", "max turns");
  }

  // Two turns: the second run's input is the first run's history plus the new message.
  {
    auto model = std::make_shared<replay_model>(std::vector<json::array>{
        {function_call_item("a1", "add_task",
                            R"({"title":"water the plants","level":"normal","due":null,"tags":[]})")},
        {message_item("msg_1", "Added.")},
        {message_item("msg_2", "Water the plants.")}});
    const auto text = co_await two_turns(make_assistant({add_task_tool()}), model, alice);
    expect_eq(text, "Water the plants.", "two turns");
    // user, function_call, function_call_output, assistant message, user
    expect(model->requests.size() == 3 && model->requests[2].at("input").as_array().size() == 5,
           "second turn input");
  }

  // Dynamic instructions and the deadline helper (which does not fire here).
  {
    auto model =
        std::make_shared<replay_model>(std::vector<json::array>{{message_item("msg_1", "Hi Alice!")}});
    agents::run_context ctx(alice);
    agents::run_options options;
    options.model = model;
    auto run = agents::run_streamed(make_greeter(), "Hello", ctx, options);
    expect_eq(co_await ask_with_deadline(run, std::chrono::seconds(30)), "Hi Alice!", "deadline helper");
    expect(model->requests.size() == 1 &&
               model->requests[0].at("instructions") == "Greet Alice by name and answer briefly.",
           "dynamic instructions");
  }

  // The two servers build (tools checked, options valid).
  auto servers = make_servers(std::make_shared<chatkit::store::memory_store>(),
                              std::make_shared<replay_model>(std::vector<json::array>{}));
  expect(servers.size() == 2, "servers");
}

}  // namespace

int main() {
  check_schemas();
  // Constructing a model does no I/O: it only checks the options and starts its client's thread.
  expect(make_chat_model() != nullptr, "the Chat Completions model is constructed");
  asio::io_context ioc;
  auto done = asio::co_spawn(ioc, check_runs(), asio::use_future);
  ioc.run();
  try {
    done.get();
  } catch (const std::exception& e) {
    ++failures;
    std::fprintf(stderr, "FAILED: exception: %s\n", e.what());
  }
  if (failures) return 1;
  std::printf("agent_snippets: every documented behaviour checked\n");
  return 0;
}
