// Where tasks live. Every call names the owner, and every query is filtered by it: a task of another
// user is invisible, exactly like a missing one (docs/task-bot.md, isolation level 3). Implementations:
// memory_task_store, sqlite_task_store, postgres_task_store. Calls are blocking and thread-safe; inputs
// are already validated (task.hpp), the store sets ids and timestamps.
#pragma once

#include "task.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace task_bot {

enum class task_change { created, updated, deleted };

std::string_view event_type(task_change c) noexcept;  // "task.created", ...

class task_store {
 public:
  virtual ~task_store() = default;

  virtual task create(const std::string& owner, const new_task& t) = 0;
  // Newest first.
  virtual std::vector<task> list(const std::string& owner, const task_filter& f) = 0;
  virtual std::optional<task> get(const std::string& owner, const std::string& id) = 0;
  // The task after the change; nullopt when `owner` has no task `id`.
  virtual std::optional<task> update(const std::string& owner, const std::string& id,
                                     const task_patch& p) = 0;
  // The task as it was; nullopt when `owner` has no task `id`.
  virtual std::optional<task> remove(const std::string& owner, const std::string& id) = 0;

  // Changes made by other processes sharing the database (PostgreSQL LISTEN/NOTIFY). Stores that cannot
  // see them never call `on_change`. Call before the first change.
  using change_listener = std::function<void(const std::string& owner, task_change, const task&)>;
  virtual void watch_other_processes(change_listener on_change) { (void)on_change; }
};

}  // namespace task_bot
