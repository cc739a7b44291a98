// WAL checkpoints off the writer (src/sqlite/detail/checkpointer.hpp): a writer committing a stream of
// transactions on a real file keeps its log bounded, and the checkpointer's thread does checkpoints.
#include "sqlite_test_util.hpp"

#include "sqlite/detail/checkpointer.hpp"
#include "sqlite/detail/connection.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

using namespace chatkit;
using namespace chatkit::sqlite_test;
using chatkit::store::sqlite_detail::checkpointer;
using chatkit::store::sqlite_detail::connection;
using chatkit::store::sqlite_detail::connection_options;

TEST_CASE("checkpointer keeps the log bounded under a stream of commits", "[sqlite][checkpointer]") {
  temp_dir dir;
  const auto path = dir.file("cp.db");
  auto writer = std::make_unique<connection>(path, connection_options{});
  writer->exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)");
  checkpointer checkpoints(std::make_unique<connection>(path, connection_options{}), 20);
  checkpoints.watch(*writer);

  constexpr int rows = 4000;  // about 16 MiB of rows, one page each
  const std::string value(4000, 'v');
  for (int i = 0; i < rows; ++i) {
    writer->begin();
    writer->prepare("INSERT INTO t (k, v) VALUES (?1, ?2)").bind(1, std::int64_t{i}).bind(2, value).run();
    writer->commit();
  }
  // Without checkpoints the log would hold every row; it restarts from its beginning after each one.
  CHECK(std::filesystem::file_size(path + "-wal") < 4u * 1024 * 1024);

  // The writer asked for background checkpoints all along; the thread runs them (a generous bound on the wait
  // only keeps a broken build from hanging).
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (checkpoints.background_checkpoints() == 0 && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(checkpoints.background_checkpoints() > 0);

  connection reader(path, connection_options{});
  auto count = reader.prepare("SELECT count(*) FROM t");
  REQUIRE(count.step());
  CHECK(count.integer(0) == rows);
}
