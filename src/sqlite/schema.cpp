#include "schema.hpp"

#include <iterator>
#include <string>

namespace chatkit::store::sqlite_detail {
namespace {

// migrations[i] upgrades version i to version i + 1. Never edit a released entry: append a new one.
//
// Bodies are the protocol's storage JSON. `seq` (a monotonic insertion sequence) breaks created_at ties and
// anchors cursors; `created_at` is microseconds of the protocol's naive timestamp. Items carry their owner too,
// so every query filters by user without a join. Deleting a thread cascades to its items.
constexpr const char* migrations[] = {
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
};
static_assert(std::size(migrations) == current_schema_version);

}  // namespace

int stored_schema_version(connection& c) {
  c.exec("CREATE TABLE IF NOT EXISTS chatkit_schema (version INTEGER NOT NULL)");
  auto s = c.prepare("SELECT max(version) FROM chatkit_schema");
  return s.step() ? static_cast<int>(s.integer(0)) : 0;
}

void migrate(connection& c) {
  // The version table is created outside the transaction so that reading the version needs no write lock when
  // the schema is already current (the common case when several processes open the same file).
  if (stored_schema_version(c) == current_schema_version) return;
  transaction tx(c);
  const int version = stored_schema_version(c);  // re-read under the write lock: another process may have won
  if (version > current_schema_version) {
    throw chatkit::error(errc::unavailable, "sqlite: the database has schema version " + std::to_string(version) +
                                                ", newer than this build supports (" +
                                                std::to_string(current_schema_version) + ")");
  }
  if (version == current_schema_version) return;
  for (int v = version; v < current_schema_version; ++v) c.exec(migrations[v]);
  c.exec("DELETE FROM chatkit_schema");
  auto s = c.prepare("INSERT INTO chatkit_schema (version) VALUES (?1)");
  s.bind(1, static_cast<std::int64_t>(current_schema_version)).run();
  tx.commit();
}

}  // namespace chatkit::store::sqlite_detail
