// run_context — the request-scoped state of one agent run, shared by tools, hooks and dynamic
// instructions and never sent to the model. Its `caller()` is the authenticated request context: the only
// source of bound tool parameters such as user_id (docs/tools.md#isolation-who-a-tool-acts-for).
#pragma once

#include <chatkit/agents/error.hpp>
#include <chatkit/openai/response.hpp>
#include <chatkit/request_context.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chatkit::agents {

class agent_context;  // the per-turn context of stream_agent_response (chatkit/agents/agent_context.hpp)
struct agent;

// Token usage summed over every model call of a run.
struct run_usage {
  std::int64_t requests = 0;
  std::int64_t input_tokens = 0;
  std::int64_t cached_tokens = 0;
  std::int64_t cache_write_tokens = 0;
  std::int64_t output_tokens = 0;
  std::int64_t reasoning_tokens = 0;
  std::int64_t total_tokens = 0;
  std::vector<openai::usage> per_request;  // one entry per completed model call

  // Counts one model call; a response without usage counts as a request with zero tokens.
  void add(const std::optional<openai::usage>& u);
};

// What a context-bound tool reports when the model tried to set a bound parameter. The
// attempt is always refused or overwritten; this record exists so it can be audited.
struct binding_violation {
  std::string_view tool;
  std::string_view parameter;
  bool overwritten = false;  // false: the call was refused
  const request_context& caller;
};
using binding_violation_logger = std::function<void(const binding_violation&)>;
// The default logger: a warn record through chatkit::log (chatkit/log.hpp), component "agents", message
// "binding violation", with the fields tool, parameter, action ("refused" or "overwritten") and user_id.
void log_binding_violation(const binding_violation& v);
[[deprecated("use log_binding_violation (it logs through chatkit::log)")]] inline void
log_binding_violation_to_stderr(const binding_violation& v) {
  log_binding_violation(v);
}

class run_context {
 public:
  // `caller` must outlive the run; so must `chatkit` when given.
  explicit run_context(const request_context& caller, agent_context* chatkit = nullptr)
      : caller_(&caller), chatkit_(chatkit) {}

  // The authenticated caller. Bound tool parameters read it at call time.
  const request_context& caller() const noexcept { return *caller_; }

  // The ChatKit turn's context (thread, store, workflow helpers). Throws user_error when the run is
  // not streamed to ChatKit (stream_agent_response).
  agent_context& chatkit() const;
  bool has_chatkit() const noexcept { return chatkit_ != nullptr; }

  // Usage so far; updated when a model response completes.
  const run_usage& usage() const noexcept { return usage_; }
  run_usage& usage() noexcept { return usage_; }

  // The host's own per-run state (typed access like request_context::host()).
  std::shared_ptr<void> app_data;
  template <class T>
  T* app() const noexcept {
    return static_cast<T*>(app_data.get());
  }

  // Where binding violations go; empty = log_binding_violation.
  binding_violation_logger on_binding_violation;

  void report(const binding_violation& v) const;

 private:
  const request_context* caller_;
  agent_context* chatkit_;
  run_usage usage_;
};

// What a tool's handler gets besides its arguments. A view, valid for the duration of the call.
struct tool_context {
  run_context& run;
  const agents::agent& agent;
  std::string_view tool_name;
  std::string_view call_id;        // the model's call_id
  std::string_view raw_arguments;  // the argument string exactly as the model sent it

  const request_context& caller() const noexcept { return run.caller(); }
};

}  // namespace chatkit::agents
