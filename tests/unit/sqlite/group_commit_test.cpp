// The SQLite store's group commit (src/sqlite/detail/group_commit.hpp) on a real database file: writes queued
// while the writer is busy share one transaction; a failing write fails only its caller; a COMMIT that fails
// fails every write of its batch and leaves nothing of it; a write cancelled before the writer reached it is
// skipped. To make a batch deterministic, a first write holds the writer (it waits on a gate) while the
// others queue up behind it.
#include "group_commit_test_util.hpp"
#include "sqlite_test_util.hpp"

#include "sqlite/detail/connection.hpp"
#include "sqlite/detail/group_commit.hpp"

#include <chatkit/store/error.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

#include <future>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using namespace chatkit;
using namespace chatkit::sqlite_test;
using chatkit::store::sqlite_detail::connection;
using chatkit::store::sqlite_detail::group_commit;

namespace {

std::unique_ptr<connection> open_test_db(const std::string& path) {
  auto c = std::make_unique<connection>(path, store::sqlite_detail::connection_options{});
  c->exec("CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY)");
  c->exec("CREATE TABLE IF NOT EXISTS parent (id TEXT PRIMARY KEY)");
  c->exec(
      "CREATE TABLE IF NOT EXISTS child (id TEXT PRIMARY KEY, "
      "parent TEXT REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)");
  return c;
}

// Holds the writer inside a batch until open() is called.
struct gate {
  std::promise<void> started;
  std::promise<void> opened;
  std::shared_future<void> open_signal = opened.get_future().share();

  boost::asio::awaitable<void> hold(group_commit& gc) {
    auto op = gc.run<void>([this](connection& c) {
      insert(c, "gate");
      started.set_value();
      open_signal.wait();
    });
    co_await std::move(op);
  }
};

// Queues a write that holds the writer inside its batch (see gate) and returns once the writer is there;
// `held` gets that write's outcome when the io_context runs it.
void hold_writer(boost::asio::io_context& ioc, group_commit& gc, gate& g, outcome& held) {
  boost::asio::co_spawn(ioc, g.hold(gc), [&held](std::exception_ptr ep) { held = ep ? "error" : ""; });
  ioc.poll();
  g.started.get_future().wait();
}

}  // namespace

TEST_CASE("group commit: writes queued together share one transaction; a failing one fails alone",
          "[sqlite][group_commit]") {
  temp_dir dir;
  const auto path = dir.file("gc.db");
  auto c = open_test_db(path);
  group_commit gc(lend(*c), 64);
  boost::asio::io_context ioc;

  gate g;
  outcome held;
  hold_writer(ioc, gc, g, held);  // the writer is inside batch 1

  constexpr int n = 20;
  std::vector<outcome> out(n);
  for (int i = 0; i < n; ++i) {
    const auto k = "k" + std::to_string(i);
    if (i == 5) {
      // A constraint violation: the key is taken by write 4 of the same batch.
      spawn_write(
          ioc, gc, [](connection& x) { insert(x, "k4"); }, out[i]);
    } else if (i == 9) {
      // Two rows written, then a failure: the savepoint undoes both.
      spawn_write(
          ioc, gc,
          [](connection& x) {
            insert(x, "partial_a");
            insert(x, "partial_b");
            throw store::store_error(store::errc::item_exists, "write 9 refuses");
          },
          out[i]);
    } else {
      spawn_write(
          ioc, gc, [k](connection& x) { insert(x, k); }, out[i]);
    }
  }
  ioc.poll();  // every write is queued behind the gate
  g.opened.set_value();
  ioc.restart();
  ioc.run();

  REQUIRE(held == std::optional<std::string>(""));
  std::set<std::string> expected{"gate"};
  for (int i = 0; i < n; ++i) {
    INFO("write " << i);
    REQUIRE(out[i].has_value());
    if (i == 5 || i == 9) {
      CHECK(!out[i]->empty());
    } else {
      CHECK(out[i]->empty());
      expected.insert("k" + std::to_string(i));
    }
  }
  CHECK(out[9]->find("write 9 refuses") != std::string::npos);
  CHECK(keys(path) == expected);
  const auto stats = gc.stats();
  CHECK(stats.batches == 2);  // the gate's, then all twenty together
  CHECK(stats.operations == n + 1);
}

