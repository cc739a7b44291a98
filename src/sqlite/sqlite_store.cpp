#include <chatkit/store/sqlite_store.hpp>

#include "connection.hpp"
#include "schema.hpp"

#include <chatkit/store/detail/body_codec.hpp>
#include <chatkit/store/detail/offload.hpp>
#include <chatkit/store/store_errors.hpp>

#include <boost/asio/thread_pool.hpp>

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <limits>
#include <mutex>
#include <utility>

namespace chatkit::store {

using sqlite_detail::connection;
using sqlite_detail::statement;
using sqlite_detail::transaction;

namespace {

// Every statement of the store. Each one names the owner, so no query can cross users.
namespace sql {
constexpr std::string_view load_thread = "SELECT body FROM threads WHERE id = ?1 AND user_id = ?2";
constexpr std::string_view save_thread =
    "INSERT INTO threads (id, user_id, created_at, body) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (id) DO UPDATE SET created_at = excluded.created_at, body = excluded.body "
    "WHERE threads.user_id = excluded.user_id";
constexpr std::string_view thread_cursor = "SELECT created_at, seq FROM threads WHERE id = ?1 AND user_id = ?2";
constexpr std::string_view threads_asc =
    "SELECT id, body FROM threads WHERE user_id = ?1 ORDER BY created_at, seq LIMIT ?2";
constexpr std::string_view threads_desc =
    "SELECT id, body FROM threads WHERE user_id = ?1 ORDER BY created_at DESC, seq DESC LIMIT ?2";
constexpr std::string_view threads_asc_after =
    "SELECT id, body FROM threads WHERE user_id = ?1 AND (created_at, seq) > (?3, ?4) "
    "ORDER BY created_at, seq LIMIT ?2";
constexpr std::string_view threads_desc_after =
    "SELECT id, body FROM threads WHERE user_id = ?1 AND (created_at, seq) < (?3, ?4) "
    "ORDER BY created_at DESC, seq DESC LIMIT ?2";
constexpr std::string_view delete_thread = "DELETE FROM threads WHERE id = ?1 AND user_id = ?2";

constexpr std::string_view thread_seq = "SELECT seq FROM threads WHERE id = ?1 AND user_id = ?2";
constexpr std::string_view item_cursor =
    "SELECT created_at, seq FROM items WHERE thread_seq = ?1 AND id = ?2 AND user_id = ?3";
constexpr std::string_view items_asc =
    "SELECT id, body FROM items WHERE thread_seq = ?1 AND user_id = ?2 ORDER BY created_at, seq LIMIT ?3";
constexpr std::string_view items_desc =
    "SELECT id, body FROM items WHERE thread_seq = ?1 AND user_id = ?2 "
    "ORDER BY created_at DESC, seq DESC LIMIT ?3";
constexpr std::string_view items_asc_after =
    "SELECT id, body FROM items WHERE thread_seq = ?1 AND user_id = ?2 AND (created_at, seq) > (?4, ?5) "
    "ORDER BY created_at, seq LIMIT ?3";
constexpr std::string_view items_desc_after =
    "SELECT id, body FROM items WHERE thread_seq = ?1 AND user_id = ?2 AND (created_at, seq) < (?4, ?5) "
    "ORDER BY created_at DESC, seq DESC LIMIT ?3";
constexpr std::string_view add_item =
    "INSERT INTO items (thread_seq, id, user_id, created_at, body) VALUES (?1, ?2, ?3, ?4, ?5) "
    "ON CONFLICT (thread_seq, id) DO NOTHING";
// An existing item keeps its row, hence its position (created_at and seq); only the body is replaced.
constexpr std::string_view save_item =
    "INSERT INTO items (thread_seq, id, user_id, created_at, body) VALUES (?1, ?2, ?3, ?4, ?5) "
    "ON CONFLICT (thread_seq, id) DO UPDATE SET body = excluded.body";
constexpr std::string_view load_item =
    "SELECT body FROM items WHERE thread_seq = ?1 AND id = ?2 AND user_id = ?3";
constexpr std::string_view delete_item = "DELETE FROM items WHERE thread_seq = ?1 AND id = ?2 AND user_id = ?3";

constexpr std::string_view save_attachment =
    "INSERT INTO attachments (id, user_id, body) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (id) DO UPDATE SET body = excluded.body WHERE attachments.user_id = excluded.user_id";
constexpr std::string_view load_attachment = "SELECT body FROM attachments WHERE id = ?1 AND user_id = ?2";
constexpr std::string_view delete_attachment = "DELETE FROM attachments WHERE id = ?1 AND user_id = ?2";
}  // namespace sql

std::int64_t page_limit(std::size_t limit) {
  require_page_limit(limit);
  // One extra row tells whether more exist.
  constexpr auto most = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max() - 1);
  return static_cast<std::int64_t>(std::min(limit, most)) + 1;
}

// Reads (id, body) rows into a page of at most `limit` elements.
template <class T>
protocol::page<T> read_page(statement& s, std::size_t limit, std::string_view what) {
  protocol::page<T> page;
  std::string last_id;
  while (s.step()) {
    if (page.data.size() == limit) {
      page.has_more = true;
      page.after = std::move(last_id);
      break;
    }
    last_id = s.text(0);
    page.data.push_back(detail::decode_body<T>(s.text(1), what));
  }
  return page;
}

std::int64_t find_thread(connection& c, std::string_view thread_id, std::string_view user) {
  auto s = c.prepare(sql::thread_seq);
  s.bind(1, thread_id).bind(2, user);
  if (!s.step()) throw_thread_not_found(thread_id);
  return s.integer(0);
}

}  // namespace

