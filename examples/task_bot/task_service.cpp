#include "task_service.hpp"

namespace task_bot {

task_service::task_service(std::shared_ptr<task_store> store, std::shared_ptr<task_event_bus> bus)
    : store_(std::move(store)), bus_(std::move(bus)) {
  store_->watch_other_processes([bus = bus_](const std::string& owner, task_change c, const task& t) {
    bus->publish(owner, {c, t});
  });
}

task task_service::create(const std::string& owner, new_task n) {
  normalize(n);
  task t = store_->create(owner, n);
  bus_->publish(owner, {task_change::created, t});
  return t;
}

std::vector<task> task_service::list(const std::string& owner, const task_filter& f) {
  return store_->list(owner, f);
}

std::optional<task> task_service::get(const std::string& owner, const std::string& id) {
  return store_->get(owner, id);
}

std::optional<task> task_service::update(const std::string& owner, const std::string& id, task_patch p) {
  normalize(p);
  auto t = store_->update(owner, id, p);
  if (t) bus_->publish(owner, {task_change::updated, *t});
  return t;
}

std::optional<task> task_service::complete(const std::string& owner, const std::string& id) {
  task_patch p;
  p.status = task_status::completed;
  return update(owner, id, std::move(p));
}

std::optional<task> task_service::remove(const std::string& owner, const std::string& id) {
  auto t = store_->remove(owner, id);
  if (t) bus_->publish(owner, {task_change::deleted, *t});
  return t;
}

}  // namespace task_bot
