// agent — what to ask the model and with which tools (docs/agents.md#the-agent). A plain value: build it
// once at start-up and run it for every request; nothing request-specific lives in it.
//
//   agents::agent a{.name = "Helper", .instructions = "Be brief.", .model = "gpt-4.1-mini",
//                   .tools = {get_tasks_tool}};
#pragma once

#include <chatkit/agents/model.hpp>
#include <chatkit/agents/model_settings.hpp>
#include <chatkit/agents/run_context.hpp>
#include <chatkit/agents/tool.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace chatkit::agents {

// Re-evaluated before every model call, so it may depend on the caller or on state.
using dynamic_instructions = std::function<boost::asio::awaitable<std::string>(run_context&, const agent&)>;

// Whether tool results end the run (docs/agents.md#the-turn-state-machine). Applies to function tools.
struct run_llm_again {};      // default: tool outputs go back to the model
struct stop_on_first_tool {};  // the first tool's output (call order) is the final output
struct stop_at_tools {         // the first output of a listed tool is the final output
  std::vector<std::string> names;
};
using tool_use_behavior = std::variant<run_llm_again, stop_on_first_tool, stop_at_tools>;

struct agent {
  std::string name;
  std::variant<std::monostate, std::string, dynamic_instructions> instructions;
  std::string model;                          // the model name sent in each request
  std::shared_ptr<agents::model> model_backend;  // overrides run_options::model when set
  model_settings settings;
  std::vector<function_tool> tools;
  std::vector<boost::json::object> hosted_tools;  // passed through as-is (web_search, file_search, ...)
  std::optional<std::size_t> max_turns;            // overrides run_options::max_turns when set
  agents::tool_use_behavior tool_use_behavior;
  bool reset_tool_choice = true;  // after a tool ran, tool_choice is left to the model

  // The tool named `name`, or null.
  const function_tool* find_tool(std::string_view name) const noexcept;
};

}  // namespace chatkit::agents
