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

// 0 = copy as is; otherwise the character after the backslash ('u' = \u00XX).
constexpr std::array<char, 256> make_escape_table() {
  std::array<char, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[static_cast<std::size_t>(c)] = 'u';
  t['\b'] = 'b';
  t['\f'] = 'f';
  t['\n'] = 'n';
  t['\r'] = 'r';
  t['\t'] = 't';
  t['"'] = '"';
  t['\\'] = '\\';
  return t;
}
constexpr auto escape_table = make_escape_table();

}  // namespace

// True when any of the 8 bytes in `w` is < 0x20, '"' or '\\' (SWAR: one test per 8 bytes on the clean path).
inline bool needs_escape(std::uint64_t w) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ULL;
  constexpr std::uint64_t highs = 0x8080808080808080ULL;
  const std::uint64_t control = (w - ones * 0x20) & ~w;
  const std::uint64_t quote = w ^ (ones * '"');
  const std::uint64_t backslash = w ^ (ones * '\\');
  const std::uint64_t has_quote = (quote - ones) & ~quote;
  const std::uint64_t has_backslash = (backslash - ones) & ~backslash;
  return ((control | has_quote | has_backslash) & highs) != 0;
}

void append_json_string(std::string& out, std::string_view s) {
  // Fast path: find the first byte that needs escaping 8 bytes at a time, then copy everything before it in
  // one append (no zero-filling resize, no copy while scanning).
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    if (needs_escape(w)) break;
  }
  out.reserve(out.size() + s.size() + 2);
  out.push_back('"');
  out.append(s.data(), i);
  s.remove_prefix(i);
  const char* run = s.data();
  const char* const end = s.data() + s.size();
  for (const char* p = run; p != end; ++p) {
    const char esc = escape_table[static_cast<unsigned char>(*p)];
    if (esc == 0) continue;
    out.append(run, static_cast<std::size_t>(p - run));
    out.push_back('\\');
    out.push_back(esc);
    if (esc == 'u') {
      constexpr char hex[] = "0123456789abcdef";
      const auto c = static_cast<unsigned char>(*p);
      out.append("00", 2);
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0xF]);
    }
    run = p + 1;
  }
  out.append(run, static_cast<std::size_t>(end - run));
  out.push_back('"');
}

namespace detail {

char* put_json_string(char* out, std::string_view s) noexcept {
  *out++ = '"';
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    if (needs_escape(w)) break;
    std::memcpy(out + i, &w, 8);
  }
  out += i;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    const char esc = escape_table[static_cast<unsigned char>(c)];
    if (esc == 0) {
      *out++ = c;
      continue;
    }
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
  }
  *out++ = '"';
  return out;
}

}  // namespace detail

void json_writer::key(std::string_view name) {
  // One size check for the whole `,"name":` (it runs for every member of every object written). A resize and
  // writes in place measured faster than appending from a stack buffer (that append is a memcpy call).
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
  append_json_string(out_, name);
  out_.push_back(':');
  need_comma_ = false;
}

void json_writer::string(std::string_view s) {
  separator();
  append_json_string(out_, s);
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