TEST_CASE("group commit: one-statement writes (no savepoint) fail alone; SQLite undoes the failing statement",
          "[sqlite][group_commit]") {
  temp_dir dir;
  const auto path = dir.file("gc.db");
  auto c = open_test_db(path);
  group_commit gc(lend(*c), 64);
  boost::asio::io_context ioc;

  gate g;
  outcome held;
  hold_writer(ioc, gc, g, held);  // the writer is inside batch 1

  constexpr auto one = group_commit::writes::one_statement;
  constexpr int n = 12;
  std::vector<outcome> out(n);
  for (int i = 0; i < n; ++i) {
    const auto k = "k" + std::to_string(i);
    if (i == 5) {
      // A constraint violation: the key is taken by write 4 of the same batch.
      spawn_write(
          ioc, gc, [](connection& x) { insert(x, "k4"); }, out[i], one);
    } else if (i == 7) {
      // One statement of three rows whose last one is refused: SQLite undoes the first two with it.
      spawn_write(
          ioc, gc,
          [](connection& x) { x.prepare("INSERT INTO t (k) VALUES ('multi_a'), ('multi_b'), ('k2')").run(); },
          out[i], one);
    } else if (i == 8) {
      // A statement that changes nothing, then a refusal (as the store's owner checks do).
      spawn_write(
          ioc, gc,
          [](connection& x) {
            x.prepare("UPDATE t SET k = 'never' WHERE k = 'missing'").run();
            if (x.changes() == 0) throw store::store_error(store::errc::thread_not_found, "write 8 refuses");
          },
          out[i], one);
    } else if (i == 10) {
      // A write of several statements in the same batch still gets its savepoint.
      spawn_write(
          ioc, gc,
          [](connection& x) {
            insert(x, "partial_a");
            insert(x, "k0");  // taken by write 0
          },
          out[i]);
    } else {
      spawn_write(
          ioc, gc, [k](connection& x) { insert(x, k); }, out[i], one);
    }
  }
  ioc.poll();  // every write is queued behind the gate
  g.opened.set_value();
  ioc.restart();
  ioc.run();

  REQUIRE(held == std::optional<std::string>(""));
  std::set<std::string> expected{"gate"};
  for (int i = 0; i < n; ++i) {
    INFO("write " << i);
    REQUIRE(out[i].has_value());
    if (i == 5 || i == 7 || i == 8 || i == 10) {
      CHECK(!out[i]->empty());
    } else {
      CHECK(out[i]->empty());
      expected.insert("k" + std::to_string(i));
    }
  }
  CHECK(out[5]->find("UNIQUE") != std::string::npos);
  CHECK(out[8]->find("write 8 refuses") != std::string::npos);
  CHECK(keys(path) == expected);
  const auto stats = gc.stats();
  CHECK(stats.batches == 2);  // the gate's, then all of them together
  CHECK(stats.operations == n + 1);
}

TEST_CASE("group commit: a failed COMMIT fails every write of the batch and writes none of it",
          "[sqlite][group_commit]") {
  temp_dir dir;
  const auto path = dir.file("gc.db");
  auto c = open_test_db(path);
  group_commit gc(lend(*c), 64);
  boost::asio::io_context ioc;

  gate g;
  outcome held;
  hold_writer(ioc, gc, g, held);

  // A row whose parent does not exist passes its own statement (the foreign key is deferred) and makes the
  // COMMIT of its batch fail: a real COMMIT failure of SQLite on a real file.
  constexpr int n = 10;
  std::vector<outcome> out(n);
  for (int i = 0; i < n; ++i) {
    const auto k = "k" + std::to_string(i);
    if (i == 3) {
      spawn_write(
          ioc, gc,
          [](connection& x) { x.prepare("INSERT INTO child (id, parent) VALUES ('c', 'nobody')").run(); },
          out[i]);
    } else {
      spawn_write(
          ioc, gc, [k](connection& x) { insert(x, k); }, out[i]);
    }
  }
  ioc.poll();
  g.opened.set_value();
  ioc.restart();
  ioc.run();

  REQUIRE(held == std::optional<std::string>(""));
  for (int i = 0; i < n; ++i) {
    INFO("write " << i);
    REQUIRE(out[i].has_value());
    CHECK(out[i]->find("FOREIGN KEY") != std::string::npos);
  }
  CHECK(keys(path) == std::set<std::string>{"gate"});

  // The writer goes on: the next batch commits.
  outcome after;
  spawn_write(
      ioc, gc, [](connection& x) { insert(x, "after"); }, after);
  ioc.restart();
  ioc.run();
  CHECK(after == std::optional<std::string>(""));
  CHECK(keys(path) == std::set<std::string>{"gate", "after"});
}

