// Durability: a writer process killed with SIGKILL in the middle of its writes leaves no torn record, and
// every change it reported as committed is there after reopening. The writer is this test executable itself,
// re-executed to run the hidden "sqlite crash writer" case, so the child starts clean (no inherited threads).
#include "sqlite_test_util.hpp"

#include <chatkit/sqlite/sqlite_store.hpp>

#include <sqlite3.h>

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>
#include <csignal>
#include <cstdlib>
#include <string>

using namespace chatkit;
using namespace chatkit::sqlite_test;

namespace {

constexpr int batch_size = 25;
constexpr const char* db_env = "CHATKIT_SQLITE_CRASH_DB";
constexpr const char* fd_env = "CHATKIT_SQLITE_CRASH_FD";

std::string item_text(int batch, int i) {
  // Large enough that a batch spans several pages of the file, so a kill lands mid-transaction often.
  return "batch " + std::to_string(batch) + " item " + std::to_string(i) + " " + std::string(2000, 'x');
}

}  // namespace

// The child: appends batches (a thread, then its items in one transaction) until it is killed, writing one
// byte to the progress pipe after each committed batch.
TEST_CASE("sqlite crash writer", "[.][sqlite_crash_writer]") {
  const char* path = std::getenv(db_env);
  const char* fd_text = std::getenv(fd_env);
  REQUIRE(path != nullptr);
  REQUIRE(fd_text != nullptr);
  const int progress = std::atoi(fd_text);
  store::sqlite_store s({.path = path});
  const auto writer = user("writer");
  for (int batch = 0;; ++batch) {
    const std::string thread_id = "thr_" + std::to_string(batch);
    run_sync(s.save_thread(make_thread(thread_id), writer));
    std::vector<protocol::thread_item> items;
    for (int i = 0; i < batch_size; ++i)
      items.push_back(make_message(thread_id, "msg_" + std::to_string(i), item_text(batch, i), i));
    run_sync(s.add_thread_items(thread_id, std::move(items), writer));
    const char byte = 1;
    if (::write(progress, &byte, 1) != 1) std::_Exit(3);
  }
}

TEST_CASE("sqlite store survives a writer killed with SIGKILL mid-write", "[sqlite][crash]") {
  temp_dir dir;
  const auto path = dir.file("crash.db");
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);

  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
    ::setenv(db_env, path.c_str(), 1);
    ::setenv(fd_env, std::to_string(pipe_fds[1]).c_str(), 1);
    char exe[] = "/proc/self/exe";
    char filter[] = "[sqlite_crash_writer]";
    char* argv[] = {exe, filter, nullptr};
    ::execv(exe, argv);
    std::_Exit(127);
  }
  ::close(pipe_fds[1]);
  // Wait for 30 committed batches, then kill the writer while it is writing the next ones.
  int committed = 0;
  char buffer[64];
  while (committed < 30) {
    const auto n = ::read(pipe_fds[0], buffer, sizeof buffer);
    if (n <= 0) break;
    committed += static_cast<int>(n);
  }
  REQUIRE(::kill(child, SIGKILL) == 0);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  ::close(pipe_fds[0]);
  REQUIRE(committed >= 30);  // the writer really wrote (it did not fail on its own)
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);

  // Reopen (recovering the WAL) and check every record.
  store::sqlite_store s({.path = path});
  const auto writer = user("writer");
  int full = 0;
  for (int batch = 0;; ++batch) {
    const std::string thread_id = "thr_" + std::to_string(batch);
    protocol::item_page page;
    try {
      page = run_sync(s.load_thread_items(thread_id, std::nullopt, 1000, protocol::sort_order::asc, writer));
    } catch (const chatkit::error& e) {
      REQUIRE(e.code_value() == chatkit::errc::not_found);  // past the last batch the writer started
      break;
    }
    INFO("batch " << batch);
    // A batch's items were committed together: all of them or none.
    REQUIRE((page.data.empty() || page.data.size() == batch_size));
    for (int i = 0; i < static_cast<int>(page.data.size()); ++i) {
      CHECK(protocol::item_id(page.data[i]) == "msg_" + std::to_string(i));
      CHECK(message_text(page.data[i]) == item_text(batch, i));
    }
    if (!page.data.empty()) ++full;
  }
  // Every batch the writer reported as committed survived the kill.
  CHECK(full >= committed);

  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))) == "ok");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}
