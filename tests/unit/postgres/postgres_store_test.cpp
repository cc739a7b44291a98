// The PostgreSQL store on a real server: schema and migrations, two store instances sharing a database
// (writes and LISTEN/NOTIFY), item writes racing thread deletes, hostile input, and connection failures.
#include "postgres_test_util.hpp"

#include <chatkit/error.hpp>
#include <chatkit/postgres/postgres_store.hpp>
#include <chatkit/protocol/json_io.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace chatkit;
using namespace chatkit::postgres_test;
using chatkit::store::postgres_store;
using chatkit::store::postgres_store_options;

namespace {

// Collects notifications delivered on a store's listener thread.
struct change_log {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<store::store_change> changes;

  std::function<void(const store::store_change&)> hook() {
    return [this](const store::store_change& c) {
      {
        std::lock_guard lock(mutex);
        changes.push_back(c);
      }
      changed.notify_all();
    };
  }
  // Waits until `pred` holds over the log; the deadline only guards against a hang (it never decides a result
  // that arrives in time).
  bool wait_for(const std::function<bool(const std::vector<store::store_change>&)>& pred) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(30), [&] { return pred(changes); });
  }
};

bool has(const std::vector<store::store_change>& log, store::change_kind kind, const std::string& id,
         bool local) {
  for (const auto& c : log)
    if (c.kind == kind && c.id == id && c.local == local) return true;
  return false;
}

// Items whose thread is gone. Items have no foreign key (docs/stores.md#postgresql): the store's statements
// keep this at 0.
std::string orphans(const std::string& info, const std::string& schema) {
  const std::string q = "\"" + schema + "\".";
  return query_one(info, "SELECT count(*) FROM " + q + "items i WHERE NOT EXISTS (SELECT 1 FROM " + q +
                             "threads t WHERE t.seq = i.thread_seq)");
}

using outcome = std::optional<chatkit::errc>;

// Runs a store call on `ioc`; `out` receives how it ended.
void spawn_call(boost::asio::io_context& ioc, boost::asio::awaitable<void> call, outcome& out) {
  boost::asio::co_spawn(ioc, std::move(call), [&out](std::exception_ptr ep) {
    out = errc::ok;
    if (!ep) return;
    try {
      std::rethrow_exception(ep);
    } catch (const chatkit::error& e) {
      out = e.code_value();
    } catch (...) {
      out = errc::internal;
    }
  });
}

}  // namespace

TEST_CASE("postgres store reports an unreachable server as unavailable", "[postgres]") {
  std::string message;
  CHECK(
      error_of([&] { postgres_store s({.conninfo = "host=127.0.0.1 port=1 connect_timeout=5 user=nobody"}); },
               &message) == errc::unavailable);
  CHECK_THAT(message, Catch::Contains("cannot connect"));
}

TEST_CASE("postgres store creates a versioned schema and refuses a newer one", "[postgres]") {
  const auto info = conninfo();
  if (!info) return;
  scratch_schema schema(*info);
  { postgres_store s({.conninfo = *info, .schema = schema.name(), .connections = 1}); }
  const std::string q = "\"" + schema.name() + "\"";
  CHECK(query_one(*info, "SELECT version FROM " + q + ".chatkit_schema") ==
        std::to_string(postgres_store::schema_version));
  CHECK(query_one(*info, "SELECT count(*) FROM information_schema.tables WHERE table_schema = '" +
                             schema.name() + "' AND table_name IN ('threads', 'items', 'attachments')") ==
        "3");
  // Reopening migrates nothing.
  { postgres_store s({.conninfo = *info, .schema = schema.name(), .connections = 1}); }
  CHECK(query_one(*info, "SELECT count(*) FROM " + q + ".chatkit_schema") == "1");
  query_one(*info, "UPDATE " + q + ".chatkit_schema SET version = 42");
  std::string message;
  CHECK(error_of([&] { postgres_store s({.conninfo = *info, .schema = schema.name()}); }, &message) ==
        errc::unavailable);
  CHECK_THAT(message, Catch::Contains("42"));
}

