#include "task_api.hpp"

#include <chatkit/error.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

namespace task_bot {
namespace http = chatkit::http;
namespace bhttp = boost::beast::http;
namespace json = boost::json;
using boost::asio::awaitable;

namespace {

[[noreturn]] void bad(std::string_view field, std::string_view why) {
  throw chatkit::error(chatkit::errc::invalid_request, std::string(field) + ": " + std::string(why),
                       std::string(field));
}

[[noreturn]] void no_method() {
  throw chatkit::error(chatkit::errc::method_not_allowed, "method not allowed");
}

[[noreturn]] void no_task() {
  throw chatkit::error(chatkit::errc::not_found, "no such task");
}

json::value parse_body(const http::request& req) {
  boost::system::error_code ec;
  auto v = json::parse(req.body(), ec);
  if (ec) bad("body", "not valid JSON");
  return v;
}

http::response task_response(const http::request& req, unsigned status, const task& t) {
  return json_response(req, status, json::serialize(to_json(t)));
}

task_filter filter_from_query(std::string_view target) {
  task_filter f;
  auto url = boost::urls::parse_origin_form(target);
  if (!url) bad("query", "malformed");
  for (auto p : url->params()) {
    if (p.key == "status") {
      f.status = parse_status(p.value);
      if (!f.status) bad("status", "must be \"pending\" or \"completed\"");
    } else if (p.key == "priority") {
      f.priority = parse_priority(p.value);
      if (!f.priority) bad("priority", "must be \"low\", \"medium\" or \"high\"");
    } else if (p.key == "q") {
      f.text = std::string(p.value);
    }
  }
  return f;
}

awaitable<http::response> tasks_collection(const http::request& req, task_service& tasks,
                                           const access_control& access) {
  const auto caller = co_await access.authenticate(req);
  if (req.method() == bhttp::verb::get) {
    json::array items;
    for (const auto& t : tasks.list(caller.user_id, filter_from_query(std::string_view(req.target()))))
      items.push_back(to_json(t));
    co_return json_response(req, 200, json::serialize(json::object{{"tasks", std::move(items)}}));
  }
  if (req.method() == bhttp::verb::post)
    co_return task_response(req, 201, tasks.create(caller.user_id, new_task_from_json(parse_body(req))));
  no_method();
}

// /api/tasks/{id} and /api/tasks/{id}/complete
awaitable<http::response> tasks_member(const http::request& req, task_service& tasks,
                                       const access_control& access) {
  const auto caller = co_await access.authenticate(req);
  std::string_view rest = http::target_path(std::string_view(req.target()));
  rest.remove_prefix(std::string_view("/api/tasks/").size());
  bool complete = false;
  if (rest.ends_with("/complete")) {
    rest.remove_suffix(std::string_view("/complete").size());
    complete = true;
  }
  if (rest.empty() || rest.find('/') != std::string_view::npos) no_task();
  const std::string id(rest);
  if (complete) {
    if (req.method() != bhttp::verb::post) no_method();
    auto t = tasks.complete(caller.user_id, id);
    if (!t) no_task();
    co_return task_response(req, 200, *t);
  }
  switch (req.method()) {
    case bhttp::verb::get: {
      auto t = tasks.get(caller.user_id, id);
      if (!t) no_task();
      co_return task_response(req, 200, *t);
    }
    case bhttp::verb::patch: {
      auto t = tasks.update(caller.user_id, id, task_patch_from_json(parse_body(req)));
      if (!t) no_task();
      co_return task_response(req, 200, *t);
    }
    case bhttp::verb::delete_: {
      if (!tasks.remove(caller.user_id, id)) no_task();
      http::response res{bhttp::status::no_content, req.version()};
      res.keep_alive(req.keep_alive());
      co_return res;
    }
    default:
      no_method();
  }
}

}  // namespace

http::response json_response(const http::request& req, unsigned status, std::string body) {
  http::response res{static_cast<bhttp::status>(status), req.version()};
  res.set(bhttp::field::content_type, "application/json");
  res.set(bhttp::field::cache_control, "no-store");
  res.body() = std::move(body);
  res.keep_alive(req.keep_alive());
  res.prepare_payload();
  return res;
}

void mount_task_api(http::server& server, std::shared_ptr<task_service> tasks,
                    std::shared_ptr<const access_control> access) {
  server.add_route("/api/tasks", [tasks, access](http::request req) -> awaitable<http::response> {
    co_return co_await tasks_collection(req, *tasks, *access);
  });
  server.add_route(
      "/api/tasks/",
      [tasks, access](http::request req) -> awaitable<http::response> {
        co_return co_await tasks_member(req, *tasks, *access);
      },
      http::route_match::prefix);
}

}  // namespace task_bot