struct sqlite_store::impl {
  sqlite_store_options options;
  std::vector<std::unique_ptr<connection>> connections;
  std::mutex mutex;
  std::condition_variable idle_changed;
  std::vector<connection*> idle;
  boost::asio::thread_pool pool;

  explicit impl(sqlite_store_options o)
      : options(std::move(o)), pool(options.threads == 0 ? 1 : options.threads) {
    if (options.path.empty()) throw chatkit::error(errc::invalid_request, "sqlite_store: no database path given");
    // An in-memory database is private to its connection, so it gets exactly one.
    const bool in_memory = options.path == ":memory:" || options.path.starts_with("file::memory:");
    const std::size_t count = in_memory ? 1 : std::max<std::size_t>(options.threads, 1);
    const sqlite_detail::connection_options copts{options.busy_timeout, options.synchronous_full};
    connections.push_back(std::make_unique<connection>(options.path, copts));
    sqlite_detail::migrate(*connections.front());
    for (std::size_t i = 1; i < count; ++i) connections.push_back(std::make_unique<connection>(options.path, copts));
    for (auto& c : connections) idle.push_back(c.get());
  }

  // Runs fn(connection&) on a worker thread with a connection of its own.
  // Callers bind the returned awaitable to a local and then co_await it: with GCC 12 a lambda temporary inside a
  // co_await full-expression can be destroyed twice.
  template <class R, class Fn>
  awaitable<R> run(Fn fn) {
    return detail::offload<R>(pool.get_executor(), [this, fn = std::move(fn)]() mutable -> R {
      connection* c = nullptr;
      {
        std::unique_lock lock(mutex);
        idle_changed.wait(lock, [&] { return !idle.empty(); });
        c = idle.back();
        idle.pop_back();
      }
      struct give_back {
        impl& self;
        connection* c;
        ~give_back() {
          {
            std::lock_guard lock(self.mutex);
            self.idle.push_back(c);
          }
          self.idle_changed.notify_one();
        }
      } guard{*this, c};
      return fn(*c);
    });
  }

  std::string encode(const auto& value, std::string_view what) const {
    return detail::encode_body(value, what, options.max_record_bytes);
  }
};

sqlite_store::sqlite_store(sqlite_store_options options) : impl_(std::make_unique<impl>(std::move(options))) {}

sqlite_store::~sqlite_store() {
  // Statements still queued or running finish before the connections close.
  impl_->pool.join();
}

const sqlite_store_options& sqlite_store::options() const noexcept { return impl_->options; }

// ---- threads ----

awaitable<protocol::thread_metadata> sqlite_store::load_thread(std::string thread_id, const request_context& ctx) {
  require_user(ctx);
  auto op = impl_->run<protocol::thread_metadata>(
      [id = std::move(thread_id), user = ctx.user_id](connection& c) {
        auto s = c.prepare(sql::load_thread);
        s.bind(1, id).bind(2, user);
        if (!s.step()) throw_thread_not_found(id);
        return detail::decode_body<protocol::thread_metadata>(s.text(0), "thread");
      });
  co_return co_await std::move(op);
}