TEST_CASE("postgres store bodies are exact text with a queryable JSONB copy", "[postgres]") {
  const auto info = conninfo();
  if (!info) return;
  scratch_schema schema(*info);
  postgres_store s({.conninfo = *info, .schema = schema.name(), .connections = 1});
  const auto alice = user("alice");
  auto thread = make_thread("thr_1");
  // Key order and a float that JSONB would rewrite (1E2 → 100) survive, because the store reads `body`.
  thread.metadata["zeta"] = 1;
  thread.metadata["alpha"] = 100.0;
  run_sync(s.save_thread(thread, alice));
  const auto loaded = run_sync(s.load_thread("thr_1", alice));
  CHECK(protocol::to_json(loaded, protocol::audience::storage) ==
        protocol::to_json(thread, protocol::audience::storage));
  CHECK(query_one(*info, "SELECT doc->'metadata'->>'zeta' FROM \"" + schema.name() + "\".threads") == "1");
}

TEST_CASE("postgres store: two instances see each other's writes and notifications", "[postgres][notify]") {
  const auto info = conninfo();
  if (!info) return;
  scratch_schema schema(*info);
  change_log log_a, log_b;
  postgres_store a({.conninfo = *info,
                    .schema = schema.name(),
                    .connections = 2,
                    .channel = schema.name(),
                    .on_change = log_a.hook()});
  postgres_store b({.conninfo = *info,
                    .schema = schema.name(),
                    .connections = 2,
                    .channel = schema.name(),
                    .on_change = log_b.hook()});
  const auto alice = user("alice");

  run_sync(a.save_thread(make_thread("thr_shared"), alice));
  run_sync(b.add_thread_item("thr_shared", make_message("thr_shared", "msg_from_b", "hi from b"), alice));
  run_sync(a.save_item("thr_shared", make_message("thr_shared", "msg_from_a", "hi from a"), alice));
  run_sync(b.delete_thread_item("thr_shared", "msg_from_a", alice));

  // Writes: each instance reads what the other wrote.
  CHECK(run_sync(b.load_thread("thr_shared", alice)).id == "thr_shared");
  CHECK(message_text(run_sync(a.load_item("thr_shared", "msg_from_b", alice))) == "hi from b");
  CHECK(error_of([&] { run_sync(a.load_item("thr_shared", "msg_from_a", alice)); }) ==
        chatkit::errc::not_found);

  // Notifications: each instance hears its own writes (local) and the other's (remote).
  using store::change_kind;
  CHECK(log_a.wait_for([](const auto& log) {
    return has(log, change_kind::thread_saved, "thr_shared", true) &&
           has(log, change_kind::item_saved, "msg_from_b", false) &&
           has(log, change_kind::item_saved, "msg_from_a", true) &&
           has(log, change_kind::item_deleted, "msg_from_a", false);
  }));
  CHECK(log_b.wait_for([](const auto& log) {
    return has(log, change_kind::thread_saved, "thr_shared", false) &&
           has(log, change_kind::item_saved, "msg_from_b", true) &&
           has(log, change_kind::item_deleted, "msg_from_a", true);
  }));
  {
    std::lock_guard lock(log_a.mutex);
    for (const auto& c : log_a.changes) {
      CHECK(c.user_id == "alice");
      CHECK(c.thread_id == "thr_shared");
    }
  }

  // A failed write notifies nobody: bob cannot touch alice's thread.
  CHECK(error_of([&] { run_sync(b.delete_thread("thr_shared", user("bob"))); }) == chatkit::errc::not_found);
  run_sync(b.delete_thread("thr_shared", alice));
  CHECK(log_a.wait_for(
      [](const auto& log) { return has(log, change_kind::thread_deleted, "thr_shared", false); }));
  std::lock_guard lock(log_a.mutex);
  int deletions = 0;
  for (const auto& c : log_a.changes) deletions += c.kind == change_kind::thread_deleted;
  CHECK(deletions == 1);
}

