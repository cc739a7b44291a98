// The SQLite store for bench_store: a fresh database file per run, in a temporary directory removed at exit.
#pragma once

#include <chatkit/sqlite/sqlite_store.hpp>

#include <filesystem>
#include <memory>
#include <random>
#include <string>

namespace chatkit::bench {

inline std::unique_ptr<store::store> make_sqlite_bench_store() {
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
  return std::make_unique<store::sqlite_store>(store::sqlite_store_options{.path = file.string(), .threads = 4});
}

}  // namespace chatkit::bench
