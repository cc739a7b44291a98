#include "web_assets.hpp"

#include <array>
#include <utility>

namespace task_bot {

std::optional<std::string_view> find_web_asset(std::string_view path) noexcept {
  for (const web_asset* a = web_assets(); a->path; ++a)
    if (path == a->path) return std::string_view(reinterpret_cast<const char*>(a->bytes), a->size);
  return std::nullopt;
}

std::string_view content_type_for(std::string_view path) noexcept {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 10> types{{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".json", "application/json"},
      {".txt", "text/plain; charset=utf-8"},
      {".webmanifest", "application/manifest+json"},
      {".map", "application/json"},
  }};
  for (const auto& [ext, type] : types)
    if (path.size() > ext.size() && path.substr(path.size() - ext.size()) == ext) return type;
  return "application/octet-stream";
}

}  // namespace task_bot
