// Raw-pointer writers for hot paths that reserve their room once (json_writer::value_with) and then write a
// whole object without a size check per piece. Each returns the end of what it wrote; the caller guarantees
// the room stated beside it.
#pragma once

#include <chatkit/protocol/timestamp.hpp>

#include <cstddef>
#include <cstring>
#include <string_view>

namespace chatkit::protocol::detail {

// Room for `n` bytes written as a JSON string literal: the quotes and, at worst, every byte as \u00XX.
constexpr std::size_t json_string_room(std::size_t n) noexcept {
  return 2 + 6 * n;
}

// `s` as a JSON string literal, quotes included, escaped as append_json_string does. Room: json_string_room.
char* put_json_string(char* out, std::string_view s) noexcept;

// Room for put_timestamp.
inline constexpr std::size_t timestamp_room = 32;

// `t` as append_timestamp writes it, without quotes. Room: timestamp_room.
char* put_timestamp(char* out, timestamp t) noexcept;

// A string literal without its terminating NUL (the size is known at compile time: the copy is inlined).
template <std::size_t N>
char* put_literal(char* out, const char (&text)[N]) noexcept {
  std::memcpy(out, text, N - 1);
  return out + N - 1;
}

inline char* put_text(char* out, std::string_view text) noexcept {
  std::memcpy(out, text.data(), text.size());
  return out + text.size();
}

}  // namespace chatkit::protocol::detail