awaitable<void> sqlite_store::save_thread(const protocol::thread_metadata& thread, const request_context& ctx) {
  require_user(ctx);
  require_id(thread.id, "thread");
  auto op = impl_->run<void>([id = thread.id, user = ctx.user_id, created = thread.created_at.micros,
                             body = impl_->encode(thread, "thread")](connection& c) {
    auto s = c.prepare(sql::save_thread);
    s.bind(1, id).bind(2, user).bind(3, created).bind(4, body).run();
    // No row written: the id belongs to another user, which must look like a missing thread.
    if (c.changes() == 0) throw_thread_not_found(id);
  });
  co_await std::move(op);
}

awaitable<protocol::thread_page> sqlite_store::load_threads(std::size_t limit, std::optional<std::string> after,
                                                            protocol::sort_order order,
                                                            const request_context& ctx) {
  require_user(ctx);
  const auto fetch = page_limit(limit);
  auto op = impl_->run<protocol::thread_page>(
      [limit, fetch, after = std::move(after), order, user = ctx.user_id](connection& c) {
        const bool asc = order == protocol::sort_order::asc;
        if (!after) {
          auto s = c.prepare(asc ? sql::threads_asc : sql::threads_desc);
          s.bind(1, user).bind(2, fetch);
          return read_page<protocol::thread_metadata>(s, limit, "thread");
        }
        std::int64_t created = 0, seq = 0;
        {
          auto cursor = c.prepare(sql::thread_cursor);
          cursor.bind(1, *after).bind(2, user);
          if (!cursor.step()) throw_cursor_not_found(*after);
          created = cursor.integer(0);
          seq = cursor.integer(1);
        }
        auto s = c.prepare(asc ? sql::threads_asc_after : sql::threads_desc_after);
        s.bind(1, user).bind(2, fetch).bind(3, created).bind(4, seq);
        return read_page<protocol::thread_metadata>(s, limit, "thread");
      });
  co_return co_await std::move(op);
}

awaitable<void> sqlite_store::delete_thread(std::string thread_id, const request_context& ctx) {
  require_user(ctx);
  auto op = impl_->run<void>([id = std::move(thread_id), user = ctx.user_id](connection& c) {
    // One statement: the thread row and (by ON DELETE CASCADE) its items go together or not at all.
    auto s = c.prepare(sql::delete_thread);
    s.bind(1, id).bind(2, user).run();
    if (c.changes() == 0) throw_thread_not_found(id);
  });
  co_await std::move(op);
}

// ---- items ----

awaitable<protocol::item_page> sqlite_store::load_thread_items(std::string thread_id, std::optional<std::string> after,
                                                               std::size_t limit, protocol::sort_order order,
                                                               const request_context& ctx) {
  require_user(ctx);
  const auto fetch = page_limit(limit);
  auto op = impl_->run<protocol::item_page>([id = std::move(thread_id), limit, fetch, after = std::move(after),
                                                      order, user = ctx.user_id](connection& c) {
    const bool asc = order == protocol::sort_order::asc;
    const auto thread = find_thread(c, id, user);
    if (!after) {
      auto s = c.prepare(asc ? sql::items_asc : sql::items_desc);
      s.bind(1, thread).bind(2, user).bind(3, fetch);
      return read_page<protocol::thread_item>(s, limit, "item");
    }
    std::int64_t created = 0, seq = 0;
    {
      auto cursor = c.prepare(sql::item_cursor);
      cursor.bind(1, thread).bind(2, *after).bind(3, user);
      if (!cursor.step()) throw_cursor_not_found(*after);
      created = cursor.integer(0);
      seq = cursor.integer(1);
    }
    auto s = c.prepare(asc ? sql::items_asc_after : sql::items_desc_after);
    s.bind(1, thread).bind(2, user).bind(3, fetch).bind(4, created).bind(5, seq);
    return read_page<protocol::thread_item>(s, limit, "item");
  });
  co_return co_await std::move(op);
}

