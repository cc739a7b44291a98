#include "postgres_task_store.hpp"

#include <chatkit/error.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <libpq-fe.h>
#include <poll.h>
#include <unistd.h>

#include <iterator>
#include <random>
#include <vector>

namespace task_bot {
namespace json = boost::json;

namespace {

constexpr const char* channel = "task_bot_changes";

// migrations[i] upgrades version i to i + 1. Never edit an entry: append one.
constexpr const char* migrations[] = {
    R"sql(
CREATE TABLE task_bot.tasks (
  seq bigserial PRIMARY KEY,
  id text NOT NULL UNIQUE,
  owner text NOT NULL,
  title text NOT NULL,
  description text,
  status text NOT NULL,
  priority text NOT NULL,
  due_date text,
  created_at text NOT NULL,
  updated_at text NOT NULL
);
CREATE INDEX tasks_by_owner ON task_bot.tasks (owner, seq);
)sql",
};
static_assert(std::size(migrations) == postgres_task_store::schema_version);

[[noreturn]] void fail(PGconn* c, const std::string& what) {
  throw chatkit::error(chatkit::errc::unavailable,
                       "postgres tasks: " + what + ": " + (c ? PQerrorMessage(c) : "out of memory"));
}

// A query result, cleared on scope exit.
class result {
 public:
  explicit result(PGresult* r) : r_(r) {}
  ~result() { PQclear(r_); }
  result(const result&) = delete;
  result& operator=(const result&) = delete;
  int rows() const { return PQntuples(r_); }
  std::optional<std::string> text(int row, int col) const {
    if (PQgetisnull(r_, row, col)) return std::nullopt;
    return std::string(PQgetvalue(r_, row, col), static_cast<std::size_t>(PQgetlength(r_, row, col)));
  }
  task row(int i) const {
    task t;
    t.id = text(i, 0).value_or("");
    t.title = text(i, 1).value_or("");
    t.description = text(i, 2);
    t.status = parse_status(text(i, 3).value_or("")).value_or(task_status::pending);
    t.priority = parse_priority(text(i, 4).value_or("")).value_or(task_priority::medium);
    t.due_date = text(i, 5);
    t.created_at = text(i, 6).value_or("");
    t.updated_at = text(i, 7).value_or("");
    return t;
  }

 private:
  PGresult* r_;
};

result run(PGconn* c, const std::string& sql, const std::vector<std::optional<std::string>>& params = {}) {
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  // Without parameters: the simple protocol, which also runs several statements (the migrations).
  PGresult* r = values.empty() ? PQexec(c, sql.c_str())
                               : PQexecParams(c, sql.c_str(), static_cast<int>(values.size()), nullptr,
                                              values.data(), nullptr, nullptr, 0);
  const auto status = PQresultStatus(r);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    PQclear(r);
    fail(c, "query");
  }
  return result(r);
}

PGconn* connect(const std::string& conninfo) {
  PGconn* c = PQconnectdb(conninfo.c_str());
  if (!c || PQstatus(c) != CONNECTION_OK) {
    const std::string why = c ? PQerrorMessage(c) : "out of memory";
    PQfinish(c);
    throw chatkit::error(chatkit::errc::unavailable, "postgres tasks: cannot connect: " + why);
  }
  return c;
}

const std::string columns = "id, title, description, status, priority, due_date, created_at, updated_at";

std::optional<std::string> text_of(std::string_view s) {
  return std::string(s);
}

// The NOTIFY payload (PostgreSQL allows 8000 bytes: a long description is left out, the listener re-reads).
std::string payload(const std::string& origin, const std::string& owner, task_change c, const task& t) {
  json::object o{
      {"origin", origin}, {"owner", owner}, {"change", event_type(c)}, {"id", t.id}, {"task", to_json(t)}};
  auto s = json::serialize(o);
  if (s.size() < 7900) return s;
  o.erase("task");
  return json::serialize(o);
}

