#include "agents/detail/tool_execution.hpp"

#include <chatkit/metrics.hpp>
#include <chatkit/openai/json_text.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstdio>

namespace chatkit::agents::detail {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace boost::asio::experimental::awaitable_operators;

namespace {

std::string format(const run_options& opts, tool_failure f) {
  return opts.tool_error_formatter ? opts.tool_error_formatter(f) : default_tool_error_message(f);
}

// The tool's result or its exception — never thrown, so `||` with a timer means "whichever finishes first"
// (awaitable `||` waits for the first *successful* branch).
struct guarded_result {
  std::optional<tool_output> output;
  std::exception_ptr error;
};

asio::awaitable<guarded_result> guarded_invoke(const function_tool& tool, tool_context& tc,
                                               json::object args) {
  guarded_result r;
  try {
    r.output = co_await tool.invoke(tc, std::move(args));
  } catch (...) {
    r.error = std::current_exception();
  }
  co_return r;
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<void> throw_if_cancelled() {
  auto state = co_await asio::this_coro::cancellation_state;
  if (state.cancelled() != asio::cancellation_type::none)
    throw boost::system::system_error(asio::error::operation_aborted);
}

std::string seconds_text(std::chrono::milliseconds d) {
  char buf[32];
  const double s = static_cast<double>(d.count()) / 1000.0;
  std::snprintf(buf, sizeof buf, "%g", s);
  return buf;
}

asio::awaitable<call_outcome> run_tool_call(const function_tool& tool, const openai::output_item& call,
                                            run_context& ctx, const agent& a, const run_options& opts) {
  call_outcome out;
  auto fail = [&](tool_failure_kind k, std::string_view message) {
    out.failed = true;
    out.output = tool_output(format(opts, {k, tool.name, message}));
  };

  // Arguments: "" means {} (some models send nothing for a parameterless tool).
  json::object args;
  if (!call.arguments.empty()) {
    boost::system::error_code ec;
    // Lone surrogate escapes in the arguments become U+FFFD (docs/openai-client.md#lone-surrogates).
    auto parsed = openai::parse_json_text(call.arguments, ec);
    if (ec) {
      fail(tool_failure_kind::invalid_json, ec.message());
      co_return out;
    }
    if (!parsed.is_object()) {
      fail(tool_failure_kind::invalid_json, "the arguments are not a JSON object");
      co_return out;
    }
    args = std::move(parsed.as_object());
  }

  // A bound parameter's name anywhere in the model's arguments: refused (or stripped) here, before the hooks,
  // so neither they nor the handler (nor its raw_arguments) ever see a forged value.
  bool stripped = false;
  if (auto refusal = screen_bound_arguments(tool, args, ctx, tool.name, stripped)) {
    fail(tool_failure_kind::invalid_arguments, *refusal);
    co_return out;
  }
  std::string screened_arguments;
  std::string_view raw_arguments = call.arguments;
  if (stripped) {
    screened_arguments = json::serialize(args);
    raw_arguments = screened_arguments;
  }

  tool_context tc{ctx, a, tool.name, call.call_id, raw_arguments};
  if (opts.hooks) co_await opts.hooks->on_tool_start(ctx, a, tool, args);

  guarded_result r;
  if (tool.timeout) {
    auto raced = co_await (guarded_invoke(tool, tc, std::move(args)) || sleep_for(*tool.timeout));
    co_await throw_if_cancelled();
    if (raced.index() == 0) {
      r = std::move(std::get<0>(raced));
    } else if (tool.on_timeout == timeout_behavior::raise_exception) {
      out.run_error = std::make_exception_ptr(
          tool_timeout_error(tool.name, static_cast<double>(tool.timeout->count()) / 1000.0));
      co_return out;
    } else {
      fail(tool_failure_kind::timeout, seconds_text(*tool.timeout));
    }
  } else {
    r = co_await guarded_invoke(tool, tc, std::move(args));
    co_await throw_if_cancelled();
  }

  if (r.output) {
    out.output = std::move(*r.output);
  } else if (r.error) {
    try {
      std::rethrow_exception(r.error);
    } catch (const tool_argument_error& e) {
      // Argument problems always go back to the model: they are the model's to fix.
      fail(tool_failure_kind::invalid_arguments, e.what());
    } catch (const std::exception& e) {
      if (tool.on_failure == failure_mode::propagate) {
        out.run_error = r.error;
        co_return out;
      }
      fail(tool_failure_kind::exception, e.what());
    } catch (...) {
      if (tool.on_failure == failure_mode::propagate) {
        out.run_error = r.error;
        co_return out;
      }
      fail(tool_failure_kind::exception, "unknown error");
    }
  }
  if (opts.hooks) co_await opts.hooks->on_tool_end(ctx, a, tool, out.output);
  co_return out;
}

}  // namespace

asio::awaitable<call_outcome> execute_tool_call(const function_tool& tool, const openai::output_item& call,
                                                run_context& ctx, const agent& a, const run_options& opts) {
  auto out = co_await run_tool_call(tool, call, ctx, a, opts);
  // By the registered tool's name only: the label set is bounded by the tools
  // (docs/guide-operations.md#metrics).
  metrics::count_tool_call(tool.name, !out.failed && !out.run_error);
  co_return out;
}

}  // namespace chatkit::agents::detail