TEST_CASE("postgres store stores hostile ids and text intact, never as SQL", "[postgres][bad_input]") {
  const auto info = conninfo();
  if (!info) return;
  scratch_schema schema(*info);
  postgres_store s({.conninfo = *info, .schema = schema.name(), .connections = 2});
  const auto evil = user("eve'); DROP TABLE threads; --");
  const std::string thread_id = "thr_'\"; DROP TABLE items; --";
  run_sync(s.save_thread(make_thread(thread_id), evil));
  const std::string text = "quote ' double \" backslash \\ $1 $$ dollar \xF0\x9F\x98\x80";
  run_sync(s.add_thread_item(thread_id, make_message(thread_id, "msg_' OR '1'='1", text), evil));
  CHECK(message_text(run_sync(s.load_item(thread_id, "msg_' OR '1'='1", evil))) == text);
  CHECK(error_of([&] { run_sync(s.load_item(thread_id, "' OR '1'='1", evil)); }) == chatkit::errc::not_found);
  CHECK(error_of([&] { run_sync(s.load_thread(thread_id, user("bob"))); }) == chatkit::errc::not_found);
  const std::string q = "\"" + schema.name() + "\"";
  CHECK(query_one(*info, "SELECT count(*) FROM " + q + ".items") == "1");
  CHECK(query_one(*info, "SELECT user_id FROM " + q + ".threads") == "eve'); DROP TABLE threads; --");
}

TEST_CASE("postgres store round-trips a huge item and refuses one over the limit", "[postgres][bad_input]") {
  const auto info = conninfo();
  if (!info) return;
  scratch_schema schema(*info);
  postgres_store s(
      {.conninfo = *info, .schema = schema.name(), .connections = 1, .max_record_bytes = 8 * 1024 * 1024});
  const auto alice = user("alice");
  run_sync(s.save_thread(make_thread("thr_big"), alice));
  std::string big(6 * 1024 * 1024, 'a');
  for (std::size_t i = 0; i < big.size(); i += 1000) big[i] = static_cast<char>('a' + (i / 1000) % 26);
  run_sync(s.add_thread_item("thr_big", make_message("thr_big", "msg_big", big), alice));
  CHECK(message_text(run_sync(s.load_item("thr_big", "msg_big", alice))) == big);
  std::string message;
  CHECK(error_of(
            [&] {
              run_sync(s.add_thread_item(
                  "thr_big", make_message("thr_big", "msg_huge", std::string(9 << 20, 'z')), alice));
            },
            &message) == chatkit::errc::payload_too_large);
  CHECK_THAT(message, Catch::Contains("limit"));
}

TEST_CASE("postgres store refuses text it cannot hold with a clear error", "[postgres][bad_input]") {
  const auto info = conninfo();
  if (!info) return;
  scratch_schema schema(*info);
  postgres_store s({.conninfo = *info, .schema = schema.name(), .connections = 1});
  const auto alice = user("alice");
  run_sync(s.save_thread(make_thread("thr_1"), alice));
  std::string message;
  // Invalid UTF-8 never reaches the server.
  CHECK(error_of(
            [&] {
              run_sync(s.add_thread_item("thr_1", make_message("thr_1", "msg_bad", "bad \xC3\x28"), alice));
            },
            &message) == chatkit::errc::invalid_request);
  CHECK_THAT(message, Catch::Contains("UTF-8"));
  // NUL is valid JSON text (\u0000) but JSONB cannot hold it.
  CHECK(error_of(
            [&] {
              run_sync(s.add_thread_item("thr_1", make_message("thr_1", "msg_nul", std::string("a\0b", 3)),
                                         alice));
            },
            &message) == chatkit::errc::invalid_request);
  CHECK_THAT(message, Catch::Contains("NUL"));
  // Lookups by ids no record can have are misses, not errors; a user id the server cannot hold is refused.
  CHECK(error_of([&] { run_sync(s.load_thread("thr_\xFF", alice)); }) == chatkit::errc::not_found);
  CHECK(error_of([&] { run_sync(s.load_item("thr_1", std::string("msg\0x", 5), alice)); }) ==
        chatkit::errc::not_found);
  CHECK(error_of([&] { run_sync(s.load_thread("thr_1", user(std::string("al\0ice", 6)))); }) ==
        chatkit::errc::invalid_request);
  CHECK(run_sync(s.load_thread_items("thr_1", std::nullopt, 10, protocol::sort_order::asc, alice))
            .data.empty());
}

