// One line per store. The CMakeLists defines CHATKIT_BENCH_HAVE_<LAYER> for every store layer that is built.
#include "bench_targets.hpp"

#include <chatkit/store/memory_store.hpp>
#if CHATKIT_BENCH_HAVE_SQLITE
#include "sqlite_bench_target.hpp"
#endif
#if CHATKIT_BENCH_HAVE_POSTGRES
#include "postgres_bench_target.hpp"
#endif

namespace chatkit::bench {

std::vector<bench_target> bench_targets() {
  std::vector<bench_target> out;
  out.push_back({"memory", [](boost::asio::io_context&) { return std::make_unique<store::memory_store>(); }});
#if CHATKIT_BENCH_HAVE_SQLITE
  out.push_back({"sqlite", [](boost::asio::io_context&) { return make_sqlite_bench_store(true, 512); }});
  out.push_back(
      {"sqlite-normal", [](boost::asio::io_context&) { return make_sqlite_bench_store(false, 512); }});
  out.push_back({"sqlite-1", [](boost::asio::io_context&) { return make_sqlite_bench_store(true, 1); }});
#endif
#if CHATKIT_BENCH_HAVE_POSTGRES
  out.push_back({"postgres", [](boost::asio::io_context&) { return make_postgres_bench_store(256); }});
  out.push_back({"postgres-1", [](boost::asio::io_context&) { return make_postgres_bench_store(1); }});
#endif
  return out;
}

}  // namespace chatkit::bench
