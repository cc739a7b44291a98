#include "openai/detail/lone_surrogates.hpp"

#include <boost/json/parser.hpp>

#include <algorithm>

namespace chatkit::openai::detail {

namespace {

int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The code unit of the `\uXXXX` escape at json[i] (json[i] == '\\'), or -1.
long escape_at(std::string_view json, std::size_t i) noexcept {
  if (i + 6 > json.size() || json[i] != '\\' || json[i + 1] != 'u') return -1;
  long v = 0;
  for (std::size_t k = 2; k < 6; ++k) {
    const int d = hex_digit(json[i + k]);
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

bool is_high(long u) noexcept {
  return u >= 0xD800 && u <= 0xDBFF;
}
bool is_low(long u) noexcept {
  return u >= 0xDC00 && u <= 0xDFFF;
}

void append_three_byte(std::string& out, long u) {
  out += static_cast<char>(0xE0 | (u >> 12));
  out += static_cast<char>(0x80 | ((u >> 6) & 0x3F));
  out += static_cast<char>(0x80 | (u & 0x3F));
}

// The surrogate whose three-byte form starts at s[i], or -1.
long surrogate_at(std::string_view s, std::size_t i) noexcept {
  if (i + 3 > s.size() || static_cast<unsigned char>(s[i]) != 0xED) return -1;
  const auto b1 = static_cast<unsigned char>(s[i + 1]);
  const auto b2 = static_cast<unsigned char>(s[i + 2]);
  if (b1 < 0xA0 || b1 > 0xBF || (b2 & 0xC0) != 0x80) return -1;
  return 0xD000 | ((b1 & 0x3F) << 6) | (b2 & 0x3F);
}

void append_pair(std::string& out, long high, long low) {
  const long cp = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
  out += static_cast<char>(0xF0 | (cp >> 18));
  out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
  out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  out += static_cast<char>(0x80 | (cp & 0x3F));
}

// Resolves the three-byte surrogates of s[from..] into `out`; a high one at the very end is stored in
// `trailing_high` (when not null) instead of becoming U+FFFD.
void resolve(std::string_view s, std::size_t from, std::string& out, std::string* trailing_high) {
  for (std::size_t i = from; i < s.size();) {
    const long u = surrogate_at(s, i);
    if (u < 0) {
      out += s[i++];
      continue;
    }
    const long next = surrogate_at(s, i + 3);
    if (is_high(u) && is_low(next)) {
      append_pair(out, u, next);
      i += 6;
    } else if (is_high(u) && i + 3 == s.size() && trailing_high != nullptr) {
      trailing_high->assign(s.substr(i, 3));
      i += 3;
    } else {
      out += replacement_character;
      i += 3;
    }
  }
}

}  // namespace

bool has_surrogate_escape(std::string_view json) noexcept {
  for (auto i = json.find("\\u"); i != std::string_view::npos; i = json.find("\\u", i + 2)) {
    if (i + 4 > json.size()) return false;
    const char d = json[i + 2];
    const int next = hex_digit(json[i + 3]);
    if ((d == 'd' || d == 'D') && next >= 8) return true;
  }
  return false;
}

bool rewrite_lone_surrogate_escapes(std::string_view json, std::string& out) {
  out.clear();
  out.reserve(json.size());
  bool changed = false;
  for (std::size_t i = 0; i < json.size();) {
    if (json[i] != '\\' || i + 1 >= json.size()) {
      out += json[i++];
      continue;
    }
    const long u = escape_at(json, i);
    if (u < 0xD800 || u > 0xDFFF) {  // another escape (or not one): copied as is, both characters
      out.append(json.substr(i, 2));
      i += 2;
      continue;
    }
    if (is_high(u) && is_low(escape_at(json, i + 6))) {  // a well-formed pair
      out.append(json.substr(i, 12));
      i += 12;
      continue;
    }
    append_three_byte(out, u);
    changed = true;
    i += 6;
  }
  return changed;
}

boost::json::value parse_with_lone_surrogates(std::string_view json, boost::system::error_code& ec) {
  std::string rewritten;
  if (!rewrite_lone_surrogate_escapes(json, rewritten)) {
    boost::json::parser p;
    p.write(json, ec);
    return ec ? boost::json::value() : p.release();
  }
  boost::json::parse_options opts;
  opts.allow_invalid_utf8 = true;
  boost::json::parser p({}, opts);
  p.write(rewritten, ec);
  return ec ? boost::json::value() : p.release();
}

bool replace_lone_surrogates(std::string& s) {
  std::size_t first = 0;
  while (first < s.size() && surrogate_at(s, first) < 0) ++first;
  if (first == s.size()) return false;
  std::string out(s, 0, first);
  resolve(s, first, out, nullptr);
  s = std::move(out);
  return true;
}

void replace_lone_surrogates(boost::json::value& v) {
  const auto fix_string = [](boost::json::string& js) {
    std::string s(js.data(), js.size());
    if (replace_lone_surrogates(s)) js = s;
  };
  if (v.is_string()) {
    fix_string(v.get_string());
  } else if (v.is_array()) {
    for (auto& e : v.get_array()) replace_lone_surrogates(e);
  } else if (v.is_object()) {
    replace_lone_surrogates(v.get_object());
  }
}

void replace_lone_surrogates(boost::json::object& o) {
  bool bad_key = false;
  for (auto& kv : o) {
    std::string k(kv.key());
    bad_key = replace_lone_surrogates(k) || bad_key;
    replace_lone_surrogates(kv.value());
  }
  if (!bad_key) return;
  boost::json::object fixed(o.storage());  // rare: rebuilt with the keys fixed
  for (auto& kv : o) {
    std::string k(kv.key());
    replace_lone_surrogates(k);
    fixed[k] = std::move(kv.value());
  }
  o = std::move(fixed);
}

void surrogate_joiner::fix(std::uint64_t key, std::string& fragment) {
  if (fragment.empty()) return;  // an empty fragment keeps what is held
  std::string out;
  std::size_t from = 0;
  auto it = std::find_if(held_.begin(), held_.end(), [&](const auto& h) { return h.first == key; });
  if (it != held_.end()) {
    const long high = surrogate_at(it->second, 0);
    const long low = surrogate_at(fragment, 0);
    if (is_low(low)) {
      append_pair(out, high, low);
      from = 3;
    } else {
      out += replacement_character;
    }
    held_.erase(it);
  } else {
    std::size_t first = 0;
    while (first < fragment.size() && surrogate_at(fragment, first) < 0) ++first;
    if (first == fragment.size()) return;  // the common case: nothing to do
    out.assign(fragment, 0, first);
    from = first;
  }
  std::string trailing;
  resolve(fragment, from, out, &trailing);
  if (!trailing.empty()) held_.emplace_back(key, std::move(trailing));
  fragment = std::move(out);
}

bool surrogate_joiner::holds(std::uint64_t key) const noexcept {
  return std::any_of(held_.begin(), held_.end(), [&](const auto& h) { return h.first == key; });
}

void surrogate_joiner::release(std::uint64_t key) {
  std::erase_if(held_, [&](const auto& h) { return h.first == key; });
}

}  // namespace chatkit::openai::detail
