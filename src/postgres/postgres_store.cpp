#include <chatkit/postgres/postgres_store.hpp>

#include "postgres/detail/connection.hpp"
#include "postgres/detail/group_commit.hpp"
#include "postgres/detail/notifications.hpp"
#include "postgres/detail/schema.hpp"

#include "store/detail/body_codec.hpp"
#include "store/detail/connection_pool.hpp"
#include "store/detail/paging.hpp"

#include <chatkit/store/error.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <utility>

namespace chatkit::store {

using pg_detail::connection;
using pg_detail::rows;
using pg_detail::transaction;

static_assert(postgres_store::schema_version == pg_detail::current_schema_version);

namespace {

// Every statement names the owner, so no query can cross users. Writes notify in the same statement:
// pg_notify runs once per written row and is delivered only when the transaction commits.
namespace sql {
constexpr std::string_view load_thread =
    "SELECT body FROM threads WHERE id = $1::text AND user_id = $2::text";
constexpr std::string_view save_thread =
    "WITH up AS (INSERT INTO threads (id, user_id, created_at, body) VALUES ($1::text, $2::text, $3::bigint, "
    "$4::text) "
    "ON CONFLICT (id) DO UPDATE SET created_at = EXCLUDED.created_at, body = EXCLUDED.body "
    "WHERE threads.user_id = EXCLUDED.user_id RETURNING 1) "
    "SELECT pg_notify($5::text, $6::text) FROM up";
constexpr std::string_view thread_cursor =
    "SELECT created_at, seq FROM threads WHERE id = $1::text AND user_id = $2::text";
// The thread's items go with it (a trigger of the schema: docs/stores.md#postgresql).
constexpr std::string_view delete_thread =
    "WITH d AS (DELETE FROM threads WHERE id = $1::text AND user_id = $2::text RETURNING 1) "
    "SELECT pg_notify($3::text, $4::text) FROM d";

constexpr std::string_view thread_seq = "SELECT seq FROM threads WHERE id = $1::text AND user_id = $2::text";
// Items have no foreign key (docs/stores.md#postgresql): a write by thread_seq holds the thread's row FOR KEY
// SHARE from this lookup until its transaction ends, so the thread cannot be deleted under it.
constexpr std::string_view thread_seq_for_write =
    "SELECT seq FROM threads WHERE id = $1::text AND user_id = $2::text FOR KEY SHARE";
constexpr std::string_view item_cursor =
    "SELECT created_at, seq FROM items WHERE thread_seq = $1::bigint AND id = $2::text AND user_id = "
    "$3::text";
// (add_thread_item and save_item: pg_detail::item_sql, sent by the writer of group_commit.hpp.)
constexpr std::string_view add_item_to =
    "WITH ins AS (INSERT INTO items (thread_seq, id, user_id, created_at, body) "
    "VALUES ($1::bigint, $2::text, $3::text, $4::bigint, $5::text) "
    "ON CONFLICT (thread_seq, id) DO NOTHING RETURNING 1) "
    "SELECT pg_notify($6::text, $7::text) FROM ins";
constexpr std::string_view load_item =
    "SELECT i.body FROM items i JOIN threads t ON t.seq = i.thread_seq "
    "WHERE t.id = $1::text AND t.user_id = $2::text AND i.id = $3::text AND i.user_id = $2::text";
constexpr std::string_view delete_item =
    "WITH d AS (DELETE FROM items i USING threads t WHERE t.seq = i.thread_seq AND t.id = $1::text "
    "AND t.user_id = $2::text AND i.id = $3::text AND i.user_id = $2::text RETURNING 1) "
    "SELECT pg_notify($4::text, $5::text) FROM d";

constexpr std::string_view save_attachment =
    "WITH up AS (INSERT INTO attachments (id, user_id, body) VALUES ($1::text, $2::text, $3::text) "
    "ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body WHERE attachments.user_id = EXCLUDED.user_id "
    "RETURNING 1) "
    "SELECT pg_notify($4::text, $5::text) FROM up";
constexpr std::string_view load_attachment =
    "SELECT body FROM attachments WHERE id = $1::text AND user_id = $2::text";
constexpr std::string_view delete_attachment =
    "WITH d AS (DELETE FROM attachments WHERE id = $1::text AND user_id = $2::text RETURNING 1) "
    "SELECT pg_notify($3::text, $4::text) FROM d";

const detail::page_queries threads_page("SELECT id, body FROM threads WHERE user_id = $1::text", "$2::bigint",
                                        "$3::bigint", "$4::bigint");
const detail::page_queries items_page(
    "SELECT id, body FROM items WHERE thread_seq = $1::bigint AND user_id = $2::text", "$3::bigint",
    "$4::bigint", "$5::bigint");
}  // namespace sql

// Text PostgreSQL cannot hold (NUL, invalid UTF-8) names no stored record: a lookup by it is a miss, not an
// error (and it is never sent to the server).
bool storable_text(std::string_view s) noexcept {
  return s.find('\0') == std::string_view::npos && detail::find_invalid_utf8(s) == std::string_view::npos;
}

void require_storable_user(const request_context& ctx) {
  require_user(ctx);
  if (!storable_text(ctx.user_id))
    throw chatkit::error(chatkit::errc::invalid_request,
                         "postgres: the user id contains NUL or invalid UTF-8");
}

std::string random_origin() {
  std::random_device rd;
  constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 4; ++i) {
    auto v = rd();
    for (int k = 0; k < 8; ++k, v >>= 4) out.push_back(hex[v & 0xF]);
  }
  return out;
}

// The thread's seq; `query` may lock its row (thread_seq_for_write).
std::int64_t find_thread(connection& c, const std::string& thread_id, const std::string& user,
                         std::string_view query = sql::thread_seq) {
  auto r = c.run(query, {thread_id, user});
  if (r.rows() == 0) throw_thread_not_found(thread_id);
  return r.integer(0, 0);
}

}  // namespace

