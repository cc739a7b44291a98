#include <chatkit/openai/blocking_client.hpp>

// GCC 12 at -O1 inlines Asio's awaitable frame allocation and then reports a false
// -Wmismatched-new-delete (the frame's own operator new/delete pair is used consistently).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace chatkit::openai {

namespace net = boost::asio;

struct blocking_client::impl {
  net::io_context ioc{1};
  client c;
  explicit impl(client_options o) : c(ioc.get_executor(), std::move(o)) {}

  template <class T>
  T run(net::awaitable<T> a) {
    auto fut = net::co_spawn(ioc, std::move(a), net::use_future);
    ioc.restart();
    ioc.run();
    return fut.get();
  }
};

blocking_client::blocking_client(client_options opts) : impl_(std::make_unique<impl>(std::move(opts))) {}
blocking_client::~blocking_client() = default;

response blocking_client::create_response(boost::json::object params, request_options opts) {
  return impl_->run(impl_->c.create_response(std::move(params), std::move(opts)));
}

chat_completion blocking_client::create_chat_completion(boost::json::object params, request_options opts) {
  return impl_->run(impl_->c.create_chat_completion(std::move(params), std::move(opts)));
}

namespace {

// Reads a stream to its end, handing every event to `on_event`; the accumulated result.
template <class Event, class Result>
net::awaitable<Result> read_all(net::awaitable<event_stream<Event, Result>> open,
                                const std::function<void(const Event&)>& on_event) {
  auto s = co_await std::move(open);
  while (auto e = co_await s.next())
    if (on_event) on_event(*e);
  co_return s.current();
}

}  // namespace

response blocking_client::stream_response(boost::json::object params,
                                          const std::function<void(const response_event&)>& on_event,
                                          request_options opts) {
  return impl_->run(read_all(impl_->c.stream_response(std::move(params), std::move(opts)), on_event));
}

chat_completion blocking_client::stream_chat_completion(boost::json::object params,
                                                        const std::function<void(const chat_chunk&)>& on_chunk,
                                                        request_options opts) {
  return impl_->run(read_all(impl_->c.stream_chat_completion(std::move(params), std::move(opts)), on_chunk));
}

}  // namespace chatkit::openai
