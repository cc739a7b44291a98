#include "task_store.hpp"

namespace task_bot {

std::string_view event_type(task_change c) noexcept {
  switch (c) {
    case task_change::created:
      return "task.created";
    case task_change::deleted:
      return "task.deleted";
    case task_change::updated:
      break;
  }
  return "task.updated";
}

}  // namespace task_bot