TEST_CASE("group commit: a full database fails the writes it refuses and keeps every write it reported",
          "[sqlite][group_commit]") {
  // With and without a savepoint per write: SQLITE_FULL rolls the whole transaction back either way.
  const auto w = GENERATE(group_commit::writes::several, group_commit::writes::one_statement);
  temp_dir dir;
  const auto path = dir.file("gc.db");
  auto c = open_test_db(path);
  // SQLITE_FULL from a real limit: the file may not grow past its current size plus 40 pages.
  {
    auto s = c->prepare("PRAGMA page_count");
    REQUIRE(s.step());
    const auto pages = s.integer(0);
    c->exec(("PRAGMA max_page_count = " + std::to_string(pages + 40)).c_str());
  }
  group_commit gc(lend(*c), 16);
  boost::asio::io_context ioc;
  constexpr int n = 200;
  std::vector<outcome> out(n);
  for (int i = 0; i < n; ++i) {
    // Keys of 1,000 bytes: the limit is reached after some dozens of rows.
    const auto k = std::to_string(i) + std::string(1000, 'x');
    spawn_write(
        ioc, gc, [k](connection& x) { insert(x, k); }, out[i], w);
  }
  ioc.run();

  std::set<std::string> reported;
  int failed = 0;
  for (int i = 0; i < n; ++i) {
    REQUIRE(out[i].has_value());
    if (out[i]->empty())
      reported.insert(std::to_string(i) + std::string(1000, 'x'));
    else
      ++failed;
  }
  CHECK(failed > 0);
  CHECK(!reported.empty());
  auto stored = keys(path);
  stored.erase("gate");
  CHECK(stored == reported);  // nothing reported done is missing, nothing refused is there
}

TEST_CASE("group commit: a write cancelled before the writer reaches it is skipped",
          "[sqlite][group_commit]") {
  temp_dir dir;
  const auto path = dir.file("gc.db");
  auto c = open_test_db(path);
  group_commit gc(lend(*c), 64);
  boost::asio::io_context ioc;

  gate g;
  outcome held;
  hold_writer(ioc, gc, g, held);

  boost::asio::cancellation_signal cancel;
  std::optional<bool> aborted;
  boost::asio::co_spawn(
      ioc,
      [&gc]() -> boost::asio::awaitable<void> {
        auto op = gc.run<void>([](connection& x) { insert(x, "cancelled"); });
        co_await std::move(op);
      },
      boost::asio::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr ep) {
        aborted = false;
        if (!ep) return;
        try {
          std::rethrow_exception(ep);
        } catch (const boost::system::system_error& e) {
          aborted = e.code() == boost::asio::error::operation_aborted;
        } catch (...) {
        }
      }));
  outcome kept;
  spawn_write(
      ioc, gc, [](connection& x) { insert(x, "kept"); }, kept);
  ioc.poll();
  cancel.emit(boost::asio::cancellation_type::terminal);
  // co_spawn forwards the signal by dispatching onto the coroutine's executor: run it before the gate opens,
  // else the writer may reach the operation first.
  ioc.restart();
  ioc.poll();
  g.opened.set_value();
  ioc.restart();
  ioc.run();

  CHECK(aborted == std::optional<bool>(true));
  CHECK(kept == std::optional<std::string>(""));
  CHECK(keys(path) == std::set<std::string>{"gate", "kept"});
}

