#include "http/detail/content_type.hpp"

#include <algorithm>
#include <cctype>

namespace chatkit::http::detail {

namespace {

// The media type of a Content-Type value without parameters or surrounding blanks (case kept).
std::string_view bare_media_type(std::string_view content_type) {
  auto v = content_type.substr(0, content_type.find(';'));
  const auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!v.empty() && blank(v.front())) v.remove_prefix(1);
  while (!v.empty() && blank(v.back())) v.remove_suffix(1);
  return v;
}

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

}  // namespace

std::string media_type(std::string_view content_type) {
  const auto v = bare_media_type(content_type);
  std::string out(v);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

bool content_type_accepted(std::string_view content_type, const std::vector<std::string>& accepted) {
  if (accepted.empty()) return true;
  // Compared in place, without lower-cased copies: this runs for every request.
  const auto type = bare_media_type(content_type);
  if (type.empty()) return false;
  return std::any_of(accepted.begin(), accepted.end(), [&](const std::string& a) {
    const auto want = bare_media_type(a);
    return std::equal(want.begin(), want.end(), type.begin(), type.end(),
                      [](char x, char y) { return lower(x) == lower(y); });
  });
}

}  // namespace chatkit::http::detail
