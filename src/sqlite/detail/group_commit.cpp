#include "sqlite/detail/group_commit.hpp"

#include "sqlite/detail/wal_sync.hpp"

#include <sqlite3.h>

#include <boost/system/system_error.hpp>

#include <algorithm>
#include <iterator>
#include <system_error>

#if defined(__linux__)
#include <pthread.h>
#endif

namespace chatkit::store::sqlite_detail {

namespace {

// Savepoints are prepared once per connection like every other statement (the text is the cache key).
constexpr std::string_view savepoint = "SAVEPOINT chatkit_op";
constexpr std::string_view release = "RELEASE chatkit_op";
constexpr std::string_view rollback_to = "ROLLBACK TO chatkit_op";

// True while the connection is inside a transaction: SQLite rolls the whole transaction back on some errors
// (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM, SQLITE_BUSY), and then the savepoints are gone with it.
bool in_transaction(connection& c) noexcept {
  return sqlite3_get_autocommit(c.handle()) == 0;
}

}  // namespace

group_commit::group_commit(lender lend, std::size_t max_batch, bool sync_log)
    : lend_(std::move(lend)),
      max_batch_(std::max<std::size_t>(max_batch, 1)),
      sync_log_(sync_log),
      syncer_(sync_log ? std::thread([this] { syncer_loop(); }) : std::thread()),
      writer_([this] { writer_loop(); }) {}

group_commit::~group_commit() {
  join();
}

void group_commit::join() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (writer_.joinable()) writer_.join();
  // The writer has handed over its last batch: the syncer syncs it, resumes its callers, and stops.
  {
    std::lock_guard lock(sync_mutex_);
    syncer_stopping_ = true;
  }
  syncer_wake_.notify_one();
  if (syncer_.joinable()) syncer_.join();
}

std::exception_ptr group_commit::log_sync_failure() const {
  std::lock_guard lock(mutex_);
  return std::make_exception_ptr(store_error(errc::unavailable, log_failure_));
}

group_commit::counters group_commit::stats() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

void group_commit::enqueue(std::unique_ptr<operation> op) {
  {
    std::unique_lock lock(mutex_);
    if (!stopping_) {
      queue_.push_back(std::move(op));
      // A busy writer looks at the queue again when its batch is done: waking it costs a system call.
      const bool wake = writer_waiting_;
      lock.unlock();
      if (wake) wake_.notify_one();
      return;
    }
  }
  op->fail(std::make_exception_ptr(store_error(errc::unavailable, "sqlite: the store is shutting down")));
  operations one;
  one.push_back(std::move(op));
  complete(one);
}

void group_commit::complete(operations& batch) {
  // Up to this many callers are resumed by one posted function: one post (and at most one thread woken)
  // per group rather than per write, while an executor run by several threads still gets several groups.
  constexpr std::size_t group_size = 32;
  for (std::size_t i = 0; i < batch.size();) {
    operation* first = batch[i].get();
    operations group;
    group.reserve(std::min(group_size, batch.size() - i));
    while (i < batch.size() && group.size() < group_size && batch[i]->origin() == first->origin())
      group.push_back(std::move(batch[i++]));
    boost::asio::post(first->origin(), [g = std::move(group)]() mutable { finish_all(std::move(g)); });
  }
  batch.clear();
}

void group_commit::finish_all(operations ops) {
  // Every operation here has this executor: each caller resumes on its own executor, in queue order.
  for (std::size_t i = 0; i < ops.size(); ++i) {
    try {
      ops[i]->finish();
    } catch (...) {
      // A caller's handler threw out of the executor: the callers after it still get their outcome (in a
      // function posted again), and the exception goes on as it would from a handler posted alone.
      operations rest(std::make_move_iterator(ops.begin() + static_cast<std::ptrdiff_t>(i) + 1),
                      std::make_move_iterator(ops.end()));
      if (!rest.empty()) {
        const auto ex = rest.front()->origin();
        boost::asio::post(ex, [r = std::move(rest)]() mutable { finish_all(std::move(r)); });
      }
      throw;
    }
  }
}