TEST_CASE("group commit: writes queued at shutdown still run; results come back on the caller's executor",
          "[sqlite][group_commit]") {
  temp_dir dir;
  const auto path = dir.file("gc.db");
  auto c = open_test_db(path);
  boost::asio::io_context ioc;
  constexpr int n = 50;
  std::vector<outcome> out(n);
  outcome held;
  {
    group_commit gc(lend(*c), 8);
    // The writer is held inside its first batch while the writes are queued, so no write can finish (and post
    // its completion) while ioc.poll() is still running handlers on this thread.
    gate g;
    hold_writer(ioc, gc, g, held);
    for (int i = 0; i < n; ++i)
      spawn_write(
          ioc, gc, [i](connection& x) { insert(x, "k" + std::to_string(i)); }, out[i]);
    ioc.poll();  // all queued behind the gate
    g.opened.set_value();
    gc.join();  // runs them before it returns
    CHECK(gc.stats().operations == n + 1);
    CHECK(gc.stats().batches >= n / 8);
    CHECK(!held.has_value());
    for (const auto& o : out)
      CHECK(!o.has_value());  // not resumed yet: that is the caller's io_context's job
  }
  ioc.restart();
  ioc.run();
  CHECK(held == std::optional<std::string>(""));
  for (const auto& o : out) CHECK(o == std::optional<std::string>(""));
  CHECK(keys(path).size() == n + 1);
}

TEST_CASE("group commit: callers of one batch resume on their own executors, in queue order",
          "[sqlite][group_commit]") {
  temp_dir dir;
  const auto path = dir.file("gc.db");
  auto c = open_test_db(path);
  boost::asio::io_context a;
  boost::asio::io_context b;
  // What each completion saw: the write's number, and whether it ran on its own io_context's thread.
  std::vector<std::pair<int, bool>> resumed_a;
  std::vector<std::pair<int, bool>> resumed_b;
  // The coroutine records where it resumed right after its write (its completion handler would be moved to
  // its executor by co_spawn anyway).
  auto spawn_numbered = [&](boost::asio::io_context& ioc, std::vector<std::pair<int, bool>>& resumed,
                            group_commit& gc, int i) {
    boost::asio::co_spawn(
        ioc,
        [&gc, &ioc, &resumed, i]() -> boost::asio::awaitable<void> {
          auto op = gc.run<void>([i](connection& x) { insert(x, "k" + std::to_string(i)); },
                                 group_commit::writes::one_statement);
          co_await std::move(op);
          resumed.emplace_back(i, ioc.get_executor().running_in_this_thread());
        },
        [&resumed](std::exception_ptr ep) {
          if (ep) resumed.emplace_back(-1, false);
        });
    ioc.restart();
    ioc.poll();  // queued now: the writes reach the queue in the order of i
  };

  // Interleaved callers (groups of one or a few), then a long run of one executor's callers (several groups).
  constexpr int interleaved = 40;
  constexpr int run = 100;
  {
    group_commit gc(lend(*c), 512);
    gate g;
    outcome held;
    boost::asio::co_spawn(a, g.hold(gc), [&](std::exception_ptr ep) { held = ep ? "error" : ""; });
    a.poll();
    g.started.get_future().wait();
    for (int i = 0; i < interleaved + run; ++i) {
      if (i < interleaved && i % 4 == 1)
        spawn_numbered(b, resumed_b, gc, i);
      else
        spawn_numbered(a, resumed_a, gc, i);
    }
    g.opened.set_value();
    gc.join();  // every write committed, every completion posted
    CHECK(gc.stats().batches == 2);
    CHECK(resumed_a.empty());
    CHECK(resumed_b.empty());

    a.restart();
    a.run();
    CHECK(held == std::optional<std::string>(""));
    CHECK(resumed_b.empty());  // b's callers wait for b
    b.restart();
    b.run();
  }

  std::vector<std::pair<int, bool>> expected_a;
  std::vector<std::pair<int, bool>> expected_b;
  for (int i = 0; i < interleaved + run; ++i) {
    if (i < interleaved && i % 4 == 1)
      expected_b.emplace_back(i, true);
    else
      expected_a.emplace_back(i, true);
  }
  CHECK(resumed_a == expected_a);
  CHECK(resumed_b == expected_b);
  CHECK(keys(path).size() == interleaved + run + 1);
}