void notify(PGconn* c, const std::string& origin, const std::string& owner, task_change change,
            const task& t) {
  run(c, "SELECT pg_notify($1, $2)", {text_of(channel), payload(origin, owner, change, t)});
}

// Runs `f` in a transaction on `c`.
template <class F>
auto in_transaction(PGconn* c, F f) {
  run(c, "BEGIN");
  try {
    auto out = f();
    run(c, "COMMIT");
    return out;
  } catch (...) {
    PQclear(PQexec(c, "ROLLBACK"));
    throw;
  }
}

}  // namespace

postgres_task_store::postgres_task_store(std::string conninfo) : conninfo_(std::move(conninfo)) {
  std::random_device rd;
  for (int i = 0; i < 16; ++i) origin_ += "0123456789abcdef"[rd() % 16];
  conn_ = connect(conninfo_);
  try {
    PQclear(PQexec(conn_, "SET client_min_messages TO warning"));
    in_transaction(conn_, [&] {
      run(conn_, "SELECT pg_advisory_xact_lock(hashtext('task_bot_schema'))");
      run(conn_, "CREATE SCHEMA IF NOT EXISTS task_bot");
      run(conn_, "CREATE TABLE IF NOT EXISTS task_bot.schema_version (version integer NOT NULL)");
      auto r = run(conn_, "SELECT coalesce(max(version), 0) FROM task_bot.schema_version");
      const int version = std::stoi(r.text(0, 0).value_or("0"));
      if (version > schema_version)
        throw chatkit::error(
            chatkit::errc::unavailable,
            "postgres tasks: schema version " + std::to_string(version) + " is newer than this build");
      for (int v = version; v < schema_version; ++v) run(conn_, migrations[v]);
      if (version < schema_version)
        run(conn_, "INSERT INTO task_bot.schema_version (version) VALUES ($1)",
            {std::to_string(schema_version)});
      return 0;
    });
  } catch (...) {
    PQfinish(conn_);
    throw;
  }
}

postgres_task_store::~postgres_task_store() {
  if (listener_.joinable()) {
    const char x = 0;
    (void)!::write(wake_[1], &x, 1);
    listener_.join();
  }
  for (int fd : wake_)
    if (fd >= 0) ::close(fd);
  PQfinish(listen_conn_);
  PQfinish(conn_);
}

task postgres_task_store::create(const std::string& owner, const new_task& n) {
  const task t = make_task(n);
  std::lock_guard lock(mutex_);
  return in_transaction(conn_, [&] {
    run(conn_,
        "INSERT INTO task_bot.tasks (id, owner, title, description, status, priority, due_date, created_at, "
        "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        {t.id, owner, t.title, t.description, text_of(to_string(t.status)), text_of(to_string(t.priority)),
         t.due_date, t.created_at, t.updated_at});
    notify(conn_, origin_, owner, task_change::created, t);
    return t;
  });
}

std::vector<task> postgres_task_store::list(const std::string& owner, const task_filter& f) {
  std::lock_guard lock(mutex_);
  auto r = run(conn_,
               "SELECT " + columns +
                   " FROM task_bot.tasks WHERE owner = $1 AND ($2::text IS NULL OR status = $2) AND "
                   "($3::text IS NULL OR priority = $3) ORDER BY seq DESC",
               {owner, f.status ? text_of(to_string(*f.status)) : std::nullopt,
                f.priority ? text_of(to_string(*f.priority)) : std::nullopt});
  std::vector<task> out;
  for (int i = 0; i < r.rows(); ++i) {
    task t = r.row(i);
    if (matches(t, f)) out.push_back(std::move(t));
  }
  return out;
}

std::optional<task> postgres_task_store::get(const std::string& owner, const std::string& id) {
  std::lock_guard lock(mutex_);
  auto r = run(conn_, "SELECT " + columns + " FROM task_bot.tasks WHERE owner = $1 AND id = $2", {owner, id});
  if (r.rows() == 0) return std::nullopt;
  return r.row(0);
}

