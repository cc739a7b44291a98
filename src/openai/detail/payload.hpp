// Helpers shared by the Responses and Chat decoders for SSE payloads (openai-streaming.md §6.11).
#pragma once

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/storage_ptr.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace chatkit::openai::detail {

inline bool is_blank(std::string_view s) noexcept {
  for (char c : s)
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return false;
  return true;
}

inline bool is_done_marker(std::string_view s) noexcept { return s.starts_with("[DONE]"); }

// The offending payload for diagnostics, cut to 1 KiB.
inline std::string excerpt(std::string_view s) { return std::string(s.substr(0, 1024)); }

// A per-event arena whose first block lives inside the resource itself, so make_shared_resource makes
// ONE allocation for a typical event (text deltas fit easily); larger events spill to the heap.
class event_arena final : public boost::json::memory_resource {
 public:
  event_arena() noexcept : mr_(inline_, sizeof inline_) {}

 private:
  void* do_allocate(std::size_t n, std::size_t align) override { return mr_.allocate(n, align); }
  void do_deallocate(void*, std::size_t, std::size_t) override {}
  bool do_is_equal(const boost::json::memory_resource& other) const noexcept override { return this == &other; }

  alignas(std::max_align_t) unsigned char inline_[1536];
  boost::json::monotonic_resource mr_;
};

// Parses one JSON object with a reused parser (its internal stack is kept between events). The value
// lives in its own arena instead of costing one allocation per key and long string; the event that takes
// the object (see adopt()) keeps the arena alive.
inline boost::json::object parse_object(boost::json::parser& p, std::string_view data, boost::system::error_code& ec) {
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

}  // namespace chatkit::openai::detail
