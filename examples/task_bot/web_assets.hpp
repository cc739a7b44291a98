// The files of examples/task_bot/web/, compiled into the binary by embed_web_files.cmake, and their
// HTTP Content-Type.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace task_bot {

struct web_asset {
  const char* path;  // relative to web/, e.g. "index.html", "app.js"; nullptr ends the table
  const unsigned char* bytes;
  std::size_t size;
};

// The table, ended by an entry whose path is nullptr.
const web_asset* web_assets() noexcept;

// The file at `path` (relative to web/), if compiled in.
std::optional<std::string_view> find_web_asset(std::string_view path) noexcept;

// "text/html; charset=utf-8" for .html, and so on; application/octet-stream when unknown.
std::string_view content_type_for(std::string_view path) noexcept;

}  // namespace task_bot
