// Tasks in SQLite, in the same file as the ChatKit threads (chatkit::store::sqlite_store): its own table
// `tasks` and its own version table `task_bot_schema`, migrated on open. One connection behind a mutex;
// WAL mode and a busy timeout let several processes share the file.
#pragma once

#include "task_store.hpp"

#include <memory>
#include <mutex>

struct sqlite3;

namespace task_bot {

class sqlite_task_store final : public task_store {
 public:
  static constexpr int schema_version = 1;

  // Opens (creating and migrating) the database. Throws chatkit::error(errc::unavailable) on failure.
  explicit sqlite_task_store(const std::string& path);
  ~sqlite_task_store() override;
  sqlite_task_store(const sqlite_task_store&) = delete;
  sqlite_task_store& operator=(const sqlite_task_store&) = delete;

  task create(const std::string& owner, const new_task& t) override;
  std::vector<task> list(const std::string& owner, const task_filter& f) override;
  std::optional<task> get(const std::string& owner, const std::string& id) override;
  std::optional<task> update(const std::string& owner, const std::string& id, const task_patch& p) override;
  std::optional<task> remove(const std::string& owner, const std::string& id) override;

 private:
  std::optional<task> find(const std::string& owner, const std::string& id);
  void exec(const char* sql);

  std::mutex mutex_;
  sqlite3* db_ = nullptr;
};

}  // namespace task_bot
