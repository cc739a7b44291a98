#include "agents/detail/python_json.hpp"

#include <boost/json/value.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <system_error>

namespace chatkit::agents::detail {
namespace {

constexpr char hex_digits[] = "0123456789abcdef";  // Python writes \u escapes in lowercase

void append_u_escape(std::string& out, std::uint32_t unit) {
  out += "\\u";
  out.push_back(hex_digits[(unit >> 12) & 0xF]);
  out.push_back(hex_digits[(unit >> 8) & 0xF]);
  out.push_back(hex_digits[(unit >> 4) & 0xF]);
  out.push_back(hex_digits[unit & 0xF]);
}

// Decodes one UTF-8 sequence starting at s[i]. Returns its length and sets `cp`, or returns 0 when s[i] does
// not start a well-formed sequence (truncated, bad continuation, overlong, surrogate, beyond U+10FFFF).
std::size_t decode_utf8(std::string_view s, std::size_t i, std::uint32_t& cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t len = 0;
  std::uint32_t min = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    min = 0x80;
    cp = b0 & 0x1Fu;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    min = 0x800;
    cp = b0 & 0x0Fu;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    min = 0x10000;
    cp = b0 & 0x07u;
  } else {
    return 0;  // a continuation byte, C0/C1 (always overlong) or F5..FF
  }
  if (s.size() - i < len) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

void append_code_point(std::string& out, std::uint32_t cp, bool ensure_ascii, std::string_view raw) {
  if (!ensure_ascii) {
    out.append(raw);
    return;
  }
  if (cp < 0x10000) {
    append_u_escape(out, cp);
  } else {
    const std::uint32_t v = cp - 0x10000;
    append_u_escape(out, 0xD800 + (v >> 10));
    append_u_escape(out, 0xDC00 + (v & 0x3FF));
  }
}

void append_number(std::string& out, double v, bool allow_nan) {
  if (!std::isfinite(v) && !allow_nan) {
    // Python: ValueError("Out of range float values are not JSON compliant")
    throw std::domain_error("Out of range float values are not JSON compliant: " + python_float_repr(v));
  }
  out += python_float_repr(v);
}

template <class Int>
void append_integer(std::string& out, Int v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

void dump(std::string& out, const boost::json::value& v, const python_json_options& o) {
  switch (v.kind()) {
    case boost::json::kind::null:
      out += "null";
      break;
    case boost::json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      break;
    case boost::json::kind::int64:
      append_integer(out, v.get_int64());
      break;
    case boost::json::kind::uint64:
      append_integer(out, v.get_uint64());
      break;
    case boost::json::kind::double_:
      append_number(out, v.get_double(), o.allow_nan);
      break;
    case boost::json::kind::string:
      append_python_json_string(out, v.get_string(), o.ensure_ascii);
      break;
    case boost::json::kind::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first) out += o.compact ? "," : ", ";
        first = false;
        dump(out, e, o);
      }
      out.push_back(']');
      break;
    }
    case boost::json::kind::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& m : v.get_object()) {
        if (!first) out += o.compact ? "," : ", ";
        first = false;
        append_python_json_string(out, m.key(), o.ensure_ascii);
        out += o.compact ? ":" : ": ";
        dump(out, m.value(), o);
      }
      out.push_back('}');
      break;
    }
  }
}

}  // namespace

void append_python_json_string(std::string& out, std::string_view s, bool ensure_ascii) {
  out.push_back('"');
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          // Python's ASCII encoder escapes everything outside ' '..'~', so DEL (0x7F) too.
          if (c < 0x20 || (c == 0x7F && ensure_ascii)) {
            append_u_escape(out, c);
          } else {
            out.push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    std::uint32_t cp = 0;
    const std::size_t len = decode_utf8(s, i, cp);
    if (len == 0) {
      append_code_point(out, 0xFFFD, ensure_ascii, "\xEF\xBF\xBD");
      ++i;
    } else {
      append_code_point(out, cp, ensure_ascii, s.substr(i, len));
      i += len;
    }
  }
  out.push_back('"');
}

std::string python_float_repr(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (v == 0) return std::signbit(v) ? "-0.0" : "0.0";

  // The shortest round-trip digits, as CPython's repr picks them (both use the shortest decimal that reads
  // back exactly); only the layout differs, so take the scientific form "d.ddde±XX" and lay it out again.
  char buf[40];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  const std::string_view sci(buf, static_cast<std::size_t>(r.ptr - buf));
  const auto e_pos = sci.find('e');
  std::string_view mantissa = sci.substr(0, e_pos);
  std::string result;
  if (!mantissa.empty() && mantissa.front() == '-') {
    result.push_back('-');
    mantissa.remove_prefix(1);
  }
  std::string digits;
  for (char ch : mantissa)
    if (ch != '.') digits.push_back(ch);
  int exponent = 0;
  std::string_view exp_text = sci.substr(e_pos + 1);
  if (!exp_text.empty() && exp_text.front() == '+') exp_text.remove_prefix(1);
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exponent);

  // CPython (format_float_short, repr mode): with the value written 0.DIGITS × 10^decpt, exponent notation is
  // used when decpt <= -4 or decpt > 16.
  const int decpt = exponent + 1;
  const int n = static_cast<int>(digits.size());
  if (decpt <= -4 || decpt > 16) {
    result.push_back(digits[0]);
    if (n > 1) {
      result.push_back('.');
      result.append(digits, 1);
    }
    result.push_back('e');
    result.push_back(exponent < 0 ? '-' : '+');
    const int magnitude = std::abs(exponent);
    if (magnitude < 10) result.push_back('0');  // at least two exponent digits: 1e-05, 1e+16
    result += std::to_string(magnitude);
  } else if (decpt <= 0) {
    result += "0.";
    result.append(static_cast<std::size_t>(-decpt), '0');
    result += digits;
  } else if (decpt >= n) {
    result += digits;
    result.append(static_cast<std::size_t>(decpt - n), '0');
    result += ".0";
  } else {
    result.append(digits, 0, static_cast<std::size_t>(decpt));
    result.push_back('.');
    result.append(digits, static_cast<std::size_t>(decpt));
  }
  return result;
}

std::string python_json_dumps(const boost::json::value& v, const python_json_options& options) {
  std::string out;
  dump(out, v, options);
  return out;
}

}  // namespace chatkit::agents::detail
