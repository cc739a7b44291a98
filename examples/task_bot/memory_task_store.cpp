#include "memory_task_store.hpp"

#include <algorithm>

namespace task_bot {

task memory_task_store::create(const std::string& owner, const new_task& n) {
  const task t = make_task(n);
  std::lock_guard lock(mutex_);
  by_owner_[owner][t.id] = entry{t, next_seq_++};
  return t;
}

std::vector<task> memory_task_store::list(const std::string& owner, const task_filter& f) {
  std::vector<const entry*> found;
  std::lock_guard lock(mutex_);
  if (auto it = by_owner_.find(owner); it != by_owner_.end())
    for (const auto& [id, e] : it->second)
      if (matches(e.value, f)) found.push_back(&e);
  std::sort(found.begin(), found.end(), [](const entry* a, const entry* b) { return a->seq > b->seq; });
  std::vector<task> out;
  out.reserve(found.size());
  for (const auto* e : found) out.push_back(e->value);
  return out;
}

std::optional<task> memory_task_store::get(const std::string& owner, const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = by_owner_.find(owner);
  if (it == by_owner_.end()) return std::nullopt;
  auto t = it->second.find(id);
  if (t == it->second.end()) return std::nullopt;
  return t->second.value;
}

std::optional<task> memory_task_store::update(const std::string& owner, const std::string& id,
                                              const task_patch& p) {
  std::lock_guard lock(mutex_);
  auto it = by_owner_.find(owner);
  if (it == by_owner_.end()) return std::nullopt;
  auto t = it->second.find(id);
  if (t == it->second.end()) return std::nullopt;
  apply(t->second.value, p);
  t->second.value.updated_at = now_iso8601();
  return t->second.value;
}

std::optional<task> memory_task_store::remove(const std::string& owner, const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = by_owner_.find(owner);
  if (it == by_owner_.end()) return std::nullopt;
  auto t = it->second.find(id);
  if (t == it->second.end()) return std::nullopt;
  task gone = std::move(t->second.value);
  it->second.erase(t);
  return gone;
}

}  // namespace task_bot
