// The PostgreSQL store's batched item writes (src/postgres/detail/group_commit.hpp) on a real server. To make
// a batch deterministic, a separate session locks a thread's row: the first write into that thread waits for
// the lock inside the writer's first batch while the others queue up behind it.
#include "postgres_test_util.hpp"

#include "postgres/detail/group_commit.hpp"

#include <chatkit/error.hpp>
#include <chatkit/postgres/postgres_store.hpp>
#include <chatkit/protocol/json_io.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <libpq-fe.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace chatkit;
using namespace chatkit::postgres_test;
using chatkit::store::pg_detail::group_commit;
using chatkit::store::pg_detail::item_write;

namespace {

constexpr std::string_view add_sql =
    "WITH ins AS (INSERT INTO items (thread_seq, id, user_id, created_at, body) "
    "SELECT t.seq, $2::text, $3::text, $4::bigint, $5::text FROM threads t WHERE t.id = $1::text AND "
    "t.user_id = $3::text ON CONFLICT (thread_seq, id) DO NOTHING RETURNING 1) "
    "SELECT pg_notify($6::text, $7::text) FROM ins";
constexpr std::string_view save_sql =
    "WITH up AS (INSERT INTO items (thread_seq, id, user_id, created_at, body) "
    "SELECT t.seq, $2::text, $3::text, $4::bigint, $5::text FROM threads t WHERE t.id = $1::text AND "
    "t.user_id = $3::text ON CONFLICT (thread_seq, id) DO UPDATE SET body = EXCLUDED.body RETURNING 1) "
    "SELECT pg_notify($6::text, $7::text) FROM up";
constexpr std::string_view thread_sql = "SELECT seq FROM threads WHERE id = $1::text AND user_id = $2::text";

item_write write_of(const std::string& thread_id, const std::string& user, const std::string& id,
                    std::string body = "") {
  if (body.empty()) body = protocol::to_json(make_message(thread_id, id, id), protocol::audience::storage);
  return {thread_id, user, id, 0, std::move(body), "chatkit_test_changes", "{}"};
}

// A session of its own, holding a thread's row lock until release().
class row_lock {
 public:
  row_lock(const std::string& conninfo, const std::string& schema, const std::string& thread_id)
      : conn_(PQconnectdb(conninfo.c_str())) {
    REQUIRE(PQstatus(conn_) == CONNECTION_OK);
    exec("SET search_path TO \"" + schema + "\"");
    exec("BEGIN");
    exec("SELECT 1 FROM threads WHERE id = '" + thread_id + "' FOR UPDATE");
  }
  ~row_lock() { PQfinish(conn_); }
  void release() { exec("COMMIT"); }
  // The sessions waiting for this lock (only this test's writer waits for it).
  std::string waiters() const {
    return "SELECT pid FROM pg_stat_activity WHERE " + std::to_string(PQbackendPID(conn_)) +
           " = ANY (pg_blocking_pids(pid))";
  }

 private:
  void exec(const std::string& sql) {
    PGresult* r = PQexec(conn_, sql.c_str());
    const auto status = PQresultStatus(r);
    PQclear(r);
    REQUIRE((status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK));
  }
  PGconn* conn_;
};

// Waits (a generous bound only against a hang) until the writer waits for the row lock.
void wait_for_lock_wait(const std::string& conninfo, const row_lock& lock) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < give_up) {
    if (query_one(conninfo, "SELECT count(*) FROM (" + lock.waiters() + ") w") != "0") return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  FAIL("the writer never waited for the row lock");
}

using outcome = std::optional<chatkit::errc>;

void spawn_write(boost::asio::io_context& ioc, group_commit& gc, item_write w, group_commit::kind k,
                 outcome& out) {
  boost::asio::co_spawn(
      ioc,
      [&gc, w = std::move(w), k]() mutable -> boost::asio::awaitable<void> {
        auto op = gc.write(std::move(w), k);
        co_await std::move(op);
      },
      [&out](std::exception_ptr ep) {
        out = chatkit::errc::ok;
        if (!ep) return;
        try {
          std::rethrow_exception(ep);
        } catch (const chatkit::error& e) {
          out = e.code_value();
        } catch (...) {
          out = chatkit::errc::internal;
        }
      });
}

