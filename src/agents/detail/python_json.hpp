// Python `json.dumps` formatting, for the few places where the Python ChatKit SDK puts a json.dumps string in
// front of the model (client tool call `arguments`/`output`, docs/agents.md#history-thread_item_converter).
// Matching it byte for
// byte keeps model input identical to what the Python SDK sends, which matters for prompt caching and for
// comparing transcripts.
//
// What Python's defaults do, and what this writes:
//   * separators ", " and ": "; no newlines or indentation; object members in insertion order (a Python dict
//     keeps insertion order, and so does boost::json::object);
//   * strings: `"` `\` and the control characters \b \f \n \r \t get their short escapes, other characters
//     below U+0020 are written \u00XX; with ensure_ascii (Python's default) U+007F and everything above it is
//     written as \uXXXX with lowercase hex, characters beyond the BMP as a UTF-16 surrogate pair
//     (😀 → \ud83d\ude00); without ensure_ascii they are written as UTF-8;
//   * integers as decimal; doubles as Python's float repr: the shortest text that reads back as the same
//     double, with a ".0" added to integral values (1.0, -0.0), and exponent notation (1e-05, 1.5e+16) when
//     the decimal exponent is below -4 or at least 16;
//   * NaN and ±infinity: not JSON, but Python writes NaN / Infinity / -Infinity by default (allow_nan=True),
//     so that is the default here too; with allow_nan = false they throw std::domain_error, as Python's
//     allow_nan=False raises ValueError.
// Not Python: a C++ string may hold bytes that are not UTF-8 (Python's str cannot). Each byte that does not
// start a well-formed UTF-8 sequence (overlong forms and encoded surrogates included) is written as U+FFFD,
// one per byte (Python's bytes.decode(errors="replace") would merge a truncated sequence into one U+FFFD;
// protocol strings were validated as UTF-8 when parsed, so this only matters for hand-built values).
#pragma once

#include <boost/json/fwd.hpp>

#include <string>
#include <string_view>

namespace chatkit::agents::detail {

struct python_json_options {
  bool ensure_ascii = true;  // json.dumps(ensure_ascii=True)
  bool allow_nan = true;     // json.dumps(allow_nan=True)
  bool compact = false;      // separators (",", ":") — used for tool outputs, with ensure_ascii off
};

// json.dumps(v) with Python's default arguments (or the options given).
std::string python_json_dumps(const boost::json::value& v, const python_json_options& options = {});

// Appends `s` (UTF-8) as a JSON string literal, quotes included, escaped as json.dumps does.
void append_python_json_string(std::string& out, std::string_view s, bool ensure_ascii = true);

// repr(float(v)) for finite v; "NaN", "Infinity", "-Infinity" otherwise (what json.dumps writes for them).
std::string python_float_repr(double v);

}  // namespace chatkit::agents::detail
