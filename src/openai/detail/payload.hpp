// Helpers shared by the Responses and Chat decoders for SSE payloads (openai-streaming.md §6.11).
#pragma once

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/storage_ptr.hpp>

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

// Parses one JSON object with a reused parser (its internal stack is kept between events). The value
// lives in its own monotonic arena sized from the payload: two allocations per event instead of one per
// key and long string; the event that takes the object (see adopt()) keeps the arena alive.
inline boost::json::object parse_object(boost::json::parser& p, std::string_view data, boost::system::error_code& ec) {
  p.reset(boost::json::make_shared_resource<boost::json::monotonic_resource>(data.size() * 2 + 256));
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
