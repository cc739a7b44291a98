// json_writer — appends compact JSON to a std::string. The serialisation hot path (every SSE frame) goes
// through it: no intermediate boost::json::value, no allocation beyond the output buffer's growth.
#pragma once

#include <boost/json/fwd.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace chatkit::protocol {

// Who the JSON is for. `client` applies the protocol's privacy rules (attachment `metadata` stripped,
// thread `metadata` written as `{}`); `storage` keeps everything (what a Store persists).
enum class audience { client, storage };

class json_writer {
 public:
  explicit json_writer(std::string& out, audience who = audience::client) noexcept : out_(out), who_(who) {}

  audience who() const noexcept { return who_; }
  std::string& buffer() noexcept { return out_; }

  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }
  // Writes `"name":` (the name must not need escaping: protocol field names never do).
  void key(std::string_view name);
  // Writes `"name":` escaping the name (for keys that come from data).
  void key_escaped(std::string_view name);
  void string(std::string_view s);
  void boolean(bool b);
  void integer(std::int64_t v);
  void number(double v);
  void null();
  // Any JSON value; with `strip_nulls`, object members whose value is null are omitted at every depth, except
  // a `children` member. (Widgets are written by their own codec, which keeps action payloads as given.)
  void value(const boost::json::value& v, bool strip_nulls = false);
  void object(const boost::json::object& o, bool strip_nulls = false);
  // Appends already-serialised JSON verbatim.
  void raw(std::string_view json);
  // Appends one value written by `fill(char* first) -> char* last` into at most `room` bytes (separator and
  // comma state handled): for hot paths that write a whole object with raw pointers and one size check.
  template <class Fill>
  void value_with(std::size_t room, Fill&& fill) {
    separator();
    const std::size_t at = out_.size();
    out_.resize(at + room);
    char* const last = fill(out_.data() + at);
    out_.resize(static_cast<std::size_t>(last - out_.data()));
    need_comma_ = true;
  }

 private:
  void separator() {
    if (need_comma_) out_.push_back(',');
  }
  void open(char c) {
    separator();
    out_.push_back(c);
    need_comma_ = false;
  }
  void close(char c) {
    out_.push_back(c);
    need_comma_ = true;
  }

  std::string& out_;
  audience who_;
  bool need_comma_ = false;
};

// What append_json_string does with bytes that are not valid UTF-8.
enum class invalid_utf8 {
  // Written as they are: for text already checked (every string a codec read was validated by the parser).
  copy,
  // Each byte that does not start a well-formed sequence (truncated, overlong, a surrogate, above U+10FFFF)
  // becomes U+FFFD, and DEL is written as \u007f: the literal is valid JSON of printable characters whatever
  // `s` holds (log lines, text from outside).
  replace,
};

// Appends `s` as a JSON string literal (quotes included). Valid non-ASCII UTF-8 is written as is.
void append_json_string(std::string& out, std::string_view s, invalid_utf8 policy = invalid_utf8::copy);

}  // namespace chatkit::protocol
