// Helpers of the SQLite store tests: a temporary database directory, plus the helpers every SQL store test
// shares (support/sql_store_testing.hpp).
#pragma once

#include "support/sql_store_testing.hpp"

#include <filesystem>
#include <random>
#include <string>
#include <system_error>

namespace chatkit::sqlite_test {

using namespace chatkit::testing;

// A fresh directory under the system temp dir, removed with its content.
class temp_dir {
 public:
  temp_dir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("chatkit-sqlite-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace chatkit::sqlite_test
