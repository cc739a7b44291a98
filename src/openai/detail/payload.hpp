// What the Responses and Chat decoders share: pulling the next payload out of the SSE body, parsing it
// into a JSON object, and the api_error a failed stream raises. The payload rules are in
// docs/openai-client.md#sse-framing.
#pragma once

#include "openai/detail/lone_surrogates.hpp"

#include <chatkit/openai/error.hpp>
#include <chatkit/openai/sse_parser.hpp>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/storage_ptr.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace chatkit::openai::detail {

inline bool is_blank(std::string_view s) noexcept {
  for (char c : s)
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return false;
  return true;
}

inline bool is_done_marker(std::string_view s) noexcept {
  return s.starts_with("[DONE]");
}

// The offending payload for diagnostics, cut to 1 KiB.
inline std::string excerpt(std::string_view s) {
  return std::string(s.substr(0, 1024));
}

// A per-event arena whose first block lives inside the resource itself, so make_shared_resource makes
// ONE allocation for a typical event (text deltas fit easily); larger events spill to the heap.
class event_arena final : public boost::json::memory_resource {
 public:
  event_arena() noexcept : mr_(inline_, sizeof inline_) {}

 private:
  void* do_allocate(std::size_t n, std::size_t align) override { return mr_.allocate(n, align); }
  void do_deallocate(void*, std::size_t, std::size_t) override {}
  bool do_is_equal(const boost::json::memory_resource& other) const noexcept override {
    return this == &other;
  }

  alignas(std::max_align_t) unsigned char inline_[1536];
  boost::json::monotonic_resource mr_;
};

// Parses one JSON object with a reused parser (its internal stack is kept between events). The value
// lives in its own arena instead of costing one allocation per key and long string; the event that takes
// the object (see adopt()) keeps the arena alive.
inline boost::json::object parse_object(boost::json::parser& p, std::string_view data,
                                        boost::system::error_code& ec) {
  p.reset(boost::json::make_shared_resource<event_arena>());
  p.write(data, ec);
  if (ec) return {};
  auto v = p.release();
  if (!v.is_object()) {
    ec = boost::json::make_error_code(boost::json::error::not_object);
    return {};
  }
  return std::move(v.get_object());
}

// The api_error of a failed stream: the request id and the offending payload (cut to 1 KiB) attached.
inline api_error stream_failure(errc kind, error_details d, const std::string& request_id,
                                std::string_view offending = {}) {
  d.request_id = request_id;
  d.body = excerpt(offending);
  return api_error(kind, std::move(d));
}

inline api_error stream_failure(errc kind, std::string message, const std::string& request_id,
                                std::string_view offending = {}) {
  return api_error(kind, std::move(message), request_id, excerpt(offending));
}

// One SSE payload: a JSON object, or the `[DONE]` marker. `data` views the parser's buffer (valid until the
// next feed or next call).
struct payload {
  bool done_marker = false;
  boost::json::object object;
  std::string_view data;
  // The data held lone surrogate escapes: strings of `object` may hold their three-byte form (see
  // lone_surrogates.hpp), which the decoder resolves.
  bool lone_surrogates = false;
};

// What is wrong with a payload that did not parse, for the error message.
inline std::string malformed_message(std::string_view what, boost::system::error_code ec) {
  if (ec == boost::json::error::not_object) return std::string(what) + " data is JSON but not an object";
  return std::string(what) + " data is not valid JSON (" + ec.message() + ")";
}

// The next non-blank payload, or nullopt when more input is needed. `what` names a payload in errors
// ("event", "chunk"). Throws api_error(stream_protocol_error) for an event over the size limit or a
// payload that is not a JSON object (the message says which: invalid JSON and why, or not an object).
inline std::optional<payload> next_payload(sse_parser& sse, boost::json::parser& json,
                                           const std::string& request_id, std::string_view what) {
  for (;;) {
    boost::system::error_code ec;
    auto ev = sse.next(ec);
    if (ec)
      throw stream_failure(errc::stream_protocol_error, "SSE event larger than the configured maximum",
                           request_id);
    if (!ev) return std::nullopt;
    if (is_blank(ev->data)) continue;
    if (is_done_marker(ev->data)) return payload{true, {}, ev->data};
    auto obj = parse_object(json, ev->data, ec);
    if (!ec) return payload{false, std::move(obj), ev->data};
    // Rare path: a lone surrogate escape (docs/openai-client.md#lone-surrogates) is accepted.
    if (ec != boost::json::error::not_object && has_surrogate_escape(ev->data)) {
      boost::system::error_code retry;
      auto v = parse_with_lone_surrogates(ev->data, retry);
      if (!retry && v.is_object()) return payload{false, std::move(v.get_object()), ev->data, true};
    }
    throw stream_failure(errc::stream_protocol_error, malformed_message(what, ec), request_id, ev->data);
  }
}

}  // namespace chatkit::openai::detail
