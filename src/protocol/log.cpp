// The process-wide log sink and the default JSON-lines format (docs/guide-operations.md#logging).
#include <chatkit/log.hpp>
#include <chatkit/protocol/json_writer.hpp>

#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace chatkit::log {

namespace detail {

namespace {

std::atomic<level> threshold{level::info};

// The installed sink; null means the default. A shared_ptr so that swapping it while another thread
// delivers a record is safe: that thread holds its own reference until it returns.
std::atomic<std::shared_ptr<const sink>>& current() {
  static std::atomic<std::shared_ptr<const sink>> s;
  return s;
}

const sink& default_sink() {
  static const sink s = stderr_json_sink();
  return s;
}

}  // namespace

void deliver(level l, std::string_view component, std::string_view message, std::span<const field> fields) {
  const record r{l, component, message, fields, std::chrono::system_clock::now()};
  auto s = current().load(std::memory_order_acquire);
  try {
    (s ? *s : default_sink())(r);
  } catch (...) {
    // A failing sink must not turn a log call into a failure of the operation that logged.
  }
}

}  // namespace detail

void set_level(level l) noexcept {
  detail::threshold.store(l, std::memory_order_relaxed);
}
level get_level() noexcept {
  return detail::threshold.load(std::memory_order_relaxed);
}

std::string_view to_string(level l) noexcept {
  switch (l) {
    case level::trace:
      return "trace";
    case level::debug:
      return "debug";
    case level::info:
      return "info";
    case level::warn:
      return "warn";
    case level::error:
      return "error";
    case level::off:
      break;
  }
  return "off";
}

std::optional<level> parse_level(std::string_view name) noexcept {
  std::string lower;
  for (char c : name.substr(0, 16))
    lower.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  if (name.size() > 16) return std::nullopt;
  for (auto l : {level::trace, level::debug, level::info, level::warn, level::error, level::off})
    if (lower == to_string(l)) return l;
  if (lower == "warning") return level::warn;
  return std::nullopt;
}

sink set_sink(sink s) {
  std::shared_ptr<const sink> next = s ? std::make_shared<const sink>(std::move(s)) : nullptr;
  auto prev = detail::current().exchange(std::move(next), std::memory_order_acq_rel);
  return prev ? *prev : detail::default_sink();
}

namespace {

// Every string of a line: invalid UTF-8 becomes U+FFFD, so the line is valid JSON whatever a value holds.
void append_string(std::string& out, std::string_view s) {
  protocol::append_json_string(out, s, protocol::invalid_utf8::replace);
}

template <class T>
void append_number(std::string& out, T v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, ec == std::errc{} ? end : buf);
}

void append_value(std::string& out, const field::value_type& v) {
  if (const auto* s = std::get_if<std::string_view>(&v)) {
    append_string(out, *s);
  } else if (const auto* i = std::get_if<std::int64_t>(&v)) {
    append_number(out, *i);
  } else if (const auto* u = std::get_if<std::uint64_t>(&v)) {
    append_number(out, *u);
  } else if (const auto* d = std::get_if<double>(&v)) {
    if (std::isfinite(*d))
      append_number(out, *d);
    else
      out += "null";
  } else {
    out += std::get<bool>(v) ? "true" : "false";
  }
}

void append_time(std::string& out, std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto us = duration_cast<microseconds>(t.time_since_epoch()).count();
  auto secs = static_cast<std::time_t>(us / 1000000);
  auto frac = us % 1000000;
  if (frac < 0) {
    frac += 1000000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  const int n =
      std::snprintf(buf, sizeof buf, "\"%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ\"", tm.tm_year + 1900,
                    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long>(frac));
  if (n > 0) out.append(buf, static_cast<std::size_t>(n));
}

}  // namespace

std::string format_json(const record& r) {
  std::string out;
  out.reserve(128 + r.message.size());
  out += "{\"time\":";
  append_time(out, r.time);
  out += ",\"level\":";
  append_string(out, to_string(r.severity));
  out += ",\"component\":";
  append_string(out, r.component);
  out += ",\"message\":";
  append_string(out, r.message);
  for (const auto& f : r.fields) {
    out.push_back(',');
    append_string(out, f.key);
    out.push_back(':');
    append_value(out, f.value);
  }
  out.push_back('}');
  return out;
}

sink stderr_json_sink() {
  return [](const record& r) {
    std::string line = format_json(r);
    line.push_back('\n');
    // One fwrite per line: stdio locks the stream, so lines of concurrent threads never interleave.
    std::fwrite(line.data(), 1, line.size(), stderr);
  };
}

}  // namespace chatkit::log
