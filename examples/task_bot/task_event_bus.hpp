// The in-process change bus: every task change (chat tool, REST call, another process through the
// store's watch) is published here, and each open /api/tasks/events stream subscribes for its user only.
#pragma once

#include "task_store.hpp"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace task_bot {

struct task_event {
  task_change change;
  task value;
};

// The SSE frame of an event: `data: {"type":"task.created","task":{...}}\n\n`.
std::string to_sse_frame(const task_event& e);

class task_event_bus {
 public:
  // Called on the publishing thread with an event, or with nullptr once when the bus closes. Keep it short
  // (queue the event and wake the reader).
  using listener = std::function<void(const task_event*)>;

  // Ends with the returned handle (reset it to unsubscribe).
  std::shared_ptr<void> subscribe(const std::string& owner, listener on_event);
  void publish(const std::string& owner, const task_event& e);
  // Tells every subscriber that no more events come (server shutdown); later subscribers are told at once.
  void close();

  std::size_t subscribers() const;

 private:
  struct subscription;
  mutable std::mutex mutex_;
  bool closed_ = false;
  std::multimap<std::string, subscription*> by_owner_;
};

}  // namespace task_bot
