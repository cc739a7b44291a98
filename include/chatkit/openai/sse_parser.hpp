// An incremental, sans-IO parser for text/event-stream (WHATWG "event stream interpretation"; the rules
// it follows are listed in docs/openai-client.md#sse-framing): feed it bytes as they arrive, in chunks of any
// size split anywhere (inside a field name, between CR and LF, inside a UTF-8 sequence), and pull complete
// events out.
//
//   sse_parser p;
//   p.feed(bytes);
//   boost::system::error_code ec;
//   while (auto ev = p.next(ec)) use(ev->event, ev->data);
//   if (ec) fail(ec);            // only possible error: an event over max_event_size
//
// The parser never copies a single-line `data` payload: the event's views point into its buffer.
// They stay valid until the next call to feed() or next(). Work is O(bytes): each byte is scanned once.
#pragma once

#include <boost/system/error_code.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace chatkit::openai {

struct sse_event {
  std::string_view event;  // the `event:` name, empty when none was given
  std::string_view data;   // the `data:` lines joined with LF
  std::string_view id;     // the last event id seen so far (persists across events)
};

class sse_parser {
 public:
  static constexpr std::size_t default_max_event_size = 16u * 1024u * 1024u;

  explicit sse_parser(std::size_t max_event_size = default_max_event_size) noexcept
      : max_event_size_(max_event_size) {}

  // Appends bytes. Invalidates the views of previously returned events.
  void feed(std::string_view bytes);

  // The next complete event, or nullopt when more input is needed (ec clear) or on error (ec set:
  // openai::errc::stream_protocol_error when a line or event exceeds max_event_size).
  std::optional<sse_event> next(boost::system::error_code& ec);

  // End of input: a last unterminated line is still applied as a field (it may set `id`/`retry`), but a
  // pending, undelivered event is discarded (it may be truncated). Returns true when something was
  // discarded, i.e. the stream did not end on an event boundary.
  bool finish();

  const std::string& last_event_id() const noexcept { return last_id_; }
  // The reconnection delay of the last valid `retry:` field, in milliseconds.
  std::optional<std::uint64_t> retry() const noexcept { return retry_; }
  // Bytes fed but not yet consumed (for tests and diagnostics).
  std::size_t buffered() const noexcept { return buf_.size() - pos_; }

 private:
  // Applies one complete line (without its terminator). Returns true when the line dispatched an event.
  bool process_line(std::string_view line, boost::system::error_code& ec);
  void compact();

  std::string buf_;       // unconsumed input starts at pos_
  std::size_t pos_ = 0;   // start of the next unprocessed line
  std::size_t scan_ = 0;  // where the search for a line end resumes (pos_ <= scan_)
  bool skip_lf_ = false;  // the previous line ended in CR: a leading LF belongs to it
  bool bom_checked_ = false;

  // The pending event. A single data line is kept as a view into buf_ (offset/length); a second one
  // moves the data into data_buf_.
  std::size_t data_lines_ = 0;
  std::size_t data_off_ = 0;
  std::size_t data_len_ = 0;
  std::string data_buf_;
  std::string event_name_;
  std::string dispatched_event_name_;

  std::string last_id_;
  std::optional<std::uint64_t> retry_;
  std::size_t max_event_size_;
};

}  // namespace chatkit::openai
