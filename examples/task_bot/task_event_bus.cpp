#include "task_event_bus.hpp"

#include <boost/json/serialize.hpp>

#include <vector>

namespace task_bot {

std::string to_sse_frame(const task_event& e) {
  boost::json::object o{{"type", event_type(e.change)}, {"task", to_json(e.value)}};
  return "data: " + boost::json::serialize(o) + "\n\n";
}

struct task_event_bus::subscription {
  task_event_bus* bus;
  std::multimap<std::string, subscription*>::iterator where;
  std::shared_ptr<listener> on_event;
  ~subscription() {
    std::lock_guard lock(bus->mutex_);
    bus->by_owner_.erase(where);
  }
};

std::shared_ptr<void> task_event_bus::subscribe(const std::string& owner, listener on_event) {
  auto fn = std::make_shared<listener>(std::move(on_event));
  std::unique_lock lock(mutex_);
  if (closed_) {
    lock.unlock();
    (*fn)(nullptr);
    return nullptr;
  }
  auto s = std::make_shared<subscription>();
  s->bus = this;
  s->on_event = fn;
  s->where = by_owner_.emplace(owner, s.get());
  return s;
}

void task_event_bus::publish(const std::string& owner, const task_event& e) {
  std::vector<std::shared_ptr<listener>> targets;
  {
    std::lock_guard lock(mutex_);
    auto [first, last] = by_owner_.equal_range(owner);
    for (auto it = first; it != last; ++it) targets.push_back(it->second->on_event);
  }
  for (auto& t : targets) (*t)(&e);
}

void task_event_bus::close() {
  std::vector<std::shared_ptr<listener>> targets;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
    for (auto& [owner, s] : by_owner_) targets.push_back(s->on_event);
  }
  for (auto& t : targets) (*t)(nullptr);
}

std::size_t task_event_bus::subscribers() const {
  std::lock_guard lock(mutex_);
  return by_owner_.size();
}

}  // namespace task_bot
