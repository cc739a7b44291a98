// A task bot on an ephemeral port of 127.0.0.1 with the demo model and demo sign-in, for the tests over
// real sockets.
#pragma once

#include "http_test_client.hpp"
#include "task_bot_app.hpp"

#include <boost/json/parse.hpp>

#include <memory>
#include <string>

namespace task_bot_test {

inline task_bot::task_bot_config test_config(std::string store = "memory") {
  task_bot::task_bot_config c;
  c.port = 0;
  c.store = std::move(store);
  c.jwt_secret = "test-secret-0123456789-0123456789";
  c.demo = true;
  c.demo_model = true;
  c.heartbeat = std::chrono::milliseconds(200);
  return c;
}

struct running_task_bot {
  std::unique_ptr<task_bot::task_bot_app> app;

  explicit running_task_bot(task_bot::task_bot_config c = test_config())
      : app(std::make_unique<task_bot::task_bot_app>(std::move(c))) {
    app->start();
  }
  ~running_task_bot() { app->stop(); }

  std::uint16_t port() const { return app->port(); }

  std::string sign_in(const std::string& name) const {
    auto r = http_call(port(), "POST", "/api/auth/demo-login", R"({"name":")" + name + R"("})");
    return std::string(r.json().at("token").as_string());
  }
};

}  // namespace task_bot_test
