// Python json.dumps formatting. Every expected string below was produced by CPython 3.11's json.dumps /
// repr on the same input.
#include "agents/detail/python_json.hpp"

#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

using chatkit::agents::detail::append_python_json_string;
using chatkit::agents::detail::python_float_repr;
using chatkit::agents::detail::python_json_dumps;
using chatkit::agents::detail::python_json_options;

namespace {

std::string dumps_text(std::string_view json_text) {
  return python_json_dumps(boost::json::parse(json_text));
}

}  // namespace

TEST_CASE("python_json: separators are \", \" and \": \", scalars as Python writes them",
          "[agents][python_json]") {
  CHECK(dumps_text(R"({"a":1,"ok":true})") == R"({"a": 1, "ok": true})");
  CHECK(dumps_text("null") == "null");
  CHECK(dumps_text("false") == "false");
  CHECK(dumps_text("[]") == "[]");
  CHECK(dumps_text("{}") == "{}");
  CHECK(dumps_text(R"("x")") == R"("x")");
}

TEST_CASE("python_json: nested containers keep insertion order", "[agents][python_json]") {
  // Keys deliberately not sorted: a Python dict (and boost::json::object) keeps insertion order.
  CHECK(dumps_text(R"({"z":[1,2.5,null,{"x":[]}],"a":{},"s":"line\nquote\" back\\ tab\t"})") ==
        R"({"z": [1, 2.5, null, {"x": []}], "a": {}, "s": "line\nquote\" back\\ tab\t"})");
  CHECK(dumps_text(R"([[[]],{"k":{"k":{"k":[true,false]}}}])") ==
        R"([[[]], {"k": {"k": {"k": [true, false]}}}])");
}

TEST_CASE("python_json: escapes and ensure_ascii", "[agents][python_json]") {
  // é, 😀 (a surrogate pair), DEL, two C0 controls, \b \f \r, and '/' which Python leaves alone.
  const std::string s = "\xC3\xA9\xF0\x9F\x98\x80\x7F\x01\x1F\b\f\r/";
  CHECK(python_json_dumps(boost::json::value(s)) == R"("\u00e9\ud83d\ude00\u007f\u0001\u001f\b\f\r/")");

  SECTION("keys are escaped too") {
    CHECK(dumps_text(R"({"ключ":"значение"})") ==
          R"({"\u043a\u043b\u044e\u0447": "\u0437\u043d\u0430\u0447\u0435\u043d\u0438\u0435"})");
  }
  SECTION("BMP edge characters") {
    CHECK(python_json_dumps(boost::json::value("\xE2\x80\xA8\xC2\xA0\xEF\xBF\xBF")) ==
          R"("\u2028\u00a0\uffff")");
  }
  SECTION("the last code point") {
    CHECK(python_json_dumps(boost::json::value("\xF4\x8F\xBF\xBF")) == R"("\udbff\udfff")");
  }
  SECTION("ensure_ascii = false writes UTF-8 and DEL as they are, still escaping controls") {
    python_json_options raw;
    raw.ensure_ascii = false;
    CHECK(python_json_dumps(boost::json::value("\xC3\xA9\xF0\x9F\x98\x80\x7F\n\x01"), raw) ==
          "\"\xC3\xA9\xF0\x9F\x98\x80\x7F\\n\\u0001\"");
  }
  SECTION("bytes that are not UTF-8 become U+FFFD, one per byte, and decoding resumes after them") {
    // a lone continuation byte, a truncated 3-byte sequence, an overlong '/', an encoded surrogate, F5
    CHECK(python_json_dumps(boost::json::value("a\x80"
                                               "b")) == R"("a\ufffdb")");
    CHECK(python_json_dumps(boost::json::value("\xE2\x82"
                                               "c")) == R"("\ufffd\ufffdc")");
    CHECK(python_json_dumps(boost::json::value("\xC0\xAF")) == R"("\ufffd\ufffd")");
    CHECK(python_json_dumps(boost::json::value("\xED\xA0\x80")) == R"("\ufffd\ufffd\ufffd")");
    CHECK(python_json_dumps(boost::json::value("\xF5")) == R"("\ufffd")");
    python_json_options raw;
    raw.ensure_ascii = false;
    CHECK(python_json_dumps(boost::json::value("a\x80"), raw) == "\"a\xEF\xBF\xBD\"");
  }
  SECTION("append_python_json_string appends") {
    std::string out = "x=";
    append_python_json_string(out, "\"q\"");
    CHECK(out == R"(x="\"q\"")");
  }
}

TEST_CASE("python_json: integers", "[agents][python_json]") {
  CHECK(python_json_dumps(boost::json::value(std::int64_t{9223372036854775807})) == "9223372036854775807");
  CHECK(python_json_dumps(boost::json::value(std::numeric_limits<std::int64_t>::min())) ==
        "-9223372036854775808");
  CHECK(python_json_dumps(boost::json::value(std::uint64_t{18446744073709551615ull})) ==
        "18446744073709551615");
  CHECK(dumps_text("[0,-1,42]") == "[0, -1, 42]");
}

TEST_CASE("python_json: floats are Python's repr", "[agents][python_json]") {
  struct row {
    double v;
    const char* python;
  };
  const row rows[] = {
      {1.0, "1.0"},
      {-0.0, "-0.0"},
      {0.0, "0.0"},
      {0.1, "0.1"},
      {3.14, "3.14"},
      {100.0, "100.0"},
      {1234.5, "1234.5"},
      {0.1 + 0.2, "0.30000000000000004"},
      {1e15, "1000000000000000.0"},
      {9007199254740992.0, "9007199254740992.0"},  // 16 integer digits: still positional
      {1e16, "1e+16"},
      {12345678901234567.0, "1.2345678901234568e+16"},
      {123456789012345678.0, "1.2345678901234568e+17"},
      {1152921504606846976.0, "1.152921504606847e+18"},
      {0.0001, "0.0001"},
      {0.00001, "1e-05"},
      {-2.5e-7, "-2.5e-07"},
      {1.5e300, "1.5e+300"},
      {5e-324, "5e-324"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
  };
  for (const auto& r : rows) {
    INFO(r.python);
    CHECK(python_float_repr(r.v) == r.python);
    CHECK(python_json_dumps(boost::json::value(r.v)) == r.python);
  }
  // Parsed JSON text keeps a fractional/exponent literal as a double: 2.0 stays "2.0", 1E2 becomes "100.0".
  CHECK(dumps_text("[2.0,1E2,-0.5]") == "[2.0, 100.0, -0.5]");
}

TEST_CASE("python_json: NaN and infinities as Python's allow_nan writes them, or an error",
          "[agents][python_json]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  boost::json::array a{nan, inf, -inf};
  CHECK(python_json_dumps(a) == "[NaN, Infinity, -Infinity]");

  python_json_options strict;
  strict.allow_nan = false;
  CHECK_THROWS_AS(python_json_dumps(boost::json::value(inf), strict), std::domain_error);
  CHECK_THROWS_WITH(python_json_dumps(boost::json::value(nan), strict),
                    Catch::Contains("Out of range float values are not JSON compliant"));
  CHECK(python_json_dumps(boost::json::value(1.5), strict) == "1.5");
}
