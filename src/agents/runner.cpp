// The turn loop (spec agent-runner.md §3) as a pull-driven state machine: each next() advances it until an
// event is ready. Events are queued in order (raw events while streaming; classified items after the
// response; tool outputs after the tools), so the ordering guarantee of §6 holds by construction.
#include "tool_execution.hpp"

#include <chatkit/agents/runner.hpp>
#include <chatkit/openai/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace chatkit::agents {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace boost::asio::experimental::awaitable_operators;

struct run_stream::impl {
  enum class phase { start, begin_turn, streaming, run_tools, decide, finished };

  agent ag;
  json::array original_input;
  run_context& ctx;
  run_options opts;
  std::shared_ptr<model> backend;
  std::optional<std::size_t> max_turns;

  phase state = phase::start;
  std::deque<run_event> queue;
  std::deque<run_item> items;
  std::vector<openai::response> responses;
  std::unique_ptr<model_stream> stream;
  bool terminal_seen = false;

  std::size_t turn = 0;
  bool used_tools = false;
  std::optional<std::string> previous_response_id;
  std::size_t chain_from = 0;  // with previous_response_id: first item not yet sent

  // The current turn.
  std::size_t turn_first_item = 0;
  std::vector<std::pair<const function_tool*, std::size_t>> scheduled;  // tool, index of its tool_call item
  std::vector<std::size_t> turn_outputs;                                // indices of this turn's outputs

  json::value final_output;
  std::exception_ptr error;
  bool cancel_requested = false;
  bool stop_after_turn = false;
  bool was_cancelled = false;
  std::optional<asio::steady_timer> cancel_timer;

  impl(agent a, json::array input, run_context& c, run_options o)
      : ag(std::move(a)), original_input(std::move(input)), ctx(c), opts(std::move(o)) {
    backend = ag.model_backend ? ag.model_backend : opts.model;
    max_turns = ag.max_turns ? ag.max_turns : opts.max_turns;
    previous_response_id = opts.previous_response_id;
  }

  void finish() {
    state = phase::finished;
    stream.reset();
  }

  void push_item_event(run_item_event_name name, std::size_t index) {
    queue.emplace_back(run_item_event{name, &items[index]});
  }

  // ---- request ----

  asio::awaitable<std::string> instructions() {
    if (auto* s = std::get_if<std::string>(&ag.instructions)) co_return *s;
    if (auto* f = std::get_if<dynamic_instructions>(&ag.instructions)) co_return co_await (*f)(ctx, ag);
    co_return std::string{};
  }

  std::vector<const function_tool*> enabled_tools() const {
    std::vector<const function_tool*> out;
    for (const auto& t : ag.tools)
      if (!t.is_enabled || t.is_enabled(ctx)) out.push_back(&t);
    return out;
  }

  json::array turn_input() const {
    // Chained turns send only what the server has not seen: the original input on the first call, then the
    // tool outputs produced since the last response.
    const bool chained = previous_response_id && turn > 1;
    json::array input;
    if (!chained) input = original_input;
    for (std::size_t i = chained ? chain_from : 0; i < items.size(); ++i)
      input.push_back(items[i].to_input_item());
    return input;
  }

  asio::awaitable<void> begin_turn() {
    if (cancel_requested || stop_after_turn) {
      was_cancelled = true;
      finish();
      co_return;
    }
    ++turn;
    if (max_turns && turn > *max_turns) throw max_turns_exceeded(*max_turns);
    if (turn == 1 && opts.hooks) co_await opts.hooks->on_agent_start(ctx, ag);

    json::object request;
    if (!ag.model.empty()) request["model"] = ag.model;
    const auto text = co_await instructions();
    if (!text.empty()) request["instructions"] = text;
    auto input = turn_input();
    json::array tools;
    for (const auto* t : enabled_tools()) tools.push_back(t->to_responses_tool());
    for (const auto& h : ag.hosted_tools) tools.push_back(h);
    const bool has_tools = !tools.empty();
    if (has_tools) request["tools"] = std::move(tools);
    auto settings = ag.settings.merged_with(opts.settings);
    if (ag.reset_tool_choice && used_tools) settings.tool_choice.reset();
    settings.apply_to(request, has_tools);
    if (previous_response_id) request["previous_response_id"] = *previous_response_id;

    if (opts.hooks) co_await opts.hooks->on_llm_start(ctx, ag, text, input);
    request["input"] = std::move(input);
    turn_first_item = items.size();
    terminal_seen = false;
    stream = co_await backend->stream(std::move(request));
    state = phase::streaming;
  }

