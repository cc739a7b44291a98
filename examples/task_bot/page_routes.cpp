#include "page_routes.hpp"

#include "task_api.hpp"
#include "web_assets.hpp"

#include <chatkit/error.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>

namespace task_bot {
namespace http = chatkit::http;
namespace bhttp = boost::beast::http;
namespace json = boost::json;
using boost::asio::awaitable;

namespace {

[[noreturn]] void no_method() {
  throw chatkit::error(chatkit::errc::method_not_allowed, "method not allowed");
}

http::response file_response(const http::request& req, std::string_view path) {
  if (req.method() != bhttp::verb::get && req.method() != bhttp::verb::head) no_method();
  auto bytes = find_web_asset(path);
  if (!bytes) throw chatkit::error(chatkit::errc::not_found, "no such file");
  http::response res{bhttp::status::ok, req.version()};
  res.set(bhttp::field::content_type, content_type_for(path));
  res.set(bhttp::field::cache_control, "no-cache");
  res.body() = std::string(*bytes);
  res.keep_alive(req.keep_alive());
  res.prepare_payload();
  if (req.method() == bhttp::verb::head) res.body().clear();
  return res;
}

http::response demo_login(const http::request& req, const access_control& access) {
  access.check_origin(req);
  if (req.method() != bhttp::verb::post) no_method();
  boost::system::error_code ec;
  auto body = json::parse(req.body(), ec);
  if (ec || !body.is_object())
    throw chatkit::error(chatkit::errc::invalid_request, "body: must be a JSON object");
  const auto* name = body.get_object().if_contains("name");
  if (!name || !name->is_string() || !valid_demo_name(name->get_string()))
    throw chatkit::error(chatkit::errc::invalid_request,
                         "name: must be 1 to 64 characters of A-Z a-z 0-9 _ . -");
  const std::string user(name->get_string());
  const auto token = access.issue_token(user, std::chrono::hours(24));
  return json_response(req, 200, json::serialize(json::object{{"token", token}, {"user_id", user}}));
}

}  // namespace

bool valid_demo_name(std::string_view name) noexcept {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

void mount_page_routes(http::server& server, page_settings settings,
                       std::shared_ptr<const access_control> access) {
  server.add_route("/", [](http::request req) -> awaitable<http::response> {
    co_return file_response(req, "index.html");
  });
  server.add_route(
      "/static/",
      [](http::request req) -> awaitable<http::response> {
        std::string_view path = http::target_path(std::string_view(req.target()));
        path.remove_prefix(std::string_view("/static/").size());
        co_return file_response(req, path);
      },
      http::route_match::prefix);
  const std::string config = json::serialize(json::object{
      {"demo_model", settings.demo_model},
      {"demo_auth", settings.demo_auth},
      {"domain_key", settings.domain_key ? json::value(*settings.domain_key) : json::value(nullptr)}});
  server.add_route("/api/config", [config](http::request req) -> awaitable<http::response> {
    co_return json_response(req, 200, config);
  });
  if (settings.demo_auth)
    server.add_route("/api/auth/demo-login", [access](http::request req) -> awaitable<http::response> {
      co_return demo_login(req, *access);
    });
}

}  // namespace task_bot
