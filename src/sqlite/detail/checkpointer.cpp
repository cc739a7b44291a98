#include "sqlite/detail/checkpointer.hpp"

#include "sqlite/detail/wal_sync.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <utility>

#if defined(__linux__)
#include <pthread.h>
#endif

namespace chatkit::store::sqlite_detail {

checkpointer::checkpointer(std::unique_ptr<connection> own, std::size_t pages)
    : connection_(std::move(own)), pages_(std::max<std::size_t>(pages, 1)), thread_([this] { loop(); }) {}

checkpointer::~checkpointer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void checkpointer::watch(connection& writer) {
  sqlite3_wal_hook(writer.handle(), &checkpointer::on_commit, this);
}

std::uint64_t checkpointer::background_checkpoints() const {
  std::lock_guard lock(mutex_);
  return background_;
}

std::uint64_t checkpointer::inline_checkpoints() const {
  std::lock_guard lock(mutex_);
  return inline_;
}

// Runs on the writer's thread after each commit; `pages` is the log's size.
int checkpointer::on_commit(void* self, sqlite3* db, const char* name, int pages) noexcept {
  auto& c = *static_cast<checkpointer*>(self);
  const auto n = static_cast<std::size_t>(pages < 0 ? 0 : pages);
  if (n >= 8 * c.pages_) {
    // The background checkpoints do not let the log restart (the writer keeps adding to it): checkpoint here,
    // between two transactions — after the background checkpoint in progress, if any (SQLite would answer
    // busy at once), and waiting up to the busy timeout for readers of the log — so that the next transaction
    // starts the log again from its beginning. Its result does not concern the commit that just succeeded (a
    // failure, e.g. another process checkpointing, is retried after the next commit).
    // Its syncs run here even when the writer defers the sync of its commits (wal_sync.hpp): the log must be
    // on disk before pages are copied from it, and the database before the log may start again.
    wal_sync::immediate syncs_now;
    std::lock_guard running(c.running_);
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_RESTART, nullptr, nullptr);
    std::lock_guard lock(c.mutex_);
    ++c.inline_;
  } else if (n >= c.pages_) {
    bool wake = false;
    {
      std::lock_guard lock(c.mutex_);
      wake = !c.requested_;
      c.requested_ = true;
    }
    if (wake) c.wake_.notify_one();
  }
  return SQLITE_OK;
}

void checkpointer::loop() {
#if defined(__linux__)
  pthread_setname_np(pthread_self(), "sqlite-ckpt");  // how profilers and debuggers name the thread
#endif
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || requested_; });
      if (stopping_) return;
      requested_ = false;
    }
    // PASSIVE: copies what no reader still needs, never waits for a lock, never blocks the writer. A failure
    // (busy, I/O) leaves the log as it was; the next request retries.
    {
      std::lock_guard running(running_);
      sqlite3_wal_checkpoint_v2(connection_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    }
    std::lock_guard lock(mutex_);
    ++background_;
  }
}

}  // namespace chatkit::store::sqlite_detail