  // ---- streaming ----

  asio::awaitable<void> pump_stream() {
    auto ev = co_await stream->next();
    if (!ev) {
      co_await response_done();
      co_return;
    }
    if (std::holds_alternative<openai::response_completed>(*ev)) terminal_seen = true;
    const bool failed = std::holds_alternative<openai::response_failed>(*ev) ||
                        std::holds_alternative<openai::response_incomplete>(*ev);
    queue.emplace_back(raw_response_event{std::move(*ev)});
    if (failed) {
      const auto& r = stream->current();
      throw model_response_error(r.status.empty() ? "failed" : r.status,
                                 r.status == "incomplete" ? r.incomplete_reason : r.error_code, r.error_message);
    }
  }

  asio::awaitable<void> response_done() {
    if (!terminal_seen) throw model_behavior_error("model produced no final response");
    responses.push_back(stream->current());
    stream.reset();
    const auto& response = responses.back();
    if (response.id.size()) last_id = response.id;
    if (previous_response_id && !response.id.empty()) previous_response_id = response.id;
    ctx.usage().add(response.usage);
    if (opts.hooks) co_await opts.hooks->on_llm_end(ctx, ag, response);
    queue.emplace_back(usage_event{response.usage.value_or(openai::usage{}), &ctx.usage()});
    classify(response);
  }

  std::string last_id;

  void classify(const openai::response& response) {
    scheduled.clear();
    turn_outputs.clear();
    for (const auto& out : response.output) {
      run_item item;
      item.item = out;
      if (out.is_message()) {
        item.type = run_item_type::message_output;
        items.push_back(std::move(item));
        push_item_event(run_item_event_name::message_output_created, items.size() - 1);
      } else if (out.is_reasoning()) {
        item.type = run_item_type::reasoning;
        items.push_back(std::move(item));
        push_item_event(run_item_event_name::reasoning_item_created, items.size() - 1);
      } else if (out.is_function_call()) {
        const auto* tool = ag.find_tool(out.name);
        const bool enabled = tool && (!tool->is_enabled || tool->is_enabled(ctx));
        if (tool && !enabled)
          throw model_behavior_error("model called the disabled tool '" + out.name + "' of agent '" + ag.name + "'");
        if (!tool && opts.on_unknown_tool == tool_not_found_policy::fail_run)
          throw model_behavior_error("model called the unknown tool '" + out.name + "' (agent '" + ag.name + "')");
        item.type = run_item_type::tool_call;
        items.push_back(std::move(item));
        push_item_event(run_item_event_name::tool_called, items.size() - 1);
        scheduled.emplace_back(tool, items.size() - 1);
      } else {
        // Hosted tool calls (web_search_call, file_search_call, ...) and unknown output types: recorded and
        // replayed, nothing runs locally.
        item.type = run_item_type::tool_call;
        items.push_back(std::move(item));
        push_item_event(run_item_event_name::tool_called, items.size() - 1);
      }
    }
    chain_from = items.size();
    state = scheduled.empty() ? phase::decide : phase::run_tools;
  }

  // ---- tools ----

  asio::awaitable<void> run_one(std::size_t slot, std::vector<detail::call_outcome>& outcomes) {
    const auto& [tool, index] = scheduled[slot];
    const auto& call = items[index].item;
    if (!tool) {
      outcomes[slot].failed = true;
      outcomes[slot].output = tool_output("Tool '" + call.name + "' not found.");
      co_return;
    }
    outcomes[slot] = co_await detail::execute_tool_call(*tool, call, ctx, ag, opts);
  }

