// tool_builder's non-template parts.
#include <chatkit/agents/tool_builder.hpp>

namespace chatkit::agents {

namespace json = boost::json;

namespace detail {

void apply_param_option(json::object& schema, const enum_of& option) {
  if (option.values.empty()) throw user_error("enum_of needs at least one value");
  // Only string parameters: an enum on another type would be a second, silent type constraint.
  const json::value* t = schema.if_contains("type");
  bool nullable = false;
  bool is_string = false;
  if (t != nullptr && t->is_string()) {
    is_string = t->get_string() == "string";
  } else if (t != nullptr && t->is_array() && t->get_array().size() == 2) {
    const auto& a = t->get_array();
    is_string = a[0] == "string" && a[1] == "null";
    nullable = true;
  }
  if (!is_string)
    throw user_error("enum_of applies to std::string and std::optional<std::string> parameters only");
  json::array values;
  for (const std::string& v : option.values) values.emplace_back(v);
  if (nullable) values.emplace_back(nullptr);  // null stays allowed: enum restricts every value
  schema["enum"] = std::move(values);
}

void apply_param_option(json::object& schema, const schema_keywords& option) {
  for (const auto& [key, value] : option.keywords) schema[key] = value;
}

}  // namespace detail

tool_builder::tool_builder(std::string name, std::string description)
    : name_(std::move(name)), description_(std::move(description)) {
  if (!is_valid_tool_name(name_)) {
    throw user_error("invalid tool name \"" + name_ + "\": it must match [A-Za-z0-9_-]{1,64}");
  }
}

void tool_builder::add_param(std::string name, json::object schema) {
  if (name.empty()) throw user_error("tool \"" + name_ + "\": a parameter has no name");
  for (const parameter& p : params_) {
    if (p.name != name) continue;
    if (p.bound) {
      throw user_error("tool \"" + name_ + "\": parameter \"" + name +
                       "\" is already bound to the run context");
    }
    throw user_error("tool \"" + name_ + "\": duplicate parameter \"" + name + "\"");
  }
  params_.push_back(parameter{std::move(name), std::move(schema), false});
}

tool_builder& tool_builder::add_binding(context_binding binding, json::object schema) {
  if (binding.name.empty()) throw user_error("tool \"" + name_ + "\": a bound parameter has no name");
  if (!binding.binder) {
    throw user_error("tool \"" + name_ + "\": bound parameter \"" + binding.name + "\" has no binder");
  }
  for (const parameter& p : params_) {
    if (p.name != binding.name) continue;
    if (p.bound) throw user_error("tool \"" + name_ + "\": parameter \"" + p.name + "\" is bound twice");
    throw user_error("tool \"" + name_ + "\": bound parameter \"" + p.name +
                     "\" collides with a model parameter");
  }
  params_.push_back(parameter{binding.name, std::move(schema), true});
  bindings_.push_back(std::move(binding));
  return *this;
}

tool_builder& tool_builder::bind(std::string name, std::function<json::value(const run_context&)> binder) {
  return add_binding(context_binding{std::move(name), std::move(binder)}, json::object{});
}

tool_builder& tool_builder::bind(context_binding binding) {
  return add_binding(std::move(binding), json::object{});
}

tool_builder& tool_builder::bind_user_id(std::string name) {
  return add_binding(agents::bind_user_id(std::move(name)), json::object{{"type", "string"}});
}

tool_builder& tool_builder::bind_claim(std::string name, std::string claim) {
  return add_binding(agents::bind_claim(std::move(name), std::move(claim)), json::object{});
}

tool_builder& tool_builder::on_bound_argument(bound_argument_policy policy) {
  policy_ = policy;
  return *this;
}

json::object tool_builder::object_schema(bool with_bound) const {
  json::object properties;
  json::array required;
  for (const parameter& p : params_) {
    if (p.bound && !with_bound) continue;
    properties[p.name] = p.schema;
    required.emplace_back(p.name);
  }
  return {{"type", "object"},
          {"properties", std::move(properties)},
          {"required", std::move(required)},
          {"additionalProperties", false}};
}

json::object tool_builder::full_schema() const {
  return object_schema(true);
}
json::object tool_builder::model_schema() const {
  return object_schema(false);
}

function_tool tool_builder::finish(tool_handler invoke) const {
  function_tool tool;
  tool.name = name_;
  tool.description = description_;
  tool.parameters = full_schema();
  tool.strict = true;
  tool.invoke = std::move(invoke);
  tool.check();
  if (bindings_.empty()) return tool;
  return bind_context(std::move(tool), bindings_, policy_);
}

}  // namespace chatkit::agents
