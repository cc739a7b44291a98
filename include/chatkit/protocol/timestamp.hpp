// chatkit::protocol::timestamp — the protocol's `created_at`: naive local wall-clock time with microsecond
// precision, written as `YYYY-MM-DDTHH:MM:SS` plus `.ffffff` only when the microseconds are non-zero.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace chatkit::protocol {

struct timestamp {
  // Microseconds since 1970-01-01T00:00:00 of the naive (zone-less) wall clock.
  std::int64_t micros = 0;

  // The current local wall-clock time (what the reference stores as `datetime.now()`).
  static timestamp now();
  static timestamp from_civil(int year, unsigned month, unsigned day, unsigned hour = 0, unsigned minute = 0,
                              unsigned second = 0, unsigned microsecond = 0);

  friend auto operator<=>(const timestamp&, const timestamp&) = default;
};

// Appends the wire form (at most 26 bytes) to `out`.
void append_timestamp(std::string& out, timestamp t);
std::string to_string(timestamp t);

// Parses ISO-8601 date-times: `YYYY-MM-DD[T| ]HH:MM[:SS[.fraction]]` with an optional `Z` or `±HH:MM` offset
// (converted to UTC), or a bare date. Returns nullopt for anything else (including invalid calendar dates).
std::optional<timestamp> parse_timestamp(std::string_view text) noexcept;

}  // namespace chatkit::protocol
