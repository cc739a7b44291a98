// function_tool, tool_output and agent helpers.
#include <chatkit/agents/agent.hpp>
#include <chatkit/agents/json_schema.hpp>
#include <chatkit/agents/tool.hpp>

#include "agents/detail/python_json.hpp"

namespace chatkit::agents {

boost::json::value tool_output::to_wire() const {
  if (is_content || value.is_string()) return value;
  // Compact, UTF-8 as is, and numbers the way people write them (18.5, not Boost.JSON's 1.85E1): the model
  // reads this text.
  return boost::json::value(detail::python_json_dumps(value, {.ensure_ascii = false, .allow_nan = true, .compact = true}));
}

boost::json::object function_tool::to_responses_tool() const {
  return {{"type", "function"},
          {"name", name},
          {"description", description},
          {"parameters", parameters},
          {"strict", strict}};
}

void function_tool::check() const {
  if (!is_valid_tool_name(name)) {
    throw user_error("invalid tool name \"" + name + "\": it must match [A-Za-z0-9_-]{1,64}");
  }
  if (!invoke) throw user_error("tool \"" + name + "\" has no handler");
  const boost::json::value* type = parameters.if_contains("type");
  if (type == nullptr || !type->is_string() || type->get_string() != "object") {
    throw user_error("tool \"" + name +
                     "\": the parameters schema must be an object schema (\"type\": \"object\")");
  }
}

function_tool make_tool(std::string name, std::string description, boost::json::object schema, tool_handler handler,
                        bool strict) {
  if (!handler) throw user_error("tool \"" + name + "\" has no handler");
  function_tool t;
  t.name = std::move(name);
  t.description = std::move(description);
  t.strict = strict;
  t.parameters = strict ? to_strict_schema(std::move(schema)) : std::move(schema);
  // The handler and the schema are captured by value: a call in flight keeps them alive.
  t.invoke = [schema_copy = t.parameters, fn = std::move(handler)](tool_context& ctx, boost::json::object args)
      -> boost::asio::awaitable<tool_output> {
    if (auto violation = schema_violation(args, schema_copy)) throw tool_argument_error(*violation);
    return fn(ctx, std::move(args));
  };
  t.check();
  return t;
}

bool is_valid_tool_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

const function_tool* agent::find_tool(std::string_view tool_name) const noexcept {
  for (const function_tool& t : tools) {
    if (t.name == tool_name) return &t;
  }
  return nullptr;
}

}  // namespace chatkit::agents
