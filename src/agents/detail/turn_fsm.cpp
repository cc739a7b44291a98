#include "agents/detail/turn_fsm.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <stdexcept>

namespace chatkit::agents::detail {

namespace json = boost::json;

namespace {

bool enabled_for(const function_tool& t, const run_context& ctx) {
  return !t.is_enabled || t.is_enabled(ctx);
}

}  // namespace

turn_fsm::turn_fsm(const agent& a, run_context& ctx, const run_options& opts, json::array input)
    : agent_(a),
      ctx_(ctx),
      opts_(opts),
      original_input_(std::move(input)),
      max_turns_(a.max_turns ? a.max_turns : opts.max_turns),
      has_model_(a.model_backend || opts.model),
      has_hooks_(opts.hooks != nullptr),
      previous_response_id_(opts.previous_response_id) {}

// ---- inputs ---------------------------------------------------------------------------------------------

turn_action turn_fsm::resume(turn_input in) {
  if (state_ == state::over) return outcome_;
  if (auto* f = std::get_if<turn_inputs::failed>(&in)) {
    // cancel() closed the model stream: the run ends quietly.
    if (cancel_requested_ && f->cancellation) return end_cancelled();
    return end_with_error(f->error);
  }
  auto unexpected = [&] {
    return end_with_error(std::make_exception_ptr(std::logic_error("turn_fsm: unexpected input")));
  };
  switch (state_) {
    case state::wait_instructions:
      if (auto* i = std::get_if<turn_inputs::instructions_ready>(&in))
        return build_request(std::move(i->text));
      return unexpected();
    case state::wait_open:
      if (!std::holds_alternative<turn_inputs::resumed>(in)) return unexpected();
      state_ = state::read;
      return advance();
    case state::wait_event:
      if (auto* e = std::get_if<turn_inputs::model_event>(&in)) return on_model_event(*e);
      if (auto* r = std::get_if<turn_inputs::model_finished>(&in))
        return on_model_finished(std::move(r->response));
      return unexpected();
    case state::wait_tools:
      if (auto* t = std::get_if<turn_inputs::tools_finished>(&in))
        return on_tools_finished(std::move(t->outcomes));
      return unexpected();
    default:
      if (!std::holds_alternative<turn_inputs::resumed>(in)) return unexpected();
      return advance();
  }
}

bool turn_fsm::cancel(cancel_mode mode) noexcept {
  if (state_ == state::over) return false;
  if (mode == cancel_mode::after_turn) {
    stop_after_turn_ = true;
    return false;
  }
  cancel_requested_ = true;
  return true;
}

// ---- the loop -------------------------------------------------------------------------------------------

turn_action turn_fsm::advance() {
  if (!staged_.empty()) {
    turn_actions::emit e{std::move(staged_.front())};
    staged_.pop_front();
    return e;
  }
  if (staged_error_) return end_with_error(std::exchange(staged_error_, nullptr));
  switch (state_) {
    case state::start:
      if (!has_model_)
        return end_with_error(std::make_exception_ptr(
            user_error("agent '" + agent_.name + "' has no model: set run_options::model")));
      staged_.emplace_back(agent_updated_event{&agent_});
      state_ = state::begin_turn;
      return advance();

    case state::begin_turn:
      if (cancel_requested_ || stop_after_turn_) return end_cancelled();
      ++turn_;
      if (max_turns_ && turn_ > *max_turns_)
        return end_with_error(std::make_exception_ptr(max_turns_exceeded(*max_turns_)));
      state_ = state::instructions;
      if (turn_ == 1 && has_hooks_) return turn_actions::call_hook{hook_point::agent_start};
      return advance();

    case state::instructions:
      if (std::holds_alternative<dynamic_instructions>(agent_.instructions)) {
        state_ = state::wait_instructions;
        return turn_actions::evaluate_instructions{};
      }
      if (auto* s = std::get_if<std::string>(&agent_.instructions)) return build_request(*s);
      return build_request({});

    case state::open_model:
      request_["input"] = std::move(request_input_);
      request_input_ = {};
      turn_first_item_ = items_.size();
      terminal_seen_ = false;
      state_ = state::wait_open;
      return turn_actions::call_model{std::exchange(request_, {})};

    case state::read:
      state_ = state::wait_event;
      return turn_actions::read_model{};

    case state::classify: {
      const auto& response = responses_.back();
      staged_.emplace_back(usage_event{response.usage.value_or(openai::usage{}), &ctx_.usage()});
      classify(response);
      return advance();
    }

    case state::tools: {
      std::vector<tool_call> calls;
      for (const auto& [tool, index] : scheduled_)
        if (tool) calls.push_back({tool, &items_[index].item});
      if (calls.empty()) return on_tools_finished({});  // only unknown tools: nothing to run
      state_ = state::wait_tools;
      return turn_actions::run_tools{std::move(calls)};
    }

    case state::decide:
      if (cancel_requested_) return end_cancelled();
      return decide();

    case state::end_hook:
      state_ = state::over;
      outcome_ = turn_actions::finished{};
      return outcome_;

    case state::over:
      return outcome_;

    case state::wait_instructions:
    case state::wait_open:
    case state::wait_event:
    case state::wait_tools:
      break;
  }
  return end_with_error(
      std::make_exception_ptr(std::logic_error("turn_fsm: resumed while waiting for an answer")));
}

turn_action turn_fsm::end_with_error(std::exception_ptr e) {
  staged_.clear();
  staged_error_ = nullptr;
  state_ = state::over;
  outcome_ = turn_actions::fail{std::move(e)};
  return outcome_;
}

turn_action turn_fsm::end_cancelled() {
  staged_.clear();
  staged_error_ = nullptr;
  was_cancelled_ = true;
  state_ = state::over;
  outcome_ = turn_actions::cancelled{};
  return outcome_;
}

turn_action turn_fsm::finish_with(json::value output) {
  final_output_ = std::move(output);
  if (has_hooks_) {
    state_ = state::end_hook;
    return turn_actions::call_hook{hook_point::agent_end};
  }
  state_ = state::over;
  outcome_ = turn_actions::finished{};
  return outcome_;
}

// ---- the request ----------------------------------------------------------------------------------------

std::vector<const function_tool*> turn_fsm::enabled_tools() const {
  std::vector<const function_tool*> out;
  for (const auto& t : agent_.tools)
    if (enabled_for(t, ctx_)) out.push_back(&t);
  return out;
}

json::array turn_fsm::new_input_items() const {
  // Chained turns send only what the server has not seen: the original input on the first call, then the
  // tool outputs produced since the last response.
  const bool chained = previous_response_id_ && turn_ > 1;
  json::array input;
  if (!chained) input = original_input_;
  for (std::size_t i = chained ? chain_from_ : 0; i < items_.size(); ++i)
    input.push_back(items_[i].to_input_item());
  return input;
}

turn_action turn_fsm::build_request(std::string text) {
  instructions_ = std::move(text);
  request_ = {};
  if (!agent_.model.empty()) request_["model"] = agent_.model;
  if (!instructions_.empty()) request_["instructions"] = instructions_;
  request_input_ = new_input_items();
  json::array tools;
  for (const auto* t : enabled_tools()) tools.push_back(t->to_responses_tool());
  for (const auto& h : agent_.hosted_tools) tools.push_back(h);
  const bool has_tools = !tools.empty();
  if (has_tools) request_["tools"] = std::move(tools);
  auto settings = agent_.settings.merged_with(opts_.settings);
  // After a tool ran, tool_choice is left to the model so that a forced tool cannot loop forever.
  if (agent_.reset_tool_choice && used_tools_) settings.tool_choice.reset();
  settings.apply_to(request_, has_tools);
  if (previous_response_id_) request_["previous_response_id"] = *previous_response_id_;
  state_ = state::open_model;
  if (has_hooks_) return turn_actions::call_hook{hook_point::llm_start};
  return advance();
}

// ---- the model's answer ---------------------------------------------------------------------------------

turn_action turn_fsm::on_model_event(turn_inputs::model_event& in) {
  if (std::holds_alternative<openai::response_completed>(in.event)) terminal_seen_ = true;
  const bool failed = std::holds_alternative<openai::response_failed>(in.event) ||
                      std::holds_alternative<openai::response_incomplete>(in.event);
  staged_.emplace_back(raw_response_event{std::move(in.event)});
  if (failed) {
    static const openai::response none;
    const auto& r = in.so_far ? *in.so_far : none;
    staged_error_ = std::make_exception_ptr(
        model_response_error(r.status.empty() ? "failed" : r.status,
                             r.status == "incomplete" ? r.incomplete_reason : r.error_code, r.error_message));
  }
  state_ = state::read;
  return advance();
}

turn_action turn_fsm::on_model_finished(openai::response r) {
  if (!terminal_seen_)
    return end_with_error(std::make_exception_ptr(model_behavior_error("model produced no final response")));
  responses_.push_back(std::move(r));
  const auto& response = responses_.back();
  if (!response.id.empty()) {
    last_id_ = response.id;
    if (previous_response_id_) previous_response_id_ = response.id;
  }
  ctx_.usage().add(response.usage);
  state_ = state::classify;
  if (has_hooks_) return turn_actions::call_hook{hook_point::llm_end};
  return advance();
}

void turn_fsm::stage_item(run_item_event_name name) {
  staged_.emplace_back(run_item_event{name, &items_.back()});
}

void turn_fsm::classify(const openai::response& response) {
  scheduled_.clear();
  turn_outputs_.clear();
  for (const auto& out : response.output) {
    run_item item;
    item.item = out;
    if (out.is_message()) {
      item.type = run_item_type::message_output;
      items_.push_back(std::move(item));
      stage_item(run_item_event_name::message_output_created);
    } else if (out.is_reasoning()) {
      item.type = run_item_type::reasoning;
      items_.push_back(std::move(item));
      stage_item(run_item_event_name::reasoning_item_created);
    } else if (out.is_function_call()) {
      const auto* tool = agent_.find_tool(out.name);
      if (tool && !enabled_for(*tool, ctx_)) {
        staged_error_ = std::make_exception_ptr(model_behavior_error(
            "model called the disabled tool '" + out.name + "' of agent '" + agent_.name + "'"));
        return;
      }
      if (!tool && opts_.on_unknown_tool == tool_not_found_policy::fail_run) {
        staged_error_ = std::make_exception_ptr(model_behavior_error(
            "model called the unknown tool '" + out.name + "' (agent '" + agent_.name + "')"));
        return;
      }
      item.type = run_item_type::tool_call;
      items_.push_back(std::move(item));
      stage_item(run_item_event_name::tool_called);
      scheduled_.emplace_back(tool, items_.size() - 1);
    } else {
      // Hosted tool calls (web_search_call, file_search_call, ...) and unknown output types: recorded and
      // replayed, nothing runs locally.
      item.type = run_item_type::tool_call;
      items_.push_back(std::move(item));
      stage_item(run_item_event_name::tool_called);
    }
  }
  chain_from_ = items_.size();
  state_ = scheduled_.empty() ? state::decide : state::tools;
}

// ---- the tools' answer ----------------------------------------------------------------------------------

turn_action turn_fsm::on_tools_finished(std::vector<call_outcome> outcomes) {
  if (cancel_requested_) return end_cancelled();  // cancelled while the tools ran: nothing goes to the model
  // One outcome per call that ran; unknown tools (return_error_to_model) are answered here.
  std::vector<call_outcome> all;
  std::size_t next = 0;
  for (const auto& [tool, index] : scheduled_) {
    if (tool) {
      if (next == outcomes.size()) break;
      all.push_back(std::move(outcomes[next++]));
    } else {
      call_outcome o;
      o.failed = true;
      const tool_failure f{tool_failure_kind::not_found, items_[index].item.name, {}};
      try {
        o.output = tool_output(opts_.tool_error_formatter ? opts_.tool_error_formatter(f)
                                                          : default_tool_error_message(f));
      } catch (...) {
        return end_with_error(std::current_exception());  // as a formatter's exception for a tool that ran
      }
      all.push_back(std::move(o));
    }
  }
  if (all.size() != scheduled_.size() || next != outcomes.size())
    return end_with_error(
        std::make_exception_ptr(std::logic_error("turn_fsm: one outcome per tool call expected")));
  used_tools_ = true;
  for (const auto& o : all)
    if (o.run_error) return end_with_error(o.run_error);
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto& call = items_[scheduled_[i].second].item;
    run_item out;
    out.type = run_item_type::tool_call_output;
    out.call_id = call.call_id;
    out.tool_name = call.name;
    out.failed = all[i].failed;
    out.output = std::move(all[i].output);
    out.input_item = {
        {"type", "function_call_output"}, {"call_id", call.call_id}, {"output", out.output.to_wire()}};
    items_.push_back(std::move(out));
    turn_outputs_.push_back(items_.size() - 1);
    stage_item(run_item_event_name::tool_output);
  }
  state_ = state::decide;
  return advance();
}

