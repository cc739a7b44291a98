#include <chatkit/protocol/json_writer.hpp>

#include "protocol/detail/json_chars.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace chatkit::protocol {
namespace {

// 0 = copy as is; otherwise the character after the backslash ('u' = \u00XX), or '8' for a byte >= 0x80 that
// starts a UTF-8 sequence to check (only in the table of invalid_utf8::replace).
constexpr std::array<char, 256> make_escape_table(invalid_utf8 policy) {
  std::array<char, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[static_cast<std::size_t>(c)] = 'u';
  t['\b'] = 'b';
  t['\f'] = 'f';
  t['\n'] = 'n';
  t['\r'] = 'r';
  t['\t'] = 't';
  t['"'] = '"';
  t['\\'] = '\\';
  if (policy == invalid_utf8::replace) {
    t[0x7F] = 'u';
    for (int c = 0x80; c < 0x100; ++c) t[static_cast<std::size_t>(c)] = '8';
  }
  return t;
}
template <invalid_utf8 Policy>
constexpr auto escape_table = make_escape_table(Policy);

constexpr std::uint64_t ones = 0x0101010101010101ULL;
constexpr std::uint64_t highs = 0x8080808080808080ULL;

// True when any of the 8 bytes in `w` is < 0x20, '"' or '\\' — or, checking UTF-8, DEL or >= 0x80 (SWAR: one
// test per 8 bytes on the clean path).
template <invalid_utf8 Policy>
bool needs_escape(std::uint64_t w) noexcept {
  const std::uint64_t control = (w - ones * 0x20) & ~w;
  const std::uint64_t quote = w ^ (ones * '"');
  const std::uint64_t backslash = w ^ (ones * '\\');
  const std::uint64_t has_quote = (quote - ones) & ~quote;
  const std::uint64_t has_backslash = (backslash - ones) & ~backslash;
  std::uint64_t found = control | has_quote | has_backslash;
  if constexpr (Policy == invalid_utf8::replace) {
    const std::uint64_t del = w ^ (ones * 0x7F);
    found |= ((del - ones) & ~del) | w;
  }
  return (found & highs) != 0;
}

// Length of the well-formed UTF-8 sequence at p (a byte >= 0x80), or 0 when it is not one (truncated, a stray
// continuation byte, overlong, a UTF-16 surrogate, above U+10FFFF).
std::size_t utf8_sequence(const char* p, const char* end) noexcept {
  const auto b = [p](std::size_t k) { return static_cast<unsigned char>(p[k]); };
  const auto left = static_cast<std::size_t>(end - p);
  const auto cont = [&](std::size_t k) { return k < left && (b(k) & 0xC0) == 0x80; };
  const unsigned char c = b(0);
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && b(1) < 0xA0) return 0;   // overlong
    if (c == 0xED && b(1) >= 0xA0) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && b(1) < 0x90) return 0;   // overlong
    if (c == 0xF4 && b(1) >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

// The escape sequence of byte `c` whose escape_table entry is `esc` (at most 6 bytes: \u00XX).
char* put_escape(char* out, char c, char esc) noexcept {
  *out++ = '\\';
  *out++ = esc;
  if (esc == 'u') {
    constexpr char hex[] = "0123456789abcdef";
    const auto b = static_cast<unsigned char>(c);
    *out++ = '0';
    *out++ = '0';
    *out++ = hex[b >> 4];
    *out++ = hex[b & 0xF];
  }
  return out;
}

template <invalid_utf8 Policy>
void append_string(std::string& out, std::string_view s) {
  const std::size_t start = out.size();
  out.resize(start + s.size() + 2);
  char* dst = out.data() + start;
  *dst++ = '"';
  // Fast path: copy 8 clean bytes at a time; fall back to the escaping loop at the first byte that needs it.
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    if (needs_escape<Policy>(w)) break;
    std::memcpy(dst + i, &w, 8);
  }
  out.resize(start + 1 + i);
  s.remove_prefix(i);
  const char* run = s.data();
  const char* const end = s.data() + s.size();
  for (const char* p = run; p != end; ++p) {
    const char esc = escape_table<Policy>[static_cast<unsigned char>(*p)];
    if (esc == 0) continue;
    if constexpr (Policy == invalid_utf8::replace) {
      if (esc == '8') {
        if (const std::size_t n = utf8_sequence(p, end)) {
          p += n - 1;  // well formed: part of the run
          continue;
        }
        out.append(run, static_cast<std::size_t>(p - run));
        out.append("\\ufffd", 6);
        run = p + 1;
        continue;
      }
    }
    out.append(run, static_cast<std::size_t>(p - run));
    char escaped[6];
    out.append(escaped, static_cast<std::size_t>(put_escape(escaped, *p, esc) - escaped));
    run = p + 1;
  }
  out.append(run, static_cast<std::size_t>(end - run));
  out.push_back('"');
}

}  // namespace

