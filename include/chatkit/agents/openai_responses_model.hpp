// openai_responses_model — the model interface over the Responses API (POST /responses) of
// chatkit::openai::client, for OpenAI and every compatible base URL.
//
//   auto model = std::make_shared<agents::openai_responses_model>(openai::client_options{});  // env defaults
//   auto run = agents::run_streamed(agent, "Hi", ctx, {.model = model});
#pragma once

#include <chatkit/agents/model.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <memory>

namespace chatkit::openai {
class client;
struct client_options;
}  // namespace chatkit::openai

namespace chatkit::agents {

namespace detail {
class owned_client;
}

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
