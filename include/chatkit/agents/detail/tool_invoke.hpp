// Calling a user's tool handler: either signature (with or without tool_context&), a plain or awaitable
// result, and the conversion of that result to tool_output. Shared by typed_tool and tool_builder.
#pragma once

#include <chatkit/agents/json_schema.hpp>
#include <chatkit/agents/run_context.hpp>
#include <chatkit/agents/tool.hpp>

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <type_traits>
#include <utility>

namespace chatkit::agents::detail {

template <class R>
struct awaited {
  static constexpr bool is_awaitable = false;
  using type = R;
};
template <class T, class Executor>
struct awaited<boost::asio::awaitable<T, Executor>> {
  static constexpr bool is_awaitable = true;
  using type = T;
};

// The handler's result type when called with (A, tool_context&) or (A).
template <class Handler, class A>
auto handler_result_probe() {
  if constexpr (std::is_invocable_v<Handler&, A&&, tool_context&>) {
    return std::type_identity<std::invoke_result_t<Handler&, A&&, tool_context&>>{};
  } else if constexpr (std::is_invocable_v<Handler&, A&&>) {
    return std::type_identity<std::invoke_result_t<Handler&, A&&>>{};
  } else {
    return std::type_identity<void>{};
  }
}
template <class Handler, class A>
inline constexpr bool handler_accepts =
    std::is_invocable_v<Handler&, A&&, tool_context&> || std::is_invocable_v<Handler&, A&&>;
template <class Handler, class A>
using handler_result_t = typename decltype(handler_result_probe<Handler, A>())::type;

template <class Handler, class A>
decltype(auto) call_handler(Handler& h, A&& arg, tool_context& ctx) {
  if constexpr (std::is_invocable_v<Handler&, A&&, tool_context&>) {
    return std::invoke(h, std::forward<A>(arg), ctx);
  } else {
    return std::invoke(h, std::forward<A>(arg));
  }
}

// What a handler may return: tool_output itself, anything tool_output converts from (std::string,
// const char*, boost::json::value/object), or a mapped C++ type (a described struct, enum, vector,
// optional, number, bool), which is sent as its JSON form.
template <class R>
inline constexpr bool is_tool_result =
    !std::is_void_v<R> && (described_struct<R> || described_enum<R> || is_vector<R>::value ||
                           is_optional<R>::value || json_integer<R> || std::is_floating_point_v<R> ||
                           std::is_same_v<R, bool> || std::is_constructible_v<tool_output, R>);

template <class R>
tool_output to_tool_output(R&& r) {
  using U = std::remove_cvref_t<R>;
  if constexpr (std::is_same_v<U, tool_output>) {
    return std::forward<R>(r);
  } else if constexpr (described_struct<U> || described_enum<U> || is_vector<U>::value ||
                       is_optional<U>::value || json_integer<U> || std::is_floating_point_v<U> ||
                       std::is_same_v<U, bool>) {
    return tool_output(encode_value(r));
  } else {
    return tool_output(std::forward<R>(r));
  }
}

template <class Handler, class A>
void check_handler_signature() {
  static_assert(handler_accepts<Handler, A>,
                "the tool handler must be callable as handler(args, tool_context&) or handler(args)");
  using result = handler_result_t<Handler, A>;
  using value = std::remove_cvref_t<typename awaited<result>::type>;
  static_assert(
      is_tool_result<value>,
      "the tool handler must return (an awaitable of) tool_output, std::string, boost::json::value or "
      "object, or a described struct / enum / vector / optional / number");
}

// Calls the handler with `arg` and converts what it returns (awaiting it first when it is an awaitable).
// `arg` must stay alive until the returned awaitable completes: handlers may take it by reference.
template <class Handler, class A>
boost::asio::awaitable<tool_output> run_handler(Handler& h, A& arg, tool_context& ctx) {
  using result = handler_result_t<Handler, A>;
  if constexpr (awaited<result>::is_awaitable) {
    co_return to_tool_output(co_await call_handler(h, std::move(arg), ctx));
  } else {
    co_return to_tool_output(call_handler(h, std::move(arg), ctx));
  }
}

}  // namespace chatkit::agents::detail
