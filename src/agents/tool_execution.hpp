// Running one function call (spec agent-runner.md §3.3, §4): argument parsing, the tool's own validation,
// timeout, and turning every failure into the sentence the model sees — or into a run error when the tool
// asks for that. Private to the runner.
#pragma once

#include <chatkit/agents/runner.hpp>

#include <boost/asio/awaitable.hpp>

#include <exception>

namespace chatkit::agents::detail {

struct call_outcome {
  tool_output output;
  bool failed = false;          // output is an error sentence
  std::exception_ptr run_error;  // set: the run must fail with this (propagate / raise_exception)
};

// Never throws except for the cancellation of the awaiting coroutine.
boost::asio::awaitable<call_outcome> execute_tool_call(const function_tool& tool, const openai::output_item& call,
                                                       run_context& ctx, const agent& a, const run_options& opts);

}  // namespace chatkit::agents::detail
