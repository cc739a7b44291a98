// The OpenAI client's operations with any Asio completion token (docs/openai-client.md#completion-tokens):
// a callback, boost::asio::use_future, use_awaitable (the default), deferred, as_tuple(...), a bound
// cancellation slot... Each operation runs the client's coroutine with co_spawn on the client's executor and
// completes with `void(std::exception_ptr, T)`, the signature of co_spawn: on failure the exception_ptr holds
// the api_error and T is default-constructed.
//
//   openai::async_create_response(client, params, [](std::exception_ptr e, openai::response r) { ... });
//   std::future<openai::response> f = openai::async_create_response(client, params, boost::asio::use_future);
//
// Only this header includes co_spawn and the token machinery: code that only co_awaits the client
// (client.hpp) does not pay for it.
#pragma once

#include <chatkit/openai/client.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <exception>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace chatkit::openai {

// The token used when none is given: the operation is an awaitable, as the client's own functions.
using default_completion_token = boost::asio::use_awaitable_t<>;

namespace detail {

// Anything but request_options may be a token (keeps the overloads with and without options apart).
template <class T>
concept completion_token_arg = !std::is_same_v<std::remove_cvref_t<T>, request_options>;

template <class Event, class Result, class OnEvent>
boost::asio::awaitable<Result> drain_stream(boost::asio::awaitable<event_stream<Event, Result>> open,
                                            OnEvent on_event) {
  auto stream = co_await std::move(open);
  while (auto event = co_await stream.next()) on_event(*event);
  co_return stream.current();
}

}  // namespace detail

// POST /responses (client::create_response), completing with `void(std::exception_ptr, response)`.
template <detail::completion_token_arg CompletionToken = default_completion_token>
auto async_create_response(const client& c, boost::json::object params, request_options opts,
                           CompletionToken&& token = {}) {
  return boost::asio::co_spawn(c.get_executor(), c.create_response(std::move(params), std::move(opts)),
                               std::forward<CompletionToken>(token));
}
template <detail::completion_token_arg CompletionToken = default_completion_token>
auto async_create_response(const client& c, boost::json::object params, CompletionToken&& token = {}) {
  return async_create_response(c, std::move(params), request_options{}, std::forward<CompletionToken>(token));
}

// A streamed POST /responses (client::stream_response): `on_event(const response_event&)` is called on the
// client's executor for every event as it arrives; the operation completes with the accumulated response,
// `void(std::exception_ptr, response)`, after the terminal event (or with the error that ended the stream).
template <class OnEvent, detail::completion_token_arg CompletionToken = default_completion_token>
requires std::is_invocable_v<OnEvent&, const response_event&>
auto async_stream_response(const client& c, boost::json::object params, request_options opts,
                           OnEvent on_event, CompletionToken&& token = {}) {
  return boost::asio::co_spawn(
      c.get_executor(),
      detail::drain_stream(c.stream_response(std::move(params), std::move(opts)), std::move(on_event)),
      std::forward<CompletionToken>(token));
}
template <class OnEvent, detail::completion_token_arg CompletionToken = default_completion_token>
requires std::is_invocable_v<OnEvent&, const response_event&>
auto async_stream_response(const client& c, boost::json::object params, OnEvent on_event,
                           CompletionToken&& token = {}) {
  return async_stream_response(c, std::move(params), request_options{}, std::move(on_event),
                               std::forward<CompletionToken>(token));
}

// POST /chat/completions (client::create_chat_completion): `void(std::exception_ptr, chat_completion)`.
template <detail::completion_token_arg CompletionToken = default_completion_token>
auto async_create_chat_completion(const client& c, boost::json::object params, request_options opts,
                                  CompletionToken&& token = {}) {
  return boost::asio::co_spawn(c.get_executor(), c.create_chat_completion(std::move(params), std::move(opts)),
                               std::forward<CompletionToken>(token));
}
template <detail::completion_token_arg CompletionToken = default_completion_token>
auto async_create_chat_completion(const client& c, boost::json::object params, CompletionToken&& token = {}) {
  return async_create_chat_completion(c, std::move(params), request_options{},
                                      std::forward<CompletionToken>(token));
}

// A streamed POST /chat/completions: `on_chunk(const chat_chunk&)` per chunk, then the assembled
// completion, `void(std::exception_ptr, chat_completion)`.
template <class OnChunk, detail::completion_token_arg CompletionToken = default_completion_token>
requires std::is_invocable_v<OnChunk&, const chat_chunk&>
auto async_stream_chat_completion(const client& c, boost::json::object params, request_options opts,
                                  OnChunk on_chunk, CompletionToken&& token = {}) {
  return boost::asio::co_spawn(
      c.get_executor(),
      detail::drain_stream(c.stream_chat_completion(std::move(params), std::move(opts)), std::move(on_chunk)),
      std::forward<CompletionToken>(token));
}

// Any other JSON path (client::post): `void(std::exception_ptr, boost::json::value)`.
template <detail::completion_token_arg CompletionToken = default_completion_token>
auto async_post(const client& c, std::string_view path, boost::json::object body, request_options opts,
                CompletionToken&& token = {}) {
  return boost::asio::co_spawn(c.get_executor(), c.post(path, std::move(body), std::move(opts)),
                               std::forward<CompletionToken>(token));
}
template <detail::completion_token_arg CompletionToken = default_completion_token>
auto async_post(const client& c, std::string_view path, boost::json::object body,
                CompletionToken&& token = {}) {
  return async_post(c, path, std::move(body), request_options{}, std::forward<CompletionToken>(token));
}

}  // namespace chatkit::openai
