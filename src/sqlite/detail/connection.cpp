#include "sqlite/detail/connection.hpp"

#include <sqlite3.h>

#include <limits>
#include <string>

namespace chatkit::store::sqlite_detail {

void throw_sqlite(sqlite3* db, int rc, std::string_view doing) {
  std::string message = "sqlite: ";
  message.append(doing);
  message += ": ";
  message += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xFF) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      throw store_error(errc::unavailable, message + " (the database stayed locked past the busy timeout)");
    case SQLITE_CONSTRAINT:
      throw store_error(errc::constraint_violation, message);
    case SQLITE_TOOBIG:
      throw store_error(errc::record_too_large, message);
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
    case SQLITE_PERM:
    case SQLITE_NOLFS:
      throw store_error(errc::unavailable, message);
    default:
      throw store_error(errc::database_error, message);
  }
}

statement::~statement() {
  if (!stmt_) return;  // moved from
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

statement& statement::bind(int index, std::string_view text) {
  if (text.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw store_error(errc::record_too_large, "sqlite: a value is larger than 2 GiB");
  // SQLITE_TRANSIENT: SQLite copies the bytes, so the caller's buffer may go away before step().
  const int rc =
      sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) throw_sqlite(db_, rc, "binding a parameter");
  return *this;
}

statement& statement::bind_ref(int index, std::string_view text) {
  if (text.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw store_error(errc::record_too_large, "sqlite: a value is larger than 2 GiB");
  // SQLITE_STATIC: SQLite reads the caller's bytes until the statement is reset (when the borrow ends).
  const int rc = sqlite3_bind_text(stmt_, index, text.data() ? text.data() : "",
                                   static_cast<int>(text.size()), SQLITE_STATIC);
  if (rc != SQLITE_OK) throw_sqlite(db_, rc, "binding a parameter");
  return *this;
}

statement& statement::bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) throw_sqlite(db_, rc, "binding a parameter");
  return *this;
}

bool statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw_sqlite(db_, rc, "running a statement");
}

void statement::run() {
  while (step()) {
  }
}

std::string_view statement::text(int column) const noexcept {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  const int n = sqlite3_column_bytes(stmt_, column);
  return p ? std::string_view(p, static_cast<std::size_t>(n)) : std::string_view();
}

std::int64_t statement::integer(int column) const noexcept {
  return sqlite3_column_int64(stmt_, column);
}

connection::connection(const std::string& path, const connection_options& options) {
  // NOMUTEX: a connection is only ever used by one thread at a time (the store's connection pool).
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, options.vfs);
  if (rc != SQLITE_OK) {
    std::string message =
        "sqlite: cannot open '" + path + "': " + (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw store_error(errc::unavailable, message);
  }
  try {
    sqlite3_extended_result_codes(db_, 1);
    const auto timeout = options.busy_timeout.count();
    sqlite3_busy_timeout(db_, timeout > std::numeric_limits<int>::max() ? std::numeric_limits<int>::max()
                                                                        : static_cast<int>(timeout));
    exec("PRAGMA journal_mode = WAL");
    exec(options.synchronous_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
    exec("PRAGMA foreign_keys = ON");
    if (options.cache_kib > 0) exec(("PRAGMA cache_size = -" + std::to_string(options.cache_kib)).c_str());
  } catch (...) {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
    throw;
  }
}

connection::~connection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

statement connection::prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) throw_sqlite(db_, rc, "preparing a statement");
    it = cache_.emplace(sql, stmt).first;
  }
  return statement(db_, it->second);
}

void connection::exec(const char* sql) {
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) throw_sqlite(db_, rc, sql);
}

std::int64_t connection::changes() const noexcept {
  return sqlite3_changes64(db_);
}

void connection::begin() {
  exec("BEGIN IMMEDIATE");
}

void connection::commit() {
  exec("COMMIT");
}

void connection::rollback() noexcept {
  sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

}  // namespace chatkit::store::sqlite_detail
