// run_stream: the adapter that carries out the actions of detail::turn_fsm (the turn loop without I/O,
// docs/agents.md#the-turn-state-machine). It awaits the model, the hooks and the tools; every decision —
// what to send, which tools to run, which events to deliver in which order, when the run ends — is the
// state machine's.
#include "agents/detail/tool_execution.hpp"
#include "agents/detail/turn_fsm.hpp"

#include <chatkit/agents/runner.hpp>
#include <chatkit/metrics.hpp>
#include <chatkit/openai/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <chrono>

namespace chatkit::agents {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace boost::asio::experimental::awaitable_operators;
namespace actions = detail::turn_actions;
namespace inputs = detail::turn_inputs;

struct run_stream::impl {
  agent ag;
  run_context& ctx;
  run_options opts;
  std::shared_ptr<model> backend;
  detail::turn_fsm fsm;  // refers to ag, ctx and opts (impl never moves: it lives behind a unique_ptr)

  detail::turn_input pending = inputs::resumed{};  // what to feed the state machine next
  std::unique_ptr<model_stream> stream;
  std::exception_ptr error;
  bool over = false;
  std::optional<asio::steady_timer> cancel_timer;

  // The model call in progress, for the latency histograms (docs/guide-operations.md#metrics).
  std::optional<std::chrono::steady_clock::time_point> model_started;
  std::optional<std::chrono::nanoseconds> model_first_event;

  void model_call_ended(bool ok) noexcept {
    if (!model_started) return;
    const auto total = std::chrono::steady_clock::now() - *model_started;
    metrics::observe_model_call(total, model_first_event ? &*model_first_event : nullptr, ok);
    model_started.reset();
    model_first_event.reset();
  }
  // A failed model call counts as an error, unless it was cancelled (the client went away).
  void model_call_failed(const std::exception_ptr& e) noexcept {
    try {
      std::rethrow_exception(e);
    } catch (const boost::system::system_error& x) {
      if (x.code() == asio::error::operation_aborted) {
        model_started.reset();
        return;
      }
    } catch (...) {
    }
    model_call_ended(false);
  }

  impl(agent a, json::array input, run_context& c, run_options o)
      : ag(std::move(a)),
        ctx(c),
        opts(std::move(o)),
        backend(ag.model_backend ? ag.model_backend : opts.model),
        fsm(ag, ctx, opts, std::move(input)) {}

  // ---- hooks ----

  asio::awaitable<void> call_hook(detail::hook_point point) {
    auto& h = *opts.hooks;
    switch (point) {
      case detail::hook_point::agent_start:
        co_await h.on_agent_start(ctx, ag);
        break;
      case detail::hook_point::llm_start:
        co_await h.on_llm_start(ctx, ag, fsm.instructions(), fsm.request_input());
        break;
      case detail::hook_point::llm_end:
        co_await h.on_llm_end(ctx, ag, fsm.last_response());
        break;
      case detail::hook_point::agent_end:
        co_await h.on_agent_end(ctx, ag, fsm.final_output());
        break;
    }
  }

  // ---- tools ----

  // Never throws: a failure (a hook's or an error formatter's exception) becomes the outcome's run_error,
  // which ends the run. An exception leaving run_all would not: `run_all || cancel_watch` waits for a branch
  // that succeeds, and cancel_watch only ends with cancel().
  asio::awaitable<void> run_one(const detail::tool_call& c, detail::call_outcome& out) {
    try {
      out = co_await detail::execute_tool_call(*c.tool, *c.call, ctx, ag, opts);
    } catch (...) {
      out.run_error = std::current_exception();
    }
  }

  asio::awaitable<void> run_all(const std::vector<detail::tool_call>& calls,
                                std::vector<detail::call_outcome>& outcomes) {
    auto ex = co_await asio::this_coro::executor;
    const std::size_t n = calls.size();
    const std::size_t batch = opts.max_tool_concurrency ? opts.max_tool_concurrency : n;
    for (std::size_t first = 0; first < n; first += batch) {
      using op_type = decltype(asio::co_spawn(ex, run_one(calls[0], outcomes[0]), asio::deferred));
      std::vector<op_type> ops;
      for (std::size_t i = first; i < std::min(n, first + batch); ++i)
        ops.push_back(asio::co_spawn(ex, run_one(calls[i], outcomes[i]), asio::deferred));
      auto [order, errors] = co_await asio::experimental::make_parallel_group(std::move(ops))
                                 .async_wait(asio::experimental::wait_for_all(), asio::deferred);
      for (auto& e : errors)
        if (e) std::rethrow_exception(e);
    }
  }

  // Never throws (see run_one): a failure to open the model call is left in `failure`.
  asio::awaitable<void> open_model(json::object request, std::exception_ptr& failure) {
    try {
      stream = co_await backend->stream(std::move(request));
    } catch (...) {
      failure = std::current_exception();
    }
  }

  // Completes when cancel() is called (or the run's coroutine is cancelled).
  asio::awaitable<void> cancel_watch() {
    if (fsm.cancel_requested())
      co_return;  // cancel() ran before this wait started (e.g. from the first tool)
    co_await cancel_timer->async_wait(asio::as_tuple(asio::use_awaitable));
  }

