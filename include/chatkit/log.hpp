// The SDK's one logging hook (docs/guide-operations.md#logging). Every layer that logs calls
// chatkit::log::write (or the helpers below) with a level, the layer's name, a short constant message and
// structured fields; one process-wide sink receives the record. The default sink writes one JSON object per
// line to stderr. Replace it with set_sink (spdlog, syslog, your own JSON logger) and raise or lower the
// threshold with set_level.
//
//   chatkit::log::set_level(chatkit::log::level::warn);
//   chatkit::log::set_sink([](const chatkit::log::record& r) { my_logger.write(r.message, r.fields); });
//
// Fields are cheap to build: a key and a value that refers to the caller's data (string_view, integer,
// double, bool). Nothing is formatted unless the record's level is enabled, and the sink sees the values, not
// text. A field is valid only while the sink runs: a sink that keeps one copies it.
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace chatkit::log {

enum class level : unsigned char { trace, debug, info, warn, error, off };

// "trace", "debug", "info", "warn", "error", "off".
std::string_view to_string(level l) noexcept;
// The level of one of those names (also "warning"), without case; nullopt for anything else. For a
// LOG_LEVEL setting: `if (auto l = parse_level(v)) set_level(*l);`
std::optional<level> parse_level(std::string_view name) noexcept;

// One key/value pair of a record. The value refers to the caller's data (no copy).
struct field {
  using value_type = std::variant<std::string_view, std::int64_t, std::uint64_t, double, bool>;

  std::string_view key;
  value_type value;

  field(std::string_view k, std::string_view v) noexcept : key(k), value(v) {}
  field(std::string_view k, const char* v) noexcept : key(k), value(std::string_view(v ? v : "")) {}
  field(std::string_view k, const std::string& v) noexcept : key(k), value(std::string_view(v)) {}
  field(std::string_view k, bool v) noexcept : key(k), value(v) {}
  field(std::string_view k, double v) noexcept : key(k), value(v) {}
  template <std::signed_integral I>
  requires(!std::same_as<I, bool>) field(std::string_view k, I v)
  noexcept : key(k), value(static_cast<std::int64_t>(v)) {}
  template <std::unsigned_integral I>
  requires(!std::same_as<I, bool>) field(std::string_view k, I v)
  noexcept : key(k), value(static_cast<std::uint64_t>(v)) {}
};

// What a sink receives. Every view is valid only during the call.
struct record {
  level severity = level::info;
  std::string_view component;  // the layer that logs: "http", "server", "agents", "mcp", ...
  std::string_view message;    // a short fixed text ("store error", "request"); details are fields
  std::span<const field> fields;
  std::chrono::system_clock::time_point time;
};

using sink = std::function<void(const record&)>;

namespace detail {
void deliver(level l, std::string_view component, std::string_view message, std::span<const field> fields);
}  // namespace detail

// Records below the threshold are dropped before the sink is called (one relaxed atomic load). Default: info.
// level::off silences everything.
void set_level(level l) noexcept;
level get_level() noexcept;
inline bool enabled(level l) noexcept {
  return l != level::off && l >= get_level();
}

// Installs the process-wide sink and returns the previous one. Thread-safe (an atomic swap): a record being
// delivered to the old sink finishes there. An empty function restores the default (JSON lines on stderr).
// The sink may be called from several threads at once.
sink set_sink(sink s);

// Sends one record to the sink when `l` is enabled.
inline void write(level l, std::string_view component, std::string_view message,
                  std::initializer_list<field> fields = {}) {
  if (enabled(l))
    detail::deliver(l, component, message, std::span<const field>(fields.begin(), fields.size()));
}
inline void write(level l, std::string_view component, std::string_view message,
                  std::span<const field> fields) {
  if (enabled(l)) detail::deliver(l, component, message, fields);
}

inline void debug(std::string_view component, std::string_view message,
                  std::initializer_list<field> fields = {}) {
  write(level::debug, component, message, fields);
}
inline void info(std::string_view component, std::string_view message,
                 std::initializer_list<field> fields = {}) {
  write(level::info, component, message, fields);
}
inline void warn(std::string_view component, std::string_view message,
                 std::initializer_list<field> fields = {}) {
  write(level::warn, component, message, fields);
}
inline void error(std::string_view component, std::string_view message,
                  std::initializer_list<field> fields = {}) {
  write(level::error, component, message, fields);
}

// The default sink's line for `r`, without the newline: one JSON object with "time" (UTC, RFC 3339 with
// microseconds), "level", "component", "message", then every field by its key. Strings are escaped (control
// characters as \u00XX) and invalid UTF-8 becomes U+FFFD, so each line is valid JSON.
std::string format_json(const record& r);

// The default sink: format_json lines on stderr, one write per line (lines of several threads never mix).
sink stderr_json_sink();

}  // namespace chatkit::log
