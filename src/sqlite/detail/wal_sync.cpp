#include "sqlite/detail/wal_sync.hpp"

#include <sqlite3.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <mutex>
#include <new>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

namespace chatkit::store::sqlite_detail::wal_sync {

namespace {

thread_local deferral* current = nullptr;
std::atomic<std::uint64_t> immediate_count{0};

std::function<int(int)>& hook() {
  static std::function<int(int)> h;
  return h;
}

// A log file opened through the VFS: the default VFS's file (`real`, right after this struct in the memory
// SQLite gives us), plus our own descriptor of the same file for the deferred syncs.
struct log_file {
  sqlite3_file base;  // first: SQLite sees a sqlite3_file
  sqlite3_file* real;
  int own_fd;
  // The log header (offset 0) was written since the last sync: the next sync must run at once, so that the
  // new header is on disk before any frame written after it.
  bool header_unsynced;
  // Frames were written since the last sync, run or deferred. A sync with nothing written since — a
  // checkpoint's sync of the log right after a commit, from the WAL hook — must make the deferred frames
  // durable before pages are copied from them, so it runs at once.
  bool written;
};

constexpr std::size_t log_file_size = (sizeof(log_file) + alignof(std::max_align_t) - 1) /
                                      alignof(std::max_align_t) * alignof(std::max_align_t);

sqlite3_vfs* base_vfs = nullptr;

log_file* as_log(sqlite3_file* f) {
  return reinterpret_cast<log_file*>(f);
}
sqlite3_file* real(sqlite3_file* f) {
  return as_log(f)->real;
}

int log_close(sqlite3_file* f) {
  auto* l = as_log(f);
  if (l->own_fd >= 0) ::close(l->own_fd);
  l->own_fd = -1;
  return l->real->pMethods->xClose(l->real);
}
int log_read(sqlite3_file* f, void* buf, int n, sqlite3_int64 offset) {
  return real(f)->pMethods->xRead(real(f), buf, n, offset);
}
int log_write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 offset) {
  if (offset == 0) as_log(f)->header_unsynced = true;
  as_log(f)->written = true;
  return real(f)->pMethods->xWrite(real(f), buf, n, offset);
}
int log_truncate(sqlite3_file* f, sqlite3_int64 size) {
  return real(f)->pMethods->xTruncate(real(f), size);
}
int log_sync(sqlite3_file* f, int flags) {
  auto* l = as_log(f);
  if (current != nullptr && l->own_fd >= 0 && l->written && !l->header_unsynced) {
    current->record(l->own_fd);
    l->written = false;
    return SQLITE_OK;
  }
  immediate_count.fetch_add(1, std::memory_order_relaxed);
  const int rc = l->real->pMethods->xSync(l->real, flags);
  if (rc == SQLITE_OK) l->header_unsynced = l->written = false;
  return rc;
}
int log_file_size_of(sqlite3_file* f, sqlite3_int64* size) {
  return real(f)->pMethods->xFileSize(real(f), size);
}
int log_lock(sqlite3_file* f, int level) {
  return real(f)->pMethods->xLock(real(f), level);
}
int log_unlock(sqlite3_file* f, int level) {
  return real(f)->pMethods->xUnlock(real(f), level);
}
int log_check_reserved(sqlite3_file* f, int* out) {
  return real(f)->pMethods->xCheckReservedLock(real(f), out);
}
int log_file_control(sqlite3_file* f, int op, void* arg) {
  return real(f)->pMethods->xFileControl(real(f), op, arg);
}
int log_sector_size(sqlite3_file* f) {
  return real(f)->pMethods->xSectorSize(real(f));
}
int log_device_characteristics(sqlite3_file* f) {
  return real(f)->pMethods->xDeviceCharacteristics(real(f));
}

// Version 1: SQLite maps neither shared memory nor pages of a log file.
const sqlite3_io_methods log_methods = {1,
                                        log_close,
                                        log_read,
                                        log_write,
                                        log_truncate,
                                        log_sync,
                                        log_file_size_of,
                                        log_lock,
                                        log_unlock,
                                        log_check_reserved,
                                        log_file_control,
                                        log_sector_size,
                                        log_device_characteristics,
                                        nullptr,
                                        nullptr,
                                        nullptr,
                                        nullptr,
                                        nullptr,
                                        nullptr};

int vfs_open(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  if ((flags & SQLITE_OPEN_WAL) == 0 || name == nullptr) {
    // Every other file is the default VFS's own, in the same memory (ours is larger).
    return base_vfs->xOpen(base_vfs, name, f, flags, out_flags);
  }
  auto* l = new (f) log_file{};
  l->base.pMethods = nullptr;  // until the real file is open (SQLite closes only files with methods)
  l->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + log_file_size);
  l->own_fd = -1;
  const int rc = base_vfs->xOpen(base_vfs, name, l->real, flags, out_flags);
  if (rc != SQLITE_OK) return rc;
  // Our own descriptor of the file just opened (same path, same moment: the same inode; SQLite keeps its
  // log open, and never deletes it, while a connection to the database is open). Without it every sync
  // simply runs at once.
  l->own_fd = ::open(name, O_RDONLY | O_CLOEXEC);
  l->header_unsynced = true;  // a new log's first sync (header, and the directory entry) is never deferred
  l->base.pMethods = &log_methods;
  return SQLITE_OK;
}

int vfs_delete(sqlite3_vfs*, const char* name, int sync_dir) {
  return base_vfs->xDelete(base_vfs, name, sync_dir);
}
int vfs_access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return base_vfs->xAccess(base_vfs, name, flags, out);
}
int vfs_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return base_vfs->xFullPathname(base_vfs, name, n, out);
}

}  // namespace

const char* vfs_name() {
  static const char* const name = [] {
    static sqlite3_vfs vfs{};
    base_vfs = sqlite3_vfs_find(nullptr);
    vfs = *base_vfs;  // the rest (randomness, time, dynamic loading, system calls) ignore their VFS argument
    vfs.pNext = nullptr;
    vfs.zName = "chatkit-deferred-log-sync";
    vfs.szOsFile = static_cast<int>(log_file_size) + base_vfs->szOsFile;
    vfs.pAppData = nullptr;
    vfs.xOpen = vfs_open;
    vfs.xDelete = vfs_delete;
    vfs.xAccess = vfs_access;
    vfs.xFullPathname = vfs_full_pathname;
    sqlite3_vfs_register(&vfs, 0);
    return vfs.zName;
  }();
  return name;
}

deferral::deferral() noexcept : outer_(std::exchange(current, this)) {}

deferral::~deferral() {
  current = outer_;
}

immediate::immediate() noexcept : saved_(std::exchange(current, nullptr)) {}

immediate::~immediate() {
  current = saved_;
}

std::uint64_t immediate_syncs() noexcept {
  return immediate_count.load(std::memory_order_relaxed);
}

int sync(int fd) noexcept {
  if (const auto& h = hook()) return h(fd);
  while (::fdatasync(fd) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

void set_sync_hook(std::function<int(int fd)> h) {
  hook() = std::move(h);
}

}  // namespace chatkit::store::sqlite_detail::wal_sync