void append_json_string(std::string& out, std::string_view s, invalid_utf8 policy) {
  if (policy == invalid_utf8::replace)
    append_string<invalid_utf8::replace>(out, s);
  else
    append_string<invalid_utf8::copy>(out, s);
}

namespace detail {

char* put_json_string(char* out, std::string_view s) noexcept {
  *out++ = '"';
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    if (needs_escape<invalid_utf8::copy>(w)) break;
    std::memcpy(out + i, &w, 8);
  }
  out += i;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    const char esc = escape_table<invalid_utf8::copy>[static_cast<unsigned char>(c)];
    if (esc == 0) {
      *out++ = c;
      continue;
    }
    out = put_escape(out, c, esc);
  }
  *out++ = '"';
  return out;
}

}  // namespace detail

void json_writer::key(std::string_view name) {
  // One size check for the whole `,"name":` (it runs for every member of every object written).
  const std::size_t at = out_.size();
  const std::size_t comma = need_comma_ ? 1 : 0;
  out_.resize(at + comma + name.size() + 3);
  char* p = out_.data() + at;
  if (comma) *p++ = ',';
  *p++ = '"';
  std::memcpy(p, name.data(), name.size());
  p += name.size();
  p[0] = '"';
  p[1] = ':';
  need_comma_ = false;
}

void json_writer::key_escaped(std::string_view name) {
  separator();
  append_string<invalid_utf8::copy>(out_, name);
  out_.push_back(':');
  need_comma_ = false;
}

void json_writer::string(std::string_view s) {
  separator();
  append_string<invalid_utf8::copy>(out_, s);
  need_comma_ = true;
}

void json_writer::boolean(bool b) {
  separator();
  if (b)
    out_.append("true", 4);
  else
    out_.append("false", 5);
  need_comma_ = true;
}

void json_writer::null() {
  separator();
  out_.append("null", 4);
  need_comma_ = true;
}

void json_writer::integer(std::int64_t v) {
  separator();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, static_cast<std::size_t>(r.ptr - buf));
  need_comma_ = true;
}

void json_writer::number(double v) {
  separator();
  if (!std::isfinite(v)) {  // JSON has no NaN/Infinity; null is the only faithful spelling
    out_.append("null", 4);
    need_comma_ = true;
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  std::string_view text(buf, static_cast<std::size_t>(r.ptr - buf));
  out_.append(text);
  // Keep floats recognisable as floats ("1.0", as Python writes them), not "1".
  if (text.find_first_of(".eE") == std::string_view::npos) out_.append(".0", 2);
  need_comma_ = true;
}

void json_writer::raw(std::string_view json) {
  separator();
  out_.append(json);
  need_comma_ = true;
}

void json_writer::value(const boost::json::value& v, bool strip_nulls) {
  switch (v.kind()) {
    case boost::json::kind::null:
      null();
      break;
    case boost::json::kind::bool_:
      boolean(v.get_bool());
      break;
    case boost::json::kind::int64:
      integer(v.get_int64());
      break;
    case boost::json::kind::uint64: {
      separator();
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, v.get_uint64());
      out_.append(buf, static_cast<std::size_t>(r.ptr - buf));
      need_comma_ = true;
      break;
    }
    case boost::json::kind::double_:
      number(v.get_double());
      break;
    case boost::json::kind::string:
      string(v.get_string());
      break;
    case boost::json::kind::array:
      begin_array();
      for (const auto& e : v.get_array()) value(e, strip_nulls);
      end_array();
      break;
    case boost::json::kind::object:
      object(v.get_object(), strip_nulls);
      break;
  }
}

void json_writer::object(const boost::json::object& o, bool strip_nulls) {
  begin_object();
  for (const auto& m : o) {
    if (strip_nulls && m.value().is_null() && m.key() != "children") continue;
    key_escaped(m.key());
    value(m.value(), strip_nulls);
  }
  end_object();
}

}  // namespace chatkit::protocol