  asio::awaitable<void> run_all(std::vector<detail::call_outcome>& outcomes) {
    auto ex = co_await asio::this_coro::executor;
    const std::size_t n = scheduled.size();
    const std::size_t batch = opts.max_tool_concurrency ? opts.max_tool_concurrency : n;
    for (std::size_t first = 0; first < n; first += batch) {
      using op_type = decltype(asio::co_spawn(ex, run_one(0, outcomes), asio::deferred));
      std::vector<op_type> ops;
      for (std::size_t i = first; i < std::min(n, first + batch); ++i)
        ops.push_back(asio::co_spawn(ex, run_one(i, outcomes), asio::deferred));
      auto [order, errors] = co_await asio::experimental::make_parallel_group(std::move(ops))
                                 .async_wait(asio::experimental::wait_for_all(), asio::deferred);
      for (auto& e : errors)
        if (e) std::rethrow_exception(e);
    }
  }

  // Completes when cancel() is called (or the run's coroutine is cancelled).
  asio::awaitable<void> cancel_watch() {
    if (cancel_requested) co_return;  // cancel() ran before this wait started (e.g. from the first tool)
    co_await cancel_timer->async_wait(asio::as_tuple(asio::use_awaitable));
  }

  asio::awaitable<void> run_tools() {
    std::vector<detail::call_outcome> outcomes(scheduled.size());
    if (!cancel_timer) cancel_timer.emplace(co_await asio::this_coro::executor, asio::steady_timer::time_point::max());
    co_await (run_all(outcomes) || cancel_watch());
    auto state_now = co_await asio::this_coro::cancellation_state;
    if (state_now.cancelled() != asio::cancellation_type::none)
      throw boost::system::system_error(asio::error::operation_aborted);
    if (cancel_requested) {
      was_cancelled = true;
      finish();
      co_return;
    }
    used_tools = true;
    for (std::size_t i = 0; i < outcomes.size(); ++i)
      if (outcomes[i].run_error) std::rethrow_exception(outcomes[i].run_error);
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
      const auto& call = items[scheduled[i].second].item;
      run_item out;
      out.type = run_item_type::tool_call_output;
      out.call_id = call.call_id;
      out.tool_name = call.name;
      out.failed = outcomes[i].failed;
      out.output = std::move(outcomes[i].output);
      out.input_item = {{"type", "function_call_output"}, {"call_id", call.call_id}, {"output", out.output.to_wire()}};
      items.push_back(std::move(out));
      turn_outputs.push_back(items.size() - 1);
      push_item_event(run_item_event_name::tool_output, items.size() - 1);
    }
    state = phase::decide;
  }

  // ---- next step (§3.5) ----

  asio::awaitable<void> decide() {
    if (!turn_outputs.empty()) {
      std::optional<std::size_t> final_index;
      for (std::size_t i : turn_outputs) {
        const auto& out = items[i];
        const auto* tool = ag.find_tool(out.tool_name);
        bool stops = tool && tool->ends_run;
        if (std::holds_alternative<stop_on_first_tool>(ag.tool_use_behavior)) stops = true;
        if (const auto* listed = std::get_if<stop_at_tools>(&ag.tool_use_behavior))
          stops = stops || std::find(listed->names.begin(), listed->names.end(), out.tool_name) != listed->names.end();
        if (stops) {
          final_index = i;
          break;
        }
      }
      if (final_index) {
        co_await finish_with(items[*final_index].output.value);
        co_return;
      }
      state = phase::begin_turn;
      co_return;
    }
    // No local tools ran in this response.
    const run_item* last_message = nullptr;
    bool hosted = false;
    for (std::size_t i = turn_first_item; i < items.size(); ++i) {
      if (items[i].type == run_item_type::message_output) last_message = &items[i];
      if (items[i].type == run_item_type::tool_call) hosted = true;
    }
    if (!last_message && hosted) {
      state = phase::begin_turn;
      co_return;
    }
    std::string text;
    if (last_message) {
      for (const auto& part : last_message->item.content) {
        if (part.type == "refusal") throw model_behavior_error("the model refused: " + part.text);
        if (part.type == "output_text") text += part.text;
      }
    }
    co_await finish_with(json::value(std::move(text)));
  }

  asio::awaitable<void> finish_with(json::value output) {
    final_output = std::move(output);
    if (opts.hooks) co_await opts.hooks->on_agent_end(ctx, ag, final_output);
    finish();
  }

  // ---- driver ----

  asio::awaitable<void> step() {
    switch (state) {
      case phase::start:
        if (!backend) throw user_error("agent '" + ag.name + "' has no model: set run_options::model");
        queue.emplace_back(agent_updated_event{&ag});
        state = phase::begin_turn;
        break;
      case phase::begin_turn: co_await begin_turn(); break;
      case phase::streaming: co_await pump_stream(); break;
      case phase::run_tools: co_await run_tools(); break;
      case phase::decide:
        if (cancel_requested) {
          was_cancelled = true;
          finish();
        } else {
          co_await decide();
          if (state == phase::begin_turn && stop_after_turn) {
            was_cancelled = true;
            finish();
          }
        }
        break;
      case phase::finished: break;
    }
  }
};

