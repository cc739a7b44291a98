// The event_sink of one streaming response (private to the http layer). The producer (the processor's
// `run`) appends frames to a buffer and returns at once; `writer()` runs beside it and sends whatever has
// accumulated in one write, so a bot faster than the network costs one syscall per batch, not per frame.
// The response head is sent with the first frame only: an error thrown before it can still become a
// proper status code.
#pragma once

#include <chatkit/server/request_processor.hpp>

#include "http/detail/stream_ref.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <exception>
#include <string>

namespace chatkit::http::detail {

class sse_sink final : public server::event_sink {
 public:
  sse_sink(stream_ref stream, std::string head, bool chunked, std::chrono::milliseconds write_timeout,
           std::size_t high_water);

  boost::asio::awaitable<void> write(std::string_view frames) override;

  // Flushes frames until the producer finished, then ends the body (terminating chunk). Sends nothing at
  // all when the producer failed before its first frame. Throws when a write fails or on cancellation.
  boost::asio::awaitable<void> writer();

  // The producer is done; `error` is its exception, if any.
  void finish(std::exception_ptr error);

  bool started() const noexcept { return started_; }
  std::exception_ptr error() const noexcept { return error_; }
  std::size_t events() const noexcept { return events_; }

 private:
  boost::asio::awaitable<void> write_buffers(std::string_view a, std::string_view b, std::string_view c,
                                             std::string_view d);

  stream_ref stream_;
  std::string head_;
  bool chunked_;
  std::chrono::milliseconds write_timeout_;
  std::size_t high_water_;
  boost::asio::steady_timer writer_wake_;
  boost::asio::steady_timer producer_wake_;
  std::string pending_;
  std::string inflight_;
  std::exception_ptr error_;
  std::size_t events_ = 0;
  bool started_ = false;
  bool head_sent_ = false;
  bool finished_ = false;
  bool broken_ = false;
};

}  // namespace chatkit::http::detail
