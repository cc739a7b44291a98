// The agent run loop (docs/agents.md#running-an-agent): model call → collect function calls → run the
// tools concurrently → send their outputs back → call again, until a final answer or max_turns.
//
//   agents::run_context ctx(caller);
//   auto run = agents::run_streamed(my_agent, "What is on my list?", ctx, {.model = model});
//   while (auto ev = co_await run.next())
//     if (auto* d = agents::text_delta(*ev)) std::cout << *d;
//   std::cout << run.final_text();
//
// Single agent; handoffs and guardrails are not part of v1. The run_stream is pull-driven: nothing happens
// between two next() calls, so a consumer that stops pulling pauses the model stream (back pressure).
#pragma once

#include <chatkit/agents/agent.hpp>
#include <chatkit/agents/model.hpp>
#include <chatkit/agents/run_context.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace chatkit::agents {

// ---- run items ----------------------------------------------------------------------------------------

enum class run_item_type { message_output, reasoning, tool_call, tool_call_output };
std::string_view to_string(run_item_type t) noexcept;  // "message_output_item", "reasoning_item", ...

struct run_item {
  run_item_type type = run_item_type::message_output;
  // message_output, reasoning, tool_call: the model's output item (raw JSON in `item.raw`).
  openai::output_item item;
  // tool_call_output:
  std::string call_id;
  std::string tool_name;
  tool_output output;              // what the tool returned (or the error sentence the model was shown)
  bool failed = false;             // the output is an error sentence (docs/tools.md)
  boost::json::object input_item;  // the function_call_output item sent back to the model

  // The item as Responses input for the next turn (model items replayed verbatim).
  boost::json::object to_input_item() const;
};

// ---- stream events ------------------------------------------------------------------------------------

// A Responses streaming event, unchanged, as it arrives.
struct raw_response_event {
  openai::response_event event;
};

enum class run_item_event_name { message_output_created, reasoning_item_created, tool_called, tool_output };
std::string_view to_string(run_item_event_name n) noexcept;

// A classified item: model items after the response completed (output order), tool outputs after every
// tool of the turn finished (call order).
struct run_item_event {
  run_item_event_name name;
  const run_item* item;  // owned by the run (valid while the run_stream lives)
};

// At run start (and, once handoffs exist, after each handoff).
struct agent_updated_event {
  const agents::agent* agent;
};

// After each completed model response: that call's usage and the run's total so far.
struct usage_event {
  openai::usage response;
  const run_usage* total;
};

using run_event = std::variant<raw_response_event, run_item_event, agent_updated_event, usage_event>;

// The text of a response.output_text.delta event, else null.
const std::string* text_delta(const run_event& e) noexcept;

// ---- hooks --------------------------------------------------------------------------------------------

// Run-level callbacks (docs/agents.md#hooks). An exception thrown by a hook fails the run.
class run_hooks {
 public:
  virtual ~run_hooks() = default;
  virtual boost::asio::awaitable<void> on_agent_start(run_context&, const agent&) { co_return; }
  virtual boost::asio::awaitable<void> on_agent_end(run_context&, const agent&, const boost::json::value& /*output*/) {
    co_return;
  }
  virtual boost::asio::awaitable<void> on_llm_start(run_context&, const agent&, const std::string& /*instructions*/,
                                                    const boost::json::array& /*input*/) {
    co_return;
  }
  virtual boost::asio::awaitable<void> on_llm_end(run_context&, const agent&, const openai::response&) { co_return; }
  // `arguments` are the model's: bound parameters are never among them (they are filled inside the tool,
  // after this hook), so hooks and traces cannot leak them; a call whose arguments name a bound parameter at
  // any depth is refused before this hook (or, under bound_argument_policy::overwrite, stripped).
  virtual boost::asio::awaitable<void> on_tool_start(run_context&, const agent&, const function_tool&,
                                                     const boost::json::object& /*arguments*/) {
    co_return;
  }
  virtual boost::asio::awaitable<void> on_tool_end(run_context&, const agent&, const function_tool&,
                                                   const tool_output& /*result*/) {
    co_return;
  }
};

