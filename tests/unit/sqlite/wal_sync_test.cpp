// The log sync taken off the writer (src/sqlite/detail/wal_sync.hpp, group_commit's `sync_log`), on real
// database files: a caller resumes only after the sync of the log that covers its COMMIT while the writer
// already commits the next batch; a failed sync fails the callers it covered and every later write, and
// loses nothing confirmed; checkpoints still run and the log still restarts; everything confirmed is in the
// file when it is opened again. Syncs are counted (and made to block or fail) through wal_sync's test hook.
#include "group_commit_test_util.hpp"
#include "sqlite_test_util.hpp"

#include "sqlite/detail/checkpointer.hpp"
#include "sqlite/detail/connection.hpp"
#include "sqlite/detail/group_commit.hpp"
#include "sqlite/detail/wal_sync.hpp"

#include <chatkit/sqlite/sqlite_store.hpp>
#include <chatkit/store/error.hpp>

#include <sqlite3.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

using namespace chatkit;
using namespace chatkit::sqlite_test;
using chatkit::store::sqlite_detail::checkpointer;
using chatkit::store::sqlite_detail::connection;
using chatkit::store::sqlite_detail::connection_options;
using chatkit::store::sqlite_detail::group_commit;
namespace wal_sync = chatkit::store::sqlite_detail::wal_sync;

namespace {

// Installs a sync hook for its lifetime (create it before the store or group commit, destroy it after).
struct hook_guard {
  explicit hook_guard(std::function<int(int)> h) { wal_sync::set_sync_hook(std::move(h)); }
  ~hook_guard() { wal_sync::set_sync_hook(nullptr); }
  hook_guard(const hook_guard&) = delete;
  hook_guard& operator=(const hook_guard&) = delete;
};

int real_sync(int fd) {
  return ::fdatasync(fd) == 0 ? 0 : errno;
}

// Syncs through the hook block while the gate is shut; `entered` counts the syncs that began since shut().
struct sync_gate {
  std::mutex m;
  std::condition_variable cv;
  bool shut_ = false;
  int entered = 0;

  int pass(int fd) {
    std::unique_lock lock(m);
    ++entered;
    cv.notify_all();
    cv.wait(lock, [&] { return !shut_; });
    lock.unlock();
    return real_sync(fd);
  }
  void shut() {
    std::lock_guard lock(m);
    shut_ = true;
    entered = 0;
  }
  void open() {
    {
      std::lock_guard lock(m);
      shut_ = false;
    }
    cv.notify_all();
  }
  bool wait_entered(int n) {
    std::unique_lock lock(m);
    return cv.wait_for(lock, std::chrono::seconds(60), [&] { return entered == n; });
  }
};

// Opens the gate when it goes (declared after the group commit: a failed check never leaves it blocked).
struct gate_opener {
  sync_gate& g;
  ~gate_opener() { g.open(); }
};

// The writer's connection as the store opens it with synchronous=FULL.
std::unique_ptr<connection> open_deferring(const std::string& path) {
  return std::make_unique<connection>(
      path, connection_options{.synchronous_full = true, .vfs = wal_sync::vfs_name()});
}

void spawn_insert(boost::asio::io_context& ioc, group_commit& gc, std::string k, outcome& out) {
  spawn_write(
      ioc, gc, [k = std::move(k)](connection& c) { insert(c, k); }, out, group_commit::writes::one_statement);
}

// A group commit of at most `max_batch` writes per batch on a deferring connection to a fresh file with table
// t, every sync passing through `gate`, after a first write (the log's first sync may run in the COMMIT
// itself, see wal_sync.hpp). Members are destroyed in reverse order: the gate opens before the group commit
// goes, and the hook is removed after it.
struct held_syncs {
  temp_dir dir;
  std::string path = dir.file("ws.db");
  sync_gate gate;
  hook_guard hook{[this](int fd) { return gate.pass(fd); }};
  std::unique_ptr<connection> c;
  std::optional<group_commit> gc;
  gate_opener opener{gate};
  boost::asio::io_context ioc;
  std::uint64_t syncs_before = 0;

