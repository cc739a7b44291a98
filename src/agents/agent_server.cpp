#include <chatkit/agents/agent_server.hpp>
#include <chatkit/log.hpp>

#include <chatkit/server/error.hpp>

#include <algorithm>

namespace chatkit::agents {

namespace cp = chatkit::protocol;
using boost::asio::awaitable;

agent_server::agent_server(std::shared_ptr<store::store> store, agents::agent a, agent_server_options options)
    : chatkit_server(std::move(store), options.attachments, options.server),
      agent_(std::move(a)),
      options_(std::move(options)) {
  if (!options_.converter) options_.converter = std::make_shared<thread_item_converter>();
  if (!options_.run.model && !agent_.model_backend)
    throw user_error("agent_server: no model (set agent_server_options::run.model or agent::model_backend)");
  if (options_.history_limit == 0) throw user_error("agent_server: history_limit must be at least 1");
  for (const auto& t : agent_.tools) t.check();
}

awaitable<agents::agent> agent_server::agent_for(const server::respond_args&) {
  co_return agent_;
}

awaitable<boost::json::array> agent_server::input_for(const server::respond_args& args) {
  auto page = co_await store().load_thread_items(args.thread.id, std::nullopt, options_.history_limit,
                                                 cp::sort_order::desc, args.ctx);
  std::reverse(page.data.begin(), page.data.end());
  co_return co_await options_.converter->to_agent_input(page.data);
}

void agent_server::prepare(run_context&, const server::respond_args&) {}

awaitable<void> agent_server::respond(server::respond_args args, server::event_emitter& out) {
  std::exception_ptr failure;
  try {
    agent_context chatkit_ctx(args.thread, store(), args.ctx);
    run_context ctx(args.ctx, &chatkit_ctx);
    if (options_.on_binding_violation) ctx.on_binding_violation = options_.on_binding_violation;
    prepare(ctx, args);
    auto input = co_await input_for(args);
    auto a = co_await agent_for(args);
    auto run = run_streamed(std::move(a), std::move(input), ctx, options_.run);
    co_await stream_agent_response(chatkit_ctx, run, out, options_.stream_options);
  } catch (...) {
    failure = std::current_exception();
  }
  if (!failure) co_return;
  if (!server::is_cancellation(failure)) {
    if (options_.on_run_error) {
      options_.on_run_error(args, failure);
    } else if (log::enabled(log::level::error)) {
      std::string what = "unknown exception";
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      log::error("agents", "run failed", {{"thread_id", args.thread.id}, {"error", what}});
    }
  }
  std::rethrow_exception(failure);
}

}  // namespace chatkit::agents
