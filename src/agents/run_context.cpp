// run_context's out-of-line members, run usage accounting and the default binding-violation logger
// (docs/guide-operations.md#logging).
#include <chatkit/agents/run_context.hpp>
#include <chatkit/log.hpp>

namespace chatkit::agents {

void run_usage::add(const std::optional<openai::usage>& u) {
  ++requests;
  const openai::usage call = u.value_or(openai::usage{});
  input_tokens += call.input_tokens;
  cached_tokens += call.cached_tokens;
  cache_write_tokens += call.cache_write_tokens;
  output_tokens += call.output_tokens;
  reasoning_tokens += call.reasoning_tokens;
  total_tokens += call.total_tokens;
  per_request.push_back(call);
}

void log_binding_violation(const binding_violation& v) {
  log::warn("agents", "binding violation",
            {{"tool", v.tool},
             {"parameter", v.parameter},
             {"action", v.overwritten ? "overwritten" : "refused"},
             {"user_id", v.caller.user_id}});
}

void run_context::report(const binding_violation& v) const {
  if (on_binding_violation) {
    on_binding_violation(v);
  } else {
    log_binding_violation(v);
  }
}

agent_context& run_context::chatkit() const {
  if (chatkit_ == nullptr) {
    throw user_error("run_context::chatkit(): this run is not bridged to a ChatKit stream");
  }
  return *chatkit_;
}

}  // namespace chatkit::agents
