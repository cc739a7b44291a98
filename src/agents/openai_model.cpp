// openai_responses_model: the runner's model interface over chatkit::openai::client.
#include <chatkit/agents/errors.hpp>
#include <chatkit/agents/model.hpp>
#include <chatkit/openai/client.hpp>

namespace chatkit::agents {

namespace {

class openai_stream final : public model_stream {
 public:
  explicit openai_stream(openai::responses_stream s) : stream_(std::move(s)) {}
  boost::asio::awaitable<std::optional<openai::response_event>> next() override { return stream_.next(); }
  const openai::response& current() const noexcept override { return stream_.current(); }
  void cancel() noexcept override { stream_.cancel(); }

 private:
  openai::responses_stream stream_;
};

}  // namespace

openai_responses_model::openai_responses_model(std::shared_ptr<const openai::client> client)
    : client_(std::move(client)) {
  if (!client_) throw user_error("openai_responses_model needs a client");
}

boost::asio::awaitable<std::unique_ptr<model_stream>> openai_responses_model::stream(boost::json::object request) {
  // Model calls made for agents identify themselves (spec agent-runner.md §10: the reference sends an
  // Agents/ChatKit user agent); the client's own default stays for direct API use.
  openai::request_options ro;
  ro.extra_headers.push_back({"User-Agent", std::string(agents_user_agent)});
  auto s = co_await client_->stream_response(std::move(request), std::move(ro));
  co_return std::make_unique<openai_stream>(std::move(s));
}

}  // namespace chatkit::agents
