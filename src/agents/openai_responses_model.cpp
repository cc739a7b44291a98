// openai_responses_model: the runner's model interface over chatkit::openai::client.
//
// The client (its connection pool) belongs to one executor. Agents run on whatever executor their request
// coroutine has — in chatkit::http::server, one strand per connection of a multi-threaded io_context — so
// every client operation is hopped onto the client's executor with co_spawn and awaited from the caller's.
// One client (one keep-alive pool) then serves every connection safely; cancellation of the awaiting
// coroutine crosses the hop (co_spawn forwards it to the spawned coroutine's executor).
#include "agents/detail/client_stream_hop.hpp"
#include "agents/detail/owned_client.hpp"

#include <chatkit/agents/error.hpp>
#include <chatkit/agents/openai_responses_model.hpp>
#include <chatkit/openai/client.hpp>
#include <chatkit/openai/response_accumulator.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace chatkit::agents {

namespace asio = boost::asio;

namespace {

class openai_stream final : public model_stream {
 public:
  openai_stream(asio::any_io_executor client_ex, std::shared_ptr<openai::responses_stream> s)
      : hop_(std::move(client_ex), s) {
    acc_.current().request_id = s->request_id();  // set when the stream was opened; safe to read now
  }

  asio::awaitable<std::optional<openai::response_event>> next() override {
    auto ev = co_await hop_.next();
    // The caller's own accumulator (the client's lives on the other executor): O(1) per delta, where copying
    // the client's response after every event would copy the whole answer so far each time.
    if (ev) acc_.apply(*ev);
    co_return ev;
  }

  const openai::response& current() const noexcept override { return acc_.current(); }
  void cancel() noexcept override { hop_.cancel(); }

 private:
  detail::client_stream_hop<openai::responses_stream> hop_;
  openai::response_accumulator acc_;
};

}  // namespace

openai_responses_model::openai_responses_model(openai::client_options options)
    : owned_(std::make_unique<detail::owned_client>(std::move(options))), client_(owned_->client()) {}

openai_responses_model::openai_responses_model(std::shared_ptr<const openai::client> client)
    : client_(std::move(client)) {
  if (!client_) throw user_error("openai_responses_model needs a client");
}

openai_responses_model::~openai_responses_model() {
  client_.reset();  // the owned client (if any) is destroyed on its own thread by owned_'s destructor
}

boost::asio::awaitable<std::unique_ptr<model_stream>> openai_responses_model::stream(
    boost::json::object request) {
  auto s = co_await detail::open_on_client<openai::responses_stream>(
      client_, [request = std::move(request)](const openai::client& c, openai::request_options ro) mutable {
        return c.stream_response(std::move(request), std::move(ro));
      });
  co_return std::make_unique<openai_stream>(client_->get_executor(), std::move(s));
}

}  // namespace chatkit::agents
