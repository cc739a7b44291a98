// tool_builder — declares a tool parameter by parameter (docs/tools.md#parameter-by-parameter-tool_builder), for tools that have
// no argument struct. Each parameter is either shown to the model (param) or bound: hidden from the model
// and filled from the run context at call time (bind, bind_user_id, bind_claim).
//
//   auto get_orders = agents::tool_builder("get_orders", "List the signed-in user's orders.")
//       .param<std::string>("status", "Order status filter", agents::enum_of({"open", "shipped"}))
//       .param<std::optional<int>>("limit", "Max results")   // strict: nullable, still required
//       .bind_user_id()                                      // "user_id" = run.caller().user_id
//       .handler([](const agents::tool_args& a, agents::tool_context& c) ->
//       boost::asio::awaitable<agents::tool_output> {
//         auto status = a.get<std::string>("status");
//         auto user = a.get<std::string>("user_id");
//         ...
//       });
//
// The model sees {"status", "limit"} only. Bound parameters are implemented by bind_context() on the
// tool with the full schema, so builder tools and wrapped MCP tools follow the same rules (refusal of a
// model-supplied bound name, "not authorized" on binder failure, values computed per call).
// Registration mistakes throw user_error at the offending call.
#pragma once

#include <chatkit/agents/context_binding.hpp>
#include <chatkit/agents/detail/tool_invoke.hpp>
#include <chatkit/agents/error.hpp>
#include <chatkit/agents/json_schema.hpp>
#include <chatkit/agents/tool.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chatkit::agents {

// Parameter option: the allowed values of a string parameter (std::string or std::optional<std::string>).
struct enum_of {
  std::vector<std::string> values;
  enum_of(std::initializer_list<std::string_view> allowed) : values(allowed.begin(), allowed.end()) {}
};

// Parameter option: extra JSON Schema keywords merged into the parameter's schema, e.g.
// schema_keywords({{"minimum", 1}, {"maximum", 100}}). Calls are validated against them.
struct schema_keywords {
  boost::json::object keywords;
  explicit schema_keywords(boost::json::object k) : keywords(std::move(k)) {}
};

// The arguments a builder tool's handler receives: the model's values plus the bound ones.
class tool_args {
 public:
  tool_args() = default;
  explicit tool_args(boost::json::object values) : values_(std::move(values)) {}

  // Decodes one argument as T (the types of json_schema.hpp, or boost::json::value). A missing argument
  // reads as an empty optional; otherwise every mismatch throws tool_argument_error with a path message.
  template <class T>
  T get(std::string_view name) const {
    const boost::json::value* v = values_.if_contains(name);
    if (v == nullptr) {
      if constexpr (detail::is_optional<T>::value) {
        return T{};
      } else {
        detail::throw_argument_error("$", "missing required property \"" + std::string(name) + "\"");
      }
    }
    std::string path = "$";
    detail::append_path_key(path, name);
    return detail::decode_at<T>(*v, path);
  }

  bool contains(std::string_view name) const noexcept { return values_.contains(name); }
  const boost::json::object& json() const noexcept { return values_; }

 private:
  boost::json::object values_;
};

namespace detail {

void apply_param_option(boost::json::object& schema, const enum_of& option);
void apply_param_option(boost::json::object& schema, const schema_keywords& option);

template <class Handler>
struct built_tool_state {
  boost::json::object schema;  // the full schema (model and bound parameters)
  Handler handler;
};

template <class Handler>
boost::asio::awaitable<tool_output> invoke_built(std::shared_ptr<built_tool_state<Handler>> state,
                                                 tool_context& ctx, boost::json::object args) {
  const boost::json::value v(std::move(args));
  if (auto violation = schema_violation(v, state->schema)) throw tool_argument_error(*violation);
  tool_args decoded(v.get_object());
  co_return co_await run_handler(state->handler, decoded, ctx);
}

}  // namespace detail

class tool_builder {
 public:
  // Throws user_error when `name` does not match [A-Za-z0-9_-]{1,64}.
  tool_builder(std::string name, std::string description);

  // A parameter the model supplies. Its schema is json_schema_for<T>() plus the options (enum_of,
  // schema_keywords) and the description. Throws user_error when the name is empty or already used.
  template <class T, class... Options>
  tool_builder& param(std::string name, std::string description, const Options&... options) {
    boost::json::object schema = json_schema_for<T>();
    (detail::apply_param_option(schema, options), ...);
    if (!description.empty()) schema["description"] = description;
    add_param(std::move(name), std::move(schema));
    return *this;
  }

  // A bound parameter of any JSON value. Throws user_error when the binder is empty or the name is used.
  tool_builder& bind(std::string name, std::function<boost::json::value(const run_context&)> binder);
  tool_builder& bind(context_binding binding);
  // A bound parameter of type T: `binder(run)` returns a T, sent to the handler as its JSON form and
  // checked against json_schema_for<T>() like any argument.
  template <class T, class F>
  tool_builder& bind(std::string name, F binder) {
    static_assert(std::is_invocable_v<F&, const run_context&>,
                  "a binder is called as binder(const run_context&)");
    std::function<boost::json::value(const run_context&)> erased;
    erased = [f = std::move(binder)](const run_context& run) -> boost::json::value {
      return encode_value<T>(f(run));
    };
    return add_binding(context_binding{std::move(name), std::move(erased)}, json_schema_for<T>());
  }
  // `name` = the caller's user id (a string); a caller without one gets "not authorized".
  tool_builder& bind_user_id(std::string name = "user_id");
  // `name` = the caller's claim `claim` (any JSON value); an absent claim gets "not authorized".
  tool_builder& bind_claim(std::string name, std::string claim);
  // What a model-supplied bound parameter does (default: the call is refused).
  tool_builder& on_bound_argument(bound_argument_policy policy);

  // Builds the tool. The handler is called as handler(const tool_args&, tool_context&) or
  // handler(const tool_args&) and returns (an awaitable of) tool_output, std::string, boost::json::value
  // / object or a described struct.
  template <class Handler>
  function_tool handler(Handler h) {
    detail::check_handler_signature<Handler, tool_args>();
    auto state = std::make_shared<detail::built_tool_state<Handler>>(
        detail::built_tool_state<Handler>{full_schema(), std::move(h)});
    tool_handler invoke = [state](tool_context& ctx, boost::json::object args) {
      return detail::invoke_built<Handler>(state, ctx, std::move(args));
    };
    return finish(std::move(invoke));
  }

  // The schema the model will see (bound parameters excluded).
  boost::json::object model_schema() const;

 private:
  struct parameter {
    std::string name;
    boost::json::object schema;
    bool bound = false;
  };

  void add_param(std::string name, boost::json::object schema);
  tool_builder& add_binding(context_binding binding, boost::json::object schema);
  boost::json::object full_schema() const;
  boost::json::object object_schema(bool with_bound) const;
  function_tool finish(tool_handler invoke) const;

  std::string name_;
  std::string description_;
  std::vector<parameter> params_;  // declaration order = property order
  std::vector<context_binding> bindings_;
  bound_argument_policy policy_ = bound_argument_policy::refuse;
};

}  // namespace chatkit::agents
