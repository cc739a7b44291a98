#include "postgres_test_util.hpp"

#include <libpq-fe.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <random>
#include <thread>

namespace chatkit::postgres_test {

bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci && (std::string(ci) == "true" || std::string(ci) == "1");
}

std::optional<std::string> conninfo() {
  const char* env = std::getenv("CHATKIT_TEST_PG");
  if (env && *env) return std::string(env);
  if (in_ci())
    FAIL("CHATKIT_TEST_PG is not set: CI must run the PostgreSQL tests (see scripts/test-services.sh)");
  WARN("skipped: CHATKIT_TEST_PG is not set (scripts/test-services.sh starts a throwaway PostgreSQL)");
  return std::nullopt;
}

std::string unique_schema() {
  std::random_device rd;
  return "chatkit_test_" + std::to_string(rd()) + "_" + std::to_string(rd());
}

namespace {
PGresult* exec(PGconn* c, const std::string& sql) {
  return PQexec(c, sql.c_str());
}
}  // namespace

void drop_schema(const std::string& info, const std::string& schema) {
  PGconn* c = PQconnectdb(info.c_str());
  PQsetNoticeProcessor(
      c, [](void*, const char*) {}, nullptr);
  if (PQstatus(c) == CONNECTION_OK) {
    char* quoted = PQescapeIdentifier(c, schema.data(), schema.size());
    if (quoted) {
      PQclear(exec(c, std::string("DROP SCHEMA IF EXISTS ") + quoted + " CASCADE"));
      PQfreemem(quoted);
    }
  }
  PQfinish(c);
}

std::string query_one(const std::string& info, const std::string& sql) {
  PGconn* c = PQconnectdb(info.c_str());
  REQUIRE(PQstatus(c) == CONNECTION_OK);
  PGresult* r = exec(c, sql);
  const auto status = PQresultStatus(r);
  std::string out;
  if (status == PGRES_TUPLES_OK && PQntuples(r) > 0) out = PQgetvalue(r, 0, 0);
  const std::string error = PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(c);
  INFO(error);
  REQUIRE((status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK));
  return out;
}

row_lock::row_lock(const std::string& conninfo, const std::string& schema, const std::string& thread_id,
                   bool is_sql)
    : conn_(PQconnectdb(conninfo.c_str())) {
  REQUIRE(PQstatus(conn_) == CONNECTION_OK);
  exec("SET search_path TO \"" + schema + "\"");
  exec("BEGIN");
  exec(is_sql ? thread_id : "SELECT 1 FROM threads WHERE id = '" + thread_id + "' FOR UPDATE");
}

row_lock::~row_lock() {
  PQfinish(conn_);
}

void row_lock::release() {
  exec("COMMIT");
}

std::string row_lock::waiters() const {
  return "SELECT pid FROM pg_stat_activity WHERE " + std::to_string(PQbackendPID(conn_)) +
         " = ANY (pg_blocking_pids(pid))";
}

void row_lock::exec(const std::string& sql) {
  PGresult* r = PQexec(conn_, sql.c_str());
  const auto status = PQresultStatus(r);
  const std::string error = PQresultErrorMessage(r);
  PQclear(r);
  INFO(error);
  REQUIRE((status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK));
}

void wait_for_lock_wait(const std::string& conninfo, const row_lock& lock, int count) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < give_up) {
    if (std::stoi(query_one(conninfo, "SELECT count(*) FROM (" + lock.waiters() + ") w")) >= count) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  FAIL("the sessions never waited for the lock");
}

}  // namespace chatkit::postgres_test
