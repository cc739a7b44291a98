// Tasks in memory: the store of `--store memory` and of tests.
#pragma once

#include "task_store.hpp"

#include <cstdint>
#include <map>
#include <mutex>

namespace task_bot {

class memory_task_store final : public task_store {
 public:
  task create(const std::string& owner, const new_task& t) override;
  std::vector<task> list(const std::string& owner, const task_filter& f) override;
  std::optional<task> get(const std::string& owner, const std::string& id) override;
  std::optional<task> update(const std::string& owner, const std::string& id, const task_patch& p) override;
  std::optional<task> remove(const std::string& owner, const std::string& id) override;

 private:
  struct entry {
    task value;
    std::uint64_t seq;
  };
  std::mutex mutex_;
  std::uint64_t next_seq_ = 0;
  std::map<std::string, std::map<std::string, entry>> by_owner_;  // owner -> id -> task
};

}  // namespace task_bot
