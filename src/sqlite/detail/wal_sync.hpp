// The write-ahead log's commit sync taken off the writer's thread (docs/stores.md#group-commit). With
// synchronous=FULL, SQLite syncs the log at the end of every COMMIT, and the writer thread sits idle for the
// whole fdatasync. The writer's connection is instead opened through a VFS (`vfs_name()`) that wraps the
// default one and lets a commit's sync of the log be *deferred*: while a `deferral` lives on a thread, the
// sync that ends a COMMIT on that thread is not run but recorded (the descriptor to sync), and the caller —
// the group commit — syncs it itself on another thread before it tells anyone the commit happened. Every
// other sync stays where SQLite puts it: the sync of a new log header (written when the log restarts, and
// synced before any frame follows it so that frames of the previous log generation can never be taken for
// new ones after a crash), the syncs of checkpoints (the log before pages are copied, the database after),
// and any sync on a thread without a deferral. Only a sync that follows frames written since the previous
// sync is deferred, so a checkpoint run from the WAL hook right after a commit (SQLite's automatic one, or
// checkpointer's) syncs the log before it copies pages out of it. Private to the sqlite layer.
//
// Why this keeps synchronous=FULL's promise: the log's frames carry cumulative checksums and the salts of
// their log generation, so recovery after a crash keeps only the longest valid prefix of whole committed
// transactions. A commit is confirmed to its callers only after an fdatasync of the log file that began after
// its COMMIT wrote its last frame; that sync covers every byte written before, hence the whole prefix up to
// and including that commit (fdatasync on Linux flushes the file's dirty pages whichever descriptor wrote
// them). Until then other connections may already read the commit, as with synchronous=NORMAL.
#pragma once

#include <cstdint>
#include <functional>

namespace chatkit::store::sqlite_detail::wal_sync {

// The name of the VFS to open the writer's connection with (registered on first use, never the default).
const char* vfs_name();

// While it lives, the commit syncs of log files on this thread are recorded instead of run. Not nestable.
class deferral {
 public:
  deferral() noexcept;
  deferral(const deferral&) = delete;
  deferral& operator=(const deferral&) = delete;
  ~deferral();
  // The descriptor of the log whose commit sync was deferred (-1 when none was). It stays open while the
  // connection that wrote the log is open.
  int pending() const noexcept { return fd_; }
  // Called by the VFS instead of syncing the log with descriptor `fd`.
  void record(int fd) noexcept { fd_ = fd; }

 private:
  int fd_ = -1;
  deferral* outer_;
};

// While it lives, syncs on this thread run at once even inside a deferral (a checkpoint run from the WAL
// hook, which SQLite calls from inside the COMMIT).
class immediate {
 public:
  immediate() noexcept;
  immediate(const immediate&) = delete;
  immediate& operator=(const immediate&) = delete;
  ~immediate();

 private:
  deferral* saved_;
};

// Syncs of log files opened through the VFS that ran at once (not deferred), since the process started: what
// tests observe of the rules above.
std::uint64_t immediate_syncs() noexcept;

// fdatasync(fd): 0, or the errno value of the failure.
int sync(int fd) noexcept;

// Test hook: when set, sync() calls it instead of fdatasync (it returns 0 or an errno value). Set it only
// while no store syncs (before opening the store, after closing it).
void set_sync_hook(std::function<int(int fd)> hook);

}  // namespace chatkit::store::sqlite_detail::wal_sync
