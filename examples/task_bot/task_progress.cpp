#include "task_progress.hpp"

#include <chatkit/agents/agent_context.hpp>
#include <chatkit/agents/tool.hpp>
#include <chatkit/protocol/events.hpp>

namespace task_bot {

std::string progress_text(std::string_view tool) {
  if (tool == "add_task") return "Adding the task…";
  if (tool == "list_tasks") return "Looking at your tasks…";
  if (tool == "get_task") return "Looking up the task…";
  if (tool == "update_task") return "Updating the task…";
  if (tool == "complete_task") return "Completing the task…";
  if (tool == "delete_task") return "Deleting the task…";
  return "Working…";
}

boost::asio::awaitable<void> task_progress_hooks::on_tool_start(chatkit::agents::run_context& ctx,
                                                                const chatkit::agents::agent&,
                                                                const chatkit::agents::function_tool& tool,
                                                                const boost::json::object&) {
  // Only a run streamed to ChatKit has a chat to show progress in (the benchmarks run without one).
  if (!ctx.has_chatkit()) co_return;
  co_await ctx.chatkit().stream(chatkit::protocol::progress_update_event{"check-circle", progress_text(tool.name)});
}

}  // namespace task_bot
