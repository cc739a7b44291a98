// The SQLite store on real files: schema and migrations, persistence across reopen, ordering with equal
// timestamps, hostile input (quotes, huge items, invalid UTF-8), and the SQLite-only batch append.
#include "sqlite_test_util.hpp"

#include <chatkit/error.hpp>
#include <chatkit/protocol/json_io.hpp>
#include <chatkit/sqlite/sqlite_store.hpp>

#include <sqlite3.h>

#include <catch2/catch.hpp>

using namespace chatkit;
using namespace chatkit::sqlite_test;
using chatkit::store::sqlite_store;

namespace {

// Runs one query with a private connection and returns the first column of the first row as text.
std::string query_one(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK);
  std::string out;
  if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0))
    out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

void exec(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

}  // namespace

TEST_CASE("sqlite store creates a WAL database with a versioned schema", "[sqlite]") {
  temp_dir dir;
  const auto path = dir.file("chat.db");
  { sqlite_store s({.path = path}); }
  CHECK(query_one(path, "PRAGMA journal_mode") == "wal");
  CHECK(query_one(path, "SELECT version FROM chatkit_schema") ==
        std::to_string(sqlite_store::schema_version));
  CHECK(query_one(path,
                  "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                  "('threads', 'items', 'attachments')") == "3");
  // Reopening an up-to-date file migrates nothing and keeps one version row.
  { sqlite_store s({.path = path}); }
  CHECK(query_one(path, "SELECT count(*) FROM chatkit_schema") == "1");
}

TEST_CASE("sqlite store migrates a version 1 file: items keep their seq, order and bodies", "[sqlite]") {
  temp_dir dir;
  const auto path = dir.file("chat.db");
  const auto alice = user("alice");
  {
    sqlite_store s({.path = path});
    run_sync(s.save_thread(make_thread("thr_1"), alice));
    for (int i = 1; i <= 5; ++i) {
      const auto id = "msg_" + std::to_string(i);
      run_sync(s.add_thread_item("thr_1", make_message("thr_1", id, id), alice));  // equal created_at
    }
    run_sync(s.delete_thread_item("thr_1", "msg_3", alice));
  }
  // Back to version 1's items table (seq AUTOINCREMENT, its row in sqlite_sequence).
  exec(path,
       "CREATE TABLE items_v1 (seq INTEGER PRIMARY KEY AUTOINCREMENT, thread_seq INTEGER NOT NULL "
       "REFERENCES threads (seq) ON DELETE CASCADE, id TEXT NOT NULL, user_id TEXT NOT NULL, created_at "
       "INTEGER NOT NULL, body TEXT NOT NULL, UNIQUE (thread_seq, id));"
       "INSERT INTO items_v1 SELECT seq, thread_seq, id, user_id, created_at, body FROM items;"
       "DROP TABLE items; ALTER TABLE items_v1 RENAME TO items;"
       "CREATE INDEX items_by_thread ON items (thread_seq, created_at, seq);"
       "UPDATE chatkit_schema SET version = 1;");
  REQUIRE(query_one(path, "SELECT count(*) FROM sqlite_sequence WHERE name = 'items'") == "1");
  REQUIRE(query_one(path, "SELECT group_concat(seq) FROM (SELECT seq FROM items ORDER BY seq)") == "1,2,4,5");

  sqlite_store s({.path = path});
  CHECK(query_one(path, "SELECT version FROM chatkit_schema") == "2");
  CHECK(query_one(path, "SELECT instr(sql, 'AUTOINCREMENT') FROM sqlite_master WHERE name = 'items'") == "0");
  CHECK(query_one(path, "SELECT count(*) FROM sqlite_sequence WHERE name = 'items'") == "0");
  CHECK(query_one(path, "SELECT group_concat(seq) FROM (SELECT seq FROM items ORDER BY seq)") == "1,2,4,5");
  CHECK(query_one(path, "SELECT count(*) FROM sqlite_master WHERE name = 'items_by_thread'") == "1");
  // The unique index of item ids is keyed by id first, and still refuses a taken id in the same thread.
  CHECK(query_one(path,
                  "SELECT group_concat(name) FROM (SELECT ii.name FROM pragma_index_list('items') il, "
                  "pragma_index_info(il.name) ii WHERE il.\"unique\" = 1 ORDER BY ii.seqno)") ==
        "id,thread_seq");
  CHECK_THROWS(run_sync(s.add_thread_item("thr_1", make_message("thr_1", "msg_2", "again"), alice)));
  CHECK(query_one(path, "SELECT body LIKE '%again%' FROM items WHERE id = 'msg_2'") == "0");
  // A new item sorts after every existing one (equal created_at: by seq).
  run_sync(s.add_thread_item("thr_1", make_message("thr_1", "msg_6", "msg_6"), alice));
  auto page = run_sync(s.load_thread_items("thr_1", std::nullopt, 10, protocol::sort_order::asc, alice));
  std::vector<std::string> ids;
  for (const auto& item : page.data) ids.emplace_back(protocol::item_id(item));
  CHECK(ids == std::vector<std::string>{"msg_1", "msg_2", "msg_4", "msg_5", "msg_6"});
  CHECK(message_text(page.data.front()) == "msg_1");
  // Deleting the thread still cascades to its items.
  run_sync(s.delete_thread("thr_1", alice));
  CHECK(query_one(path, "SELECT count(*) FROM items") == "0");
}

TEST_CASE("sqlite store refuses a database from a newer schema", "[sqlite]") {
  temp_dir dir;
  const auto path = dir.file("chat.db");
  { sqlite_store s({.path = path}); }
  exec(path, "UPDATE chatkit_schema SET version = 99");
  try {
    sqlite_store s({.path = path});
    FAIL("opened a database with a newer schema");
  } catch (const chatkit::error& e) {
    CHECK(e.code_value() == errc::unavailable);
    CHECK_THAT(e.message(), Catch::Contains("99"));
  }
}

TEST_CASE("sqlite store reports an unopenable path as unavailable", "[sqlite]") {
  temp_dir dir;
  CHECK(error_of([&] { sqlite_store s({.path = dir.file("missing-dir/chat.db")}); }) == errc::unavailable);
  CHECK(error_of([&] { sqlite_store s({.path = ""}); }) == chatkit::errc::invalid_request);
}

TEST_CASE("sqlite store keeps everything across reopen", "[sqlite]") {
  temp_dir dir;
  const auto path = dir.file("chat.db");
  const auto alice = user("alice");
  auto thread = make_thread("thr_persist");
  thread.title = "kept";
  thread.metadata["k"] = "v";
  protocol::attachment file;
  file.id = "atc_1";
  file.name = "a.txt";
  file.mime_type = "text/plain";
  file.metadata["bucket"] = "b1";
  {
    sqlite_store s({.path = path});
    run_sync(s.save_thread(thread, alice));
    run_sync(s.add_thread_item(thread.id, make_message(thread.id, "msg_1", "one"), alice));
    run_sync(s.add_thread_item(thread.id, make_message(thread.id, "msg_2", "two"), alice));
    run_sync(s.save_attachment(file, alice));
  }
  sqlite_store s({.path = path});
  CHECK(run_sync(s.load_thread(thread.id, alice)) == thread);
  auto page = run_sync(s.load_thread_items(thread.id, std::nullopt, 10, protocol::sort_order::asc, alice));
  CHECK(item_ids(page) == std::vector<std::string>{"msg_1", "msg_2"});
  CHECK(protocol::to_json(run_sync(s.load_attachment("atc_1", alice)), protocol::audience::storage) ==
        protocol::to_json(file, protocol::audience::storage));
}

TEST_CASE("sqlite store orders equal timestamps by insertion in both directions", "[sqlite]") {
  temp_dir dir;
  sqlite_store s({.path = dir.file("chat.db")});
  const auto alice = user("alice");
  run_sync(s.save_thread(make_thread("thr_1"), alice));
  // Five items with the same created_at, then one earlier: asc is (earlier, insertion order...).
  for (int i = 0; i < 5; ++i)
    run_sync(s.add_thread_item("thr_1", make_message("thr_1", "msg_" + std::to_string(i), "x", 10), alice));
  run_sync(s.add_thread_item("thr_1", make_message("thr_1", "msg_early", "x", 1), alice));
  std::vector<std::string> asc, desc;
  std::optional<std::string> after;
  do {
    auto page = run_sync(s.load_thread_items("thr_1", after, 2, protocol::sort_order::asc, alice));
    for (auto& id : item_ids(page)) asc.push_back(id);
    after = page.after;
  } while (after);
  do {
    auto page = run_sync(s.load_thread_items("thr_1", after, 4, protocol::sort_order::desc, alice));
    for (auto& id : item_ids(page)) desc.push_back(id);
    after = page.after;
  } while (after);
  CHECK(asc == std::vector<std::string>{"msg_early", "msg_0", "msg_1", "msg_2", "msg_3", "msg_4"});
  CHECK(desc == std::vector<std::string>{"msg_4", "msg_3", "msg_2", "msg_1", "msg_0", "msg_early"});
}

TEST_CASE("sqlite store stores hostile ids and text intact", "[sqlite][bad_input]") {
  temp_dir dir;
  const auto path = dir.file("chat.db");
  sqlite_store s({.path = path});
  const auto evil = user("eve'); DELETE FROM threads; --");
  const std::string thread_id = "thr_'\"; DROP TABLE items; --";
  run_sync(s.save_thread(make_thread(thread_id), evil));
  const std::string text =
      std::string("quote ' double \" backslash \\ nul ") + '\0' + " end \xF0\x9F\x98\x80";
  run_sync(s.add_thread_item(thread_id, make_message(thread_id, "msg_' OR '1'='1", text), evil));
  CHECK(message_text(run_sync(s.load_item(thread_id, "msg_' OR '1'='1", evil))) == text);
  // The injection attempts are data: another user sees nothing, the tables still exist.
  CHECK(error_of([&] { run_sync(s.load_item(thread_id, "msg_' OR '1'='1", user("bob"))); }) ==
        chatkit::errc::not_found);
  CHECK(error_of([&] { run_sync(s.load_item(thread_id, "' OR '1'='1", evil)); }) == chatkit::errc::not_found);
  CHECK(query_one(path, "SELECT count(*) FROM items") == "1");
  CHECK(query_one(path, "SELECT user_id FROM threads") == "eve'); DELETE FROM threads; --");
}

TEST_CASE("sqlite store round-trips a huge item and refuses one over the limit", "[sqlite][bad_input]") {
  temp_dir dir;
  sqlite_store s({.path = dir.file("chat.db"), .max_record_bytes = 8 * 1024 * 1024});
  const auto alice = user("alice");
  run_sync(s.save_thread(make_thread("thr_big"), alice));
  // 6 MiB of text, larger than any request read limit: it must still load.
  std::string big(6 * 1024 * 1024, 'a');
  for (std::size_t i = 0; i < big.size(); i += 1000) big[i] = static_cast<char>('a' + (i / 1000) % 26);
  run_sync(s.add_thread_item("thr_big", make_message("thr_big", "msg_big", big), alice));
  CHECK(message_text(run_sync(s.load_item("thr_big", "msg_big", alice))) == big);

  std::string too_big(9 * 1024 * 1024, 'z');
  try {
    run_sync(s.add_thread_item("thr_big", make_message("thr_big", "msg_huge", too_big), alice));
    FAIL("an item over max_record_bytes was accepted");
  } catch (const chatkit::error& e) {
    CHECK(e.code_value() == chatkit::errc::payload_too_large);
    CHECK_THAT(e.message(), Catch::Contains("limit"));
  }
  CHECK(error_of([&] { run_sync(s.load_item("thr_big", "msg_huge", alice)); }) == chatkit::errc::not_found);
}

TEST_CASE("sqlite store refuses invalid UTF-8 with a clear error and writes nothing", "[sqlite][bad_input]") {
  temp_dir dir;
  sqlite_store s({.path = dir.file("chat.db")});
  const auto alice = user("alice");
  run_sync(s.save_thread(make_thread("thr_1"), alice));
  for (const std::string& bad : {std::string("\xC3\x28"), std::string("\xED\xA0\x80"),
                                 std::string("\xF8\x88\x80\x80"), std::string("abc\xE2\x82")}) {
    try {
      run_sync(s.add_thread_item("thr_1", make_message("thr_1", "msg_bad", "ok " + bad), alice));
      FAIL("invalid UTF-8 was accepted");
    } catch (const chatkit::error& e) {
      CHECK(e.code_value() == chatkit::errc::invalid_request);
      CHECK_THAT(e.message(), Catch::Contains("UTF-8"));
    }
  }
  auto bad_thread = make_thread("thr_\xFF");
  CHECK(error_of([&] { run_sync(s.save_thread(bad_thread, alice)); }) == chatkit::errc::invalid_request);
  CHECK(run_sync(s.load_thread_items("thr_1", std::nullopt, 10, protocol::sort_order::asc, alice))
            .data.empty());
  CHECK(error_of([&] { run_sync(s.load_thread("thr_\xFF", alice)); }) == chatkit::errc::not_found);
}

TEST_CASE("sqlite store batch append is all or nothing", "[sqlite]") {
  temp_dir dir;
  sqlite_store s({.path = dir.file("chat.db")});
  check_batch_append_is_all_or_nothing(s);
}

TEST_CASE("sqlite store deleting a thread removes its items", "[sqlite]") {
  temp_dir dir;
  const auto path = dir.file("chat.db");
  sqlite_store s({.path = path});
  const auto alice = user("alice");
  run_sync(s.save_thread(make_thread("thr_1"), alice));
  run_sync(s.add_thread_item("thr_1", make_message("thr_1", "msg_1", "x"), alice));
  CHECK(error_of([&] { run_sync(s.delete_thread("thr_1", user("bob"))); }) == chatkit::errc::not_found);
  run_sync(s.delete_thread("thr_1", alice));
  CHECK(query_one(path, "SELECT count(*) FROM items") == "0");
  CHECK(error_of([&] { run_sync(s.load_thread("thr_1", alice)); }) == chatkit::errc::not_found);
}
