#include <chatkit/agents/tool_registry.hpp>

#include <chatkit/agents/error.hpp>

#include <algorithm>
#include <string>

namespace chatkit::agents {

tool_registry::tool_registry(std::vector<function_tool> tools) { add_all(std::move(tools)); }

void tool_registry::add(function_tool tool) {
  tool.check();
  if (contains(tool.name)) throw user_error("tool_registry: a tool named \"" + tool.name + "\" is already registered");
  tools_.push_back(std::move(tool));
  ++version_;
}

void tool_registry::add_all(std::vector<function_tool> tools) {
  // All or nothing: a duplicate anywhere leaves the registry as it was.
  tool_registry staged = *this;
  for (auto& t : tools) staged.add(std::move(t));
  staged.version_ = version_ + 1;
  *this = std::move(staged);
}

bool tool_registry::add_or_replace(function_tool tool) {
  tool.check();
  auto it = std::find_if(tools_.begin(), tools_.end(), [&](const function_tool& t) { return t.name == tool.name; });
  ++version_;
  if (it == tools_.end()) {
    tools_.push_back(std::move(tool));
    return false;
  }
  *it = std::move(tool);
  return true;
}

bool tool_registry::remove(std::string_view name) {
  auto it = std::find_if(tools_.begin(), tools_.end(), [&](const function_tool& t) { return t.name == name; });
  if (it == tools_.end()) return false;
  tools_.erase(it);
  ++version_;
  return true;
}

const function_tool* tool_registry::find(std::string_view name) const noexcept {
  for (const function_tool& t : tools_)
    if (t.name == name) return &t;
  return nullptr;
}

std::vector<std::string_view> tool_registry::names() const {
  std::vector<std::string_view> out;
  out.reserve(tools_.size());
  for (const function_tool& t : tools_) out.emplace_back(t.name);
  return out;
}

tool_registry tool_registry::bind(const std::vector<context_binding>& bindings, bound_argument_policy policy) const {
  tool_registry out;
  out.tools_.reserve(tools_.size());
  for (const function_tool& t : tools_) {
    std::vector<context_binding> applicable;
    const boost::json::value* props = t.parameters.if_contains("properties");
    for (const context_binding& b : bindings) {
      if (props != nullptr && props->is_object() && props->get_object().contains(b.name)) applicable.push_back(b);
    }
    out.tools_.push_back(applicable.empty() ? t : bind_context(t, std::move(applicable), policy));
  }
  out.version_ = version_ + 1;
  return out;
}

}  // namespace chatkit::agents
