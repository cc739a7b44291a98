// The PostgreSQL store for bench_store: CHATKIT_BENCH_PG (or CHATKIT_TEST_PG) names the server; each run gets
// a fresh schema, all dropped at exit. Without a server the benchmark reports the store as skipped.
#pragma once

#include <chatkit/postgres/postgres_store.hpp>

#include <libpq-fe.h>

#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace chatkit::bench {

inline std::unique_ptr<store::store> make_postgres_bench_store() {
  const char* env = std::getenv("CHATKIT_BENCH_PG");
  if (!env || !*env) env = std::getenv("CHATKIT_TEST_PG");
  if (!env || !*env) return nullptr;
  struct schemas {
    std::string conninfo;
    std::vector<std::string> names;
    ~schemas() {
      PGconn* c = PQconnectdb(conninfo.c_str());
      PQsetNoticeProcessor(
          c, [](void*, const char*) {}, nullptr);
      for (const auto& n : names) PQclear(PQexec(c, ("DROP SCHEMA IF EXISTS \"" + n + "\" CASCADE").c_str()));
      PQfinish(c);
    }
  };
  static schemas created{env, {}};
  std::random_device rd;
  created.names.push_back("chatkit_bench_" + std::to_string(rd()));
  return std::make_unique<store::postgres_store>(
      store::postgres_store_options{.conninfo = env, .schema = created.names.back(), .connections = 8});
}

}  // namespace chatkit::bench
