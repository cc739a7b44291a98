// The model interface the runner talks to: one streamed Responses call. openai_responses_model
// (openai_responses_model.hpp) and openai_chat_model (openai_chat_model.hpp) adapt chatkit::openai::client;
// tests and other providers implement the two small interfaces themselves.
#pragma once

#include <chatkit/openai/response.hpp>
#include <chatkit/version.hpp>
#include <chatkit/openai/response_events.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <memory>
#include <optional>
#include <string_view>

namespace chatkit::agents {

// One model call's event stream. Implementations must honour the awaiting coroutine's cancellation and
// cancel() (both stop the call and close its connection).
class model_stream {
 public:
  virtual ~model_stream() = default;
  // The next Responses streaming event; nullopt after the terminal event. Throws on transport or stream
  // errors (an `error` event included).
  virtual boost::asio::awaitable<std::optional<openai::response_event>> next() = 0;
  // The response accumulated so far (the final one after the terminal event).
  virtual const openai::response& current() const noexcept = 0;
  virtual void cancel() noexcept = 0;
};

class model {
 public:
  virtual ~model() = default;
  // Starts a streamed call. `request` is a complete Responses request body (model, instructions, input,
  // tools, settings); the implementation adds "stream": true.
  virtual boost::asio::awaitable<std::unique_ptr<model_stream>> stream(boost::json::object request) = 0;
};

// The User-Agent of model calls made by the agents layer.
inline constexpr std::string_view agents_user_agent = "chatkit-cpp/" CHATKIT_VERSION_STRING " agents";

}  // namespace chatkit::agents
