// sqlite_store: a durable Store in one SQLite file — the embedded default.
//
//   chatkit::store::sqlite_store store({.path = "chat.db"});
//
// The file is opened in WAL mode with a busy timeout and foreign keys on; its schema is created or migrated
// on open (a version table records what was applied). Bodies are the protocol's storage JSON; ids, owners,
// created_at and an insertion sequence are indexed columns used for lookups, isolation and ordering.
// Every statement runs on the store's own threads (prepared statements cached per connection): reads on
// worker threads with a connection each, writes on one writer thread that commits concurrent writes together
// (group commit: one transaction and one sync for everything queued; a failing write is undone alone — by
// SQLite for a one-statement write, by its own savepoint otherwise — and fails alone). A coroutine awaiting a
// store call resumes on its own executor — for a write, after its transaction committed. A crash never
// leaves a half-written record. Several processes may share the file.
#pragma once

#include <chatkit/store/store.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace chatkit::store {

struct sqlite_store_options {
  // Database file, created when missing (its directory must exist).
  std::string path = {};
  // Reader threads, each with its own connection (readers run in parallel in WAL mode). Writes run on one
  // more thread with its own connection (see max_batch).
  std::size_t threads = 2;
  // How long a statement waits for another connection's (or process's) write lock before unavailable.
  std::chrono::milliseconds busy_timeout{5000};
  // PRAGMA synchronous: false = NORMAL (durable against process crashes; a power loss may drop the last
  // commits), true = FULL (every commit survives power loss, slower). With FULL a write returns only once the
  // log is synced past its commit; the sync runs on a thread of its own, shared by the batches committed
  // meanwhile, and a failed sync fails every later write (docs/stores.md#durability-with-synchronous_full).
  bool synchronous_full = false;
  // Group commit: the writer runs up to this many queued writes (at least 1) in one transaction. It never
  // waits for more: a batch holds what queued up while the previous one committed.
  std::size_t max_batch = 512;
  // Largest accepted item/thread/attachment JSON; larger ones are payload_too_large.
  std::size_t max_record_bytes = 16 * 1024 * 1024;
};

class sqlite_store final : public store {
 public:
  // The schema version this build creates and migrates to.
  static constexpr int schema_version = 2;

  // Opens (creating and migrating) the database. Blocking: call it at start-up, not on a network thread.
  // Throws store_error (unavailable) when the file cannot be opened or its schema is newer than ours.
  explicit sqlite_store(sqlite_store_options options);
  ~sqlite_store() override;  // waits for running statements
  sqlite_store(const sqlite_store&) = delete;
  sqlite_store& operator=(const sqlite_store&) = delete;

  const sqlite_store_options& options() const noexcept;

  awaitable<protocol::thread_metadata> load_thread(std::string thread_id,
                                                   const request_context& ctx) override;
  awaitable<void> save_thread(const protocol::thread_metadata& thread, const request_context& ctx) override;
  awaitable<protocol::thread_page> load_threads(std::size_t limit, std::optional<std::string> after,
                                                protocol::sort_order order,
                                                const request_context& ctx) override;
  awaitable<void> delete_thread(std::string thread_id, const request_context& ctx) override;

  awaitable<protocol::item_page> load_thread_items(std::string thread_id, std::optional<std::string> after,
                                                   std::size_t limit, protocol::sort_order order,
                                                   const request_context& ctx) override;
  awaitable<void> add_thread_item(std::string thread_id, const protocol::thread_item& item,
                                  const request_context& ctx) override;
  awaitable<void> save_item(std::string thread_id, const protocol::thread_item& item,
                            const request_context& ctx) override;
  awaitable<protocol::thread_item> load_item(std::string thread_id, std::string item_id,
                                             const request_context& ctx) override;
  awaitable<void> delete_thread_item(std::string thread_id, std::string item_id,
                                     const request_context& ctx) override;

  awaitable<void> save_attachment(const protocol::attachment& attachment,
                                  const request_context& ctx) override;
  awaitable<protocol::attachment> load_attachment(std::string attachment_id,
                                                  const request_context& ctx) override;
  awaitable<void> delete_attachment(std::string attachment_id, const request_context& ctx) override;

  // Appends several new items in one transaction: all or none (conflict if any id exists).
  awaitable<void> add_thread_items(std::string thread_id, std::vector<protocol::thread_item> items,
                                   const request_context& ctx);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace chatkit::store
