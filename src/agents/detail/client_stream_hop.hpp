// A client stream (openai::responses_stream or openai::chat_stream) used from another executor. The client
// (its pool) belongs to one executor while runs live on any executor (one strand per connection of
// chatkit::http::server): next() is hopped onto the client's executor with co_spawn and awaited from the
// caller's (cancellation crosses the hop); cancel() and the final close are posted there. open_on_client()
// opens such a stream the same way.
#pragma once

#include <chatkit/agents/model.hpp>
#include <chatkit/openai/client.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <string>
#include <utility>

namespace chatkit::agents::detail {

// Opens a stream on the client's executor, awaited from the caller's: `open(client, request_options)`
// returns the client's awaitable (stream_response, stream_chat_completion). Model calls made for agents
// identify themselves with agents_user_agent (as the Python Agents SDK does with its own); the client's
// default User-Agent stays for direct API use.
template <class Stream, class Open>
boost::asio::awaitable<std::shared_ptr<Stream>> open_on_client(std::shared_ptr<const openai::client> client,
                                                               Open open) {
  openai::request_options ro;
  ro.extra_headers.push_back({"User-Agent", std::string(agents_user_agent)});
  auto ex = client->get_executor();
  co_return co_await boost::asio::co_spawn(
      ex,
      [client = std::move(client), open = std::move(open),
       ro = std::move(ro)]() mutable -> boost::asio::awaitable<std::shared_ptr<Stream>> {
        co_return std::make_shared<Stream>(co_await open(*client, std::move(ro)));
      },
      boost::asio::use_awaitable);
}

template <class Stream>
class client_stream_hop {
 public:
  client_stream_hop(boost::asio::any_io_executor client_ex, std::shared_ptr<Stream> s)
      : client_ex_(std::move(client_ex)), stream_(std::move(s)) {}
  client_stream_hop(const client_stream_hop&) = delete;
  client_stream_hop& operator=(const client_stream_hop&) = delete;

  ~client_stream_hop() {
    // The stream's connection must be closed on its own executor.
    boost::asio::post(client_ex_, [s = std::move(stream_)]() mutable { s.reset(); });
  }

  // The stream's next(), run on the client's executor.
  auto next() -> decltype(std::declval<Stream&>().next()) {
    auto s = stream_;
    co_return co_await boost::asio::co_spawn(
        client_ex_, [s]() -> decltype(std::declval<Stream&>().next()) { co_return co_await s->next(); },
        boost::asio::use_awaitable);
  }

  void cancel() noexcept {
    try {
      boost::asio::post(client_ex_, [s = stream_] { s->cancel(); });
    } catch (...) {
      // posting only fails when memory is exhausted; the stream then ends by its own timeouts
    }
  }

 private:
  boost::asio::any_io_executor client_ex_;
  std::shared_ptr<Stream> stream_;
};

}  // namespace chatkit::agents::detail