std::string count_items(const std::string& conninfo, const std::string& schema) {
  return query_one(conninfo, "SELECT count(*) FROM \"" + schema + "\".items");
}

}  // namespace

TEST_CASE("postgres group commit: queued item writes share one transaction; refused ones fail alone",
          "[postgres][group_commit]") {
  const auto info = conninfo();
  if (!info) return;
  scratch_schema schema(*info);
  store::postgres_store s({.conninfo = *info, .schema = schema.name(), .connections = 1});
  run_sync(s.save_thread(make_thread("thr_a"), user("alice")));
  run_sync(s.save_thread(make_thread("thr_held"), user("alice")));
  run_sync(s.save_thread(make_thread("thr_b"), user("bob")));
  run_sync(s.add_thread_item("thr_a", make_message("thr_a", "msg_taken", "first"), user("alice")));

  group_commit gc(*info, schema.name(), add_sql, save_sql, thread_sql, 64);
  boost::asio::io_context ioc;
  row_lock lock(*info, schema.name(), "thr_held");
  outcome held;
  spawn_write(ioc, gc, write_of("thr_held", "alice", "msg_held"), group_commit::kind::add, held);
  ioc.poll();
  wait_for_lock_wait(*info, lock);  // the writer is inside batch 1

  std::vector<outcome> out(12);
  std::vector<std::pair<item_write, group_commit::kind>> writes;
  for (int i = 0; i < 8; ++i)
    writes.emplace_back(write_of("thr_a", "alice", "msg_" + std::to_string(i)), group_commit::kind::add);
  writes.emplace_back(write_of("thr_b", "alice", "msg_x"), group_commit::kind::add);      // 8: bob's thread
  writes.emplace_back(write_of("thr_a", "alice", "msg_taken"), group_commit::kind::add);  // 9: taken id
  writes.emplace_back(write_of("thr_b", "alice", "msg_y"), group_commit::kind::save);     // 10: bob's thread
  // 11: JSONB refuses NUL: the statement raises an error, which aborts the transaction; the others go again.
  writes.emplace_back(write_of("thr_a", "alice", "msg_nul", R"({"type":"x","id":"msg_nul","t":"\u0000"})"),
                      group_commit::kind::add);
  for (std::size_t i = 0; i < writes.size(); ++i)
    spawn_write(ioc, gc, std::move(writes[i].first), writes[i].second, out[i]);
  ioc.poll();
  lock.release();
  ioc.restart();
  ioc.run();

  CHECK(held == outcome(chatkit::errc::ok));
  for (int i = 0; i < 8; ++i) CHECK(out[i] == outcome(chatkit::errc::ok));
  CHECK(out[8] == outcome(chatkit::errc::not_found));
  CHECK(out[9] == outcome(chatkit::errc::conflict));
  CHECK(out[10] == outcome(chatkit::errc::not_found));
  CHECK(out[11] == outcome(chatkit::errc::invalid_request));
  // 1 before, the held one, eight new ones: nothing of bob's thread, no second msg_taken, no msg_nul.
  CHECK(count_items(*info, schema.name()) == "10");
  CHECK(query_one(*info, "SELECT count(*) FROM \"" + schema.name() + "\".items WHERE user_id <> 'alice'") ==
        "0");
  const auto stats = gc.stats();
  CHECK(stats.batches == 2);
  CHECK(stats.operations == 13);
}

