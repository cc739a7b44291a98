#include <chatkit/sqlite/sqlite_store.hpp>

#include "sqlite/detail/checkpointer.hpp"
#include "sqlite/detail/connection.hpp"
#include "sqlite/detail/group_commit.hpp"
#include "sqlite/detail/schema.hpp"
#include "sqlite/detail/wal_sync.hpp"

#include "store/detail/body_codec.hpp"
#include "store/detail/connection_pool.hpp"
#include "store/detail/paging.hpp"

#include <chatkit/store/error.hpp>

#include <algorithm>
#include <cstdint>
#include <span>
#include <utility>

namespace chatkit::store {

using sqlite_detail::connection;
using sqlite_detail::statement;
constexpr auto one_statement = sqlite_detail::group_commit::writes::one_statement;
constexpr auto several_statements = sqlite_detail::group_commit::writes::several;

static_assert(sqlite_store::schema_version == sqlite_detail::current_schema_version);

namespace {

// Every statement of the store. Each one names the owner, so no query can cross users.
namespace sql {
constexpr std::string_view load_thread = "SELECT body FROM threads WHERE id = ?1 AND user_id = ?2";
constexpr std::string_view save_thread =
    "INSERT INTO threads (id, user_id, created_at, body) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (id) DO UPDATE SET created_at = excluded.created_at, body = excluded.body "
    "WHERE threads.user_id = excluded.user_id";
constexpr std::string_view thread_cursor =
    "SELECT created_at, seq FROM threads WHERE id = ?1 AND user_id = ?2";
constexpr std::string_view delete_thread = "DELETE FROM threads WHERE id = ?1 AND user_id = ?2";

constexpr std::string_view thread_seq = "SELECT seq FROM threads WHERE id = ?1 AND user_id = ?2";
constexpr std::string_view item_cursor =
    "SELECT created_at, seq FROM items WHERE thread_seq = ?1 AND id = ?2 AND user_id = ?3";
// One new item: the thread's owner check and the row in one statement (no row when the thread is missing or
// another user's, or when the id is taken).
constexpr std::string_view append_item =
    "INSERT INTO items (thread_seq, id, user_id, created_at, body) "
    "SELECT seq, ?2, ?3, ?4, ?5 FROM threads WHERE id = ?1 AND user_id = ?3 "
    "ON CONFLICT (thread_seq, id) DO NOTHING";
constexpr std::string_view add_item =
    "INSERT INTO items (thread_seq, id, user_id, created_at, body) VALUES (?1, ?2, ?3, ?4, ?5) "
    "ON CONFLICT (thread_seq, id) DO NOTHING";
// An existing item keeps its row, hence its position (created_at and seq); only the body is replaced.
constexpr std::string_view save_item =
    "INSERT INTO items (thread_seq, id, user_id, created_at, body) VALUES (?1, ?2, ?3, ?4, ?5) "
    "ON CONFLICT (thread_seq, id) DO UPDATE SET body = excluded.body";
constexpr std::string_view load_item =
    "SELECT body FROM items WHERE thread_seq = ?1 AND id = ?2 AND user_id = ?3";
constexpr std::string_view delete_item =
    "DELETE FROM items WHERE thread_seq = ?1 AND id = ?2 AND user_id = ?3";

constexpr std::string_view save_attachment =
    "INSERT INTO attachments (id, user_id, body) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (id) DO UPDATE SET body = excluded.body WHERE attachments.user_id = excluded.user_id";
constexpr std::string_view load_attachment = "SELECT body FROM attachments WHERE id = ?1 AND user_id = ?2";
constexpr std::string_view delete_attachment = "DELETE FROM attachments WHERE id = ?1 AND user_id = ?2";

const detail::page_queries threads_page("SELECT id, body FROM threads WHERE user_id = ?1", "?2", "?3", "?4");
const detail::page_queries items_page("SELECT id, body FROM items WHERE thread_seq = ?1 AND user_id = ?2",
                                      "?3", "?4", "?5");
}  // namespace sql

std::int64_t find_thread(connection& c, std::string_view thread_id, std::string_view user) {
  auto s = c.prepare(sql::thread_seq);
  s.bind(1, thread_id).bind(2, user);
  if (!s.step()) throw_thread_not_found(thread_id);
  return s.integer(0);
}

// Appends new items to a thread of `user`: all or none (conflict if an id is taken). Runs as one write of the
// group commit, whose savepoint undoes the rows already added when a later one fails (one row is one
// statement, which needs no savepoint: a taken id changes nothing).
void append_items(connection& c, const std::string& thread_id, const std::string& user,
                  std::span<const detail::item_record> rows) {
  if (rows.size() == 1 && !rows.front().id.empty()) {
    // The common case, one item: one statement; only when it added nothing is the reason looked up. The
    // values live as long as the statement (they are the write's own).
    const auto& r = rows.front();
    {
      auto s = c.prepare(sql::append_item);
      s.bind_ref(1, thread_id).bind_ref(2, r.id).bind_ref(3, user).bind(4, r.created_at).bind_ref(5, r.body);
      s.run();
    }
    if (c.changes() > 0) return;
    find_thread(c, thread_id, user);  // not_found: missing, or another user's
    throw_item_exists(thread_id, r.id);
  }
  const auto thread = find_thread(c, thread_id, user);
  for (const auto& r : rows) {
    require_id(r.id, "item");
    auto s = c.prepare(sql::add_item);
    s.bind(1, thread).bind(2, r.id).bind(3, user).bind(4, r.created_at).bind(5, r.body).run();
    if (c.changes() == 0) throw_item_exists(thread_id, r.id);
  }
}

}  // namespace

struct sqlite_store::impl {
  sqlite_store_options options;
  detail::connection_pool<connection> pool;  // readers
  // A file database: WAL checkpoints off the writer's thread, and the writer's own connection (in memory,
  // there is no log and the writer borrows the pool's only connection).
  std::unique_ptr<sqlite_detail::checkpointer> checkpoints;
  std::unique_ptr<connection> writer_connection;
  sqlite_detail::group_commit writer;  // last: its thread stops before the connections close