void group_commit::writer_loop() {
#if defined(__linux__)
  pthread_setname_np(pthread_self(), "sqlite-writer");  // how profilers and debuggers name the thread
#endif
  operations batch;
  for (;;) {
    bool broken = false;  // a log sync failed: nothing more is written
    {
      std::unique_lock lock(mutex_);
      writer_waiting_ = true;
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      writer_waiting_ = false;
      if (queue_.empty()) return;  // stopping, and nothing left to run
      const std::size_t n = std::min(queue_.size(), max_batch_);
      for (std::size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      broken = !log_failure_.empty();
    }
    int log = -1;
    if (broken) {
      for (auto& op : batch) op->fail(log_sync_failure());
    } else {
      try {
        lend_([&](connection& c) { log = run_batch(c, batch); });
      } catch (...) {
        // Only lending itself can throw here (run_batch never does); nothing ran.
        for (auto& op : batch) op->fail(std::current_exception());
      }
    }
    if (sync_log_) {
      // Its callers resume once the log is synced past its COMMIT (even a batch that wrote nothing waits
      // for the batches before it: what it read may be theirs).
      bool wake = false;
      {
        std::lock_guard lock(sync_mutex_);
        committed_.push_back({std::move(batch), log});
        wake = syncer_waiting_;
      }
      // A syncing syncer looks at the queue again when its sync returns: waking it costs a system call.
      if (wake) syncer_wake_.notify_one();
      batch.clear();
      continue;
    }
    {
      // Counted before any caller resumes, so that a caller that resumed finds its batch in stats().
      std::lock_guard lock(mutex_);
      ++counters_.batches;
      counters_.operations += batch.size();
    }
    complete(batch);
  }
}

void group_commit::syncer_loop() {
#if defined(__linux__)
  pthread_setname_np(pthread_self(), "sqlite-syncer");
#endif
  std::deque<committed> work;
  std::vector<int> logs;
  for (;;) {
    bool broken = false;
    {
      std::unique_lock lock(sync_mutex_);
      syncer_waiting_ = true;
      syncer_wake_.wait(lock, [&] { return syncer_stopping_ || !committed_.empty(); });
      syncer_waiting_ = false;
      if (committed_.empty()) return;  // stopping, and every batch handed over is done
      work.swap(committed_);
    }
    {
      std::lock_guard lock(mutex_);
      broken = !log_failure_.empty();
    }
    // One sync covers every batch committed before it began (in practice they all name the same log).
    logs.clear();
    for (const auto& w : work)
      if (w.log >= 0 && std::find(logs.begin(), logs.end(), w.log) == logs.end()) logs.push_back(w.log);
    std::uint64_t synced = 0;
    std::string failure;
    for (const int fd : logs) {
      if (broken || !failure.empty()) break;
      if (const int err = wal_sync::sync(fd); err != 0) {
        failure = "sqlite: syncing the write-ahead log failed (" + std::generic_category().message(err) +
                  "): the writes not yet confirmed may or may not be in the database, and the store takes "
                  "no more writes (reopen it)";
      } else {
        ++synced;
      }
    }
    std::size_t ops = 0;
    for (const auto& w : work) ops += w.ops.size();
    {
      // Counted before any caller resumes, so that a caller that resumed finds its batch in stats().
      std::lock_guard lock(mutex_);
      if (!failure.empty() && log_failure_.empty()) log_failure_ = failure;
      broken = !log_failure_.empty();
      counters_.batches += work.size();
      counters_.operations += ops;
      counters_.log_syncs += synced;
    }
    for (auto& w : work) {
      // After a failed sync nothing is confirmed, whatever was committed (the kernel may have dropped the
      // log's pages, and every later commit builds on them).
      if (broken)
        for (auto& op : w.ops)
          if (!op->failed()) op->fail(log_sync_failure());
      complete(w.ops);
    }
    work.clear();
  }
}

int group_commit::run_batch(connection& c, operations& batch) {
  std::vector<operation*> pending;
  pending.reserve(batch.size());
  for (auto& op : batch) pending.push_back(op.get());
  // Each round is one transaction. A round ends early only when the database rolled the whole transaction
  // back under a write (disk full, I/O error): that write fails, and the others of the round — undone with
  // it, or not run yet — go again in the next round. Every such round removes one write, so this ends.
  std::vector<operation*> applied;  // writes in the current transaction (they fail too if it does not commit)
  applied.reserve(batch.size());
  while (!pending.empty()) {
    try {
      c.begin();
    } catch (...) {
      for (auto* op : pending) op->fail(std::current_exception());
      return -1;
    }
    applied.clear();
    std::size_t i = 0;
    bool lost = false;
    for (; i < pending.size() && !lost; ++i) {
      auto* op = pending[i];
      if (op->cancelled()) {
        op->fail(std::make_exception_ptr(boost::system::system_error(boost::asio::error::operation_aborted)));
        continue;
      }
      const bool savepoint_needed = op->needs_savepoint();
      try {
        if (savepoint_needed) c.prepare(savepoint).run();
        op->execute(c);
        if (savepoint_needed) c.prepare(release).run();
        applied.push_back(op);
      } catch (...) {
        op->fail(std::current_exception());
        lost = !in_transaction(c);
        // Without a savepoint, SQLite has already undone the failing statement (and the write changed
        // nothing else).
        if (!lost && savepoint_needed) {
          try {
            c.prepare(rollback_to).run();
            c.prepare(release).run();
          } catch (...) {
            lost = true;
          }
        }
      }
    }
    if (lost) {
      c.rollback();  // a no-op when the database already rolled back
      std::vector<operation*> again(applied);
      again.insert(again.end(), pending.begin() + static_cast<std::ptrdiff_t>(i), pending.end());
      pending = std::move(again);
      continue;
    }
    int log = -1;
    try {
      if (sync_log_) {
        wal_sync::deferral deferred;  // the COMMIT writes its frames; the syncer syncs them
        c.commit();
        log = deferred.pending();
      } else {
        c.commit();
      }
    } catch (...) {
      const auto error = std::current_exception();
      c.rollback();
      for (auto* op : applied) op->fail(error);
    }
    return log;
  }
  return -1;
}

}  // namespace chatkit::store::sqlite_detail