TEST_CASE("postgres group commit: a batch whose connection dies fails every write and writes none of them",
          "[postgres][group_commit]") {
  const auto info = conninfo();
  if (!info) return;
  scratch_schema schema(*info);
  store::postgres_store s({.conninfo = *info, .schema = schema.name(), .connections = 1});
  run_sync(s.save_thread(make_thread("thr_a"), user("alice")));
  run_sync(s.save_thread(make_thread("thr_held"), user("alice")));

  group_commit gc(*info, schema.name(), add_sql, save_sql, thread_sql, 64);
  boost::asio::io_context ioc;
  row_lock lock(*info, schema.name(), "thr_held");
  std::vector<outcome> out(6);
  spawn_write(ioc, gc, write_of("thr_held", "alice", "msg_held"), group_commit::kind::add, out[0]);
  for (int i = 1; i < 6; ++i)
    spawn_write(ioc, gc, write_of("thr_a", "alice", "msg_" + std::to_string(i)), group_commit::kind::add,
                out[i]);
  ioc.poll();
  wait_for_lock_wait(*info, lock);
  // The writer's session dies in the middle of its transaction (as on a server restart or a network cut).
  CHECK(query_one(*info, "SELECT count(pg_terminate_backend(pid)) FROM (" + lock.waiters() + ") w") == "1");
  ioc.restart();
  ioc.run_for(std::chrono::seconds(60));
  lock.release();

  int failed = 0;
  for (const auto& o : out) {
    REQUIRE(o.has_value());
    if (*o != chatkit::errc::ok) {
      CHECK(*o == chatkit::errc::unavailable);
      ++failed;
    }
  }
  CHECK(out[0] == outcome(chatkit::errc::unavailable));  // and every write of its batch with it
  // What was reported written is there, nothing else: the first batch left nothing.
  CHECK(count_items(*info, schema.name()) == std::to_string(out.size() - failed));

  // The writer reconnects for the next batch.
  outcome after;
  spawn_write(ioc, gc, write_of("thr_a", "alice", "msg_after"), group_commit::kind::add, after);
  ioc.restart();
  ioc.run();
  CHECK(after == outcome(chatkit::errc::ok));
}

TEST_CASE("postgres store: concurrent item writes of several users all land, each readable when it returns",
          "[postgres][group_commit][concurrency]") {
  const auto info = conninfo();
  if (!info) return;
  scratch_schema schema(*info);
  store::postgres_store s({.conninfo = *info, .schema = schema.name(), .connections = 2});
  constexpr int users = 3;
  constexpr int writers = 6;
  constexpr int per_writer = 15;
  for (int u = 0; u < users; ++u)
    run_sync(s.save_thread(make_thread("thr_u" + std::to_string(u)), user("user" + std::to_string(u))));
  boost::asio::io_context ioc;
  std::atomic<int> problems{0};
  for (int u = 0; u < users; ++u) {
    for (int w = 0; w < writers; ++w) {
      boost::asio::co_spawn(
          ioc,
          [&, u, w]() -> boost::asio::awaitable<void> {
            const auto ctx = user("user" + std::to_string(u));
            const auto thread_id = "thr_u" + std::to_string(u);
            for (int i = 0; i < per_writer; ++i) {
              const auto id = "msg_w" + std::to_string(w) + "_" + std::to_string(i);
              co_await s.add_thread_item(thread_id, make_message(thread_id, id, id, i), ctx);
              (void)co_await s.load_item(thread_id, id, ctx);  // committed before the call returned
              co_await s.save_item(thread_id, make_message(thread_id, id, id + " saved", i), ctx);
            }
          },
          [&](std::exception_ptr ep) {
            if (ep) ++problems;
          });
    }
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back([&] { ioc.run(); });
  for (auto& t : threads) t.join();
  REQUIRE(problems == 0);
  for (int u = 0; u < users; ++u) {
    const auto thread_id = "thr_u" + std::to_string(u);
    auto page = run_sync(s.load_thread_items(thread_id, std::nullopt, 1000, protocol::sort_order::asc,
                                             user("user" + std::to_string(u))));
    REQUIRE(page.data.size() == writers * per_writer);
    for (const auto& item : page.data) CHECK(message_text(item) == protocol::item_id(item) + " saved");
  }
}
