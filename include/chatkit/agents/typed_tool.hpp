// typed_tool — a function_tool whose arguments are a described C++ struct (docs/tools.md#from-a-described-struct-typed_tool):
//
//   struct add_task_args {
//     std::string title;
//     std::optional<int> priority;
//     static constexpr agents::field_doc field_docs[] = {{"title", "The task title"}};
//   };
//   BOOST_DESCRIBE_STRUCT(add_task_args, (), (title, priority))
//
//   auto add_task = agents::typed_tool<add_task_args>(
//       "add_task", "Add a task to the list.",
//       [](add_task_args a, agents::tool_context& ctx) -> boost::asio::awaitable<std::string> { ... });
//
// The schema is json_schema_for<Args>() (strict). Each call validates the argument object against it (the
// first violation becomes a tool_argument_error the model sees, e.g. `$.priority: expected integer or
// null, got string`), decodes Args and calls the handler. Handlers take (Args, tool_context&) or (Args)
// and return tool_output, std::string, boost::json::value/object or a described struct (sent as JSON),
// plain or as an awaitable. To fill a field such as user_id from the caller, pass bindings (the overload
// below, which is bind_context(typed_tool(...), bindings) in one step):
//
//   auto list_tasks = agents::typed_tool<list_tasks_args>("list_tasks", "...", handler, {agents::bind_user_id()});
#pragma once

#include <chatkit/agents/context_binding.hpp>
#include <chatkit/agents/detail/tool_invoke.hpp>
#include <chatkit/agents/error.hpp>
#include <chatkit/agents/json_schema.hpp>
#include <chatkit/agents/tool.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace chatkit::agents {

namespace detail {

template <class Args, class Handler>
struct typed_tool_state {
  boost::json::object schema;  // the full schema, kept here: wrappers may change the tool's `parameters`
  Handler handler;
};

template <class Args, class Handler>
boost::asio::awaitable<tool_output> invoke_typed(std::shared_ptr<typed_tool_state<Args, Handler>> state,
                                                 tool_context& ctx, boost::json::object args) {
  const boost::json::value v(std::move(args));
  if (auto violation = schema_violation(v, state->schema)) throw tool_argument_error(*violation);
  Args decoded = decode_arguments<Args>(v);
  co_return co_await run_handler(state->handler, decoded, ctx);
}

}  // namespace detail

template <class Args, class Handler>
function_tool typed_tool(std::string name, std::string description, Handler handler) {
  static_assert(
      detail::described_struct<Args>,
      "typed_tool<Args>: Args must be a struct described with BOOST_DESCRIBE_STRUCT (the arguments are "
      "a JSON object)");
  detail::check_handler_signature<Handler, Args>();

  function_tool tool;
  tool.name = std::move(name);
  tool.description = std::move(description);
  tool.parameters = json_schema_for<Args>();
  tool.strict = true;
  auto state = std::make_shared<detail::typed_tool_state<Args, Handler>>(
      detail::typed_tool_state<Args, Handler>{tool.parameters, std::move(handler)});
  // A plain lambda that starts a coroutine owning `state`: the coroutine must not depend on this lambda
  // (the std::function holding it may be copied or destroyed while a call is in flight).
  tool.invoke = [state](tool_context& ctx, boost::json::object args) {
    return detail::invoke_typed<Args, Handler>(state, ctx, std::move(args));
  };
  tool.check();
  return tool;
}

// The same, with struct fields bound to the caller (bind_user_id(), bind_claim(), your own binders): they
// leave the schema the model sees and are filled from the run context on every call.
template <class Args, class Handler>
function_tool typed_tool(std::string name, std::string description, Handler handler,
                         std::vector<context_binding> bindings,
                         bound_argument_policy policy = bound_argument_policy::refuse) {
  return bind_context(typed_tool<Args>(std::move(name), std::move(description), std::move(handler)),
                      std::move(bindings), policy);
}

}  // namespace chatkit::agents
