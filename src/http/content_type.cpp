#include "http/detail/content_type.hpp"

#include <algorithm>
#include <cctype>

namespace chatkit::http::detail {

std::string media_type(std::string_view content_type) {
  auto v = content_type.substr(0, content_type.find(';'));
  const auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!v.empty() && blank(v.front())) v.remove_prefix(1);
  while (!v.empty() && blank(v.back())) v.remove_suffix(1);
  std::string out(v);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool content_type_accepted(std::string_view content_type, const std::vector<std::string>& accepted) {
  if (accepted.empty()) return true;
  const auto type = media_type(content_type);
  if (type.empty()) return false;
  return std::any_of(accepted.begin(), accepted.end(),
                     [&](const std::string& a) { return media_type(a) == type; });
}

}  // namespace chatkit::http::detail