TEST_CASE("postgres store batch append is all or nothing", "[postgres]") {
  const auto info = conninfo();
  if (!info) return;
  scratch_schema schema(*info);
  postgres_store s({.conninfo = *info, .schema = schema.name(), .connections = 1});
  check_batch_append_is_all_or_nothing(s);
}

TEST_CASE("postgres store migrates a version-1 schema: items kept, no foreign key, delete_thread takes them",
          "[postgres]") {
  const auto info = conninfo();
  if (!info) return;
  scratch_schema schema(*info);
  const std::string q = "\"" + schema.name() + "\"";
  const auto body = [](const auto& value) { return protocol::to_json(value, protocol::audience::storage); };
  const auto thread = [&](const std::string& id) {
    return "('" + id + "', 'alice', 0, '" + body(make_thread(id)) + "')";
  };
  const auto item = [&](const std::string& thread_id, const std::string& id, int seconds) {
    const auto m = make_message(thread_id, id, id, seconds);
    return "((SELECT seq FROM threads WHERE id = '" + thread_id + "'), '" + id + "', 'alice', " +
           std::to_string(std::get<protocol::assistant_message_item>(m).created_at.micros) + ", '" + body(m) +
           "')";
  };
  // Version 1 as the first release created it: items with a foreign key to threads, ON DELETE CASCADE.
  query_one(
      *info,
      "CREATE SCHEMA " + q + "; SET search_path TO " + q +
          "; CREATE TABLE threads (seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, id text NOT NULL "
          "UNIQUE, user_id text NOT NULL, created_at bigint NOT NULL, body text NOT NULL, doc jsonb "
          "GENERATED ALWAYS AS (body::jsonb) STORED);"
          "CREATE INDEX threads_by_user ON threads (user_id, created_at, seq);"
          "CREATE TABLE items (seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, thread_seq bigint NOT "
          "NULL REFERENCES threads (seq) ON DELETE CASCADE, id text NOT NULL, user_id text NOT NULL, "
          "created_at bigint NOT NULL, body text NOT NULL, doc jsonb GENERATED ALWAYS AS (body::jsonb) "
          "STORED, UNIQUE (thread_seq, id));"
          "CREATE INDEX items_by_thread ON items (thread_seq, created_at, seq);"
          "CREATE TABLE attachments (id text PRIMARY KEY, user_id text NOT NULL, body text NOT NULL, doc "
          "jsonb GENERATED ALWAYS AS (body::jsonb) STORED);"
          "CREATE TABLE chatkit_schema (version integer NOT NULL); INSERT INTO chatkit_schema VALUES (1);"
          "INSERT INTO threads (id, user_id, created_at, body) VALUES " +
          thread("thr_1") + ", " + thread("thr_2") +
          "; INSERT INTO items (thread_seq, id, user_id, created_at, body) VALUES " +
          item("thr_1", "msg_1", 1) + ", " + item("thr_1", "msg_2", 2) + ", " + item("thr_2", "msg_3", 3) +
          "; SELECT 1");
  const auto foreign_keys =
      "SELECT count(*) FROM pg_constraint WHERE conrelid = '" + q + ".items'::regclass AND contype = 'f'";
  REQUIRE(query_one(*info, foreign_keys) == "1");

  postgres_store s({.conninfo = *info, .schema = schema.name(), .connections = 1});
  CHECK(query_one(*info, "SELECT version FROM " + q + ".chatkit_schema") == "2");
  CHECK(query_one(*info, foreign_keys) == "0");
  CHECK(query_one(*info, "SELECT count(*) FROM " + q + ".items") == "3");
  const auto alice = user("alice");
  run_sync(s.add_thread_item("thr_1", make_message("thr_1", "msg_4", "msg_4", 4), alice));
  CHECK(
      item_ids(run_sync(s.load_thread_items("thr_1", std::nullopt, 10, protocol::sort_order::asc, alice))) ==
      std::vector<std::string>{"msg_1", "msg_2", "msg_4"});
  // The items still go with their thread: the store's delete_thread, and a delete by SQL (from another
  // search_path), through the schema's trigger.
  run_sync(s.delete_thread("thr_1", alice));
  CHECK(query_one(*info, "SELECT string_agg(id, ',') FROM " + q + ".items") == "msg_3");
  query_one(*info, "DELETE FROM " + q + ".threads WHERE id = 'thr_2'");
  CHECK(query_one(*info, "SELECT count(*) FROM " + q + ".items") == "0");
  CHECK(orphans(*info, schema.name()) == "0");
}