std::optional<task> postgres_task_store::update(const std::string& owner, const std::string& id,
                                                const task_patch& p) {
  std::lock_guard lock(mutex_);
  return in_transaction(conn_, [&]() -> std::optional<task> {
    auto r = run(conn_, "SELECT " + columns + " FROM task_bot.tasks WHERE owner = $1 AND id = $2 FOR UPDATE",
                 {owner, id});
    if (r.rows() == 0) return std::nullopt;
    task t = r.row(0);
    apply(t, p);
    t.updated_at = now_iso8601();
    run(conn_,
        "UPDATE task_bot.tasks SET title = $3, description = $4, status = $5, priority = $6, due_date = $7, "
        "updated_at = $8 WHERE owner = $1 AND id = $2",
        {owner, id, t.title, t.description, text_of(to_string(t.status)), text_of(to_string(t.priority)),
         t.due_date, t.updated_at});
    notify(conn_, origin_, owner, task_change::updated, t);
    return t;
  });
}

std::optional<task> postgres_task_store::remove(const std::string& owner, const std::string& id) {
  std::lock_guard lock(mutex_);
  return in_transaction(conn_, [&]() -> std::optional<task> {
    auto r = run(conn_, "DELETE FROM task_bot.tasks WHERE owner = $1 AND id = $2 RETURNING " + columns,
                 {owner, id});
    if (r.rows() == 0) return std::nullopt;
    task t = r.row(0);
    notify(conn_, origin_, owner, task_change::deleted, t);
    return t;
  });
}

void postgres_task_store::watch_other_processes(change_listener on_change) {
  if (listener_.joinable()) return;
  on_change_ = std::move(on_change);
  listen_conn_ = connect(conninfo_);
  PQclear(PQexec(listen_conn_, (std::string("LISTEN ") + channel).c_str()));
  if (::pipe(wake_) != 0) fail(nullptr, "pipe");
  listener_ = std::thread([this] { listen_loop(); });
}

void postgres_task_store::listen_loop() {
  for (;;) {
    pollfd fds[2] = {{PQsocket(listen_conn_), POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (::poll(fds, 2, 5000) < 0) continue;
    if (fds[1].revents) return;
    if (PQconsumeInput(listen_conn_) == 0) {
      // Lost the connection: reconnect and listen again (changes meanwhile are missed; pages re-fetch).
      PQreset(listen_conn_);
      PQclear(PQexec(listen_conn_, (std::string("LISTEN ") + channel).c_str()));
      continue;
    }
    while (PGnotify* n = PQnotifies(listen_conn_)) {
      boost::system::error_code ec;
      auto v = json::parse(n->extra, ec);
      PQfreemem(n);
      if (ec || !v.is_object()) continue;
      const auto& o = v.get_object();
      const auto* origin = o.if_contains("origin");
      const auto* owner = o.if_contains("owner");
      const auto* change = o.if_contains("change");
      const auto* id = o.if_contains("id");
      if (!origin || !owner || !change || !id || !origin->is_string() || !owner->is_string() ||
          !change->is_string() || !id->is_string() || origin->get_string() == origin_)
        continue;
      const std::string who(owner->get_string());
      const task_change c = change->get_string() == "task.created"   ? task_change::created
                            : change->get_string() == "task.deleted" ? task_change::deleted
                                                                     : task_change::updated;
      std::optional<task> t;
      if (const auto* body = o.if_contains("task"); body && body->is_object())
        t = task_from_json(body->get_object());
      else if (c != task_change::deleted) {
        try {
          t = get(who, std::string(id->get_string()));
        } catch (const std::exception&) {
        }
      } else {
        t = task{};
        t->id = std::string(id->get_string());
      }
      if (t) on_change_(who, c, *t);
    }
  }
}

}  // namespace task_bot
