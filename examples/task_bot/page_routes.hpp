// The routes around the API: the page and its files (/, /static/...), /api/config and, in demo
// mode only, POST /api/auth/demo-login (API.md#public-routes).
#pragma once

#include "access_control.hpp"

#include <chatkit/http/server.hpp>

#include <memory>
#include <optional>
#include <string>

namespace task_bot {

struct page_settings {
  bool demo_model = false;
  bool demo_auth = false;                 // mounts /api/auth/demo-login
  std::optional<std::string> domain_key;  // CHATKIT_DOMAIN_KEY
};

void mount_page_routes(chatkit::http::server& server, page_settings settings,
                       std::shared_ptr<const access_control> access);

// Whether `name` may be a demo user name: 1 to 64 of A-Z a-z 0-9 _ . -
bool valid_demo_name(std::string_view name) noexcept;

}  // namespace task_bot