awaitable<void> sqlite_store::add_thread_item(std::string thread_id, const protocol::thread_item& item,
                                              const request_context& ctx) {
  require_user(ctx);
  auto op = impl_->run<void>([thread_id = std::move(thread_id), user = ctx.user_id, id = protocol::item_id(item),
                             created = protocol::base(item).created_at.micros,
                             body = impl_->encode(item, "item")](connection& c) {
    transaction tx(c);
    const auto thread = find_thread(c, thread_id, user);
    require_id(id, "item");
    auto s = c.prepare(sql::add_item);
    s.bind(1, thread).bind(2, id).bind(3, user).bind(4, created).bind(5, body).run();
    if (c.changes() == 0) throw_item_exists(thread_id, id);
    tx.commit();
  });
  co_await std::move(op);
}

awaitable<void> sqlite_store::add_thread_items(std::string thread_id, std::vector<protocol::thread_item> items,
                                               const request_context& ctx) {
  require_user(ctx);
  struct row {
    std::string id;
    std::int64_t created;
    std::string body;
  };
  std::vector<row> rows;
  rows.reserve(items.size());
  for (const auto& item : items)
    rows.push_back({protocol::item_id(item), protocol::base(item).created_at.micros, impl_->encode(item, "item")});
  auto op = impl_->run<void>([thread_id = std::move(thread_id), user = ctx.user_id, rows = std::move(rows)](connection& c) {
    transaction tx(c);
    const auto thread = find_thread(c, thread_id, user);
    for (const auto& r : rows) {
      require_id(r.id, "item");
      auto s = c.prepare(sql::add_item);
      s.bind(1, thread).bind(2, r.id).bind(3, user).bind(4, r.created).bind(5, r.body).run();
      if (c.changes() == 0) throw_item_exists(thread_id, r.id);
    }
    tx.commit();
  });
  co_await std::move(op);
}

awaitable<void> sqlite_store::save_item(std::string thread_id, const protocol::thread_item& item,
                                        const request_context& ctx) {
  require_user(ctx);
  auto op = impl_->run<void>([thread_id = std::move(thread_id), user = ctx.user_id, id = protocol::item_id(item),
                             created = protocol::base(item).created_at.micros,
                             body = impl_->encode(item, "item")](connection& c) {
    transaction tx(c);
    const auto thread = find_thread(c, thread_id, user);
    require_id(id, "item");
    auto s = c.prepare(sql::save_item);
    s.bind(1, thread).bind(2, id).bind(3, user).bind(4, created).bind(5, body).run();
    tx.commit();
  });
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
  auto op = impl_->run<void>(
      [thread_id = std::move(thread_id), id = std::move(item_id), user = ctx.user_id](connection& c) {
        transaction tx(c);
        const auto thread = find_thread(c, thread_id, user);
        auto s = c.prepare(sql::delete_item);
        s.bind(1, thread).bind(2, id).bind(3, user).run();
        if (c.changes() == 0) throw_item_not_found(thread_id, id);
        tx.commit();
      });
  co_await std::move(op);
}

// ---- attachments ----

awaitable<void> sqlite_store::save_attachment(const protocol::attachment& attachment, const request_context& ctx) {
  require_user(ctx);
  require_id(attachment.id, "attachment");
  auto op = impl_->run<void>([id = attachment.id, user = ctx.user_id,
                             body = impl_->encode(attachment, "attachment")](connection& c) {
    auto s = c.prepare(sql::save_attachment);
    s.bind(1, id).bind(2, user).bind(3, body).run();
    if (c.changes() == 0) throw_attachment_not_found(id);
  });
  co_await std::move(op);
}

awaitable<protocol::attachment> sqlite_store::load_attachment(std::string attachment_id, const request_context& ctx) {
  require_user(ctx);
  auto op = impl_->run<protocol::attachment>([id = std::move(attachment_id), user = ctx.user_id](connection& c) {
    auto s = c.prepare(sql::load_attachment);
    s.bind(1, id).bind(2, user);
    if (!s.step()) throw_attachment_not_found(id);
    return detail::decode_body<protocol::attachment>(s.text(0), "attachment");
  });
  co_return co_await std::move(op);
}

awaitable<void> sqlite_store::delete_attachment(std::string attachment_id, const request_context& ctx) {
  require_user(ctx);
  auto op = impl_->run<void>([id = std::move(attachment_id), user = ctx.user_id](connection& c) {
    auto s = c.prepare(sql::delete_attachment);
    s.bind(1, id).bind(2, user).run();
    if (c.changes() == 0) throw_attachment_not_found(id);
  });
  co_await std::move(op);
}

}  // namespace chatkit::store
