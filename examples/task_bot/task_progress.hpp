// Tool progress in the chat: while one of the task tools runs, the chat panel shows a progress line ("Adding
// the task…") through a ChatKit progress_update event. Run hooks, so the tools themselves stay free of UI code.
#pragma once

#include <chatkit/agents/runner.hpp>

#include <string>
#include <string_view>

namespace task_bot {

// The line shown while `tool` runs ("Working…" for a tool it does not know).
std::string progress_text(std::string_view tool);

class task_progress_hooks final : public chatkit::agents::run_hooks {
 public:
  boost::asio::awaitable<void> on_tool_start(chatkit::agents::run_context& ctx, const chatkit::agents::agent&,
                                             const chatkit::agents::function_tool& tool,
                                             const boost::json::object& arguments) override;
};

}  // namespace task_bot
