// docs/agents.md: agents, runs, events, hooks, cancellation and errors.
#include "snippets.hpp"

#include <chatkit/agents/error.hpp>
#include <chatkit/openai/error.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

namespace snippets {

// [agent]
agents::agent make_assistant(std::vector<agents::function_tool> tools) {
  agents::agent a;
  a.name = "Assistant";
  a.instructions = std::string("You are a concise assistant. Use the tools when they help.");
  a.model = "gpt-4.1-mini";
  a.settings.temperature = 0.2;
  a.settings.parallel_tool_calls = true;  // sent only because the agent has tools
  a.tools = std::move(tools);
  a.max_turns = 6;  // at most 6 model calls per run
  return a;
}
// [agent]

// [dynamic_instructions]
agents::agent make_greeter() {
  agents::agent a;
  a.name = "Greeter";
  a.model = "gpt-4.1-mini";
  // Evaluated before every model call, with the run's context: the caller's verified claims are there.
  a.instructions = agents::dynamic_instructions(
      [](agents::run_context& ctx, const agents::agent&) -> asio::awaitable<std::string> {
        const json::value* name = ctx.caller().claims.if_contains("name");
        std::string who = name && name->is_string() ? std::string(name->get_string()) : "the user";
        co_return "Greet " + who + " by name and answer briefly.";
      });
  return a;
}
// [dynamic_instructions]

// [run_streamed]
asio::awaitable<std::string> ask(const agents::agent& a, std::shared_ptr<agents::model> model,
                                 const chatkit::request_context& caller, std::string question,
                                 std::ostream& out) {
  agents::run_context ctx(caller);  // who is asking: the only source of bound tool parameters
  agents::run_options options;
  options.model = std::move(model);
  auto run = agents::run_streamed(a, std::move(question), ctx, std::move(options));
  while (auto event = co_await run.next()) {  // throws the run's error after the last event
    if (const std::string* delta = agents::text_delta(*event)) {
      out << *delta << std::flush;
    } else if (auto* item = std::get_if<agents::run_item_event>(&*event)) {
      if (item->name == agents::run_item_event_name::tool_output)
        out << "[" << item->item->tool_name << ": " << json::serialize(item->item->output.to_wire()) << "]\n";
    }
  }
  out << "\n";
  co_return run.final_text();  // the last message's text
}
// [run_streamed]

// [two_turns]
asio::awaitable<std::string> two_turns(const agents::agent& a, std::shared_ptr<agents::model> model,
                                       const chatkit::request_context& caller) {
  agents::run_context ctx(caller);
  agents::run_options options;
  options.model = model;
  auto first = agents::run_streamed(a, "Add 'water the plants' to my list.", ctx, options);
  while (co_await first.next()) {
  }
  // The next turn's input: everything so far (input, model items, tool outputs) plus the new message.
  json::array history = first.to_input_list();
  history.push_back(json::object{{"role", "user"}, {"content", "And what is on it now?"}});
  auto second = agents::run_streamed(a, std::move(history), ctx, options);
  while (co_await second.next()) {
  }
  co_return second.final_text();
}
// [two_turns]

// [hooks]
asio::awaitable<void> trace_hooks::on_llm_start(agents::run_context&, const agents::agent& a,
                                                const std::string&, const json::array& input) {
  lines.push_back("llm_start " + a.name + " with " + std::to_string(input.size()) + " input items");
  co_return;
}
asio::awaitable<void> trace_hooks::on_tool_start(agents::run_context&, const agents::agent&,
                                                 const agents::function_tool& tool,
                                                 const json::object& arguments) {
  lines.push_back("tool_start " + tool.name + " " + json::serialize(arguments));  // bound values redacted
  co_return;
}
asio::awaitable<void> trace_hooks::on_tool_end(agents::run_context&, const agents::agent&,
                                               const agents::function_tool& tool,
                                               const agents::tool_output& result) {
  lines.push_back("tool_end " + tool.name + " " + json::serialize(result.to_wire()));
  co_return;
}
asio::awaitable<void> trace_hooks::on_agent_end(agents::run_context& ctx, const agents::agent& a,
                                                const json::value& output) {
  lines.push_back("agent_end " + a.name + " " + json::serialize(output) + " after " +
                  std::to_string(ctx.usage().requests) + " model calls");
  co_return;
}
// [hooks]

// [deadline]
asio::awaitable<std::string> ask_with_deadline(agents::run_stream& run, std::chrono::milliseconds limit) {
  asio::steady_timer timer(co_await asio::this_coro::executor, limit);
  // After `limit`, let the current model call and its tools finish, then stop before the next turn.
  timer.async_wait([&run](boost::system::error_code ec) {
    if (!ec) run.cancel(agents::cancel_mode::after_turn);
  });
  while (co_await run.next()) {
  }
  timer.cancel();
  co_return run.cancelled() ? std::string("(stopped: out of time)") : run.final_text();
}
// [deadline]

// [errors]
asio::awaitable<std::string> answer_or_apology(const agents::agent& a, std::string question,
                                               agents::run_context& ctx, agents::run_options options) {
  try {
    json::value out = co_await agents::run_to_completion(a, std::move(question), ctx, std::move(options));
    co_return out.is_string() ? std::string(out.get_string()) : json::serialize(out);
  } catch (const agents::max_turns_exceeded& e) {  // the model kept calling tools
    co_return "I gave up after " + std::to_string(e.max_turns()) + " steps.";
  } catch (const agents::model_response_error& e) {  // response.failed / response.incomplete
    co_return "The model stopped (" + e.status() + (e.reason().empty() ? "" : ", " + e.reason()) + ").";
  } catch (const agents::model_behavior_error& e) {  // unknown tool, refusal, no terminal event
    co_return std::string("The model misbehaved: ") + e.what();
  } catch (const agents::tool_timeout_error& e) {  // a raise_exception tool ran out of time
    co_return "The tool " + e.tool() + " took too long.";
  } catch (const chatkit::openai::api_error& e) {  // HTTP status, connection, timeout, stream errors
    co_return "The model is unavailable (" + e.code().message() + ").";
  }
}
// [errors]

}  // namespace snippets
