// Helpers of the tools tests (schema, typed tools, context binding): described argument types and a
// synchronous way to invoke a tool the way the runner does (agent + request_context + run_context +
// tool_context, the handler's coroutine on an io_context).
#pragma once

#include <chatkit/agents/agent.hpp>
#include <chatkit/agents/json_schema.hpp>
#include <chatkit/agents/tool.hpp>

#include "support/run_sync.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/describe.hpp>
#include <boost/json.hpp>

#include <exception>
#include <optional>
#include <string>
#include <vector>

namespace tools_test {

namespace agents = chatkit::agents;
namespace json = boost::json;

enum class task_status { open, in_progress, done };
BOOST_DESCRIBE_ENUM(task_status, open, in_progress, done)

struct due_date {
  int year = 0;
  int month = 0;
  int day = 0;
  static constexpr agents::field_doc field_docs[] = {{"month", "1 to 12"}};
};
BOOST_DESCRIBE_STRUCT(due_date, (), (year, month, day))

struct task_args {
  std::string title;
  task_status status = task_status::open;
  std::optional<int> estimate_minutes;
  std::vector<std::string> tags;
  std::optional<due_date> due;
  std::vector<due_date> reminders;
  bool urgent = false;
  double weight = 0;
  std::optional<task_status> previous_status;
  static constexpr agents::field_doc field_docs[] = {
      {"title", "The task title"}, {"tags", "Free-form labels"}, {"due", "When the task is due, or null"}};
};
BOOST_DESCRIBE_STRUCT(task_args, (),
                      (title, status, estimate_minutes, tags, due, reminders, urgent, weight,
                       previous_status))

// What one tool call produced: the output, or the exception's type and message.
struct call_result {
  std::optional<agents::tool_output> output;
  std::exception_ptr error;

  // The message of the exception when it is an E (empty optional otherwise).
  template <class E>
  std::optional<std::string> error_of() const {
    if (!error) return std::nullopt;
    try {
      std::rethrow_exception(error);
    } catch (const E& e) {
      return std::string(e.what());
    } catch (...) {
      return std::nullopt;
    }
  }
  // The exact dynamic type matters for "not authorized" (a plain runtime_error, not an argument error).
  bool error_is_argument_error() const { return error_of<agents::tool_argument_error>().has_value(); }
};

// Invokes `tool` as the runner would, for the caller of `run`.
inline call_result call_tool(const agents::function_tool& tool, agents::run_context& run,
                             const std::string& args_json) {
  agents::agent ag;
  ag.name = "tester";
  json::object args = json::parse(args_json).as_object();
  agents::tool_context ctx{run, ag, tool.name, "call_1", args_json};
  boost::asio::io_context io;
  auto task = [&]() -> boost::asio::awaitable<call_result> {
    call_result r;
    try {
      r.output = co_await tool.invoke(ctx, std::move(args));
    } catch (...) {
      r.error = std::current_exception();
    }
    co_return r;
  };
  return chatkit::testing::run_sync(io, task());
}

inline std::string output_text(const call_result& r) {
  if (!r.output) return "<no output>";
  json::value wire = r.output->to_wire();
  return wire.is_string() ? std::string(wire.get_string()) : json::serialize(wire);
}

}  // namespace tools_test