struct postgres_store::impl {
  postgres_store_options options;
  std::string origin = random_origin();
  std::unique_ptr<pg_detail::listener> listener;
  detail::connection_pool<connection> pool;
  // add_thread_item and save_item: batched on their own connection (docs/stores.md#postgresql).
  std::unique_ptr<pg_detail::group_commit> writer;

  explicit impl(postgres_store_options o) : options(std::move(o)), pool(open_pool(options)) {
    writer = std::make_unique<pg_detail::group_commit>(options.conninfo, options.schema, options.max_batch);
    if (options.on_change)
      listener =
          std::make_unique<pg_detail::listener>(options.conninfo, options.channel, origin, options.on_change);
  }

  static detail::connection_pool<connection> open_pool(const postgres_store_options& o) {
    if (o.schema.empty())
      throw chatkit::error(chatkit::errc::invalid_request, "postgres_store: empty schema name");
    if (o.channel.empty())
      throw chatkit::error(chatkit::errc::invalid_request, "postgres_store: empty channel name");
    const std::size_t count = std::max<std::size_t>(o.connections, 1);
    return detail::connection_pool<connection>(
        count, count, [&] { return std::make_unique<connection>(o.conninfo, o.schema); },
        [&](connection& first) { pg_detail::migrate(first, o.schema); });
  }

  template <class R, class Fn>
  awaitable<R> run(Fn fn) {
    return pool.run<R>(std::move(fn));
  }

  std::string encode(const auto& value, std::string_view what) const {
    return detail::encode_body(value, what, options.max_record_bytes);
  }
  detail::item_record encode_item(const protocol::thread_item& item) const {
    return detail::encode_item(item, options.max_record_bytes);
  }

  pg_detail::item_write prepare_item_write(std::string thread_id, const protocol::thread_item& item,
                                           const request_context& ctx) const {
    auto row = encode_item(item);
    require_id(row.id, "item");
    auto note = payload(change_kind::item_saved, ctx.user_id, thread_id, row.id);
    return {std::move(thread_id), ctx.user_id,     std::move(row.id), row.created_at,
            std::move(row.body),  options.channel, std::move(note)};
  }

  std::string payload(change_kind kind, const std::string& user, const std::string& thread_id,
                      const std::string& id) const {
    return pg_detail::encode_change(store_change{kind, user, thread_id, id, false, false}, origin);
  }
};

postgres_store::postgres_store(postgres_store_options options)
    : impl_(std::make_unique<impl>(std::move(options))) {}

postgres_store::~postgres_store() {
  impl_->writer->join();
  impl_->pool.join();
  impl_->listener.reset();
}

const postgres_store_options& postgres_store::options() const noexcept {
  return impl_->options;
}

// ---- threads ----

awaitable<protocol::thread_metadata> postgres_store::load_thread(std::string thread_id,
                                                                 const request_context& ctx) {
  require_storable_user(ctx);
  if (!storable_text(thread_id)) throw_thread_not_found(thread_id);
  auto op =
      impl_->run<protocol::thread_metadata>([id = std::move(thread_id), user = ctx.user_id](connection& c) {
        auto r = c.run(sql::load_thread, {id, user});
        if (r.rows() == 0) throw_thread_not_found(id);
        return detail::decode_body<protocol::thread_metadata>(r.text(0, 0), "thread");
      });
  co_return co_await std::move(op);
}

