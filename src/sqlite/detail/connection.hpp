// A thin RAII layer over one sqlite3 connection: cached prepared statements, typed binding, error mapping to
// store_error, and IMMEDIATE transactions. A connection is used by one worker thread at a time.
#pragma once

#include "store/detail/transaction.hpp"

#include <chatkit/store/error.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

struct sqlite3;
struct sqlite3_stmt;

namespace chatkit::store::sqlite_detail {

// Throws the store_error matching a SQLite result code: busy/locked/I/O → unavailable, constraint →
// constraint_violation, too big → record_too_large, anything else → database_error.
[[noreturn]] void throw_sqlite(sqlite3* db, int rc, std::string_view doing);

// A statement borrowed from the connection's cache; reset (bindings cleared) when the borrow ends. Its
// step()/text()/integer() are the row cursor the shared paging code reads (store/detail/paging.hpp).
class statement {
 public:
  statement(sqlite3* db, sqlite3_stmt* stmt) noexcept : db_(db), stmt_(stmt) {}
  statement(statement&& other) noexcept : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}
  statement& operator=(statement&&) = delete;
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  ~statement();

  statement& bind(int index, std::string_view text);
  // Binds text without copying it: `text` must stay valid and unchanged until the borrow ends.
  statement& bind_ref(int index, std::string_view text);
  statement& bind(int index, std::int64_t value);
  // Steps once: true when a row is available, false when done.
  bool step();
  // Steps to completion (for statements that return no rows).
  void run();

  std::string_view text(int column) const noexcept;
  std::int64_t integer(int column) const noexcept;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

struct connection_options {
  std::chrono::milliseconds busy_timeout{5000};
  bool synchronous_full = false;
  // Page cache of the connection in KiB (PRAGMA cache_size); 0 keeps SQLite's default (2 MiB).
  std::size_t cache_kib = 0;
  // The VFS to open the file with (sqlite3_open_v2's last argument); null for the default one.
  const char* vfs = nullptr;
};

class connection {
 public:
  connection(const std::string& path, const connection_options& options);
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  ~connection();

  // `sql` must outlive the connection (string literals): it is the cache key.
  statement prepare(std::string_view sql);
  // Runs SQL without parameters (pragmas, DDL, BEGIN/COMMIT).
  void exec(const char* sql);
  // Rows changed by the last INSERT/UPDATE/DELETE on this connection.
  std::int64_t changes() const noexcept;
  // BEGIN IMMEDIATE (takes the write lock up front, so a transaction never fails half-way on a lock upgrade),
  // COMMIT, and a ROLLBACK that ignores errors. Used through `transaction`.
  void begin();
  void commit();
  void rollback() noexcept;
  sqlite3* handle() const noexcept { return db_; }

 private:
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string_view, sqlite3_stmt*> cache_;
};

// Rolled back on destruction unless committed.
using transaction = detail::transaction<connection>;

}  // namespace chatkit::store::sqlite_detail
