// turn_fsm — the agent turn loop without I/O (see docs/agents.md#the-turn-state-machine).
//
// The state machine is told what happened (the run started, the model streamed an event or finished with a
// response, the tools finished with these outcomes, an operation failed, cancel() was called) and answers
// with the one thing to do next: deliver an event, evaluate the dynamic instructions, call a hook, call the
// model with a request, read the model's next event, run tool calls, or stop (finished / failed /
// cancelled). It never awaits, never touches a socket or a timer: run_stream (runner.cpp) is the adapter
// that carries the actions out, and tests/unit/agents/turn_fsm_test.cpp drives it with plain values.
//
//   turn_fsm fsm(agent, ctx, options, input);
//   turn_input in = turn_inputs::resumed{};
//   for (;;) {
//     auto action = fsm.resume(std::move(in));
//     ... carry it out, set `in` to what happened ...
//   }
//
// Events are handed out one at a time, in order, before the next I/O action, so the consumer pulling the
// events sets the pace and the ordering rules of docs/agents.md#events hold by construction.
#pragma once

#include <chatkit/agents/runner.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <deque>
#include <exception>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace chatkit::agents::detail {

// What running one function call produced (tool_execution.hpp fills it).
struct call_outcome {
  tool_output output;
  bool failed = false;           // output is an error sentence
  std::exception_ptr run_error;  // set: the run must fail with this (propagate / raise_exception)
};

// One function call the adapter must run.
struct tool_call {
  const function_tool* tool;        // never null: unknown tools are answered by the state machine
  const openai::output_item* call;  // the model's function_call item (owned by the state machine)
};

// ---- inputs: what happened ------------------------------------------------------------------------------

namespace turn_inputs {
struct resumed {};  // the last action was carried out (event delivered, hook returned, model call opened)
struct instructions_ready {  // answer to evaluate_instructions
  std::string text;
};
struct model_event {  // answer to read_model: the stream produced an event
  openai::response_event event;
  const openai::response* so_far;  // the response accumulated so far (read for failed / incomplete)
};
struct model_finished {  // answer to read_model: the stream is over; the accumulated response
  openai::response response;
};
struct tools_finished {  // answer to run_tools: one outcome per call, in the order of the calls
  std::vector<call_outcome> outcomes;
};
struct failed {  // the last action threw
  std::exception_ptr error;
  bool cancellation = false;  // it was the model call being cancelled (openai::errc::cancelled)
};
}  // namespace turn_inputs

using turn_input =
    std::variant<turn_inputs::resumed, turn_inputs::instructions_ready, turn_inputs::model_event,
                 turn_inputs::model_finished, turn_inputs::tools_finished, turn_inputs::failed>;

// ---- actions: what to do next ---------------------------------------------------------------------------

enum class hook_point { agent_start, llm_start, llm_end, agent_end };

namespace turn_actions {
// Deliver the event to the consumer, then resume with `resumed`.
struct emit {
  run_event event;
};
// Call the agent's dynamic_instructions; answer instructions_ready.
struct evaluate_instructions {};
// Call run_options::hooks->on_<point>, then resume with `resumed`. The hook's data: instructions() and
// request_input() (llm_start), last_response() (llm_end), final_output() (agent_end).
struct call_hook {
  hook_point point;
};
// Open a streamed model call with this request, then resume with `resumed`.
struct call_model {
  boost::json::object request;
};
// Await the stream's next event: answer model_event, or model_finished at its end.
struct read_model {};
// Run these calls (concurrently, at most run_options::max_tool_concurrency at a time); answer
// tools_finished with the outcomes in this order.
struct run_tools {
  std::vector<tool_call> calls;
};
// The run is over; final_output() is its result.
struct finished {};
// The run is over with this error (delivered after the events already emitted).
struct fail {
  std::exception_ptr error;
};
// The run was stopped by cancel().
struct cancelled {};
}  // namespace turn_actions

using turn_action =
    std::variant<turn_actions::emit, turn_actions::evaluate_instructions, turn_actions::call_hook,
                 turn_actions::call_model, turn_actions::read_model, turn_actions::run_tools,
                 turn_actions::finished, turn_actions::fail, turn_actions::cancelled>;

// ---- the state machine ----------------------------------------------------------------------------------

