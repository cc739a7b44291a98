// The one way the app changes tasks: validates (task.hpp), calls the store, publishes the change on the
// bus. The chat tools and the REST API both go through it, so the dashboard sees every change.
#pragma once

#include "task_event_bus.hpp"
#include "task_store.hpp"

#include <memory>

namespace task_bot {

class task_service {
 public:
  // Subscribes to the store's changes from other processes, republishing them on `bus`.
  task_service(std::shared_ptr<task_store> store, std::shared_ptr<task_event_bus> bus);

  // Throw chatkit::error(invalid_request) naming the field for bad input.
  task create(const std::string& owner, new_task t);
  std::vector<task> list(const std::string& owner, const task_filter& f);
  std::optional<task> get(const std::string& owner, const std::string& id);
  std::optional<task> update(const std::string& owner, const std::string& id, task_patch p);
  std::optional<task> complete(const std::string& owner, const std::string& id);
  std::optional<task> remove(const std::string& owner, const std::string& id);

  task_event_bus& bus() noexcept { return *bus_; }

 private:
  std::shared_ptr<task_store> store_;
  std::shared_ptr<task_event_bus> bus_;
};

}  // namespace task_bot
