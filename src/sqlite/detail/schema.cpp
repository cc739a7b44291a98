#include "sqlite/detail/schema.hpp"

#include "store/detail/migrations.hpp"

#include <cstdint>
#include <iterator>
#include <optional>
#include <string>

namespace chatkit::store::sqlite_detail {
namespace {

// steps[i] upgrades version i to version i + 1. Never edit a released entry: append a new one.
//
// Bodies are the protocol's storage JSON. `seq` (a monotonic insertion sequence) breaks created_at ties and
// anchors cursors; `created_at` is microseconds of the protocol's naive timestamp. Items carry their owner
// too, so every query filters by user without a join. Deleting a thread cascades to its items.
constexpr const char* steps[] = {
    R"sql(
CREATE TABLE threads (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  id         TEXT    NOT NULL UNIQUE,
  user_id    TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  body       TEXT    NOT NULL
);
CREATE INDEX threads_by_user ON threads (user_id, created_at, seq);
CREATE TABLE items (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  thread_seq INTEGER NOT NULL REFERENCES threads (seq) ON DELETE CASCADE,
  id         TEXT    NOT NULL,
  user_id    TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  body       TEXT    NOT NULL,
  UNIQUE (thread_seq, id)
);
CREATE INDEX items_by_thread ON items (thread_seq, created_at, seq);
CREATE TABLE attachments (
  id      TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  body    TEXT NOT NULL
);
)sql",
    // Version 2: items.seq without AUTOINCREMENT. AUTOINCREMENT made every insert also read and rewrite the
    // items' row of sqlite_sequence (a second B-tree write per append). Without it SQLite gives a new row
    // max(seq) + 1, so every new item still sorts after every existing one — all that seq is for (a tie
    // breaker of created_at, read fresh from the anchor item on each page load, never kept between calls).
    // What changes: the seq of the most recent items, once deleted, may be given again to later items.
    // The unique index of an item's id is keyed (id, thread_seq) instead of (thread_seq, id) — the same
    // constraint, and the statements' ON CONFLICT (thread_seq, id) still names it — because ids that lead
    // with their time (store::default_id) then make every new entry land at the index's end, where
    // concurrent appends to many threads share a page; keyed by thread first, each append dirtied a page of
    // its own, one more page to write to the log and sync per append.
    // The table is rebuilt (SQLite cannot drop AUTOINCREMENT or change a constraint in place); seq values
    // are kept.
    R"sql(
CREATE TABLE items_v2 (
  seq        INTEGER PRIMARY KEY,
  thread_seq INTEGER NOT NULL REFERENCES threads (seq) ON DELETE CASCADE,
  id         TEXT    NOT NULL,
  user_id    TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  body       TEXT    NOT NULL,
  UNIQUE (id, thread_seq)
);
INSERT INTO items_v2 (seq, thread_seq, id, user_id, created_at, body)
  SELECT seq, thread_seq, id, user_id, created_at, body FROM items;
DROP TABLE items;
ALTER TABLE items_v2 RENAME TO items;
CREATE INDEX items_by_thread ON items (thread_seq, created_at, seq);
DELETE FROM sqlite_sequence WHERE name = 'items';
)sql",
};
static_assert(std::size(steps) == current_schema_version);

// The migration runner's view of a SQLite file.
class database {
 public:
  explicit database(connection& c) : c_(c) {}
  sqlite_detail::connection& conn() noexcept { return c_; }
  // The version table is created outside the transaction so that reading the version needs no write lock when
  // the schema is already current (the common case when several processes open the same file).
  std::optional<int> version_without_lock() { return stored_version(); }
  void lock() {}  // BEGIN IMMEDIATE already holds the write lock
  int stored_version() {
    c_.exec("CREATE TABLE IF NOT EXISTS chatkit_schema (version INTEGER NOT NULL)");
    auto s = c_.prepare("SELECT max(version) FROM chatkit_schema");
    return s.step() ? static_cast<int>(s.integer(0)) : 0;
  }
  void apply(const char* sql) { c_.exec(sql); }
  void record_version(int version) {
    c_.exec("DELETE FROM chatkit_schema");
    auto s = c_.prepare("INSERT INTO chatkit_schema (version) VALUES (?1)");
    s.bind(1, static_cast<std::int64_t>(version)).run();
  }
  std::string describe() const { return "sqlite: the database"; }

 private:
  sqlite_detail::connection& c_;
};

}  // namespace

void migrate(connection& c) {
  database db(c);
  detail::migrate(db, steps);
}

}  // namespace chatkit::store::sqlite_detail
