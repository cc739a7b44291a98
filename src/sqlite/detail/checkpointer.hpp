// WAL checkpoints off the write path (docs/stores.md#group-commit). SQLite normally checkpoints inside the
// COMMIT that grows the log past 1,000 pages, stalling the writer (and every caller waiting on its batch)
// while pages are copied into the database file and synced. The store instead installs a WAL hook on its
// writer connection: past `pages` log pages it wakes the checkpointer's own thread, which runs a PASSIVE
// checkpoint on its own connection while the writer goes on. A PASSIVE checkpoint never blocks the writer,
// but under a write stream that never pauses the log could not restart from its beginning; past 8 × `pages`
// the writer therefore checkpoints itself, after its commit, as SQLite would. Private to the sqlite layer.
#pragma once

#include "sqlite/detail/connection.hpp"

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

namespace chatkit::store::sqlite_detail {

class checkpointer {
 public:
  // Log pages after which a checkpoint is asked for (at least 1).
  static constexpr std::size_t default_pages = 1000;

  // `own` is the checkpointer's connection (to the same file as the writer's).
  checkpointer(std::unique_ptr<connection> own, std::size_t pages = default_pages);
  checkpointer(const checkpointer&) = delete;
  checkpointer& operator=(const checkpointer&) = delete;
  ~checkpointer();  // stops the thread; the watched connection must not commit afterwards

  // Installs the WAL hook on the writer's connection (replacing SQLite's automatic checkpoints there).
  void watch(connection& writer);

  // Checkpoints run by the checkpointer's thread, and by the writer itself (log over 8 × pages).
  std::uint64_t background_checkpoints() const;
  std::uint64_t inline_checkpoints() const;

 private:
  static int on_commit(void* self, sqlite3* db, const char* name, int pages) noexcept;
  void loop();

  std::unique_ptr<connection> connection_;
  std::size_t pages_;
  std::mutex running_;  // held while a checkpoint runs (SQLite refuses a second one at once)
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool requested_ = false;
  bool stopping_ = false;
  std::uint64_t background_ = 0;
  std::uint64_t inline_ = 0;
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace chatkit::store::sqlite_detail
