// A thin RAII layer over one libpq connection: parameters sent in binary (exact bytes, no quoting, no
// injection), statements prepared once per connection, errors mapped to store_error by SQLSTATE.
// A connection is used by one worker thread at a time.
#pragma once

#include "store/detail/transaction.hpp"

#include <chatkit/store/error.hpp>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>

struct pg_conn;
struct pg_result;

namespace chatkit::store::pg_detail {

// A failed statement: the store_error its SQLSTATE maps to, plus the SQLSTATE itself.
class sql_error : public store_error {
 public:
  sql_error(errc reason, std::string message, std::string sqlstate)
      : store_error(reason, std::move(message)), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const noexcept { return sqlstate_; }

 private:
  std::string sqlstate_;
};

class result {
 public:
  explicit result(pg_result* r) noexcept : r_(r) {}
  result(result&& other) noexcept : r_(std::exchange(other.r_, nullptr)) {}
  result& operator=(result&&) = delete;
  result(const result&) = delete;
  ~result();

  int rows() const noexcept;
  std::string_view text(int row, int column) const noexcept;
  std::int64_t integer(int row, int column) const;
  pg_result* get() const noexcept { return r_; }

 private:
  pg_result* r_;
};

// Walks a result row by row: the row cursor the shared paging code reads (store/detail/paging.hpp).
class rows {
 public:
  explicit rows(result r) noexcept : r_(std::move(r)) {}
  bool step() noexcept { return ++row_ < r_.rows(); }
  std::string_view text(int column) const noexcept { return r_.text(row_, column); }
  std::int64_t integer(int column) const { return r_.integer(row_, column); }

 private:
  result r_;
  int row_ = -1;
};

// A statement parameter: text (sent as its exact bytes) or a bigint.
using param = std::variant<std::string_view, std::int64_t>;

// A one-dimensional array in PostgreSQL's binary format, built element by element: pass bytes() as the
// parameter of a `$n::text[]` (text elements) or `$n::bigint[]` (bigint elements) placeholder.
class binary_array {
 public:
  enum class element { text, bigint };
  explicit binary_array(element type, std::size_t expected);
  void push(std::string_view text);
  void push(std::int64_t value);
  std::string_view bytes();  // valid until the next push

 private:
  std::string bytes_;
  std::uint32_t count_ = 0;
};

class connection {
 public:
  // Connects (UTF-8 client encoding) and sets the search_path to `schema`; errc::unavailable on failure.
  connection(const std::string& conninfo, const std::string& schema);
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  ~connection();

  // Reconnects when the connection was lost (a restarted server, a dropped socket).
  void ensure_open();
  // Drops the connection and opens it again (after a failure left it in an unknown state); a failure to
  // reconnect is left for ensure_open to report.
  void reconnect() noexcept;
  // Runs SQL without parameters (DDL, BEGIN/COMMIT).
  result exec(const std::string& sql);
  // Runs a statement, preparing it on first use; `sql` must outlive the connection (string literals).
  result run(std::string_view sql, std::initializer_list<param> params);
  // Prepares a statement of `params` parameters (once per connection); returns its name.
  const std::string& prepare(std::string_view sql, int params);

  // Pipeline mode (docs/stores.md#postgresql): statements are sent without waiting for their results, which
  // are read afterwards in order — each one's result, then an empty result, and PGRES_PIPELINE_SYNC per sync.
  void enter_pipeline();
  void exit_pipeline();
  // Sends a prepared statement (prepare() it first) or a statement without parameters (BEGIN, COMMIT).
  void send(std::string_view sql, std::initializer_list<param> params);
  void send(const char* sql);
  void sync();
  // The next result (get() is null between two statements' results).
  result next_result();
  pg_conn* handle() const noexcept { return conn_; }
  // BEGIN, COMMIT, and a ROLLBACK that ignores errors (and a lost connection). Used through `transaction`.
  void begin();
  void commit();
  void rollback() noexcept;
  // SQL identifier quoting for names that cannot be parameters (schema, channel).
  std::string quote_identifier(std::string_view name) const;

 private:
  void setup();
  std::string conninfo_;
  std::string schema_;
  pg_conn* conn_ = nullptr;
  std::unordered_map<std::string_view, std::string> prepared_;  // sql -> statement name
};

// Opens a connection for LISTEN (no search_path needed) — shared by the listener thread.
pg_conn* connect_raw(const std::string& conninfo);
// Throws the store_error for a failed result (or connection failure when r is null).
[[noreturn]] void throw_pg(pg_conn* conn, pg_result* r, std::string_view doing);

// Rolled back on destruction unless committed.
using transaction = detail::transaction<connection>;

}  // namespace chatkit::store::pg_detail
