// Running one function call: argument parsing, the tool's own validation, the timeout, the hooks around
// the call, and turning every failure into the sentence the model sees
// (docs/tools.md#tool-errors-what-the-model-sees) — or into a run error when the tool asks for that. The I/O
// half of turn_fsm's run_tools action.
#pragma once

#include "agents/detail/turn_fsm.hpp"

#include <chatkit/agents/runner.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace chatkit::agents::detail {

// Looks for tool.bound_parameters' names at every depth of `args`
// (docs/tools.md#isolation-who-a-tool-acts-for) and reports each one found. Under
// bound_argument_policy::refuse returns the refusal for the model (the call must not go on); under overwrite
// removes every occurrence and sets `stripped`. Defined in context_binding.cpp.
std::optional<std::string> screen_bound_arguments(const function_tool& tool, boost::json::object& args,
                                                  const run_context& run, std::string_view tool_name,
                                                  bool& stripped);

// Never throws except for the cancellation of the awaiting coroutine.
boost::asio::awaitable<call_outcome> execute_tool_call(const function_tool& tool,
                                                       const openai::output_item& call, run_context& ctx,
                                                       const agent& a, const run_options& opts);

}  // namespace chatkit::agents::detail