  explicit impl(sqlite_store_options o)
      : options(std::move(o)),
        pool(open_pool(options)),
        checkpoints(in_memory(options)
                        ? nullptr
                        : std::make_unique<sqlite_detail::checkpointer>(open_connection(options))),
        writer_connection(in_memory(options) ? nullptr : open_writer_connection(options)),
        writer((watch_writer(), lend_writer()), options.max_batch, syncs_log(options)) {}

  void watch_writer() {
    if (checkpoints) checkpoints->watch(*writer_connection);
  }

  static bool in_memory(const sqlite_store_options& o) {
    return o.path == ":memory:" || o.path.starts_with("file::memory:");
  }

  // The writer's page cache: a batch of hundreds of appends to different threads dirties a few hundred pages
  // of the items' indexes; with SQLite's default 2 MiB the writer spills them to the log before the COMMIT
  // and reads the indexes' pages again from the file (memory is taken as pages are used, up to this).
  static constexpr std::size_t writer_cache_kib = 64 * 1024;

  static std::unique_ptr<connection> open_connection(const sqlite_store_options& o) {
    return std::make_unique<connection>(
        o.path, sqlite_detail::connection_options{o.busy_timeout, o.synchronous_full});
  }

  // With synchronous=FULL on a file, the writer's COMMITs leave the sync of the log to the group commit's
  // syncer thread, which resumes a batch's callers once the log is synced past its COMMIT while the writer
  // runs the next batch (docs/stores.md#group-commit, wal_sync.hpp). With NORMAL nothing syncs at COMMIT.
  static bool syncs_log(const sqlite_store_options& o) { return o.synchronous_full && !in_memory(o); }

  static std::unique_ptr<connection> open_writer_connection(const sqlite_store_options& o) {
    return std::make_unique<connection>(
        o.path,
        sqlite_detail::connection_options{o.busy_timeout, o.synchronous_full, writer_cache_kib,
                                          syncs_log(o) ? sqlite_detail::wal_sync::vfs_name() : nullptr});
  }

  // The write connection for one batch: the writer's own, or (in memory) the pool's only one.
  sqlite_detail::group_commit::lender lend_writer() {
    if (writer_connection)
      return [c = writer_connection.get()](const std::function<void(connection&)>& fn) { fn(*c); };
    return [this](const std::function<void(connection&)>& fn) {
      detail::connection_pool<connection>::pooled c(pool);
      fn(*c);
    };
  }

  static std::size_t connection_count(const sqlite_store_options& o) {
    if (o.path.empty())
      throw chatkit::error(chatkit::errc::invalid_request, "sqlite_store: no database path given");
    // An in-memory database is private to its connection, so it gets exactly one.
    return in_memory(o) ? 1 : std::max<std::size_t>(o.threads, 1);
  }

  static detail::connection_pool<connection> open_pool(const sqlite_store_options& o) {
    return detail::connection_pool<connection>(
        connection_count(o), o.threads, [&] { return open_connection(o); },
        [](connection& first) { sqlite_detail::migrate(first); });
  }

  // Reads run on the pool; writes go through the group commit (docs/stores.md#group-commit).
  template <class R, class Fn>
  awaitable<R> run(Fn fn) {
    return pool.run<R>(std::move(fn));
  }
  // `w`: writes::one_statement when `fn` changes the database with one statement at most (see group_commit).
  template <class R, class Fn>
  awaitable<R> write(Fn fn, sqlite_detail::group_commit::writes w) {
    return writer.run<R>(std::move(fn), w);
  }

