// The REST API over real sockets (examples/task_bot/API.md): every route, status codes, bad input naming
// the field, another user's ids answered 404, missing or expired tokens answered 401, the page and its files.
#include "running_task_bot.hpp"

#include <chatkit/http/jwt.hpp>

#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <chrono>

using namespace task_bot_test;
namespace json = boost::json;

namespace {

std::string error_message(const http_reply& r) {
  return std::string(r.json().at("error").at("message").as_string());
}

}  // namespace

TEST_CASE("rest: create, read, list, patch, complete, delete", "[task_bot][rest]") {
  running_task_bot bot;
  const auto alice = bot.sign_in("alice");

  auto created = http_call(bot.port(), "POST", "/api/tasks",
                           R"({"title":"  buy milk ","priority":"high","due_date":"2026-12-01"})", alice);
  REQUIRE(created.status == 201);
  const auto task = created.json().as_object();
  CHECK(task.at("title") == "buy milk");
  CHECK(task.at("status") == "pending");
  CHECK(task.at("description").is_null());
  const std::string id(task.at("id").as_string());
  http_call(bot.port(), "POST", "/api/tasks", R"({"title":"call mom","priority":"low"})", alice);

  auto got = http_call(bot.port(), "GET", "/api/tasks/" + id, {}, alice);
  CHECK(got.status == 200);
  CHECK(got.json().at("due_date") == "2026-12-01");

  auto listed = http_call(bot.port(), "GET", "/api/tasks", {}, alice);
  CHECK(listed.status == 200);
  REQUIRE(listed.json().at("tasks").as_array().size() == 2);
  CHECK(listed.json().at("tasks").at(0).at("title") == "call mom");  // newest first

  auto patched =
      http_call(bot.port(), "PATCH", "/api/tasks/" + id, R"({"priority":"low","due_date":null})", alice);
  CHECK(patched.status == 200);
  CHECK(patched.json().at("priority") == "low");
  CHECK(patched.json().at("due_date").is_null());
  CHECK(patched.json().at("title") == "buy milk");

  auto completed = http_call(bot.port(), "POST", "/api/tasks/" + id + "/complete", {}, alice);
  CHECK(completed.status == 200);
  CHECK(completed.json().at("status") == "completed");

  CHECK(http_call(bot.port(), "GET", "/api/tasks?status=completed", {}, alice)
            .json()
            .at("tasks")
            .as_array()
            .size() == 1);
  CHECK(http_call(bot.port(), "GET", "/api/tasks?status=pending", {}, alice)
            .json()
            .at("tasks")
            .as_array()
            .size() == 1);
  CHECK(http_call(bot.port(), "GET", "/api/tasks?q=MILK", {}, alice).json().at("tasks").as_array().size() ==
        1);

  auto deleted = http_call(bot.port(), "DELETE", "/api/tasks/" + id, {}, alice);
  CHECK(deleted.status == 204);
  CHECK(deleted.body.empty());
  CHECK(http_call(bot.port(), "GET", "/api/tasks/" + id, {}, alice).status == 404);
}

TEST_CASE("rest: bad input is a 400 naming the field", "[task_bot][rest]") {
  running_task_bot bot;
  const auto alice = bot.sign_in("alice");
  const auto post = [&](const std::string& body) {
    return http_call(bot.port(), "POST", "/api/tasks", body, alice);
  };

  auto r = post(R"({"title":""})");
  CHECK(r.status == 400);
  CHECK(r.json().at("error").at("type") == "invalid_request");
  CHECK(error_message(r) == "title: must be 1 to 200 characters");
  CHECK(error_message(post(R"({"title":")" + std::string(201, 'x') + R"("})")) ==
        "title: must be 1 to 200 characters");
  CHECK(error_message(post(R"({"priority":"high"})")) == "title: is required");
  CHECK(error_message(post(R"({"title":"x","priority":"urgent"})")) ==
        R"(priority: must be "low", "medium" or "high")");
  CHECK(error_message(post(R"({"title":"x","status":"done"})")) ==
        R"(status: must be "pending" or "completed")");
  CHECK(error_message(post(R"({"title":"x","due_date":"2026-02-30"})")) ==
        "due_date: must be a date written YYYY-MM-DD, or null");
  CHECK(error_message(post(R"({"title":"x","description":")" + std::string(2001, 'd') + R"("})")) ==
        "description: must be at most 2000 characters");
  CHECK(error_message(post(R"({"title":"x","owner":"bob"})")) == "owner: unknown field");
  CHECK(error_message(post(R"({"title":)")) == "body: not valid JSON");
  CHECK(error_message(post(R"(["title"])")) == "body: must be a JSON object");
  CHECK(error_message(http_call(bot.port(), "GET", "/api/tasks?status=later", {}, alice)) ==
        R"(status: must be "pending" or "completed")");

  const auto id = std::string(post(R"({"title":"x"})").json().at("id").as_string());
  CHECK(error_message(http_call(bot.port(), "PATCH", "/api/tasks/" + id, R"({"title":7})", alice)) ==
        "title: must be a string");
  CHECK(http_call(bot.port(), "PUT", "/api/tasks/" + id, "{}", alice).status == 405);
  CHECK(http_call(bot.port(), "GET", "/api/tasks/" + id + "/complete", {}, alice).status == 405);
}