  asio::awaitable<std::vector<detail::call_outcome>> run_tools(const std::vector<detail::tool_call>& calls) {
    std::vector<detail::call_outcome> outcomes(calls.size());
    if (!cancel_timer)
      cancel_timer.emplace(co_await asio::this_coro::executor, asio::steady_timer::time_point::max());
    co_await (run_all(calls, outcomes) || cancel_watch());
    auto state_now = co_await asio::this_coro::cancellation_state;
    if (state_now.cancelled() != asio::cancellation_type::none)
      throw boost::system::system_error(asio::error::operation_aborted);
    co_return outcomes;  // after cancel() the state machine discards them
  }

  // ---- one action ----

  // A terminal action ends the run (no I/O: an awaiting coroutine that was cancelled must still get here).
  bool end_if_terminal(const detail::turn_action& action) {
    const bool terminal = std::holds_alternative<actions::finished>(action) ||
                          std::holds_alternative<actions::fail>(action) ||
                          std::holds_alternative<actions::cancelled>(action);
    if (!terminal) return false;
    over = true;
    stream.reset();
    if (auto* f = std::get_if<actions::fail>(&action)) error = f->error;
    return true;
  }

  // Carries out an I/O action; sets `pending` to what happened.
  asio::awaitable<void> carry_out(detail::turn_action& action) {
    pending = inputs::resumed{};
    if (std::holds_alternative<actions::evaluate_instructions>(action)) {
      pending = inputs::instructions_ready{co_await std::get<dynamic_instructions>(ag.instructions)(ctx, ag)};
    } else if (auto* h = std::get_if<actions::call_hook>(&action)) {
      co_await call_hook(h->point);
    } else if (auto* m = std::get_if<actions::call_model>(&action)) {
      model_started = std::chrono::steady_clock::now();
      model_first_event.reset();
      // Opening the call (connecting, waiting for the head, sleeping between retries) races cancel(), which
      // has no stream to close yet.
      if (!cancel_timer)
        cancel_timer.emplace(co_await asio::this_coro::executor, asio::steady_timer::time_point::max());
      std::exception_ptr open_error;
      co_await (open_model(std::move(m->request), open_error) || cancel_watch());
      if (!open_error && !stream)
        open_error = std::make_exception_ptr(
            openai::api_error(openai::errc::cancelled, "the run was cancelled while the model call opened"));
      if (open_error) {
        stream.reset();
        model_call_failed(open_error);
        std::rethrow_exception(open_error);
      }
    } else if (std::holds_alternative<actions::read_model>(action)) {
      std::optional<openai::response_event> ev;
      try {
        ev = co_await stream->next();
      } catch (...) {
        model_call_failed(std::current_exception());
        throw;
      }
      if (ev) {
        if (model_started && !model_first_event)
          model_first_event = std::chrono::steady_clock::now() - *model_started;
        pending = inputs::model_event{std::move(*ev), &stream->current()};
      } else {
        model_call_ended(true);
        pending = inputs::model_finished{stream->current()};
        stream.reset();
      }
    } else if (auto* t = std::get_if<actions::run_tools>(&action)) {
      pending = inputs::tools_finished{co_await run_tools(t->calls)};
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
    if (s.over) {
      if (s.error) std::rethrow_exception(std::exchange(s.error, nullptr));
      co_return std::nullopt;
    }
    auto action = s.fsm.resume(std::exchange(s.pending, detail::turn_inputs::resumed{}));
    if (auto* e = std::get_if<actions::emit>(&action)) co_return std::move(e->event);
    if (s.end_if_terminal(action)) continue;
    try {
      co_await s.carry_out(action);
    } catch (const openai::api_error& e) {
      s.pending = detail::turn_inputs::failed{std::current_exception(), e.kind() == openai::errc::cancelled};
    } catch (...) {
      s.pending = detail::turn_inputs::failed{std::current_exception()};
    }
  }
}

void run_stream::cancel(cancel_mode mode) noexcept {
  auto& s = *impl_;
  if (!s.fsm.cancel(mode)) return;
  if (s.stream) s.stream->cancel();
  if (s.cancel_timer) s.cancel_timer->cancel();
}

bool run_stream::done() const noexcept {
  return impl_->over;
}
bool run_stream::cancelled() const noexcept {
  return impl_->fsm.was_cancelled();
}
const json::value& run_stream::final_output() const noexcept {
  return impl_->fsm.final_output();
}
std::string run_stream::final_text() const {
  const auto& v = final_output();
  if (v.is_null()) return {};
  if (v.is_string()) return std::string(v.as_string());
  return json::serialize(v);
}
const std::deque<run_item>& run_stream::new_items() const noexcept {
  return impl_->fsm.items();
}
const std::vector<openai::response>& run_stream::raw_responses() const noexcept {
  return impl_->fsm.responses();
}
const run_usage& run_stream::usage() const noexcept {
  return impl_->ctx.usage();
}
std::string run_stream::last_response_id() const {
  return impl_->fsm.last_response_id();
}
const agent& run_stream::last_agent() const noexcept {
  return impl_->ag;
}
run_context& run_stream::context() noexcept {
  return impl_->ctx;
}
json::array run_stream::to_input_list() const {
  return impl_->fsm.to_input_list();
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
  return run_stream(std::make_unique<run_stream::impl>(std::move(starting_agent), std::move(items), ctx,
                                                       std::move(options)));
}

asio::awaitable<json::value> run_to_completion(agent a, run_input input, run_context& ctx,
                                               run_options options) {
  auto run = run_streamed(std::move(a), std::move(input), ctx, std::move(options));
  while (co_await run.next()) {
  }
  co_return run.final_output();
}

}  // namespace chatkit::agents