class turn_fsm {
 public:
  // `a`, `ctx` and `opts` must outlive the state machine (it keeps references). `ctx` receives the usage.
  turn_fsm(const agent& a, run_context& ctx, const run_options& opts, boost::json::array input);
  turn_fsm(const turn_fsm&) = delete;
  turn_fsm& operator=(const turn_fsm&) = delete;

  // Feeds what happened and returns what to do next. The first call takes `resumed`. After a terminal
  // action (finished, fail, cancelled) every call returns that action again.
  turn_action resume(turn_input in);

  // Records a cancel() request; false when the run is already over (nothing to stop). An immediate cancel
  // also obliges the adapter to stop the model stream and the running tools.
  bool cancel(cancel_mode mode) noexcept;

  bool is_over() const noexcept { return state_ == state::over; }
  bool cancel_requested() const noexcept { return cancel_requested_; }  // an immediate cancel()
  bool was_cancelled() const noexcept { return was_cancelled_; }

  // ---- data the actions and the results refer to ----
  const std::string& instructions() const noexcept { return instructions_; }
  const boost::json::array& request_input() const noexcept { return request_input_; }
  const openai::response& last_response() const { return responses_.back(); }
  const boost::json::value& final_output() const noexcept { return final_output_; }
  const std::deque<run_item>& items() const noexcept { return items_; }
  const std::vector<openai::response>& responses() const noexcept { return responses_; }
  const std::string& last_response_id() const noexcept { return last_id_; }
  std::size_t turn() const noexcept { return turn_; }
  boost::json::array to_input_list() const;

 private:
  enum class state {
    start,              // nothing done yet
    begin_turn,         // about to start a model call
    instructions,       // the agent_start hook returned (or was not needed): get the instructions
    wait_instructions,  // waiting for instructions_ready
    open_model,         // the request is built (and the llm_start hook returned)
    wait_open,          // waiting for the model call to open
    read,               // the next action is read_model
    wait_event,         // waiting for model_event / model_finished
    classify,           // the llm_end hook returned: stage the usage and the output items
    tools,              // function calls are pending
    wait_tools,         // waiting for tools_finished
    decide,             // the turn is over: final output, another turn, or an error
    end_hook,           // the agent_end hook returned
    over,               // terminal: outcome_ says which
  };

  turn_action advance();
  turn_action terminal() const;
  turn_action end_with_error(std::exception_ptr e);
  turn_action end_cancelled();
  turn_action finish_with(boost::json::value output);
  turn_action build_request(std::string text);
  turn_action on_model_event(turn_inputs::model_event& in);
  turn_action on_model_finished(openai::response r);
  turn_action on_tools_finished(std::vector<call_outcome> outcomes);
  void classify(const openai::response& response);
  turn_action decide();
  std::vector<const function_tool*> enabled_tools() const;
  boost::json::array new_input_items() const;
  void stage_item(run_item_event_name name);

  const agent& agent_;
  run_context& ctx_;
  const run_options& opts_;
  boost::json::array original_input_;
  std::optional<std::size_t> max_turns_;
  bool has_model_;
  bool has_hooks_;

  state state_ = state::start;
  turn_action outcome_ = turn_actions::finished{};  // valid in state::over
  std::deque<run_event> staged_;                    // events to hand out before anything else
  std::exception_ptr staged_error_;                 // the error to end with once staged_ is empty

  std::deque<run_item> items_;
  std::vector<openai::response> responses_;
  std::size_t turn_ = 0;
  bool used_tools_ = false;
  std::optional<std::string> previous_response_id_;
  std::size_t chain_from_ = 0;  // with previous_response_id: first item not yet sent
  std::string last_id_;

  // The current turn.
  std::string instructions_;
  boost::json::object request_;
  boost::json::array request_input_;
  bool terminal_seen_ = false;
  std::size_t turn_first_item_ = 0;
  std::vector<std::pair<const function_tool*, std::size_t>> scheduled_;  // tool (null: unknown), item index
  std::vector<std::size_t> turn_outputs_;                                // indices of this turn's outputs

  boost::json::value final_output_;
  bool cancel_requested_ = false;
  bool stop_after_turn_ = false;
  bool was_cancelled_ = false;
};

}  // namespace chatkit::agents::detail