  std::string encode(const auto& value, std::string_view what) const {
    return detail::encode_body(value, what, options.max_record_bytes);
  }
  detail::item_record encode_item(const protocol::thread_item& item) const {
    return detail::encode_item(item, options.max_record_bytes);
  }
};

sqlite_store::sqlite_store(sqlite_store_options options)
    : impl_(std::make_unique<impl>(std::move(options))) {}

// Statements still queued or running finish before the connections close (group_commit's and
// connection_pool's destructors).
sqlite_store::~sqlite_store() = default;

const sqlite_store_options& sqlite_store::options() const noexcept {
  return impl_->options;
}

// ---- threads ----

awaitable<protocol::thread_metadata> sqlite_store::load_thread(std::string thread_id,
                                                               const request_context& ctx) {
  require_user(ctx);
  auto op =
      impl_->run<protocol::thread_metadata>([id = std::move(thread_id), user = ctx.user_id](connection& c) {
        auto s = c.prepare(sql::load_thread);
        s.bind(1, id).bind(2, user);
        if (!s.step()) throw_thread_not_found(id);
        return detail::decode_body<protocol::thread_metadata>(s.text(0), "thread");
      });
  co_return co_await std::move(op);
}

awaitable<void> sqlite_store::save_thread(const protocol::thread_metadata& thread,
                                          const request_context& ctx) {
  require_user(ctx);
  require_id(thread.id, "thread");
  auto op = impl_->write<void>(
      [id = thread.id, user = ctx.user_id, created = thread.created_at.micros,
       body = impl_->encode(thread, "thread")](connection& c) {
        auto s = c.prepare(sql::save_thread);
        s.bind(1, id).bind(2, user).bind(3, created).bind(4, body).run();
        // No row written: the id belongs to another user, which must look like a missing thread.
        if (c.changes() == 0) throw_thread_not_found(id);
      },
      one_statement);
  co_await std::move(op);
}

awaitable<protocol::thread_page> sqlite_store::load_threads(std::size_t limit,
                                                            std::optional<std::string> after,
                                                            protocol::sort_order order,
                                                            const request_context& ctx) {
  require_user(ctx);
  auto op = impl_->run<protocol::thread_page>(
      [request = detail::page_request(limit, std::move(after), order), user = ctx.user_id](connection& c) {
        return detail::load_page<protocol::thread_metadata>(
            request, "thread",
            [&](const std::string& after_id) {
              auto s = c.prepare(sql::thread_cursor);
              s.bind(1, after_id).bind(2, user);
              return s;
            },
            [&](const detail::page_key* from) {
              auto s = c.prepare(sql::threads_page.pick(request.ascending(), from));
              s.bind(1, user).bind(2, request.fetch());
              if (from) s.bind(3, from->created_at).bind(4, from->seq);
              return s;
            });
      });
  co_return co_await std::move(op);
}

awaitable<void> sqlite_store::delete_thread(std::string thread_id, const request_context& ctx) {
  require_user(ctx);
  auto op = impl_->write<void>(
      [id = std::move(thread_id), user = ctx.user_id](connection& c) {
        // One statement: the thread row and (by ON DELETE CASCADE) its items go together or not at all.
        auto s = c.prepare(sql::delete_thread);
        s.bind(1, id).bind(2, user).run();
        if (c.changes() == 0) throw_thread_not_found(id);
      },
      one_statement);
  co_await std::move(op);
}

// ---- items ----

awaitable<protocol::item_page> sqlite_store::load_thread_items(std::string thread_id,
                                                               std::optional<std::string> after,
                                                               std::size_t limit, protocol::sort_order order,
                                                               const request_context& ctx) {
  require_user(ctx);
  auto op = impl_->run<protocol::item_page>([id = std::move(thread_id),
                                             request = detail::page_request(limit, std::move(after), order),
                                             user = ctx.user_id](connection& c) {
    const auto thread = find_thread(c, id, user);
    return detail::load_page<protocol::thread_item>(
        request, "item",
        [&](const std::string& after_id) {
          auto s = c.prepare(sql::item_cursor);
          s.bind(1, thread).bind(2, after_id).bind(3, user);
          return s;
        },
        [&](const detail::page_key* from) {
          auto s = c.prepare(sql::items_page.pick(request.ascending(), from));
          s.bind(1, thread).bind(2, user).bind(3, request.fetch());
          if (from) s.bind(4, from->created_at).bind(5, from->seq);
          return s;
        });
  });
  co_return co_await std::move(op);
}

awaitable<void> sqlite_store::add_thread_item(std::string thread_id, const protocol::thread_item& item,
                                              const request_context& ctx) {
  require_user(ctx);
  auto op = impl_->write<void>(
      [thread_id = std::move(thread_id), user = ctx.user_id, row = impl_->encode_item(item)](connection& c) {
        append_items(c, thread_id, user, std::span(&row, 1));
      },
      one_statement);
  co_await std::move(op);
}

awaitable<void> sqlite_store::add_thread_items(std::string thread_id,
                                               std::vector<protocol::thread_item> items,
                                               const request_context& ctx) {
  require_user(ctx);
  std::vector<detail::item_record> rows;
  rows.reserve(items.size());
  for (const auto& item : items) rows.push_back(impl_->encode_item(item));
  const auto w = rows.size() <= 1 ? one_statement : several_statements;
  auto op = impl_->write<void>([thread_id = std::move(thread_id), user = ctx.user_id, rows = std::move(rows)](
                                   connection& c) { append_items(c, thread_id, user, rows); },
                               w);
  co_await std::move(op);
}

awaitable<void> sqlite_store::save_item(std::string thread_id, const protocol::thread_item& item,
                                        const request_context& ctx) {
  require_user(ctx);
  auto op = impl_->write<void>(
      [thread_id = std::move(thread_id), user = ctx.user_id, row = impl_->encode_item(item)](connection& c) {
        const auto thread = find_thread(c, thread_id, user);
        require_id(row.id, "item");
        auto s = c.prepare(sql::save_item);
        s.bind(1, thread).bind(2, row.id).bind(3, user).bind(4, row.created_at).bind(5, row.body).run();
      },
      one_statement);
  co_await std::move(op);
}

awaitable<protocol::thread_item> sqlite_store::load_item(std::string thread_id, std::string item_id,
                                                         const request_context& ctx) {
  require_user(ctx);
  auto op = impl_->run<protocol::thread_item>(
      [thread_id = std::move(thread_id), id = std::move(item_id), user = ctx.user_id](connection& c) {
        const auto thread = find_thread(c, thread_id, user);
        auto s = c.prepare(sql::load_item);
        s.bind(1, thread).bind(2, id).bind(3, user);
        if (!s.step()) throw_item_not_found(thread_id, id);
        return detail::decode_body<protocol::thread_item>(s.text(0), "item");
      });
  co_return co_await std::move(op);
}

awaitable<void> sqlite_store::delete_thread_item(std::string thread_id, std::string item_id,
                                                 const request_context& ctx) {
  require_user(ctx);
  auto op = impl_->write<void>(
      [thread_id = std::move(thread_id), id = std::move(item_id), user = ctx.user_id](connection& c) {
        const auto thread = find_thread(c, thread_id, user);
        auto s = c.prepare(sql::delete_item);
        s.bind(1, thread).bind(2, id).bind(3, user).run();
        if (c.changes() == 0) throw_item_not_found(thread_id, id);
      },
      one_statement);
  co_await std::move(op);
}

// ---- attachments ----

awaitable<void> sqlite_store::save_attachment(const protocol::attachment& attachment,
                                              const request_context& ctx) {
  require_user(ctx);
  require_id(attachment.id, "attachment");
  auto op = impl_->write<void>(
      [id = attachment.id, user = ctx.user_id,
       body = impl_->encode(attachment, "attachment")](connection& c) {
        auto s = c.prepare(sql::save_attachment);
        s.bind(1, id).bind(2, user).bind(3, body).run();
        if (c.changes() == 0) throw_attachment_not_found(id);
      },
      one_statement);
  co_await std::move(op);
}

awaitable<protocol::attachment> sqlite_store::load_attachment(std::string attachment_id,
                                                              const request_context& ctx) {
  require_user(ctx);
  auto op =
      impl_->run<protocol::attachment>([id = std::move(attachment_id), user = ctx.user_id](connection& c) {
        auto s = c.prepare(sql::load_attachment);
        s.bind(1, id).bind(2, user);
        if (!s.step()) throw_attachment_not_found(id);
        return detail::decode_body<protocol::attachment>(s.text(0), "attachment");
      });
  co_return co_await std::move(op);
}

awaitable<void> sqlite_store::delete_attachment(std::string attachment_id, const request_context& ctx) {
  require_user(ctx);
  auto op = impl_->write<void>(
      [id = std::move(attachment_id), user = ctx.user_id](connection& c) {
        auto s = c.prepare(sql::delete_attachment);
        s.bind(1, id).bind(2, user).run();
        if (c.changes() == 0) throw_attachment_not_found(id);
      },
      one_statement);
  co_await std::move(op);
}

}  // namespace chatkit::store
