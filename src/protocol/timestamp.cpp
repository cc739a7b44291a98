#include <chatkit/protocol/timestamp.hpp>

#include "protocol/detail/json_chars.hpp"

#include <charconv>
#include <chrono>
#include <cstring>
#include <ctime>
#include <limits>

namespace chatkit::protocol {
namespace {

constexpr std::int64_t micros_per_second = 1'000'000;
constexpr std::int64_t seconds_per_day = 86'400;

// Howard Hinnant's days_from_civil / civil_from_days (public-domain algorithms).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct civil {
  std::int64_t year;
  unsigned month, day;
};

constexpr civil civil_from_days(std::int64_t z) noexcept {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

constexpr bool is_leap(std::int64_t y) noexcept {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}
constexpr unsigned days_in_month(std::int64_t y, unsigned m) noexcept {
  constexpr unsigned table[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : table[m - 1];
}

void put2(char* p, unsigned v) noexcept {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

// Reads exactly `n` digits at text[pos]; advances pos.
bool digits(std::string_view text, std::size_t& pos, std::size_t n, unsigned& out) noexcept {
  if (pos + n > text.size()) return false;
  unsigned v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  pos += n;
  out = v;
  return true;
}

}  // namespace

timestamp timestamp::from_civil(int year, unsigned month, unsigned day, unsigned hour, unsigned minute,
                                unsigned second, unsigned microsecond) {
  const std::int64_t days = days_from_civil(year, month, day);
  const std::int64_t secs = days * seconds_per_day + hour * 3600 + minute * 60 + second;
  return {secs * micros_per_second + microsecond};
}

timestamp timestamp::now() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const auto micros = duration_cast<microseconds>(now.time_since_epoch()).count();
  const std::time_t secs = system_clock::to_time_t(now);
  std::tm local{};
  localtime_r(&secs, &local);
  return {micros + static_cast<std::int64_t>(local.tm_gmtoff) * micros_per_second};
}

namespace detail {

char* put_timestamp(char* p, timestamp t) noexcept {
  std::int64_t secs = t.micros / micros_per_second;
  std::int64_t frac = t.micros % micros_per_second;
  if (frac < 0) {
    frac += micros_per_second;
    secs -= 1;
  }
  std::int64_t days = secs / seconds_per_day;
  std::int64_t rem = secs % seconds_per_day;
  if (rem < 0) {
    rem += seconds_per_day;
    days -= 1;
  }
  // The date part of the last day written by this thread: a page of threads or a stream's items mostly share
  // one day, and the calendar conversion is the costly half of the work.
  thread_local std::int64_t cached_days = std::numeric_limits<std::int64_t>::min();
  thread_local char cached_date[24];
  thread_local std::size_t cached_len = 0;
  if (days != cached_days) {
    const civil c = civil_from_days(days);
    char* d = cached_date;
    auto [end, ec] = std::to_chars(d, d + 8, c.year);
    (void)ec;
    // Years below 1000 are zero-padded to four digits, as Python's isoformat does.
    if (const auto len = end - d; len < 4 && c.year >= 0) {
      char tmp[4] = {'0', '0', '0', '0'};
      for (std::ptrdiff_t i = 0; i < len; ++i) tmp[4 - len + i] = d[i];
      for (int i = 0; i < 4; ++i) d[i] = tmp[i];
      end = d + 4;
    }
    d = end;
    *d++ = '-';
    put2(d, c.month);
    d += 2;
    *d++ = '-';
    put2(d, c.day);
    d += 2;
    *d++ = 'T';
    cached_len = static_cast<std::size_t>(d - cached_date);
    cached_days = days;
  }
  std::memcpy(p, cached_date, cached_len);
  p += cached_len;
  put2(p, static_cast<unsigned>(rem / 3600));
  p += 2;
  *p++ = ':';
  put2(p, static_cast<unsigned>(rem / 60 % 60));
  p += 2;
  *p++ = ':';
  put2(p, static_cast<unsigned>(rem % 60));
  p += 2;
  if (frac != 0) {
    *p++ = '.';
    auto f = static_cast<unsigned>(frac);
    for (int i = 5; i >= 0; --i) {
      p[i] = static_cast<char>('0' + f % 10);
      f /= 10;
    }
    p += 6;
  }
  return p;
}

}  // namespace detail

void append_timestamp(std::string& out, timestamp t) {
  char buf[detail::timestamp_room];
  out.append(buf, static_cast<std::size_t>(detail::put_timestamp(buf, t) - buf));
}

std::string to_string(timestamp t) {
  std::string s;
  append_timestamp(s, t);
  return s;
}

std::optional<timestamp> parse_timestamp(std::string_view text) noexcept {
  std::size_t pos = 0;
  unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, micro = 0;
  if (!digits(text, pos, 4, year) || pos >= text.size() || text[pos++] != '-' ||
      !digits(text, pos, 2, month) || pos >= text.size() || text[pos++] != '-' || !digits(text, pos, 2, day))
    return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)) return std::nullopt;
  std::int64_t offset_seconds = 0;
  if (pos < text.size()) {
    if (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ') return std::nullopt;
    ++pos;
    if (!digits(text, pos, 2, hour) || pos >= text.size() || text[pos++] != ':' ||
        !digits(text, pos, 2, minute))
      return std::nullopt;
    if (pos < text.size() && text[pos] == ':') {
      ++pos;
      if (!digits(text, pos, 2, second)) return std::nullopt;
      if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
        ++pos;
        std::size_t n = 0;
        unsigned scale = 100'000;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
          if (n < 6) {
            micro += static_cast<unsigned>(text[pos] - '0') * scale;
            scale /= 10;
          }
          ++n;
          ++pos;
        }
        if (n == 0) return std::nullopt;
      }
    }
    if (hour > 23 || minute > 59 || second > 59) return std::nullopt;
    if (pos < text.size()) {
      const char c = text[pos];
      if ((c == 'Z' || c == 'z') && pos + 1 == text.size()) {
        pos++;
      } else if (c == '+' || c == '-') {
        ++pos;
        unsigned oh = 0, om = 0;
        if (!digits(text, pos, 2, oh)) return std::nullopt;
        if (pos < text.size() && text[pos] == ':') ++pos;
        if (!digits(text, pos, 2, om) || pos != text.size() || oh > 23 || om > 59) return std::nullopt;
        offset_seconds = (c == '+' ? 1 : -1) * static_cast<std::int64_t>(oh * 3600 + om * 60);
      } else {
        return std::nullopt;
      }
    }
  }
  timestamp t = timestamp::from_civil(static_cast<int>(year), month, day, hour, minute, second, micro);
  t.micros -= offset_seconds * micros_per_second;
  return t;
}

}  // namespace chatkit::protocol
