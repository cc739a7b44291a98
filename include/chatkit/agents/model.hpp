// The model interface the runner talks to: one streamed Responses call. openai_responses_model adapts
// chatkit::openai::client (any compatible base URL); tests and other providers implement the two small
// interfaces themselves.
#pragma once

#include <chatkit/openai/response.hpp>
#include <chatkit/openai/response_events.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <memory>
#include <optional>
#include <string_view>

namespace chatkit::openai {
class client;
struct client_options;
}

namespace chatkit::agents {

namespace detail {
class owned_client;
}

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
inline constexpr std::string_view agents_user_agent = "chatkit-cpp/0.1.0 agents";

// The Responses API through chatkit::openai::client. One model (one client, one keep-alive pool) serves every
// request of a server: each client operation runs on the client's executor and is awaited from the caller's,
// so runs may live on any executor (chatkit::http::server gives each connection its own strand).
class openai_responses_model final : public model {
 public:
  // Owns a client made from `options` (unset fields from OPENAI_API_KEY, OPENAI_BASE_URL, ...) and one I/O
  // thread that runs it. Throws openai::api_error(invalid_argument) without an API key or with a bad URL.
  explicit openai_responses_model(openai::client_options options);
  // Uses a client the host runs. With an io_context run by several threads, create it on a strand:
  //   std::make_shared<const openai::client>(asio::make_strand(ioc), options)
  explicit openai_responses_model(std::shared_ptr<const openai::client> client);
  ~openai_responses_model() override;
  openai_responses_model(const openai_responses_model&) = delete;
  openai_responses_model& operator=(const openai_responses_model&) = delete;

  boost::asio::awaitable<std::unique_ptr<model_stream>> stream(boost::json::object request) override;

 private:
  std::unique_ptr<detail::owned_client> owned_;  // only with the owning constructor
  std::shared_ptr<const openai::client> client_;
};

}  // namespace chatkit::agents
