// stream_agent_response's single queue: tool-enqueued ChatKit events and the runner's events, merged in
// arrival order. A bounded Asio channel, so a slow client applies back pressure to tools and to the model
// stream alike.
#pragma once

#include <chatkit/agents/runner.hpp>
#include <chatkit/protocol/events.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/channel.hpp>

#include <exception>
#include <variant>

namespace chatkit::agents::detail {

struct end_of_run {
  std::exception_ptr error;  // null: the run finished normally
};

using queue_message = std::variant<protocol::stream_event, run_event, end_of_run>;

class event_queue {
 public:
  explicit event_queue(const boost::asio::any_io_executor& ex, std::size_t capacity = 32)
      : channel_(ex, capacity) {}
  boost::asio::awaitable<void> push(queue_message m);
  boost::asio::awaitable<queue_message> pop();

 private:
  boost::asio::experimental::channel<void(boost::system::error_code, queue_message)> channel_;
};

}  // namespace chatkit::agents::detail
