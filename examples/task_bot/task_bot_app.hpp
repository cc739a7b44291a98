// The whole task bot in one object: stores (ChatKit threads and tasks in one database), the change bus,
// the agent with the six tools, the model (OpenAI or the local demo model), and the HTTP server with
// /chatkit, the REST API, the event stream and the page. main.cpp and the tests build it from a config.
#pragma once

#include "access_control.hpp"
#include "task_bot_config.hpp"
#include "task_service.hpp"

#include <cstdint>
#include <memory>

namespace task_bot {

class task_bot_app {
 public:
  // Opens the databases and builds everything; throws std::exception with a message on bad settings or an
  // unreachable database.
  explicit task_bot_app(task_bot_config config);
  ~task_bot_app();
  task_bot_app(const task_bot_app&) = delete;
  task_bot_app& operator=(const task_bot_app&) = delete;

  void start();  // binds and serves (and starts the demo model when used)
  std::uint16_t port() const noexcept;
  // Graceful: event streams end, in-flight requests finish (up to 10 s), then everything stops. Idempotent.
  void stop();

  const task_bot_config& config() const noexcept;
  bool uses_demo_model() const noexcept;
  task_service& tasks() noexcept;
  const access_control& access() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace task_bot
