// function_tool, tool_output and agent helpers.
#include <chatkit/agents/agent.hpp>
#include <chatkit/agents/tool.hpp>

#include <boost/json/serialize.hpp>

namespace chatkit::agents {

boost::json::value tool_output::to_wire() const {
  if (is_content || value.is_string()) return value;
  return boost::json::value(boost::json::serialize(value));
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
