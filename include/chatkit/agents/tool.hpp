// function_tool — a tool the model can call, as a value: its model-visible schema and an async handler.
// Build one from a described C++ struct (typed_tool.hpp), with the parameter builder (tool_builder.hpp),
// or by hand; wrap any tool with bind_context() (context_binding.hpp) to hide parameters such as user_id
// from the model and fill them from the authenticated caller. See docs/tools.md.
#pragma once

#include <chatkit/agents/run_context.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chatkit::agents {

// What a tool returns. A string is sent to the model unchanged; any other JSON value is serialised
// compactly (e.g. {"temp_c":18}); content(...) sends an array of input parts (input_text, input_image,
// input_file) in the function_call_output's array form.
struct tool_output {
  boost::json::value value;
  bool is_content = false;

  tool_output() = default;
  tool_output(std::string text) : value(std::move(text)) {}  // NOLINT(google-explicit-constructor)
  tool_output(const char* text) : value(text) {}             // NOLINT(google-explicit-constructor)
  tool_output(boost::json::value v) : value(std::move(v)) {}  // NOLINT(google-explicit-constructor)
  tool_output(boost::json::object o) : value(std::move(o)) {}  // NOLINT(google-explicit-constructor)
  static tool_output content(boost::json::array parts) {
    tool_output out{boost::json::value(std::move(parts))};
    out.is_content = true;
    return out;
  }

  // The `output` field of the function_call_output item: a string, or the parts array.
  boost::json::value to_wire() const;
};

// The handler receives the parsed argument object (the runner has checked it is a JSON object; the
// handler, or the builder that made it, validates it against the schema).
using tool_handler = std::function<boost::asio::awaitable<tool_output>(tool_context&, boost::json::object)>;

enum class timeout_behavior {
  error_as_result,  // the model is told the tool timed out (default)
  raise_exception,  // the run fails with tool_timeout_error
};

enum class failure_mode {
  report_to_model,  // an exception becomes the tool's output (a sentence the model can react to)
  propagate,        // an exception fails the run
};

// What to do when the model's arguments contain a bound parameter's name anyway (see context_binding.hpp).
enum class bound_argument_policy {
  refuse,     // the call fails with a tool_argument_error the model sees (default)
  overwrite,  // the model's values are dropped and the bound one is filled in
};

struct function_tool {
  std::string name;         // [A-Za-z0-9_-]{1,64}
  std::string description;
  boost::json::object parameters;  // the model-visible JSON schema of the arguments object
  bool strict = true;              // sent as "strict"; the schema must then be in strict form
  tool_handler invoke;

  std::function<bool(const run_context&)> is_enabled;  // empty = always enabled
  std::optional<std::chrono::milliseconds> timeout;    // per call; empty = none
  agents::timeout_behavior on_timeout = timeout_behavior::error_as_result;
  failure_mode on_failure = failure_mode::report_to_model;
  // The run stops after this tool ran (its output is the run's final output): client tools, which hand the
  // turn to the browser, set it. Equivalent to listing the tool in stop_at_tools.
  bool ends_run = false;
  // Names of parameters filled from the run context (set by bind_context; never in `parameters`).
  std::vector<std::string> bound_parameters;
  // What the runner does with a bound name found in the model's arguments (set by bind_context).
  bound_argument_policy bound_policy = bound_argument_policy::refuse;

  // The Responses API tool definition: {"type":"function","name","description","parameters","strict"}.
  boost::json::object to_responses_tool() const;
  // Throws user_error when the name is invalid, the handler is missing or the schema is not an object.
  void check() const;
};

// A tool from a hand-written JSON schema: the argument object is validated against `schema` before `handler`
// runs (a violation goes back to the model with its path, e.g. `$.city: expected string, got number`). With
// `strict`, the schema is normalised to strict form first (to_strict_schema). Throws user_error for an invalid
// name or schema.
function_tool make_tool(std::string name, std::string description, boost::json::object schema, tool_handler handler,
                        bool strict = true);

// True when `name` matches [A-Za-z0-9_-]{1,64}.
bool is_valid_tool_name(std::string_view name) noexcept;

}  // namespace chatkit::agents
