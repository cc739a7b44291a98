// The asynchronous OpenAI client: Responses and Chat Completions, streaming and not, over HTTP/1.1 +
// TLS with a keep-alive pool, retries (docs/openai-client.md#retries), timeouts and cancellation.
//
//   chatkit::openai::client c(co_await asio::this_coro::executor);     // key from OPENAI_API_KEY
//   auto stream = co_await c.stream_response({{"model", "gpt-4.1"}, {"input", "Hi"}});
//   while (auto ev = co_await stream.next())
//     if (auto* d = std::get_if<output_text_delta>(&*ev)) std::cout << d->text;
//   auto& final = stream.current();                                       // accumulated Response
//
// Every awaitable honours the coroutine's cancellation (e.g. `co_await (op || timer)` or a bound
// cancellation slot): the connection is closed and the call fails with api_error(errc::cancelled).
// A client and its streams must be used from the executor the client was created with.
#pragma once

#include <chatkit/openai/chat_completions.hpp>
#include <chatkit/openai/client_options.hpp>
#include <chatkit/openai/error.hpp>
#include <chatkit/openai/response.hpp>
#include <chatkit/openai/response_events.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace chatkit::openai {

namespace detail {
class client_state;
}

// A stream of typed events read from one HTTP response: responses_stream (POST /responses with
// stream:true) yields response_event and accumulates a response; chat_stream (POST /chat/completions
// with stream:true) yields chat_chunk and assembles a chat_completion. Move-only; destroying it
// closes the connection unless the body was read to its end.
template <class Event, class Result>
class event_stream {
 public:
  struct impl;
  // Made by the client (impl is private to it).
  explicit event_stream(std::unique_ptr<impl> p) noexcept;
  event_stream(event_stream&&) noexcept;
  event_stream& operator=(event_stream&&) noexcept;
  ~event_stream();

  // The next event; nullopt once the stream is over (Responses: after the terminal event completed /
  // incomplete / failed; Chat: after `data: [DONE]`). Throws api_error: stream_error (an `error`
  // event or chunk), stream_truncated, stream_protocol_error, timeout, cancelled. Events are never
  // retried once delivered.
  boost::asio::awaitable<std::optional<Event>> next();

  // The result accumulated so far; the final one once done(). For Chat: tool calls joined by index,
  // usage once the usage chunk came.
  const Result& current() const noexcept;
  bool done() const noexcept;
  const std::string& request_id() const noexcept;
  const header_list& headers() const noexcept;
  // Closes the connection now; a pending or later next() fails with errc::cancelled.
  void cancel() noexcept;

 private:
  std::unique_ptr<impl> impl_;
};

using responses_stream = event_stream<response_event, response>;
using chat_stream = event_stream<chat_chunk, chat_completion>;
extern template class event_stream<response_event, response>;
extern template class event_stream<chat_chunk, chat_completion>;

class client {
 public:
  // Throws api_error(invalid_argument) when no API key is configured or a URL does not parse.
  explicit client(boost::asio::any_io_executor ex, client_options opts = {});

  // POST /responses. `params` is the request body (model, input, tools, ...); `stream` is set for you.
  boost::asio::awaitable<response> create_response(boost::json::object params,
                                                   request_options opts = {}) const;
  boost::asio::awaitable<responses_stream> stream_response(boost::json::object params,
                                                           request_options opts = {}) const;

  // POST /chat/completions. Streaming adds stream_options.include_usage unless the caller set it.
  boost::asio::awaitable<chat_completion> create_chat_completion(boost::json::object params,
                                                                 request_options opts = {}) const;
  boost::asio::awaitable<chat_stream> stream_chat_completion(boost::json::object params,
                                                             request_options opts = {}) const;

  // Any other JSON path under the base URL, e.g. post("/embeddings", body). Retries like the rest.
  boost::asio::awaitable<boost::json::value> post(std::string_view path, boost::json::object body,
                                                  request_options opts = {}) const;

  boost::asio::any_io_executor get_executor() const;
  // The effective base URL (after environment defaults).
  const std::string& base_url() const noexcept;

 private:
  std::shared_ptr<detail::client_state> state_;
  std::string base_url_;
};

}  // namespace chatkit::openai
