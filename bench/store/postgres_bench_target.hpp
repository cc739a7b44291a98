// The PostgreSQL stores for bench_store: CHATKIT_BENCH_PG (or CHATKIT_TEST_PG) names the server; each run
// gets a fresh schema, all dropped at exit. Without a server the benchmark reports the store as skipped.
// `postgres` batches item writes (up to 256 per pipelined transaction, multi-row statements); `postgres-1`
// gives each its own transaction (max_batch = 1) — the ratio is what batching buys.
#pragma once

#include <chatkit/postgres/postgres_store.hpp>

#include <libpq-fe.h>

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace chatkit::bench {

inline std::unique_ptr<store::store> make_postgres_bench_store(std::size_t max_batch) {
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
  return std::make_unique<store::postgres_store>(store::postgres_store_options{
      .conninfo = env, .schema = created.names.back(), .connections = 8, .max_batch = max_batch});
}

}  // namespace chatkit::bench