  explicit held_syncs(std::size_t max_batch) {
    connection(path, connection_options{}).exec("CREATE TABLE t (k TEXT PRIMARY KEY)");
    c = open_deferring(path);
    gc.emplace(lend(*c), max_batch, true);
    outcome warm;
    spawn_insert(ioc, *gc, "warm", warm);
    ioc.run();
    REQUIRE(warm == outcome(""));
    syncs_before = gc->stats().log_syncs;
  }
};

// Waits (up to a generous bound that only keeps a broken build from hanging) until `done` holds.
template <class Pred>
bool eventually(Pred done) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!done()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace

TEST_CASE(
    "deferred log sync: only a commit's sync is deferred; a new log header and checkpoints sync at once",
    "[sqlite][wal_sync]") {
  temp_dir dir;
  const auto path = dir.file("rules.db");
  connection other(path, connection_options{.synchronous_full = true});
  other.exec("CREATE TABLE t (k TEXT PRIMARY KEY)");
  auto c = open_deferring(path);
  const auto commit = [&](const std::string& k) {
    c->begin();
    insert(*c, k);
    c->commit();
  };
  commit("first");  // the log's first sync after opening runs at once (see wal_sync.hpp)

  // Without a deferral every commit syncs at once.
  auto before = wal_sync::immediate_syncs();
  commit("b");
  CHECK(wal_sync::immediate_syncs() == before + 1);

  // A commit inside a deferral: its sync is recorded, not run.
  before = wal_sync::immediate_syncs();
  {
    wal_sync::deferral d;
    commit("a");
    CHECK(d.pending() >= 0);
    CHECK(wal_sync::immediate_syncs() == before);
    // A checkpoint right after it on the same thread (nothing written since): the log is synced before pages
    // are copied out of it.
    REQUIRE(sqlite3_wal_checkpoint_v2(c->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr) ==
            SQLITE_OK);
    CHECK(wal_sync::immediate_syncs() > before);
  }

  // The log restarts: the next commit writes a new header, which is synced at once before its frames, while
  // the commit's own sync is still deferred.
  REQUIRE(sqlite3_wal_checkpoint_v2(other.handle(), nullptr, SQLITE_CHECKPOINT_RESTART, nullptr, nullptr) ==
          SQLITE_OK);
  before = wal_sync::immediate_syncs();
  {
    wal_sync::deferral d;
    commit("c");
    CHECK(d.pending() >= 0);
    CHECK(wal_sync::immediate_syncs() == before + 1);  // the header's
  }
  CHECK(keys(path) == std::set<std::string>{"first", "a", "b", "c"});
}

TEST_CASE("deferred log sync: a caller resumes only after the sync covering its commit",
          "[sqlite][wal_sync][group_commit]") {
  held_syncs h(64);
  auto& gate = h.gate;
  auto& gc = *h.gc;
  auto& ioc = h.ioc;
  const auto& path = h.path;
  gate.shut();

  outcome a;
  spawn_insert(ioc, gc, "a", a);
  ioc.restart();
  ioc.poll();
  REQUIRE(gate.wait_entered(1));
  // Committed (another connection reads it), but its sync has not returned: its caller has not resumed.
  CHECK(keys(path).count("a") == 1);
  ioc.poll();
  CHECK(!a.has_value());

  // The writer is free meanwhile: the next write commits while the first batch's sync is still running.
  outcome b;
  spawn_insert(ioc, gc, "b", b);
  ioc.poll();
  CHECK(eventually([&] { return keys(path).count("b") == 1; }));
  ioc.poll();
  CHECK(!a.has_value());
  CHECK(!b.has_value());

  gate.open();
  ioc.run();
  CHECK(a == outcome(""));
  CHECK(b == outcome(""));
  const auto stats = gc.stats();
  CHECK(stats.batches == 3);
  CHECK(stats.log_syncs - h.syncs_before == 2);  // b committed after a's sync began: it needs its own
  CHECK(keys(path) == std::set<std::string>{"warm", "a", "b"});
}

TEST_CASE("deferred log sync: batches committed during one sync share the next",
          "[sqlite][wal_sync][group_commit]") {
  // A slow disk: the first deferred sync blocks until every write below has committed.
  held_syncs h(1);  // one write per batch
  auto& gate = h.gate;
  auto& gc = *h.gc;
  auto& ioc = h.ioc;
  const auto& path = h.path;
  gate.shut();

  constexpr int n = 200;
  std::vector<outcome> out(n);
  for (int i = 0; i < n; ++i) spawn_insert(ioc, gc, "k" + std::to_string(i), out[i]);
  ioc.restart();
  ioc.poll();
  REQUIRE(gate.wait_entered(1));
  // The writer never waits for a sync: every write commits (one transaction each) behind the held one.
  CHECK(eventually([&] { return keys(path).size() == n + 1; }));
  ioc.poll();
  for (int i = 0; i < n; ++i) CHECK(!out[i].has_value());
  gate.open();
  ioc.run();
  for (int i = 0; i < n; ++i) CHECK(out[i] == outcome(""));
  const auto stats = gc.stats();
  CHECK(stats.batches == n + 1);
  // The held sync (it covered the batches queued when the syncer woke), then one for all the rest.
  CHECK(stats.log_syncs - h.syncs_before >= 1);
  CHECK(stats.log_syncs - h.syncs_before <= 2);
}

TEST_CASE(
    "deferred log sync: a failed sync fails its callers and every later write; nothing confirmed is lost",
    "[sqlite][wal_sync]") {
  temp_dir dir;
  const auto path = dir.file("fail.db");
  const auto alice = user("alice");
  std::atomic<bool> failing{false};
  std::vector<std::string> confirmed;
  {
    hook_guard hook([&](int fd) { return failing ? EIO : real_sync(fd); });
    store::sqlite_store s({.path = path, .synchronous_full = true});
    run_sync(s.save_thread(make_thread("thr_1"), alice));
    for (int i = 0; i < 20; ++i) {
      const auto id = "msg_" + std::to_string(i);
      run_sync(s.add_thread_item("thr_1", make_message("thr_1", id, id, i), alice));
      confirmed.push_back(id);
    }
    failing = true;
    std::string message;
    CHECK(error_of([&] { run_sync(s.add_thread_item("thr_1", make_message("thr_1", "msg_x", "x"), alice)); },
                   &message) == chatkit::errc::unavailable);
    CHECK(message.find("syncing the write-ahead log failed") != std::string::npos);
    CHECK(message.find("Input/output error") != std::string::npos);
    // The disk may have dropped what that sync covered: no later write is confirmed, even once syncs work.
    failing = false;
    message.clear();
    CHECK(error_of([&] { run_sync(s.add_thread_item("thr_1", make_message("thr_1", "msg_y", "y"), alice)); },
                   &message) == chatkit::errc::unavailable);
    CHECK(message.find("syncing the write-ahead log failed") != std::string::npos);
    // Reads go on.
    CHECK(protocol::item_id(run_sync(s.load_item("thr_1", "msg_3", alice))) == "msg_3");
  }
  store::sqlite_store reopened({.path = path, .synchronous_full = true});
  auto page =
      run_sync(reopened.load_thread_items("thr_1", std::nullopt, 100, protocol::sort_order::asc, alice));
  std::set<std::string> found;
  for (const auto& item : page.data) found.insert(std::string(protocol::item_id(item)));
  for (const auto& id : confirmed) CHECK(found.count(id) == 1);
  // A new store instance writes again.
  run_sync(reopened.add_thread_item("thr_1", make_message("thr_1", "msg_z", "z"), alice));
}

TEST_CASE("deferred log sync: checkpoints still run and the log restarts under a stream of commits",
          "[sqlite][wal_sync][checkpointer]") {
  temp_dir dir;
  const auto path = dir.file("cp.db");
  connection(path, connection_options{}).exec("CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT)");
  std::atomic<int> syncs{0};
  hook_guard hook([&](int fd) {
    ++syncs;
    return real_sync(fd);
  });
  auto c = open_deferring(path);
  checkpointer checkpoints(std::make_unique<connection>(path, connection_options{.synchronous_full = true}),
                           20);
  checkpoints.watch(*c);
  std::uintmax_t largest_log = 0;
  {
    group_commit gc(lend(*c), 4, true);
    boost::asio::io_context ioc;
    constexpr int rows = 3000;  // about 12 MiB of rows, one page each
    const std::string value(4000, 'v');
    std::atomic<int> failures{0};
    for (int i = 0; i < rows; ++i) {
      boost::asio::co_spawn(
          ioc,
          [&, i]() -> boost::asio::awaitable<void> {
            auto op = gc.run<void>(
                [&, i](connection& x) {
                  x.prepare("INSERT INTO t (k, v) VALUES (?1, ?2)")
                      .bind(1, "k" + std::to_string(i))
                      .bind(2, value)
                      .run();
                },
                group_commit::writes::one_statement);
            co_await std::move(op);
            std::error_code ec;
            largest_log = std::max(largest_log, std::filesystem::file_size(path + "-wal", ec));
          },
          [&](std::exception_ptr ep) {
            if (ep) ++failures;
          });
    }
    ioc.run();
    CHECK(failures == 0);
    CHECK(gc.stats().log_syncs > 0);
  }
  // Without checkpoints the log would hold every row; it restarts from its beginning again and again.
  CHECK(largest_log < 4u * 1024 * 1024);
  CHECK(checkpoints.inline_checkpoints() + checkpoints.background_checkpoints() > 0);
  CHECK(keys(path).size() == 3000);
}

TEST_CASE("deferred log sync: a store reopened after many concurrent appends has every confirmed item",
          "[sqlite][wal_sync][concurrency]") {
  temp_dir dir;
  const auto path = dir.file("many.db");
  const auto alice = user("alice");
  constexpr int writers = 64;
  constexpr int per_writer = 20;
  std::atomic<int> confirmed{0};
  std::atomic<int> failures{0};
  {
    store::sqlite_store s({.path = path, .synchronous_full = true});
    run_sync(s.save_thread(make_thread("thr_1"), alice));
    boost::asio::io_context ioc;
    for (int w = 0; w < writers; ++w) {
      boost::asio::co_spawn(
          ioc,
          [&, w]() -> boost::asio::awaitable<void> {
            for (int i = 0; i < per_writer; ++i) {
              const auto id = "msg_" + std::to_string(w) + "_" + std::to_string(i);
              co_await s.add_thread_item("thr_1", make_message("thr_1", id, id, i), alice);
              ++confirmed;
            }
          },
          [&](std::exception_ptr ep) {
            if (ep) ++failures;
          });
    }
    run_on_threads(ioc, 2);
  }
  CHECK(failures == 0);
  REQUIRE(confirmed == writers * per_writer);
  store::sqlite_store reopened({.path = path, .synchronous_full = true});
  auto page =
      run_sync(reopened.load_thread_items("thr_1", std::nullopt, 10000, protocol::sort_order::asc, alice));
  CHECK(page.data.size() == writers * per_writer);
}