awaitable<void> postgres_store::save_thread(const protocol::thread_metadata& thread,
                                            const request_context& ctx) {
  require_storable_user(ctx);
  require_id(thread.id, "thread");
  auto op = impl_->run<void>(
      [id = thread.id, user = ctx.user_id, created = thread.created_at.micros,
       body = impl_->encode(thread, "thread"), channel = impl_->options.channel,
       note = impl_->payload(change_kind::thread_saved, ctx.user_id, thread.id, thread.id)](connection& c) {
        auto r = c.run(sql::save_thread, {id, user, created, body, channel, note});
        // No row written: the id belongs to another user, which must look like a missing thread.
        if (r.rows() == 0) throw_thread_not_found(id);
      });
  co_await std::move(op);
}

awaitable<protocol::thread_page> postgres_store::load_threads(std::size_t limit,
                                                              std::optional<std::string> after,
                                                              protocol::sort_order order,
                                                              const request_context& ctx) {
  require_storable_user(ctx);
  auto op = impl_->run<protocol::thread_page>(
      [request = detail::page_request(limit, std::move(after), order), user = ctx.user_id](connection& c) {
        return detail::load_page<protocol::thread_metadata>(
            request, "thread",
            [&](const std::string& after_id) {
              if (!storable_text(after_id)) throw_cursor_not_found(after_id);
              return rows(c.run(sql::thread_cursor, {after_id, user}));
            },
            [&](const detail::page_key* from) {
              const auto query = sql::threads_page.pick(request.ascending(), from);
              if (!from) return rows(c.run(query, {user, request.fetch()}));
              return rows(c.run(query, {user, request.fetch(), from->created_at, from->seq}));
            });
      });
  co_return co_await std::move(op);
}

awaitable<void> postgres_store::delete_thread(std::string thread_id, const request_context& ctx) {
  require_storable_user(ctx);
  if (!storable_text(thread_id)) throw_thread_not_found(thread_id);
  auto note = impl_->payload(change_kind::thread_deleted, ctx.user_id, thread_id, thread_id);
  auto op = impl_->run<void>([id = std::move(thread_id), user = ctx.user_id, channel = impl_->options.channel,
                              note = std::move(note)](connection& c) {
    // One statement: the thread and (by the schema's trigger) its items go together or not at all. The
    // delete waits for the item writes holding the thread's row (FOR KEY SHARE); its trigger then sees their
    // items, and writes after it find no thread.
    auto r = c.run(sql::delete_thread, {id, user, channel, note});
    if (r.rows() == 0) throw_thread_not_found(id);
  });
  co_await std::move(op);
}

// ---- items ----

awaitable<protocol::item_page> postgres_store::load_thread_items(std::string thread_id,
                                                                 std::optional<std::string> after,
                                                                 std::size_t limit,
                                                                 protocol::sort_order order,
                                                                 const request_context& ctx) {
  require_storable_user(ctx);
  detail::page_request request(limit, std::move(after), order);
  if (!storable_text(thread_id)) throw_thread_not_found(thread_id);
  auto op = impl_->run<protocol::item_page>(
      [id = std::move(thread_id), request = std::move(request), user = ctx.user_id](connection& c) {
        const auto thread = find_thread(c, id, user);
        return detail::load_page<protocol::thread_item>(
            request, "item",
            [&](const std::string& after_id) {
              if (!storable_text(after_id)) throw_cursor_not_found(after_id);
              return rows(c.run(sql::item_cursor, {thread, after_id, user}));
            },
            [&](const detail::page_key* from) {
              const auto query = sql::items_page.pick(request.ascending(), from);
              if (!from) return rows(c.run(query, {thread, user, request.fetch()}));
              return rows(c.run(query, {thread, user, request.fetch(), from->created_at, from->seq}));
            });
      });
  co_return co_await std::move(op);
}

awaitable<void> postgres_store::add_thread_item(std::string thread_id, const protocol::thread_item& item,
                                                const request_context& ctx) {
  require_storable_user(ctx);
  if (!storable_text(thread_id)) throw_thread_not_found(thread_id);
  // Batched with the other item writes; the statement checks the owner and inserts in one step.
  auto op = impl_->writer->write(impl_->prepare_item_write(std::move(thread_id), item, ctx),
                                 pg_detail::group_commit::kind::add);
  co_await std::move(op);
}

awaitable<void> postgres_store::add_thread_items(std::string thread_id,
                                                 std::vector<protocol::thread_item> items,
                                                 const request_context& ctx) {
  require_storable_user(ctx);
  if (!storable_text(thread_id)) throw_thread_not_found(thread_id);
  std::vector<detail::item_record> records;
  std::vector<std::string> notes;
  records.reserve(items.size());
  notes.reserve(items.size());
  for (const auto& item : items) {
    records.push_back(impl_->encode_item(item));
    notes.push_back(impl_->payload(change_kind::item_saved, ctx.user_id, thread_id, records.back().id));
  }
  auto op =
      impl_->run<void>([thread_id = std::move(thread_id), user = ctx.user_id, records = std::move(records),
                        notes = std::move(notes), channel = impl_->options.channel](connection& c) {
        transaction tx(c);
        // The thread stays locked against a delete until the commit.
        const auto thread = find_thread(c, thread_id, user, sql::thread_seq_for_write);
        // A failure rolls the whole batch back.
        for (std::size_t i = 0; i < records.size(); ++i) {
          const auto& r = records[i];
          require_id(r.id, "item");
          auto res = c.run(sql::add_item_to, {thread, r.id, user, r.created_at, r.body, channel, notes[i]});
          if (res.rows() == 0) throw_item_exists(thread_id, r.id);
        }
        tx.commit();
      });
  co_await std::move(op);
}

