// bind_context: the single mechanism for parameters the server fills from the run context (docs/tools.md#isolation-who-a-tool-acts-for).
#include <chatkit/agents/context_binding.hpp>

#include "agents/detail/tool_execution.hpp"

#include <chatkit/agents/json_schema.hpp>

#include <boost/asio/awaitable.hpp>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <utility>

namespace chatkit::agents {

namespace json = boost::json;

namespace {

struct bound_tool_state {
  tool_handler inner;
  std::vector<context_binding> bindings;
  bound_argument_policy policy;
};

[[noreturn]] void registration_error(const std::string& tool, const std::string& problem) {
  throw user_error("bind_context(" + tool + "): " + problem);
}

// Fails registration when `name` survives anywhere in the schema as a property or a required entry.
void reject_nested_mentions(const json::value& v, std::string_view name, const std::string& tool,
                            std::string& path) {
  if (v.is_array()) {
    const auto& a = v.get_array();
    for (std::size_t i = 0; i < a.size(); ++i) {
      const std::size_t base = path.size();
      detail::append_path_index(path, i);
      reject_nested_mentions(a[i], name, tool, path);
      path.resize(base);
    }
    return;
  }
  if (!v.is_object()) return;
  const auto& o = v.get_object();
  if (const json::value* props = o.if_contains("properties"); props != nullptr && props->is_object()) {
    if (props->get_object().contains(name)) {
      std::string where = path + ".properties";
      detail::append_path_key(where, name);
      registration_error(tool, "the schema still has a property named \"" + std::string(name) + "\" at " +
                                   where + "; the model could supply it");
    }
  }
  if (const json::value* req = o.if_contains("required"); req != nullptr && req->is_array()) {
    for (const auto& r : req->get_array()) {
      if (r.is_string() && r.get_string() == name) {
        registration_error(
            tool, "the schema still requires \"" + std::string(name) + "\" at " + path + ".required");
      }
    }
  }
  for (const auto& [key, sub] : o) {
    const std::size_t base = path.size();
    detail::append_path_key(path, key);
    reject_nested_mentions(sub, name, tool, path);
    path.resize(base);
  }
}

// Finds (and, when `strip`, removes) every member named in `names`, at any depth of `v`; `found` gets each
// name seen, once.
void find_bound_names(json::value& v, const std::vector<std::string>& names, bool strip,
                      std::vector<std::string>& found) {
  if (auto* a = v.if_array()) {
    for (auto& e : *a) find_bound_names(e, names, strip, found);
    return;
  }
  auto* o = v.if_object();
  if (o == nullptr) return;
  for (const auto& n : names) {
    if (!o->contains(n)) continue;
    if (std::find(found.begin(), found.end(), n) == found.end()) found.push_back(n);
    if (strip) o->erase(n);
  }
  for (auto& m : *o) find_bound_names(m.value(), names, strip, found);
}

boost::asio::awaitable<tool_output> invoke_bound(std::shared_ptr<const bound_tool_state> state,
                                                 tool_context& ctx, json::object args) {
  // The runner already screened the arguments before its hooks (detail::screen_bound_arguments); this is for
  // a tool invoked directly, and defense in depth: strict mode should keep the model from producing these.
  std::vector<std::string> names;
  for (const context_binding& b : state->bindings) names.push_back(b.name);
  json::value whole(std::move(args));
  const bool overwrite = state->policy == bound_argument_policy::overwrite;
  std::vector<std::string> found;
  find_bound_names(whole, names, overwrite, found);
  for (const auto& n : found) {
    ctx.run.report(binding_violation{ctx.tool_name, n, overwrite, ctx.caller()});
    if (!overwrite) throw tool_argument_error(bound_parameter_refusal(n));
  }
  args = std::move(whole.as_object());
  // Computed on every call from this call's run: a tool object is shared by all users' runs.
  for (const context_binding& b : state->bindings) {
    json::value bound;
    try {
      bound = b.binder(ctx.run);
    } catch (...) {
      // The binder's own message may name the caller or the missing claim; the model gets nothing of it.
      throw std::runtime_error("not authorized");
    }
    args[b.name] = std::move(bound);
  }
  co_return co_await state->inner(ctx, std::move(args));
}

}  // namespace

std::string bound_parameter_refusal(std::string_view parameter) {
  return "parameter \"" + std::string(parameter) + "\" is set by the server and cannot be supplied";
}

function_tool bind_context(function_tool inner, std::vector<context_binding> bindings,
                           bound_argument_policy policy) {
  if (!inner.invoke) registration_error(inner.name, "the tool has no handler");
  if (bindings.empty()) registration_error(inner.name, "no bindings given");

  json::object schema = inner.parameters;
  json::value* props_v = schema.if_contains("properties");
  json::object* props = props_v != nullptr && props_v->is_object() ? &props_v->get_object() : nullptr;
  json::value* req_v = schema.if_contains("required");

  for (std::size_t i = 0; i < bindings.size(); ++i) {
    const context_binding& b = bindings[i];
    if (b.name.empty()) registration_error(inner.name, "a bound parameter has no name");
    if (!b.binder) registration_error(inner.name, "bound parameter \"" + b.name + "\" has no binder");
    for (std::size_t j = 0; j < i; ++j) {
      if (bindings[j].name == b.name)
        registration_error(inner.name, "parameter \"" + b.name + "\" is bound twice");
    }
    if (props == nullptr || !props->contains(b.name)) {
      registration_error(inner.name, "\"" + b.name + "\" is not a parameter of the tool's schema");
    }
    props->erase(b.name);
    if (req_v != nullptr && req_v->is_array()) {
      auto& req = req_v->get_array();
      for (auto it = req.begin(); it != req.end();) {
        it = it->is_string() && it->get_string() == b.name ? req.erase(it) : it + 1;
      }
    }
  }
  for (const context_binding& b : bindings) {
    std::string path = "$";
    reject_nested_mentions(schema, b.name, inner.name, path);
  }

  function_tool outer = std::move(inner);
  outer.parameters = std::move(schema);
  for (const context_binding& b : bindings) outer.bound_parameters.push_back(b.name);
  outer.bound_policy = policy;
  auto state = std::make_shared<const bound_tool_state>(
      bound_tool_state{std::move(outer.invoke), std::move(bindings), policy});
  outer.invoke = [state](tool_context& ctx, json::object args) {
    return invoke_bound(state, ctx, std::move(args));
  };
  return outer;
}

namespace detail {

std::optional<std::string> screen_bound_arguments(const function_tool& tool, json::object& args,
                                                  const run_context& run, std::string_view tool_name,
                                                  bool& stripped) {
  stripped = false;
  if (tool.bound_parameters.empty()) return std::nullopt;
  const bool overwrite = tool.bound_policy == bound_argument_policy::overwrite;
  json::value whole(std::move(args));
  std::vector<std::string> found;
  find_bound_names(whole, tool.bound_parameters, overwrite, found);
  args = std::move(whole.as_object());
  for (const auto& n : found) {
    run.report(binding_violation{tool_name, n, overwrite, run.caller()});
    if (!overwrite) return bound_parameter_refusal(n);
  }
  stripped = !found.empty();
  return std::nullopt;
}

}  // namespace detail

context_binding bind_user_id(std::string name) {
  return {std::move(name), [](const run_context& run) -> json::value {
            const std::string& id = run.caller().user_id;
            if (id.empty()) throw std::runtime_error("the caller has no user id");
            return json::value(id);
          }};
}

context_binding bind_claim(std::string name, std::string claim) {
  return {std::move(name), [claim = std::move(claim)](const run_context& run) -> json::value {
            const json::value* v = run.caller().claims.if_contains(claim);
            if (v == nullptr || v->is_null()) throw std::runtime_error("the caller has no such claim");
            return *v;
          }};
}

}  // namespace chatkit::agents