TEST_CASE("rest: another user's task is 404 on every route, like a missing one", "[task_bot][rest]") {
  running_task_bot bot;
  const auto alice = bot.sign_in("alice");
  const auto bob = bot.sign_in("bob");
  const auto id = std::string(http_call(bot.port(), "POST", "/api/tasks", R"({"title":"alice's"})", alice)
                                  .json()
                                  .at("id")
                                  .as_string());

  for (const auto& [method, target, body] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"GET", "/api/tasks/" + id, ""},
           {"PATCH", "/api/tasks/" + id, R"({"title":"bob's now"})"},
           {"POST", "/api/tasks/" + id + "/complete", ""},
           {"DELETE", "/api/tasks/" + id, ""},
           {"GET", "/api/tasks/task_missing", ""}}) {
    auto r = http_call(bot.port(), method, target, body, bob);
    CHECK(r.status == 404);
    CHECK(r.json().at("error").at("type") == "not_found");
    CHECK(error_message(r) == "no such task");
  }
  CHECK(http_call(bot.port(), "GET", "/api/tasks", {}, bob).json().at("tasks").as_array().empty());
  auto still = http_call(bot.port(), "GET", "/api/tasks/" + id, {}, alice).json();
  CHECK(still.at("title") == "alice's");
  CHECK(still.at("status") == "pending");
}

TEST_CASE("rest: missing, forged or expired tokens are 401 on every protected route", "[task_bot][rest]") {
  running_task_bot bot;
  const auto other_key = chatkit::http::jwt_key::hmac("another-secret");
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  const auto forged = chatkit::http::sign_jwt({{"sub", "alice"}, {"exp", now + 600}}, other_key);
  const auto expired =
      chatkit::http::sign_jwt({{"sub", "alice"}, {"exp", now - 3600}},
                              chatkit::http::jwt_key::hmac("test-secret-0123456789-0123456789"));
  for (const std::string target : {"/api/tasks", "/api/tasks/task_x", "/api/tasks/events"}) {
    auto none = http_call(bot.port(), "GET", target);
    CHECK(none.status == 401);
    // One text for every refusal: which check failed is only in the server's log.
    CHECK(error_message(none) == "invalid or missing credentials");
    CHECK(error_message(http_call(bot.port(), "GET", target, {}, forged)) ==
          "invalid or missing credentials");
    auto old = http_call(bot.port(), "GET", target, {}, expired);
    CHECK(old.status == 401);
    CHECK(error_message(old) == "invalid or missing credentials");
  }
  CHECK(http_call(bot.port(), "POST", "/chatkit", R"({"type":"threads.list","params":{}})").status == 401);
  CHECK(http_call(bot.port(), "POST", "/chatkit", R"({"type":"threads.list","params":{}})", expired).status ==
        401);
}

TEST_CASE("rest: public routes, the page and its files", "[task_bot][rest]") {
  running_task_bot bot;
  auto health = http_call(bot.port(), "GET", "/healthz");
  CHECK(health.status == 200);
  CHECK(health.body == R"({"status":"ok"})");
  CHECK(http_call(bot.port(), "GET", "/api/config").body ==
        R"({"demo_model":true,"demo_auth":true,"domain_key":null})");
  auto page = http_call(bot.port(), "GET", "/");
  CHECK(page.status == 200);
  CHECK(page.has_header("Content-Type: text/html; charset=utf-8"));
  CHECK(page.body.find("<html") != std::string::npos);
  CHECK(http_call(bot.port(), "GET", "/static/no-such-file.js").status == 404);
  CHECK(http_call(bot.port(), "GET", "/nowhere").status == 404);

  auto login = http_call(bot.port(), "POST", "/api/auth/demo-login", R"({"name":"alice"})");
  CHECK(login.status == 200);
  CHECK(login.json().at("user_id") == "alice");
  CHECK(http_call(bot.port(), "POST", "/api/auth/demo-login", R"({"name":"al ice"})").status == 400);
  CHECK(http_call(bot.port(), "POST", "/api/auth/demo-login", R"({})").status == 400);
}

TEST_CASE("rest: without demo mode there is no demo sign-in", "[task_bot][rest]") {
  auto c = test_config();
  c.demo = false;
  running_task_bot bot(c);
  CHECK(http_call(bot.port(), "POST", "/api/auth/demo-login", R"({"name":"alice"})").status == 404);
  CHECK(http_call(bot.port(), "GET", "/api/config").json().at("demo_auth") == false);
}

TEST_CASE("rest: CORS_ORIGINS and CHATKIT_DOMAIN_ALLOWLIST", "[task_bot][rest]") {
  auto c = test_config();
  c.cors_origins = {"https://app.example.com"};
  c.domain_allowlist = {"https://app.example.com"};
  running_task_bot bot(c);
  const auto alice = bot.sign_in("alice");
  auto allowed = http_call(bot.port(), "GET", "/api/tasks", {}, alice, "Origin: https://app.example.com\r\n");
  CHECK(allowed.status == 200);
  CHECK(allowed.has_header("Access-Control-Allow-Origin: https://app.example.com"));
  auto preflight = http_call(bot.port(), "OPTIONS", "/api/tasks/task_x", {}, {},
                             "Origin: https://app.example.com\r\nAccess-Control-Request-Method: PATCH\r\n"
                             "Access-Control-Request-Headers: authorization, content-type\r\n");
  CHECK(preflight.status == 204);
  CHECK(preflight.has_header("PATCH"));
  auto refused = http_call(bot.port(), "GET", "/api/tasks", {}, alice, "Origin: https://evil.example\r\n");
  CHECK(refused.status == 403);
  CHECK(http_call(bot.port(), "POST", "/chatkit", R"({"type":"threads.list","params":{}})", alice,
                  "Origin: https://evil.example\r\n")
            .status == 403);
  CHECK(http_call(bot.port(), "GET", "/api/tasks/events", {}, alice, "Origin: https://evil.example\r\n")
            .status == 403);
}