awaitable<void> postgres_store::save_item(std::string thread_id, const protocol::thread_item& item,
                                          const request_context& ctx) {
  require_storable_user(ctx);
  if (!storable_text(thread_id)) throw_thread_not_found(thread_id);
  auto op = impl_->writer->write(impl_->prepare_item_write(std::move(thread_id), item, ctx),
                                 pg_detail::group_commit::kind::save);
  co_await std::move(op);
}

awaitable<protocol::thread_item> postgres_store::load_item(std::string thread_id, std::string item_id,
                                                           const request_context& ctx) {
  require_storable_user(ctx);
  if (!storable_text(thread_id)) throw_thread_not_found(thread_id);
  const bool storable = storable_text(item_id);
  auto op = impl_->run<protocol::thread_item>([thread_id = std::move(thread_id), id = std::move(item_id),
                                               user = ctx.user_id, storable](connection& c) {
    if (storable) {
      auto r = c.run(sql::load_item, {thread_id, user, id});
      if (r.rows() == 1) return detail::decode_body<protocol::thread_item>(r.text(0, 0), "item");
    }
    find_thread(c, thread_id, user);  // a missing thread is reported as such
    throw_item_not_found(thread_id, id);
  });
  co_return co_await std::move(op);
}

awaitable<void> postgres_store::delete_thread_item(std::string thread_id, std::string item_id,
                                                   const request_context& ctx) {
  require_storable_user(ctx);
  if (!storable_text(thread_id)) throw_thread_not_found(thread_id);
  const bool storable = storable_text(item_id);
  auto note =
      storable ? impl_->payload(change_kind::item_deleted, ctx.user_id, thread_id, item_id) : std::string();
  auto op =
      impl_->run<void>([thread_id = std::move(thread_id), id = std::move(item_id), user = ctx.user_id,
                        storable, channel = impl_->options.channel, note = std::move(note)](connection& c) {
        if (storable) {
          auto r = c.run(sql::delete_item, {thread_id, user, id, channel, note});
          if (r.rows() == 1) return;
        }
        find_thread(c, thread_id, user);
        throw_item_not_found(thread_id, id);
      });
  co_await std::move(op);
}

// ---- attachments ----

awaitable<void> postgres_store::save_attachment(const protocol::attachment& attachment,
                                                const request_context& ctx) {
  require_storable_user(ctx);
  require_id(attachment.id, "attachment");
  auto op = impl_->run<void>(
      [id = attachment.id, user = ctx.user_id, body = impl_->encode(attachment, "attachment"),
       channel = impl_->options.channel,
       note = impl_->payload(change_kind::attachment_saved, ctx.user_id, attachment.thread_id.value_or(""),
                             attachment.id)](connection& c) {
        auto r = c.run(sql::save_attachment, {id, user, body, channel, note});
        if (r.rows() == 0) throw_attachment_not_found(id);
      });
  co_await std::move(op);
}

awaitable<protocol::attachment> postgres_store::load_attachment(std::string attachment_id,
                                                                const request_context& ctx) {
  require_storable_user(ctx);
  if (!storable_text(attachment_id)) throw_attachment_not_found(attachment_id);
  auto op =
      impl_->run<protocol::attachment>([id = std::move(attachment_id), user = ctx.user_id](connection& c) {
        auto r = c.run(sql::load_attachment, {id, user});
        if (r.rows() == 0) throw_attachment_not_found(id);
        return detail::decode_body<protocol::attachment>(r.text(0, 0), "attachment");
      });
  co_return co_await std::move(op);
}

awaitable<void> postgres_store::delete_attachment(std::string attachment_id, const request_context& ctx) {
  require_storable_user(ctx);
  if (!storable_text(attachment_id)) throw_attachment_not_found(attachment_id);
  auto note = impl_->payload(change_kind::attachment_deleted, ctx.user_id, "", attachment_id);
  auto op = impl_->run<void>([id = std::move(attachment_id), user = ctx.user_id,
                              channel = impl_->options.channel, note = std::move(note)](connection& c) {
    auto r = c.run(sql::delete_attachment, {id, user, channel, note});
    if (r.rows() == 0) throw_attachment_not_found(id);
  });
  co_await std::move(op);
}

}  // namespace chatkit::store
