// What the demo model understands (docs/task-bot.md#the-demo-model): plain task commands turned into calls
// of the six task tools, and, once the tools have answered, a short text built from their outputs. Sans-IO:
// a Responses API request body in, the reply out; demo_model serves it over HTTP.
#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace task_bot {

struct demo_call {
  std::string name;  // a tool name: add_task, list_tasks, ...
  boost::json::object arguments;
};

// Either tool calls or a text.
struct demo_reply {
  std::vector<demo_call> calls;
  std::string text;
};

// One user message → the tool call it asks for; nullopt when the phrasebook does not know it. `today`
// resolves "today" and "tomorrow".
std::optional<demo_call> interpret(std::string_view message, std::chrono::sys_days today);

// The reply to a Responses request: the tool outputs' messages when the input ends with tool outputs,
// else the call the last user message asks for (arguments completed with null for every parameter of the
// tool's schema the phrase left out), else the phrasebook as a help text.
demo_reply demo_reply_for(const boost::json::object& request, std::chrono::sys_days today);

// The help text: the phrases the demo model understands.
std::string demo_help();

}  // namespace task_bot
