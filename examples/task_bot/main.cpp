// task_bot — the task assistant: chat with six user-bound task tools, a dashboard that updates itself.
//
//   task_bot --demo                      # http://127.0.0.1:8000, demo sign-in, demo model, ./task_bot.db
//   CHATKIT_JWT_SECRET=... OPENAI_API_KEY=sk-... task_bot --bind 0.0.0.0 --store postgresql://...
//
// Every setting: docs/task-bot.md. Logs are JSON lines on stderr; SIGTERM/SIGINT stop it gracefully.
#include "json_log.hpp"
#include "task_bot_app.hpp"

#include <pthread.h>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>

int main(int argc, char** argv) {
  task_bot::task_bot_config config;
  try {
    config = task_bot::parse_config(argc, argv, [](const char* name) { return std::getenv(name); });
  } catch (const std::invalid_argument& e) {
    if (std::string_view(e.what()) != "help") std::fprintf(stderr, "task_bot: %s\n", e.what());
    std::fputs(task_bot::usage_text().c_str(), stderr);
    return std::string_view(e.what()) == "help" ? 0 : 2;
  }

  task_bot::install_sdk_log_sink();  // the SDK's records in the task bot's JSON lines

  // SIGINT/SIGTERM are blocked in every thread (the server's workers inherit the mask) and awaited here.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  try {
    task_bot::task_bot_app app(std::move(config));
    app.start();
    int sig = 0;
    sigwait(&signals, &sig);
    task_bot::log_json("info", "shutting down", {{"signal", sig}});
    app.stop();
    task_bot::log_json("info", "stopped");
  } catch (const std::exception& e) {
    task_bot::log_json("error", "cannot start", {{"error", e.what()}});
    return 1;
  }
  return 0;
}
