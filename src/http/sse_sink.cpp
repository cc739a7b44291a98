// GCC 12 at -O3 misreports Asio's recycled coroutine-frame allocator (operator new paired with its own
// aligned free) as -Wmismatched-new-delete; the pairing is correct.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include "http/detail/sse_sink.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <cstdio>

namespace chatkit::http::detail {
namespace asio = boost::asio;

namespace {

// A steady_timer that never expires serves as a condition variable: cancel() wakes the waiter. The wait
// also ends when the coroutine itself is cancelled, which must then propagate instead of looking like a
// wake-up.
asio::awaitable<void> wait_for_wake(asio::steady_timer& t) {
  t.expires_at(asio::steady_timer::time_point::max());
  co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
  auto cs = co_await asio::this_coro::cancellation_state;
  if (cs.cancelled() != asio::cancellation_type::none)
    throw boost::system::system_error(asio::error::operation_aborted);
}

std::size_t count_frames(std::string_view frames) noexcept {
  // Event JSON never contains a raw newline (strings escape it, the writer adds no whitespace), so each
  // "\n\n" ends exactly one frame.
  std::size_t n = 0;
  for (auto pos = frames.find("\n\n"); pos != std::string_view::npos; pos = frames.find("\n\n", pos + 2)) ++n;
  return n;
}

}  // namespace

sse_sink::sse_sink(stream_ref stream, std::string head, bool chunked,
                   std::chrono::milliseconds write_timeout, std::size_t high_water)
    : stream_(stream),
      head_(std::move(head)),
      chunked_(chunked),
      write_timeout_(write_timeout),
      high_water_(high_water == 0 ? 1 : high_water),
      writer_wake_(stream.get_executor()),
      producer_wake_(stream.get_executor()) {}

asio::awaitable<void> sse_sink::write(std::string_view frames) {
  if (broken_) throw boost::system::system_error(asio::error::broken_pipe, "client gone");
  if (frames.empty()) co_return;
  pending_.append(frames);
  events_ += count_frames(frames);
  started_ = true;
  writer_wake_.cancel();
  // Back pressure: a client that reads slower than the bot produces eventually stalls the bot.
  while (pending_.size() >= high_water_) {
    if (broken_) throw boost::system::system_error(asio::error::broken_pipe, "client gone");
    co_await wait_for_wake(producer_wake_);
  }
}

void sse_sink::finish(std::exception_ptr error) {
  error_ = std::move(error);
  finished_ = true;
  writer_wake_.cancel();
}

asio::awaitable<void> sse_sink::write_buffers(std::string_view a, std::string_view b, std::string_view c,
                                              std::string_view d) {
  std::array<asio::const_buffer, 4> bufs{asio::buffer(a), asio::buffer(b), asio::buffer(c), asio::buffer(d)};
  stream_.expires_after(write_timeout_);
  auto [ec, n] = co_await asio::async_write(stream_, bufs, asio::as_tuple(asio::use_awaitable));
  // The stream's timer must not outlive this write: an idle stream (a bot thinking) is not a timeout.
  stream_.expires_never();
  if (ec) {
    broken_ = true;
    producer_wake_.cancel();
    throw boost::system::system_error(ec, "writing the event stream");
  }
}

asio::awaitable<void> sse_sink::writer() {
  for (;;) {
    if (pending_.empty()) {
      if (finished_) break;
      // Nothing to send: a stream that waits (a bot thinking, an idle stream) keeps no large batch buffer.
      if (inflight_.capacity() > 1024) std::string().swap(inflight_);
      if (pending_.capacity() > 1024) std::string().swap(pending_);
      co_await wait_for_wake(writer_wake_);
      continue;
    }
    inflight_.swap(pending_);
    std::string_view head = head_sent_ ? std::string_view() : std::string_view(head_);
    head_sent_ = true;
    std::array<char, 20> prefix{};
    std::string_view size_line;
    if (chunked_) {
      int len = std::snprintf(prefix.data(), prefix.size(), "%zx\r\n", inflight_.size());
      size_line = std::string_view(prefix.data(), static_cast<std::size_t>(len));
    }
    co_await write_buffers(head, size_line, inflight_,
                           chunked_ ? std::string_view("\r\n") : std::string_view());
    if (!head.empty()) std::string().swap(head_);  // sent: a long stream need not keep it
    inflight_.clear();
    producer_wake_.cancel();
  }
  if (error_ && !started_) co_return;  // nothing sent: the caller answers with the error's status
  std::string_view head = head_sent_ ? std::string_view() : std::string_view(head_);
  head_sent_ = true;
  co_await write_buffers(head, chunked_ ? std::string_view("0\r\n\r\n") : std::string_view(), {}, {});
}

}  // namespace chatkit::http::detail
