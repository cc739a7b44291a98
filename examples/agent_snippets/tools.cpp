// docs/tools.md: the three ways to declare a tool, binding, timeouts and error sentences.
#include "snippets.hpp"

#include <chatkit/agents/context_binding.hpp>
#include <chatkit/agents/error.hpp>
#include <chatkit/agents/tool_builder.hpp>
#include <chatkit/agents/typed_tool.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>

namespace snippets {

namespace {

// [weather_schema]
const json::object& weather_schema() {
  // to_strict_schema adds additionalProperties:false and required = every property (strict mode).
  static const json::object schema = agents::to_strict_schema(
      json::parse(R"({"type":"object","properties":{"city":{"type":"string","minLength":1}}})").as_object());
  return schema;
}
// [weather_schema]

std::string next_task_id() {
  static std::atomic<int> n{0};
  return "task_" + std::to_string(++n);
}

}  // namespace

// [by_hand]
agents::function_tool weather_tool() {
  agents::function_tool t;
  t.name = "get_weather";
  t.description = "Current weather for a city.";
  t.parameters = weather_schema();
  // No captures: the handler's coroutine must not depend on the std::function that started it.
  t.invoke = [](agents::tool_context&, json::object args) -> asio::awaitable<agents::tool_output> {
    // A hand-written tool validates its own arguments; tool_argument_error goes back to the model.
    if (auto violation = agents::schema_violation(args, weather_schema()))
      throw agents::tool_argument_error(*violation);
    const std::string city(args.at("city").as_string());
    co_return json::object{{"city", city}, {"temp_c", 18}};  // sent as {"city":"Paris","temp_c":18}
  };
  t.check();  // throws agents::user_error for a bad name, no handler or a non-object schema
  return t;
}
// [by_hand]

// [typed_tool]
agents::function_tool add_task_tool() {
  return agents::typed_tool<add_task_args>(
      "add_task", "Add a task to the list.",
      [](add_task_args a, agents::tool_context& c) -> asio::awaitable<task> {
        // `a` is validated and decoded; c.call_id, c.caller(), c.run.chatkit() are there when needed.
        (void)c;
        co_return task{next_task_id(), std::move(a.title), a.level};  // a described struct: sent as JSON
      });
}
// [typed_tool]

// [generated_schema]
const char* const add_task_schema_json = R"({
  "type": "object",
  "properties": {
    "title": {"type": "string", "description": "What needs doing"},
    "level": {"type": "string", "enum": ["low", "normal", "high"]},
    "due":   {"type": ["string", "null"], "description": "Due date as YYYY-MM-DD, or null"},
    "tags":  {"type": "array", "items": {"type": "string"}}
  },
  "required": ["title", "level", "due", "tags"],
  "additionalProperties": false
})";
// [generated_schema]

// [builder]
agents::function_tool get_orders_tool() {
  return agents::tool_builder("get_orders", "List the signed-in user's orders.")
      .param<std::string>("status", "Order status filter", agents::enum_of({"open", "shipped"}))
      .param<std::optional<int>>("limit", "Max results",
                                 agents::schema_keywords({{"minimum", 1}, {"maximum", 50}}))
      .bind_user_id()  // "user_id" = the caller's id; not in the schema the model sees
      .handler([](const agents::tool_args& a) -> json::value {
        const auto status = a.get<std::string>("status");
        const auto limit = a.get<std::optional<int>>("limit").value_or(10);
        const auto user = a.get<std::string>("user_id");
        // A real tool queries its database WHERE user_id = user; this one reports what it would ask.
        return json::object{{"status", status}, {"limit", limit}, {"for", user}};
      });
}
// [builder]

// [bind_context]
agents::function_tool open_ticket_tool() {
  auto inner = agents::typed_tool<open_ticket_args>("open_ticket", "Open a support ticket.",
                                                    [](open_ticket_args a) -> std::string {
                                                      // a.user_id and a.tenant come from the authenticated
                                                      // request of THIS call: file the ticket under them.
                                                      return "Opened a ticket about \"" + a.subject + "\".";
                                                    });
  // The model sees {"subject"} only; a call that still names user_id or tenant is refused.
  return agents::bind_context(std::move(inner),
                              {agents::bind_user_id(), agents::bind_claim("tenant", "tenant")});
}
// [bind_context]

// [timeouts]
agents::function_tool slow_lookup_tool() {
  agents::function_tool t =
      agents::tool_builder("lookup", "Look a word up in the slow dictionary.")
          .param<std::string>("word", "The word")
          .handler([](const agents::tool_args& a) -> asio::awaitable<std::string> {
            asio::steady_timer wait(co_await asio::this_coro::executor, std::chrono::seconds(30));
            co_await wait.async_wait(asio::use_awaitable);
            co_return a.get<std::string>("word") + ": (definition)";
          });
  t.timeout = std::chrono::seconds(5);  // per call
  t.on_timeout =
      agents::timeout_behavior::error_as_result;  // the model reads "Tool 'lookup' timed out after 5 s."
  t.on_failure = agents::failure_mode::report_to_model;  // exceptions become a sentence for the model
  return t;
}
// [timeouts]

// [tool_error_formatter]
agents::run_options quiet_tool_errors(agents::run_options options) {
  // Exception texts go to the model by default; this keeps them in the logs instead.
  options.tool_error_formatter = [](const agents::tool_failure& f) {
    if (f.kind == agents::tool_failure_kind::exception)
      return "The tool " + std::string(f.tool_name) + " failed.";
    return agents::default_tool_error_message(f);
  };
  return options;
}
// [tool_error_formatter]

}  // namespace snippets
