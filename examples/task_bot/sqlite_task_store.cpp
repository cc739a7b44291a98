#include "sqlite_task_store.hpp"

#include <chatkit/error.hpp>

#include <sqlite3.h>

#include <iterator>

namespace task_bot {
namespace {

// migrations[i] upgrades version i to i + 1. Never edit an entry: append one.
constexpr const char* migrations[] = {
    R"sql(
CREATE TABLE tasks (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  owner TEXT NOT NULL,
  title TEXT NOT NULL,
  description TEXT,
  status TEXT NOT NULL,
  priority TEXT NOT NULL,
  due_date TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX tasks_by_owner ON tasks (owner, seq);
)sql",
};
static_assert(std::size(migrations) == sqlite_task_store::schema_version);

[[noreturn]] void fail(sqlite3* db, const char* what) {
  throw chatkit::error(chatkit::errc::unavailable, std::string("sqlite tasks: ") + what + ": " +
                                                       (db ? sqlite3_errmsg(db) : "out of memory"));
}

// One prepared statement, finalized on scope exit.
class statement {
 public:
  statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) != SQLITE_OK) fail(db, "prepare");
  }
  ~statement() { sqlite3_finalize(s_); }
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;

  statement& bind(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  statement& bind(int i, std::string_view v) { return bind(i, std::string(v)); }
  statement& bind(int i, const std::optional<std::string>& v) {
    if (v) return bind(i, *v);
    sqlite3_bind_null(s_, i);
    return *this;
  }
  // True while there is a row.
  bool step() {
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) fail(db_, "step");
    return false;
  }
  std::optional<std::string> text(int col) const {
    if (sqlite3_column_type(s_, col) == SQLITE_NULL) return std::nullopt;
    return std::string(reinterpret_cast<const char*>(sqlite3_column_text(s_, col)),
                       static_cast<std::size_t>(sqlite3_column_bytes(s_, col)));
  }
  long long integer(int col) const { return sqlite3_column_int64(s_, col); }

  task row() const {
    task t;
    t.id = text(0).value_or("");
    t.title = text(1).value_or("");
    t.description = text(2);
    t.status = parse_status(text(3).value_or("")).value_or(task_status::pending);
    t.priority = parse_priority(text(4).value_or("")).value_or(task_priority::medium);
    t.due_date = text(5);
    t.created_at = text(6).value_or("");
    t.updated_at = text(7).value_or("");
    return t;
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
};

void exec_sql(sqlite3* db, const char* sql) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail(db, "exec");
}

// Runs `f` between BEGIN IMMEDIATE and COMMIT (ROLLBACK when it throws).
template <class F>
auto in_transaction(sqlite3* db, F f) {
  exec_sql(db, "BEGIN IMMEDIATE");
  try {
    auto out = f();
    exec_sql(db, "COMMIT");
    return out;
  } catch (...) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

constexpr const char* columns = "id, title, description, status, priority, due_date, created_at, updated_at";

}  // namespace

sqlite_task_store::sqlite_task_store(const std::string& path) {
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    const std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw chatkit::error(chatkit::errc::unavailable, "sqlite tasks: cannot open " + path + ": " + why);
  }
  try {
    sqlite3_busy_timeout(db_, 5000);
    exec("PRAGMA journal_mode=WAL");
    exec("CREATE TABLE IF NOT EXISTS task_bot_schema (version INTEGER NOT NULL)");
    in_transaction(db_, [&] {
      statement s(db_, "SELECT coalesce(max(version), 0) FROM task_bot_schema");
      s.step();
      const auto version = static_cast<int>(s.integer(0));
      if (version > schema_version)
        throw chatkit::error(chatkit::errc::unavailable, "sqlite tasks: the database has schema version " +
                                                             std::to_string(version) +
                                                             ", newer than this build");
      for (int v = version; v < schema_version; ++v) exec(migrations[v]);
      if (version < schema_version)
        exec(("INSERT INTO task_bot_schema (version) VALUES (" + std::to_string(schema_version) + ")")
                 .c_str());
      return 0;
    });
  } catch (...) {
    sqlite3_close(db_);
    throw;
  }
}

sqlite_task_store::~sqlite_task_store() {
  sqlite3_close(db_);
}

void sqlite_task_store::exec(const char* sql) {
  exec_sql(db_, sql);
}

task sqlite_task_store::create(const std::string& owner, const new_task& n) {
  const task t = make_task(n);
  std::lock_guard lock(mutex_);
  statement s(db_,
              "INSERT INTO tasks (id, owner, title, description, status, priority, due_date, created_at, "
              "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  s.bind(1, t.id).bind(2, owner).bind(3, t.title).bind(4, t.description).bind(5, to_string(t.status));
  s.bind(6, to_string(t.priority)).bind(7, t.due_date).bind(8, t.created_at).bind(9, t.updated_at);
  s.step();
  return t;
}

std::vector<task> sqlite_task_store::list(const std::string& owner, const task_filter& f) {
  std::lock_guard lock(mutex_);
  statement s(
      db_, (std::string("SELECT ") + columns +
            " FROM tasks WHERE owner = ?1 AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR priority = ?3)"
            " ORDER BY seq DESC")
               .c_str());
  s.bind(1, owner);
  s.bind(2, f.status ? std::optional<std::string>(std::string(to_string(*f.status))) : std::nullopt);
  s.bind(3, f.priority ? std::optional<std::string>(std::string(to_string(*f.priority))) : std::nullopt);
  std::vector<task> out;
  while (s.step()) {
    task t = s.row();
    if (matches(t, f)) out.push_back(std::move(t));
  }
  return out;
}

std::optional<task> sqlite_task_store::find(const std::string& owner, const std::string& id) {
  statement s(db_, (std::string("SELECT ") + columns + " FROM tasks WHERE owner = ?1 AND id = ?2").c_str());
  s.bind(1, owner).bind(2, id);
  if (!s.step()) return std::nullopt;
  return s.row();
}

std::optional<task> sqlite_task_store::get(const std::string& owner, const std::string& id) {
  std::lock_guard lock(mutex_);
  return find(owner, id);
}

std::optional<task> sqlite_task_store::update(const std::string& owner, const std::string& id,
                                              const task_patch& p) {
  std::lock_guard lock(mutex_);
  return in_transaction(db_, [&] {
    auto t = find(owner, id);
    if (!t) return t;
    apply(*t, p);
    t->updated_at = now_iso8601();
    statement s(db_,
                "UPDATE tasks SET title = ?3, description = ?4, status = ?5, priority = ?6, due_date = ?7, "
                "updated_at = ?8 WHERE owner = ?1 AND id = ?2");
    s.bind(1, owner).bind(2, id).bind(3, t->title).bind(4, t->description).bind(5, to_string(t->status));
    s.bind(6, to_string(t->priority)).bind(7, t->due_date).bind(8, t->updated_at);
    s.step();
    return t;
  });
}

std::optional<task> sqlite_task_store::remove(const std::string& owner, const std::string& id) {
  std::lock_guard lock(mutex_);
  return in_transaction(db_, [&] {
    auto t = find(owner, id);
    if (!t) return t;
    statement s(db_, "DELETE FROM tasks WHERE owner = ?1 AND id = ?2");
    s.bind(1, owner).bind(2, id);
    s.step();
    return t;
  });
}

}  // namespace task_bot
