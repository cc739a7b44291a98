// Tasks in PostgreSQL, in the same database as the ChatKit threads (chatkit::store::postgres_store): the
// schema `task_bot` with its own tables and version table, migrated on open. Every change sends a NOTIFY on
// the channel `task_bot_changes`; watch_other_processes() LISTENs on a second connection, so task_bot
// processes sharing the database see each other's changes (their dashboards update).
#pragma once

#include "task_store.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

struct pg_conn;

namespace task_bot {

class postgres_task_store final : public task_store {
 public:
  static constexpr int schema_version = 1;

  // `conninfo`: a libpq URI or key=value string. Throws chatkit::error(errc::unavailable) on failure.
  explicit postgres_task_store(std::string conninfo);
  ~postgres_task_store() override;
  postgres_task_store(const postgres_task_store&) = delete;
  postgres_task_store& operator=(const postgres_task_store&) = delete;

  task create(const std::string& owner, const new_task& t) override;
  std::vector<task> list(const std::string& owner, const task_filter& f) override;
  std::optional<task> get(const std::string& owner, const std::string& id) override;
  std::optional<task> update(const std::string& owner, const std::string& id, const task_patch& p) override;
  std::optional<task> remove(const std::string& owner, const std::string& id) override;
  void watch_other_processes(change_listener on_change) override;

 private:
  void listen_loop();

  std::string conninfo_;
  std::string origin_;  // this process's id in NOTIFY payloads: its own changes are not delivered back
  std::mutex mutex_;
  ::pg_conn* conn_ = nullptr;
  change_listener on_change_;
  ::pg_conn* listen_conn_ = nullptr;
  int wake_[2] = {-1, -1};
  std::thread listener_;
};

}  // namespace task_bot