// ---- options ------------------------------------------------------------------------------------------

enum class tool_not_found_policy {
  fail_run,                // model_behavior_error naming the tool and the agent (default)
  return_error_to_model,   // the call gets the output "Tool '<name>' not found."
};

// The failure a tool_error_formatter turns into the sentence the model sees.
// not_found: the model called a tool the agent does not have (with tool_not_found_policy::return_error_to_model).
enum class tool_failure_kind { invalid_json, invalid_arguments, exception, timeout, not_found };
struct tool_failure {
  tool_failure_kind kind;
  std::string_view tool_name;
  std::string_view message;  // parser/validator/exception message; for timeout the seconds as text
};
// The default sentences (docs/tools.md#tool-errors-what-the-model-sees).
std::string default_tool_error_message(const tool_failure& f);

struct run_options {
  std::shared_ptr<agents::model> model;  // used unless the agent has a model_backend
  std::optional<std::size_t> max_turns = 10;  // nullopt = unlimited; the agent's own max_turns wins
  model_settings settings;                    // overrides the agent's, field by field
  run_hooks* hooks = nullptr;
  std::optional<std::string> previous_response_id;  // chain: only new items are sent each turn
  tool_not_found_policy on_unknown_tool = tool_not_found_policy::fail_run;
  std::size_t max_tool_concurrency = 0;  // 0 = unlimited
  std::function<std::string(const tool_failure&)> tool_error_formatter;  // empty = the defaults
};

// Input: a user message text, or a list of Responses input items.
using run_input = std::variant<std::string, boost::json::array>;

enum class cancel_mode {
  immediate,   // stop the model stream and the running tools now; no further events
  after_turn,  // let the current model call and its tools finish, then stop before the next turn
};

// ---- the run ------------------------------------------------------------------------------------------

class run_stream {
 public:
  run_stream(run_stream&&) noexcept;
  run_stream& operator=(run_stream&&) noexcept;
  ~run_stream();

  // The next event; nullopt when the run is over. After the last event a failed run throws its error
  // (max_turns_exceeded, model_behavior_error, model_response_error, tool_timeout_error, an openai::api_error,
  // or a hook's exception). Cancelling the awaiting coroutine cancels the model call and the running tools
  // (the exception is the cancellation's) — the run is then over.
  boost::asio::awaitable<std::optional<run_event>> next();

  // Stops the run (see cancel_mode). Safe to call from a tool, a hook or between next() calls.
  void cancel(cancel_mode mode = cancel_mode::immediate) noexcept;

  bool done() const noexcept;
  bool cancelled() const noexcept;

  // ---- results (complete once done()) ----
  // The final output: the last message's text (a JSON string) or the output of the tool that ended the
  // run; null while running or after a failure / cancellation.
  const boost::json::value& final_output() const noexcept;
  // final_output() as text: a string as is, other JSON serialised, "" when null.
  std::string final_text() const;
  const std::deque<run_item>& new_items() const noexcept;  // deque: events refer to its elements
  const std::vector<openai::response>& raw_responses() const noexcept;
  const run_usage& usage() const noexcept;
  std::string last_response_id() const;
  const agents::agent& last_agent() const noexcept;
  // The original input followed by every generated item, as Responses input — the next turn's history.
  boost::json::array to_input_list() const;
  run_context& context() noexcept;

  struct impl;

 private:
  friend run_stream run_streamed(agent, run_input, run_context&, run_options);
  explicit run_stream(std::unique_ptr<impl> p) noexcept;
  std::unique_ptr<impl> impl_;
};

// Starts a run. Nothing is sent until the first next(). `ctx` must outlive the run_stream. Throws user_error
// when no model is configured or a tool fails function_tool::check().
run_stream run_streamed(agent starting_agent, run_input input, run_context& ctx, run_options options = {});

// Drives a run to its end and returns its final output (errors thrown).
boost::asio::awaitable<boost::json::value> run_to_completion(agent a, run_input input, run_context& ctx,
                                                             run_options options = {});

}  // namespace chatkit::agents
