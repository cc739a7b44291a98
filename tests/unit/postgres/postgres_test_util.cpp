#include "postgres_test_util.hpp"

#include <libpq-fe.h>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <random>

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

}  // namespace chatkit::postgres_test