// ---- the next step (docs/agents.md#the-turn-state-machine) ----------------------------------------------

turn_action turn_fsm::decide() {
  if (!turn_outputs_.empty()) {
    for (std::size_t i : turn_outputs_) {
      const auto& out = items_[i];
      const auto* tool = agent_.find_tool(out.tool_name);
      bool stops = tool && tool->ends_run;
      if (std::holds_alternative<stop_on_first_tool>(agent_.tool_use_behavior)) stops = true;
      if (const auto* listed = std::get_if<stop_at_tools>(&agent_.tool_use_behavior))
        stops = stops ||
                std::find(listed->names.begin(), listed->names.end(), out.tool_name) != listed->names.end();
      if (stops) return finish_with(out.output.value);
    }
    state_ = state::begin_turn;
    return advance();
  }
  // No local tool ran in this response.
  const run_item* last_message = nullptr;
  bool hosted = false;
  for (std::size_t i = turn_first_item_; i < items_.size(); ++i) {
    if (items_[i].type == run_item_type::message_output) last_message = &items_[i];
    if (items_[i].type == run_item_type::tool_call) hosted = true;
  }
  if (!last_message && hosted) {  // only hosted tool calls: the model continues on the next call
    state_ = state::begin_turn;
    return advance();
  }
  std::string text;
  if (last_message) {
    for (const auto& part : last_message->item.content) {
      if (part.type == "refusal")
        return end_with_error(std::make_exception_ptr(model_refusal_error(part.text)));
      if (part.type == "output_text") text += part.text;
    }
  }
  return finish_with(json::value(std::move(text)));
}

json::array turn_fsm::to_input_list() const {
  json::array out = original_input_;
  for (const auto& item : items_) out.push_back(item.to_input_item());
  return out;
}

}  // namespace chatkit::agents::detail