TEST_CASE("postgres store: delete_thread waits for an item write holding the thread and deletes its item too",
          "[postgres][concurrency]") {
  const auto info = conninfo();
  if (!info) return;
  scratch_schema schema(*info);
  postgres_store s({.conninfo = *info, .schema = schema.name(), .connections = 1});
  const auto alice = user("alice");
  run_sync(s.save_thread(make_thread("thr_1"), alice));
  run_sync(s.add_thread_item("thr_1", make_message("thr_1", "msg_1", "one"), alice));
  // Another session writes an item as the store's writes do (the thread's row locked FOR KEY SHARE by the
  // inserting statement) and keeps its transaction open: the delete must wait for it, then delete its item
  // too (which a delete using a snapshot taken before that commit would not see).
  row_lock writing(*info, schema.name(),
                   "INSERT INTO items (thread_seq, id, user_id, created_at, body) SELECT t.seq, 'msg_late', "
                   "'alice', 0, '{}' FROM threads t WHERE t.id = 'thr_1' FOR KEY SHARE OF t",
                   true);
  boost::asio::io_context ioc;
  outcome deleted;
  spawn_call(ioc, s.delete_thread("thr_1", alice), deleted);
  std::thread runner([&] { ioc.run(); });
  wait_for_lock_wait(*info, writing);
  writing.release();
  runner.join();
  CHECK(deleted == outcome(errc::ok));
  CHECK(query_one(*info, "SELECT count(*) FROM \"" + schema.name() + "\".items") == "0");
  CHECK(orphans(*info, schema.name()) == "0");
}

TEST_CASE("postgres store: item writes into a thread being deleted fail as not found and leave nothing",
          "[postgres][concurrency]") {
  const auto info = conninfo();
  if (!info) return;
  scratch_schema schema(*info);
  postgres_store s({.conninfo = *info, .schema = schema.name(), .connections = 1});
  const auto alice = user("alice");
  run_sync(s.save_thread(make_thread("thr_1"), alice));
  run_sync(s.add_thread_item("thr_1", make_message("thr_1", "msg_1", "one"), alice));
  // Another session deletes thr_1 as delete_thread does (its row FOR UPDATE, its items, the thread) and keeps
  // its transaction open: every write (the batched add and save, the pool's batch append) waits for it,
  // then finds no thread.
  row_lock deleting(
      *info, schema.name(),
      "SELECT 1 FROM threads WHERE id = 'thr_1' FOR UPDATE; DELETE FROM items WHERE thread_seq = "
      "(SELECT seq FROM threads WHERE id = 'thr_1'); DELETE FROM threads WHERE id = 'thr_1'",
      true);
  boost::asio::io_context ioc;
  std::vector<outcome> out(3);
  const auto added = make_message("thr_1", "msg_2", "two");  // the calls hold references until they end
  const auto saved = make_message("thr_1", "msg_3", "three");
  spawn_call(ioc, s.add_thread_item("thr_1", added, alice), out[0]);
  spawn_call(ioc, s.save_item("thr_1", saved, alice), out[1]);
  spawn_call(ioc,
             s.add_thread_items(
                 "thr_1", {make_message("thr_1", "msg_4", "4"), make_message("thr_1", "msg_5", "5")}, alice),
             out[2]);
  std::thread runner([&] { ioc.run(); });
  wait_for_lock_wait(*info, deleting, 2);  // the item writer's session and the pool's
  deleting.release();
  runner.join();
  for (const auto& o : out) CHECK(o == outcome(errc::not_found));
  CHECK(query_one(*info, "SELECT count(*) FROM \"" + schema.name() + "\".items") == "0");
  CHECK(orphans(*info, schema.name()) == "0");
}

