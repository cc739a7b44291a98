#include <chatkit/openai/retry.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <ctime>
#include <string>

namespace chatkit::openai {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::optional<double> parse_double(std::string_view s) {
  s = trim(s);
  if (s.empty()) return std::nullopt;
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<std::chrono::milliseconds> from_ms(double ms) {
  if (!std::isfinite(ms) || ms > 1e15 || ms < -1e15) return std::nullopt;
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(ms)));
}

// IMF-fixdate, e.g. "Wed, 21 Oct 2015 07:28:00 GMT".
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view s) {
  s = trim(s);
  const std::string text(s);
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  const std::time_t t = timegm(&tm);
  if (t == static_cast<std::time_t>(-1)) return std::nullopt;
  return std::chrono::system_clock::from_time_t(t);
}

}  // namespace

std::optional<std::chrono::milliseconds> server_retry_delay(std::string_view retry_after_ms,
                                                            std::string_view retry_after,
                                                            std::chrono::system_clock::time_point now) {
  if (auto ms = parse_double(retry_after_ms)) return from_ms(*ms);
  if (auto secs = parse_double(retry_after)) return from_ms(*secs * 1000.0);
  if (auto date = parse_http_date(retry_after))
    return std::chrono::duration_cast<std::chrono::milliseconds>(*date - now);
  return std::nullopt;
}

bool should_retry_status(int status, std::string_view x_should_retry,
                         std::optional<std::chrono::milliseconds> server_delay) noexcept {
  if (server_delay && *server_delay > max_server_retry_delay) return false;
  x_should_retry = trim(x_should_retry);
  if (x_should_retry == "true") return true;
  if (x_should_retry == "false") return false;
  return status == 408 || status == 409 || status == 429 || status >= 500;
}

std::chrono::milliseconds backoff_delay(int retries_taken, double u) noexcept {
  u = std::clamp(u, 0.0, 1.0);
  const double base = std::min(0.5 * std::pow(2.0, std::min(retries_taken, 30)), 8.0);
  const double seconds = base * (1.0 - 0.25 * u);
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(seconds * 1000.0)));
}

std::chrono::milliseconds retry_delay(std::optional<std::chrono::milliseconds> server_delay, int retries_taken,
                                      double u) noexcept {
  if (server_delay && server_delay->count() > 0 && *server_delay <= max_server_retry_delay) return *server_delay;
  return backoff_delay(retries_taken, u);
}

}  // namespace chatkit::openai
