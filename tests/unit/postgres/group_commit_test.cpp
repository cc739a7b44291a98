// The PostgreSQL store's batched item writes (src/postgres/detail/group_commit.hpp) on a real server. To make
// a batch deterministic, a separate session locks a thread's row: the first write into that thread waits for
// the lock inside the writer's first batch while the others queue up behind it.
#include "postgres_test_util.hpp"

#include "postgres/detail/group_commit.hpp"

#include <chatkit/error.hpp>
#include <chatkit/postgres/postgres_store.hpp>
#include <chatkit/protocol/json_io.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <libpq-fe.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <future>
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

item_write write_of(const std::string& thread_id, const std::string& user, const std::string& id,
                    std::string body = "") {
  if (body.empty()) body = protocol::to_json(make_message(thread_id, id, id), protocol::audience::storage);
  return {thread_id, user, id, 0, std::move(body), "chatkit_test_changes", "{}"};
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

using write_list = std::vector<std::pair<item_write, group_commit::kind>>;

// Runs `writes` as one batch: a first write into `held` (alice's thread) waits for the row lock inside batch
// 1 while the others queue up; they form batch 2 (max_batch permitting). Returns their outcomes.
std::vector<outcome> run_as_one_batch(const std::string& conninfo, const std::string& schema,
                                      group_commit& gc, write_list writes, const std::string& held) {
  boost::asio::io_context ioc;
  row_lock lock(conninfo, schema, held);
  outcome first;
  spawn_write(ioc, gc, write_of(held, "alice", "msg_held_" + std::to_string(gc.stats().operations)),
              group_commit::kind::add, first);
  ioc.poll();
  wait_for_lock_wait(conninfo, lock);  // the writer is inside batch 1
  std::vector<outcome> out(writes.size());
  for (std::size_t i = 0; i < writes.size(); ++i)
    spawn_write(ioc, gc, std::move(writes[i].first), writes[i].second, out[i]);
  ioc.poll();
  lock.release();
  ioc.restart();
  ioc.run();
  CHECK(first == outcome(chatkit::errc::ok));
  return out;
}

std::string body_of(const std::string& conninfo, const std::string& schema, const std::string& id) {
  return query_one(conninfo, "SELECT body FROM \"" + schema + "\".items WHERE id = '" + id + "'");
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

  group_commit gc(*info, schema.name(), 64, 1);
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
  // The held write's statement committed; the NUL one's error sent batch 2 again, one write at a time.
  CHECK(stats.sent == 2);
  CHECK(stats.multi_row == 1);
  CHECK(stats.fallbacks == 1);
}

TEST_CASE("postgres group commit: a multi-row statement writes its writes in order, refused ones fail alone",
          "[postgres][group_commit]") {
  const auto info = conninfo();
  if (!info) return;
  scratch_schema schema(*info);
  store::postgres_store s({.conninfo = *info, .schema = schema.name(), .connections = 1});
  run_sync(s.save_thread(make_thread("thr_a"), user("alice")));
  run_sync(s.save_thread(make_thread("thr_c"), user("alice")));
  run_sync(s.save_thread(make_thread("thr_held"), user("alice")));
  run_sync(s.save_thread(make_thread("thr_b"), user("bob")));
  run_sync(s.add_thread_item("thr_a", make_message("thr_a", "msg_taken", "first"), user("alice")));
  run_sync(s.add_thread_item("thr_a", make_message("thr_a", "msg_old", "old"), user("alice")));

  group_commit gc(*info, schema.name(), 64, 1);
  using k = group_commit::kind;
  write_list writes;
  writes.emplace_back(write_of("thr_a", "alice", "msg_1"), k::add);      // 0
  writes.emplace_back(write_of("thr_b", "alice", "msg_x"), k::add);      // 1: bob's thread
  writes.emplace_back(write_of("thr_c", "alice", "msg_1"), k::add);      // 2: the same id, another thread
  writes.emplace_back(write_of("thr_a", "alice", "msg_taken"), k::add);  // 3: taken id
  writes.emplace_back(write_of("thr_nope", "alice", "msg_2"), k::add);   // 4: no such thread
  writes.emplace_back(write_of("thr_a", "alice", "msg_1"), k::add);      // 5: taken by write 0
  writes.emplace_back(write_of("thr_a", "alice", "msg_3"), k::add);      // 6
  writes.emplace_back(write_of("thr_a", "alice", "msg_old", "{\"new\":1}"), k::save);  // 7: replaces
  writes.emplace_back(write_of("thr_b", "alice", "msg_y"), k::save);                   // 8: bob's thread
  writes.emplace_back(write_of("thr_a", "alice", "msg_4", "{\"new\":2}"), k::save);    // 9: new
  writes.emplace_back(write_of("thr_a", "bob", "msg_5"), k::save);  // 10: bob writing into alice's thread
  const auto out = run_as_one_batch(*info, schema.name(), gc, std::move(writes), "thr_held");

  CHECK(out[0] == outcome(chatkit::errc::ok));
  CHECK(out[1] == outcome(chatkit::errc::not_found));
  CHECK(out[2] == outcome(chatkit::errc::ok));
  CHECK(out[3] == outcome(chatkit::errc::conflict));
  CHECK(out[4] == outcome(chatkit::errc::not_found));
  CHECK(out[5] == outcome(chatkit::errc::conflict));
  CHECK(out[6] == outcome(chatkit::errc::ok));
  CHECK(out[7] == outcome(chatkit::errc::ok));
  CHECK(out[8] == outcome(chatkit::errc::not_found));
  CHECK(out[9] == outcome(chatkit::errc::ok));
  CHECK(out[10] == outcome(chatkit::errc::not_found));
  // 2 before, the held one, msg_1 (twice: two threads), msg_3, msg_4.
  CHECK(count_items(*info, schema.name()) == "7");
  CHECK(query_one(*info, "SELECT count(*) FROM \"" + schema.name() + "\".items WHERE user_id <> 'alice'") ==
        "0");
  CHECK(body_of(*info, schema.name(), "msg_old") == R"({"new":1})");
  CHECK(body_of(*info, schema.name(), "msg_4") == R"({"new":2})");
  // In their order: msg_1 of thr_a before msg_3.
  CHECK(query_one(*info, "SELECT string_agg(id, ',' ORDER BY seq) FROM \"" + schema.name() +
                             "\".items i WHERE i.id IN ('msg_1', 'msg_3') AND i.thread_seq = (SELECT seq "
                             "FROM \"" +
                             schema.name() + "\".threads WHERE id = 'thr_a')") == "msg_1,msg_3");
  const auto stats = gc.stats();
  CHECK(stats.batches == 2);
  // The held one; then writes 0-4 (5 takes an id of the same statement: a new one), 5-6, 7-10.
  CHECK(stats.multi_row == 4);
  CHECK(stats.fallbacks == 0);
}

TEST_CASE(
    "postgres group commit: an error in a multi-row statement sends its batch again one write at a time",
    "[postgres][group_commit]") {
  const auto info = conninfo();
  if (!info) return;
  scratch_schema schema(*info);
  store::postgres_store s({.conninfo = *info, .schema = schema.name(), .connections = 1});
  run_sync(s.save_thread(make_thread("thr_a"), user("alice")));
  run_sync(s.save_thread(make_thread("thr_held"), user("alice")));
  run_sync(s.save_thread(make_thread("thr_b"), user("bob")));
  run_sync(s.add_thread_item("thr_a", make_message("thr_a", "msg_taken", "first"), user("alice")));

  group_commit gc(*info, schema.name(), 64, 1);
  using k = group_commit::kind;
  write_list writes;
  writes.emplace_back(write_of("thr_a", "alice", "msg_1"), k::add);  // 0
  // 1: JSONB refuses NUL: the multi-row statement raises an error, which aborts the transaction.
  writes.emplace_back(write_of("thr_a", "alice", "msg_nul", R"({"type":"x","id":"msg_nul","t":"\u0000"})"),
                      k::add);
  writes.emplace_back(write_of("thr_b", "alice", "msg_x"), k::add);      // 2: bob's thread
  writes.emplace_back(write_of("thr_a", "alice", "msg_taken"), k::add);  // 3: taken id
  writes.emplace_back(write_of("thr_a", "alice", "msg_2"), k::add);      // 4
  // 5: not JSON: the stored JSONB form refuses it.
  writes.emplace_back(write_of("thr_a", "alice", "msg_bad", "not json"), k::save);
  writes.emplace_back(write_of("thr_a", "alice", "msg_3"), k::save);  // 6
  const auto out = run_as_one_batch(*info, schema.name(), gc, std::move(writes), "thr_held");

  CHECK(out[0] == outcome(chatkit::errc::ok));
  CHECK(out[1] == outcome(chatkit::errc::invalid_request));
  CHECK(out[2] == outcome(chatkit::errc::not_found));
  CHECK(out[3] == outcome(chatkit::errc::conflict));
  CHECK(out[4] == outcome(chatkit::errc::ok));
  CHECK(out[5] == outcome(chatkit::errc::invalid_request));
  CHECK(out[6] == outcome(chatkit::errc::ok));
  // 1 before, the held one, msg_1, msg_2, msg_3.
  CHECK(count_items(*info, schema.name()) == "5");
  const auto stats = gc.stats();
  CHECK(stats.batches == 2);
  CHECK(stats.multi_row == 1);  // the held one
  CHECK(stats.fallbacks == 1);
}

TEST_CASE("postgres group commit: without multi-row statements every write goes on its own statement",
          "[postgres][group_commit]") {
  const auto info = conninfo();
  if (!info) return;
  scratch_schema schema(*info);
  store::postgres_store s({.conninfo = *info, .schema = schema.name(), .connections = 1});
  run_sync(s.save_thread(make_thread("thr_a"), user("alice")));
  run_sync(s.save_thread(make_thread("thr_held"), user("alice")));
  run_sync(s.add_thread_item("thr_a", make_message("thr_a", "msg_taken", "first"), user("alice")));

  group_commit gc(*info, schema.name(), 64, 1, false);
  using k = group_commit::kind;
  write_list writes;
  writes.emplace_back(write_of("thr_a", "alice", "msg_1"), k::add);
  writes.emplace_back(write_of("thr_a", "alice", "msg_taken"), k::add);
  writes.emplace_back(write_of("thr_a", "alice", "msg_2"), k::add);
  const auto out = run_as_one_batch(*info, schema.name(), gc, std::move(writes), "thr_held");
  CHECK(out[0] == outcome(chatkit::errc::ok));
  CHECK(out[1] == outcome(chatkit::errc::conflict));
  CHECK(out[2] == outcome(chatkit::errc::ok));
  CHECK(count_items(*info, schema.name()) == "4");
  CHECK(gc.stats().multi_row == 0);
}

TEST_CASE("postgres group commit: a batch whose connection dies fails every write and writes none of them",
          "[postgres][group_commit]") {
  const auto info = conninfo();
  if (!info) return;
  scratch_schema schema(*info);
  store::postgres_store s({.conninfo = *info, .schema = schema.name(), .connections = 1});
  run_sync(s.save_thread(make_thread("thr_a"), user("alice")));
  run_sync(s.save_thread(make_thread("thr_held"), user("alice")));

  group_commit gc(*info, schema.name(), 64, 1);
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
  run_on_threads(ioc, 4);
  REQUIRE(problems == 0);
  for (int u = 0; u < users; ++u) {
    const auto thread_id = "thr_u" + std::to_string(u);
    auto page = run_sync(s.load_thread_items(thread_id, std::nullopt, 1000, protocol::sort_order::asc,
                                             user("user" + std::to_string(u))));
    REQUIRE(page.data.size() == writers * per_writer);
    for (const auto& item : page.data) CHECK(message_text(item) == protocol::item_id(item) + " saved");
  }
}

TEST_CASE("postgres group commit: a batch that fails in flight fails none of the batch sent behind it",
          "[postgres][group_commit]") {
  const auto info = conninfo();
  if (!info) return;
  scratch_schema schema(*info);
  store::postgres_store s({.conninfo = *info, .schema = schema.name(), .connections = 1});
  run_sync(s.save_thread(make_thread("thr_a"), user("alice")));
  run_sync(s.save_thread(make_thread("thr_held"), user("alice")));

  group_commit gc(*info, schema.name(), 64, 2);
  boost::asio::io_context ioc;
  // Another session holds thr_held's row: batch 1's write into it waits for that session, then raises an
  // error (JSONB refuses NUL) that aborts batch 1's transaction while batch 2 is already on the wire behind
  // it.
  row_lock lock(*info, schema.name(), "thr_held");
  outcome doomed;
  spawn_write(ioc, gc, write_of("thr_held", "alice", "msg_doomed", R"({"type":"x","t":"\u0000"})"),
              group_commit::kind::add, doomed);
  ioc.poll();
  wait_for_lock_wait(*info, lock);
  std::vector<outcome> out(3);
  spawn_write(ioc, gc, write_of("thr_a", "alice", "msg_1"), group_commit::kind::add, out[0]);
  spawn_write(ioc, gc, write_of("thr_a", "alice", "msg_2"), group_commit::kind::save, out[1]);
  spawn_write(ioc, gc, write_of("thr_nope", "alice", "msg_3"), group_commit::kind::add, out[2]);
  ioc.poll();
  // Waits (a generous bound only against a hang) until the writer sent a second batch.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (gc.stats().sent < 2 && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  REQUIRE(gc.stats().sent >= 2);
  lock.release();
  ioc.restart();
  ioc.run();

  CHECK(doomed == outcome(chatkit::errc::invalid_request));
  CHECK(out[0] == outcome(chatkit::errc::ok));
  CHECK(out[1] == outcome(chatkit::errc::ok));
  CHECK(out[2] == outcome(chatkit::errc::not_found));
  CHECK(count_items(*info, schema.name()) == "2");
  const auto stats = gc.stats();
  CHECK(stats.operations == 4);
  // Batch 1 went again one write at a time; batch 2, a transaction of its own, committed as it was sent.
  CHECK(stats.fallbacks == 1);
  CHECK(stats.multi_row >= 3);
}

TEST_CASE("postgres group commit: a batch whose commit fails fails every write of it and writes none",
          "[postgres][group_commit]") {
  const auto info = conninfo();
  if (!info) return;
  scratch_schema schema(*info);
  store::postgres_store s({.conninfo = *info, .schema = schema.name(), .connections = 1});
  run_sync(s.save_thread(make_thread("thr_a"), user("alice")));
  run_sync(s.save_thread(make_thread("thr_held"), user("alice")));
  // A deferred constraint trigger refuses one item id at commit time: every statement of the batch runs,
  // then the commit at its sync fails.
  const std::string q = "\"" + schema.name() + "\".";
  query_one(*info, "CREATE FUNCTION " + q +
                       "refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                       "IF NEW.id = 'msg_refused' THEN RAISE EXCEPTION 'refused at commit'; END IF; "
                       "RETURN NULL; END $$; SELECT 1");
  query_one(*info, "CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT ON " + q +
                       "items DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION " + q +
                       "refuse_at_commit(); SELECT 1");

  group_commit gc(*info, schema.name(), 64, 1);
  write_list writes;
  writes.emplace_back(write_of("thr_a", "alice", "msg_1"), group_commit::kind::add);
  writes.emplace_back(write_of("thr_a", "alice", "msg_refused"), group_commit::kind::add);
  writes.emplace_back(write_of("thr_a", "alice", "msg_2"), group_commit::kind::save);
  const auto out = run_as_one_batch(*info, schema.name(), gc, std::move(writes), "thr_held");
  for (const auto& o : out) {
    REQUIRE(o.has_value());
    CHECK(*o != chatkit::errc::ok);
  }
  // Only the held write of batch 1 is there; the writer goes on with the next batch.
  CHECK(count_items(*info, schema.name()) == "1");
  boost::asio::io_context ioc;
  outcome after;
  spawn_write(ioc, gc, write_of("thr_a", "alice", "msg_3"), group_commit::kind::add, after);
  ioc.run();
  CHECK(after == outcome(chatkit::errc::ok));
  CHECK(count_items(*info, schema.name()) == "2");
  const auto stats = gc.stats();
  CHECK(stats.operations == 5);
  CHECK(stats.fallbacks == 0);
}

TEST_CASE("postgres group commit: the writes of callers resumed together go as one batch",
          "[postgres][group_commit]") {
  const auto info = conninfo();
  if (!info) return;
  scratch_schema schema(*info);
  store::postgres_store s({.conninfo = *info, .schema = schema.name(), .connections = 1});
  run_sync(s.save_thread(make_thread("thr_a"), user("alice")));
  run_sync(s.save_thread(make_thread("thr_held"), user("alice")));

  // One batch in flight at a time; queued writes wait for the gate as long as it takes.
  group_commit gc(*info, schema.name(), 64, 1, true, 60'000);
  boost::asio::io_context ioc;
  row_lock lock(*info, schema.name(), "thr_held");
  outcome held;
  spawn_write(ioc, gc, write_of("thr_held", "alice", "msg_held"), group_commit::kind::add, held);
  ioc.poll();
  wait_for_lock_wait(*info, lock);  // the writer is inside batch 1
  // Four callers, each writing twice in a row: their first writes queue up behind batch 1 (batch 2); when
  // batch 2 commits they resume in one handler and each queues its second write on the way: batch 3 holds
  // all four, not the first alone and the others behind it.
  constexpr int callers = 4;
  std::vector<outcome> out(callers);
  for (int c = 0; c < callers; ++c) {
    boost::asio::co_spawn(
        ioc,
        [&gc, c]() -> boost::asio::awaitable<void> {
          const auto n = std::to_string(c);
          auto first = gc.write(write_of("thr_a", "alice", "msg_first_" + n), group_commit::kind::add);
          co_await std::move(first);
          if (c == 1) {
            // Caller 0's second write is queued: give a writer that would not wait for the others time to
            // send it alone (this wait bounds nothing the test checks).
            const auto sent = gc.stats().sent;
            const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
            while (gc.stats().sent == sent && std::chrono::steady_clock::now() < until)
              std::this_thread::sleep_for(std::chrono::milliseconds(1));
          }
          auto second = gc.write(write_of("thr_a", "alice", "msg_second_" + n), group_commit::kind::add);
          co_await std::move(second);
        },
        [&out, c](std::exception_ptr ep) { out[c] = ep ? chatkit::errc::internal : chatkit::errc::ok; });
  }
  ioc.poll();
  lock.release();
  ioc.restart();
  ioc.run();

  CHECK(held == outcome(chatkit::errc::ok));
  for (const auto& o : out) CHECK(o == outcome(chatkit::errc::ok));
  CHECK(count_items(*info, schema.name()) == "9");
  const auto stats = gc.stats();
  CHECK(stats.operations == 9);
  CHECK(stats.batches == 3);
}

TEST_CASE("postgres group commit: writes queued with nothing in flight go as two batches, back to back",
          "[postgres][group_commit]") {
  const auto info = conninfo();
  if (!info) return;
  scratch_schema schema(*info);
  store::postgres_store s({.conninfo = *info, .schema = schema.name(), .connections = 1});
  run_sync(s.save_thread(make_thread("thr_a"), user("alice")));

  // Room for two batches on the wire. A first write goes alone; its caller, resumed in the writer's handler,
  // queues eight more (polling a second io_context runs their coroutines up to their queuing, on this
  // thread): they wait for the handler to return, and then, with nothing in flight, go as two batches of
  // four, the second sent right behind the first.
  group_commit gc(*info, schema.name(), 64, 2, true, 60'000);
  boost::asio::io_context ioc;
  boost::asio::io_context others;
  constexpr int n = 8;
  std::vector<outcome> out(n);
  outcome first;
  boost::asio::co_spawn(
      ioc,
      [&]() -> boost::asio::awaitable<void> {
        auto w = gc.write(write_of("thr_a", "alice", "msg_first"), group_commit::kind::add);
        co_await std::move(w);
        for (int i = 0; i < n; ++i)
          spawn_write(others, gc, write_of("thr_a", "alice", "msg_" + std::to_string(i)),
                      group_commit::kind::add, out[i]);
        others.poll();
      },
      [&first](std::exception_ptr ep) { first = ep ? chatkit::errc::internal : chatkit::errc::ok; });
  ioc.run();
  others.restart();
  others.run();

  CHECK(first == outcome(chatkit::errc::ok));
  for (const auto& o : out) CHECK(o == outcome(chatkit::errc::ok));
  CHECK(count_items(*info, schema.name()) == std::to_string(n + 1));
  const auto stats = gc.stats();
  CHECK(stats.operations == n + 1);
  CHECK(stats.batches == 3);
  CHECK(stats.sent == 3);
  CHECK(stats.halved == 1);
  // Written in the order queued: the first half, then the second.
  CHECK(query_one(*info, "SELECT string_agg(id, ',' ORDER BY seq) FROM \"" + schema.name() + "\".items") ==
        "msg_first,msg_0,msg_1,msg_2,msg_3,msg_4,msg_5,msg_6,msg_7");
}

TEST_CASE("postgres group commit: a resumed caller that blocks its thread on another write does not stall it",
          "[postgres][group_commit]") {
  const auto info = conninfo();
  if (!info) return;
  scratch_schema schema(*info);
  store::postgres_store s({.conninfo = *info, .schema = schema.name(), .connections = 1});
  run_sync(s.save_thread(make_thread("thr_a"), user("alice")));

  group_commit gc(*info, schema.name(), 64);
  boost::asio::io_context ioc;
  boost::asio::io_context other;
  auto guard = boost::asio::make_work_guard(other);
  std::thread other_thread([&] { other.run(); });
  // The caller resumes after its first write (the gate is open while it runs), then writes from another
  // thread and blocks its own until that write is done: the writer sends it once the gate's wait is over.
  bool second_done = false;
  outcome caller;
  boost::asio::co_spawn(
      ioc,
      [&]() -> boost::asio::awaitable<void> {
        auto first = gc.write(write_of("thr_a", "alice", "msg_1"), group_commit::kind::add);
        co_await std::move(first);
        auto done = boost::asio::co_spawn(
            other,
            [&]() -> boost::asio::awaitable<void> {
              auto second = gc.write(write_of("thr_a", "alice", "msg_2"), group_commit::kind::add);
              co_await std::move(second);
            },
            boost::asio::use_future);
        // A generous bound only against a hang.
        second_done = done.wait_for(std::chrono::seconds(60)) == std::future_status::ready;
        if (second_done) done.get();
      },
      [&caller](std::exception_ptr ep) { caller = ep ? chatkit::errc::internal : chatkit::errc::ok; });
  ioc.run();
  guard.reset();
  other_thread.join();

  CHECK(second_done);
  CHECK(caller == outcome(chatkit::errc::ok));
  CHECK(count_items(*info, schema.name()) == "2");
}

TEST_CASE("postgres group commit: a resumed caller may destroy the writer while others of its batch resume",
          "[postgres][group_commit]") {
  const auto info = conninfo();
  if (!info) return;
  scratch_schema schema(*info);
  store::postgres_store s({.conninfo = *info, .schema = schema.name(), .connections = 1});
  run_sync(s.save_thread(make_thread("thr_a"), user("alice")));

  auto gc = std::make_unique<group_commit>(*info, schema.name(), 64);
  boost::asio::io_context ioc;
  std::vector<outcome> out(3);
  for (int c = 0; c < 3; ++c) {
    boost::asio::co_spawn(
        ioc,
        [&gc, c]() -> boost::asio::awaitable<void> {
          auto w = gc->write(write_of("thr_a", "alice", "msg_" + std::to_string(c)), group_commit::kind::add);
          co_await std::move(w);
          if (c == 0) gc.reset();  // the others (of this batch or a later one) still resume
        },
        [&out, c](std::exception_ptr ep) { out[c] = ep ? chatkit::errc::internal : chatkit::errc::ok; });
  }
  ioc.run();

  CHECK(gc == nullptr);
  for (const auto& o : out) CHECK(o == outcome(chatkit::errc::ok));
  CHECK(count_items(*info, schema.name()) == "3");
}
