// The PostgreSQL store on a real server: schema and migrations, two store instances sharing a database
// (writes and LISTEN/NOTIFY), hostile input, and connection failures.
#include "postgres_test_util.hpp"

#include <chatkit/error.hpp>
#include <chatkit/postgres/postgres_store.hpp>
#include <chatkit/protocol/json_io.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
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
  CHECK(query_one(*info, "SELECT version FROM " + q + ".chatkit_schema") == "1");
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
