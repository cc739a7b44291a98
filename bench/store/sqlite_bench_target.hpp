// The SQLite stores for bench_store: a fresh database file per run, in a temporary directory removed at exit.
// `sqlite` is the durable configuration (synchronous=FULL: every write the store reports done survives a
// power loss) with group commit; `sqlite-normal` the default synchronous=NORMAL (durable against a process
// crash); `sqlite-1` synchronous=FULL with max_batch = 1 (every write its own transaction; concurrent
// transactions still share the log syncs, which run off the writer thread) — the ratio `sqlite` / `sqlite-1`
// is what sharing a transaction buys.
#pragma once

#include <chatkit/sqlite/sqlite_store.hpp>

#include <cstddef>
#include <filesystem>
#include <memory>
#include <random>
#include <string>

namespace chatkit::bench {

inline std::unique_ptr<store::store> make_sqlite_bench_store(bool synchronous_full, std::size_t max_batch) {
  struct scratch_dir {
    std::filesystem::path path;
    scratch_dir() {
      std::random_device rd;
      path = std::filesystem::temp_directory_path() / ("chatkit-bench-sqlite-" + std::to_string(rd()));
      std::filesystem::create_directories(path);
    }
    ~scratch_dir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static scratch_dir dir;
  static int runs = 0;
  const auto file = dir.path / ("run-" + std::to_string(runs++) + ".db");
  store::sqlite_store_options options{.path = file.string(), .threads = 4};
  options.synchronous_full = synchronous_full;
  options.max_batch = max_batch;
  return std::make_unique<store::sqlite_store>(std::move(options));
}

}  // namespace chatkit::bench
