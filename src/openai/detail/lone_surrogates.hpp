// Lone UTF-16 surrogate escapes (docs/openai-client.md#lone-surrogates). A lone escape is rewritten into
// its three-byte generalized UTF-8 form (ED A0..BF xx, "WTF-8") so a parser with allow_invalid_utf8 takes
// it; the decoders then join a high surrogate ending one fragment with the low surrogate starting the
// next, and turn whatever stays unpaired into U+FFFD, so no caller ever sees the three-byte form.
#pragma once

#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace chatkit::openai::detail {

inline constexpr std::string_view replacement_character = "\xEF\xBF\xBD";

// Whether `json` may hold a surrogate escape (`\uD8`..`\uDF`, any case): a quick test, false positives
// are harmless.
bool has_surrogate_escape(std::string_view json) noexcept;

// Copies `json` into `out` with every lone surrogate escape replaced by its three-byte form; true when at
// least one was replaced (otherwise `out` is unspecified).
bool rewrite_lone_surrogate_escapes(std::string_view json, std::string& out);

// Parses `json` whose lone surrogate escapes are rewritten; `ec` as boost::json::parse sets it. The
// strings of the result may hold three-byte surrogates.
boost::json::value parse_with_lone_surrogates(std::string_view json, boost::system::error_code& ec);

// Replaces every three-byte surrogate in `s` with U+FFFD (a pair of them with the code point they form);
// true when `s` changed.
bool replace_lone_surrogates(std::string& s);
// The same for every string (and key) inside `v`.
void replace_lone_surrogates(boost::json::value& v);
void replace_lone_surrogates(boost::json::object& o);

// Joins surrogates split across the fragments of one text stream (a choice's content, one tool call's
// arguments...), each stream named by a key. A fragment ending with a high surrogate keeps it back until
// the next fragment of the same stream: joined when that one starts with the low surrogate, U+FFFD
// otherwise.
class surrogate_joiner {
 public:
  // Rewrites `fragment` in place: held-back surrogate first, three-byte surrogates resolved.
  void fix(std::uint64_t key, std::string& fragment);
  // Whether a high surrogate is held for `key`; release() drops it (the caller emits U+FFFD).
  bool holds(std::uint64_t key) const noexcept;
  void release(std::uint64_t key);
  bool empty() const noexcept { return held_.empty(); }
  const std::vector<std::pair<std::uint64_t, std::string>>& held() const noexcept { return held_; }
  void clear() noexcept { held_.clear(); }

 private:
  std::vector<std::pair<std::uint64_t, std::string>> held_;  // key -> the three bytes held back
};

}  // namespace chatkit::openai::detail
