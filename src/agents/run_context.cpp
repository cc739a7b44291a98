// run_context's out-of-line members, run usage accounting and the default binding-violation logger.
#include <chatkit/agents/run_context.hpp>

#include <iostream>
#include <sstream>

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

void log_binding_violation_to_stderr(const binding_violation& v) {
  // One line, built first so concurrent runs do not interleave inside it.
  std::ostringstream line;
  line << "chatkit: binding violation: the model tried to set bound parameter \"" << v.parameter
       << "\" of tool \"" << v.tool << "\" (" << (v.overwritten ? "overwritten" : "refused")
       << "), caller user_id \"" << v.caller.user_id << "\"\n";
  std::cerr << line.str() << std::flush;
}

void run_context::report(const binding_violation& v) const {
  if (on_binding_violation) {
    on_binding_violation(v);
  } else {
    log_binding_violation_to_stderr(v);
  }
}

agent_context& run_context::chatkit() const {
  if (chatkit_ == nullptr) {
    throw user_error("run_context::chatkit(): this run is not bridged to a ChatKit stream");
  }
  return *chatkit_;
}

}  // namespace chatkit::agents
