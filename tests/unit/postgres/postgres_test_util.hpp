// Helpers of the PostgreSQL store tests, beside those every SQL store test shares
// (support/sql_store_testing.hpp). They need a server: CHATKIT_TEST_PG holds its connection string
// (scripts/test-services.sh starts a throwaway one). Without it the tests fail in CI (CI=true) and are
// skipped with a message elsewhere.
#pragma once

#include "support/sql_store_testing.hpp"

#include <libpq-fe.h>

#include <optional>
#include <string>

namespace chatkit::postgres_test {

using namespace chatkit::testing;

// True when running in CI, where a missing server is a failure.
bool in_ci();
// The server's connection string, or nullopt (after a WARN) when the tests should skip.
// In CI a missing CHATKIT_TEST_PG fails the calling test.
std::optional<std::string> conninfo();
// A schema name no other test (or run) uses.
std::string unique_schema();
// Drops a schema and everything in it (best effort).
void drop_schema(const std::string& conninfo, const std::string& schema);
// Runs one SQL statement and returns the first column of the first row ("" when none).
std::string query_one(const std::string& conninfo, const std::string& sql);

// A schema dropped when the test ends.
class scratch_schema {
 public:
  explicit scratch_schema(std::string conninfo) : conninfo_(std::move(conninfo)), name_(unique_schema()) {}
  scratch_schema(const scratch_schema&) = delete;
  scratch_schema& operator=(const scratch_schema&) = delete;
  ~scratch_schema() { drop_schema(conninfo_, name_); }
  const std::string& name() const noexcept { return name_; }

 private:
  std::string conninfo_;
  std::string name_;
};

// A session of its own, holding a thread's row lock (or what `sql` locks, when `is_sql`: one or more
// statements) in an open transaction until release().
class row_lock {
 public:
  row_lock(const std::string& conninfo, const std::string& schema, const std::string& thread_id,
           bool is_sql = false);
  row_lock(const row_lock&) = delete;
  row_lock& operator=(const row_lock&) = delete;
  ~row_lock();
  void release();  // commits
  // The sessions waiting for this one's locks (a query returning their pids).
  std::string waiters() const;

 private:
  void exec(const std::string& sql);
  PGconn* conn_;
};

// Waits (a generous bound only against a hang) until at least `count` sessions wait for `lock`.
void wait_for_lock_wait(const std::string& conninfo, const row_lock& lock, int count = 1);

}  // namespace chatkit::postgres_test
