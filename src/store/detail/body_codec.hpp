// How the SQL stores turn protocol objects into stored JSON text and back. Private to the sqlite and postgres
// layers. Writing refuses what could not be read back intact (invalid UTF-8, excessive nesting, oversize);
// reading uses storage limits, not the request limits, so a large item that was accepted is never unreadable.
#pragma once

#include <chatkit/protocol/items.hpp>
#include <chatkit/protocol/json_io.hpp>
#include <chatkit/store/error.hpp>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace chatkit::store::detail {

// Nesting the stores accept and read back (the request limit is 64; server-built widgets may go deeper).
inline constexpr std::size_t max_stored_depth = 512;

inline protocol::read_limits storage_read_limits() noexcept {
  protocol::read_limits limits;
  limits.max_body_bytes = std::numeric_limits<std::size_t>::max();
  limits.max_depth = max_stored_depth;
  limits.max_string_bytes = std::numeric_limits<std::size_t>::max();
  limits.max_array_items = std::numeric_limits<std::size_t>::max();
  return limits;
}

// Position of the first byte that does not belong to well-formed UTF-8 (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF), or npos.
inline std::size_t find_invalid_utf8(std::string_view s) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return i;
    }
    if (i + len > n) return i;
    if (p[i + 1] < lo || p[i + 1] > hi) return i;
    for (std::size_t k = 2; k < len; ++k)
      if ((p[i + k] & 0xC0) != 0x80) return i;
    i += len;
  }
  return std::string_view::npos;
}

// Deepest array/object nesting of serialized JSON (strings skipped).
inline std::size_t json_text_depth(std::string_view text) noexcept {
  std::size_t depth = 0, deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"')
      in_string = true;
    else if (c == '[' || c == '{')
      deepest = ++depth > deepest ? depth : deepest;
    else if (c == ']' || c == '}')
      --depth;
  }
  return deepest;
}

// Serializes `value` for storage (audience::storage keeps integration metadata), refusing what cannot be
// stored and read back intact.
template <class T>
std::string encode_body(const T& value, std::string_view what, std::size_t max_bytes) {
  std::string text = protocol::to_json(value, protocol::audience::storage);
  if (text.size() > max_bytes) {
    throw store_error(errc::record_too_large, std::string(what) + " is " + std::to_string(text.size()) +
                                                  " bytes as JSON, over the store's limit of " +
                                                  std::to_string(max_bytes) + " bytes");
  }
  if (const auto at = find_invalid_utf8(text); at != std::string_view::npos) {
    throw store_error(errc::invalid_record,
                      std::string(what) + " contains a string that is not valid UTF-8 (byte " +
                          std::to_string(at) + " of its JSON form); the store keeps text only");
  }
  if (json_text_depth(text) > max_stored_depth) {
    throw store_error(errc::invalid_record, std::string(what) + " is nested deeper than " +
                                                std::to_string(max_stored_depth) + " levels");
  }
  return text;
}

// An item as the SQL stores write it: its id, created_at in microseconds and its storage JSON (encoded on the
// caller's thread, so a refused item costs no database work).
struct item_record {
  std::string id;
  std::int64_t created_at = 0;
  std::string body;
};

inline item_record encode_item(const protocol::thread_item& item, std::size_t max_bytes) {
  return {protocol::item_id(item), protocol::base(item).created_at.micros,
          encode_body(item, "item", max_bytes)};
}

// Reads a stored body back. A body that does not parse is store corruption (chatkit::errc::internal), not bad
// input.
template <class T>
T decode_body(std::string_view text, std::string_view what) {
  try {
    return protocol::from_json_text<T>(text, storage_read_limits());
  } catch (const chatkit::error& e) {
    throw store_error(errc::corrupt_record, "stored " + std::string(what) + " is unreadable: " + e.message());
  }
}

}  // namespace chatkit::store::detail
