// Tools from external MCP servers for the task bot's agent (--mcp-stdio "CMD ARGS", --mcp-http URL;
// docs/task-bot.md): each server is connected at start-up, its tools are imported as "<server>__<tool>" and
// every tool with a user_id parameter is bound to the signed-in user exactly like the task tools. The clients
// live on their own thread.
#pragma once

#include "task_bot_config.hpp"

#include <chatkit/agents/tool.hpp>

#include <memory>
#include <string>
#include <vector>

namespace task_bot {

class mcp_imports {
 public:
  // Connects to every server of the configuration and imports its tools; throws std::exception naming the
  // server that could not be reached.
  explicit mcp_imports(const task_bot_config& config);
  ~mcp_imports();
  mcp_imports(const mcp_imports&) = delete;
  mcp_imports& operator=(const mcp_imports&) = delete;

  const std::vector<chatkit::agents::function_tool>& tools() const noexcept;
  // Closes every connection (stdio servers are stopped) and ends the thread. Idempotent.
  void close();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// "node server.js --flag" → {"node", "server.js", "--flag"}; double quotes group words ("a b" is one
// argument).
std::vector<std::string> split_command(const std::string& command);

}  // namespace task_bot