TEST_CASE("postgres store: item writes racing thread deletes leave no orphan and lose no confirmed item",
          "[postgres][concurrency]") {
  const auto info = conninfo();
  if (!info) return;
  scratch_schema schema(*info);
  postgres_store s({.conninfo = *info, .schema = schema.name(), .connections = 4});
  const auto alice = user("alice");
  constexpr int threads = 32;
  constexpr int writers = 4;  // per thread
  constexpr int per_writer = 30;
  for (int t = 0; t < threads; ++t) run_sync(s.save_thread(make_thread("thr_" + std::to_string(t)), alice));

  // Every thread gets appends from several callers at once; in every odd thread the first caller deletes it
  // part-way through, while the others' appends are queued or in flight.
  std::mutex mutex;
  std::map<int, std::set<std::string>> confirmed;  // appends that returned, per thread
  std::atomic<int> problems{0};
  boost::asio::io_context ioc;
  for (int t = 0; t < threads; ++t) {
    for (int w = 0; w < writers; ++w) {
      boost::asio::co_spawn(
          ioc,
          [&, t, w]() -> boost::asio::awaitable<void> {
            const auto thread_id = "thr_" + std::to_string(t);
            for (int i = 0; i < per_writer; ++i) {
              if (w == 0 && t % 2 == 1 && i == 3 + t % 7) {
                co_await s.delete_thread(thread_id, alice);
                co_return;
              }
              const auto id = "msg_" + std::to_string(w) + "_" + std::to_string(i);
              try {
                co_await s.add_thread_item(thread_id, make_message(thread_id, id, id), alice);
              } catch (const chatkit::error& e) {
                if (e.code_value() != errc::not_found || t % 2 == 0) ++problems;
                co_return;  // the thread is gone
              }
              std::lock_guard lock(mutex);
              confirmed[t].insert(id);
            }
          },
          [&](std::exception_ptr ep) {
            if (ep) ++problems;
          });
    }
  }
  run_on_threads(ioc, 4);

  REQUIRE(problems == 0);
  CHECK(orphans(*info, schema.name()) == "0");
  const std::string q = "\"" + schema.name() + "\".";
  for (int t = 0; t < threads; ++t) {
    const auto thread_id = "thr_" + std::to_string(t);
    const auto present =
        query_one(*info, "SELECT count(*) FROM " + q + "threads WHERE id = '" + thread_id + "'");
    if (t % 2 == 1) {
      CHECK(present == "0");
      continue;
    }
    REQUIRE(present == "1");
    // Every append that returned is there, and nothing else.
    auto page =
        run_sync(s.load_thread_items(thread_id, std::nullopt, 1000, protocol::sort_order::asc, alice));
    const auto ids = item_ids(page);
    CHECK(std::set<std::string>(ids.begin(), ids.end()) == confirmed[t]);
    CHECK(ids.size() == std::size_t(writers * per_writer));
  }
}