run_stream::run_stream(std::unique_ptr<impl> p) noexcept : impl_(std::move(p)) {}
run_stream::run_stream(run_stream&&) noexcept = default;
run_stream& run_stream::operator=(run_stream&&) noexcept = default;
run_stream::~run_stream() = default;

asio::awaitable<std::optional<run_event>> run_stream::next() {
  auto& s = *impl_;
  for (;;) {
    if (!s.queue.empty()) {
      auto ev = std::move(s.queue.front());
      s.queue.pop_front();
      co_return ev;
    }
    if (s.state == impl::phase::finished) {
      if (s.error) std::rethrow_exception(std::exchange(s.error, nullptr));
      co_return std::nullopt;
    }
    try {
      co_await s.step();
    } catch (const openai::api_error& e) {
      s.finish();
      // cancel() closed the model stream: the run ends quietly.
      if (s.cancel_requested && e.kind() == openai::errc::cancelled) {
        s.was_cancelled = true;
        s.queue.clear();
      } else {
        s.error = std::current_exception();
      }
    } catch (...) {
      s.finish();
      s.error = std::current_exception();
    }
  }
}

void run_stream::cancel(cancel_mode mode) noexcept {
  auto& s = *impl_;
  if (s.state == impl::phase::finished) return;
  if (mode == cancel_mode::after_turn) {
    s.stop_after_turn = true;
    return;
  }
  s.cancel_requested = true;
  if (s.stream) s.stream->cancel();
  if (s.cancel_timer) s.cancel_timer->cancel();
}

bool run_stream::done() const noexcept { return impl_->state == impl::phase::finished && impl_->queue.empty(); }
bool run_stream::cancelled() const noexcept { return impl_->was_cancelled; }
const json::value& run_stream::final_output() const noexcept { return impl_->final_output; }
std::string run_stream::final_text() const {
  const auto& v = impl_->final_output;
  if (v.is_null()) return {};
  if (v.is_string()) return std::string(v.as_string());
  return json::serialize(v);
}
const std::deque<run_item>& run_stream::new_items() const noexcept { return impl_->items; }
const std::vector<openai::response>& run_stream::raw_responses() const noexcept { return impl_->responses; }
const run_usage& run_stream::usage() const noexcept { return impl_->ctx.usage(); }
std::string run_stream::last_response_id() const { return impl_->last_id; }
const agent& run_stream::last_agent() const noexcept { return impl_->ag; }
run_context& run_stream::context() noexcept { return impl_->ctx; }

json::array run_stream::to_input_list() const {
  json::array out = impl_->original_input;
  for (const auto& item : impl_->items) out.push_back(item.to_input_item());
  return out;
}

run_stream run_streamed(agent starting_agent, run_input input, run_context& ctx, run_options options) {
  for (std::size_t i = 0; i < starting_agent.tools.size(); ++i) {
    const auto& t = starting_agent.tools[i];
    t.check();
    for (std::size_t j = 0; j < i; ++j)
      if (starting_agent.tools[j].name == t.name)
        throw user_error("agent '" + starting_agent.name + "' has two tools named '" + t.name + "'");
  }
  json::array items;
  if (auto* text = std::get_if<std::string>(&input))
    items.push_back(json::object{{"role", "user"}, {"content", *text}});
  else
    items = std::move(std::get<json::array>(input));
  return run_stream(
      std::make_unique<run_stream::impl>(std::move(starting_agent), std::move(items), ctx, std::move(options)));
}

asio::awaitable<json::value> run_to_completion(agent a, run_input input, run_context& ctx, run_options options) {
  auto run = run_streamed(std::move(a), std::move(input), ctx, std::move(options));
  while (co_await run.next()) {
  }
  co_return run.final_output();
}

}  // namespace chatkit::agents
