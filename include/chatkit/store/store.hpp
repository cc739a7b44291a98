// The persistence interfaces of a ChatKit server (docs/stores.md). A host plugs in its own implementation or
// uses one of ours (memory_store, sqlite_store, postgres_store).
//
// The isolation contract, which every implementation must honour and the contract suite checks
// (docs/stores.md#isolation):
//  * every operation is scoped to ctx.user_id (an empty user_id is unauthorized);
//  * a thread, item or attachment of another user behaves exactly like a missing one (not_found, with a
//    message that does not reveal whether it exists);
//  * nothing is half-written: a failing operation leaves the store as it was.
// Failures are store_error (chatkit/store/error.hpp); unauthorized, not_found, ... below name the
// chatkit::errc each is reported as.
#pragma once

#include <chatkit/error.hpp>
#include <chatkit/protocol/attachment.hpp>
#include <chatkit/protocol/items.hpp>
#include <chatkit/protocol/requests.hpp>
#include <chatkit/protocol/thread.hpp>
#include <chatkit/request_context.hpp>
#include <chatkit/store/error.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace chatkit::store {

template <class T>
using awaitable = boost::asio::awaitable<T>;

// Where a page ends: whether more follow and the cursor for the next one (the id of the page's last element).
struct page_end {
  bool has_more = false;
  std::optional<std::string> after;
};

// Receives the threads of a page one by one (visit_threads). The reference is valid only during the call.
using thread_visitor = std::function<void(const protocol::thread_metadata&)>;

// What an id is generated for; each kind has its wire prefix (docs/stores.md#ids).
enum class id_kind { thread, message, tool_call, task, workflow, attachment, sdk_hidden_context };

std::string_view id_prefix(id_kind kind) noexcept;  // "thr", "msg", "tc", "tsk", "wf", "atc", "shcx"
// Random bytes in a default id: 96 bits, so ids are unguessable and collisions practically never happen.
inline constexpr std::size_t default_id_random_bytes = 12;
// Hex digits of the time that leads a default id (milliseconds since 1970: 48 bits, enough until year 10889).
inline constexpr std::size_t default_id_time_digits = 12;
// `<prefix>_<12 hex digits: the time in ms><24 hex digits: 96 bits from OpenSSL's CSPRNG (RAND_bytes)>`, all
// lowercase. Ids of one kind made later sort after earlier ones (to the millisecond; docs/stores.md#ids).
std::string default_id(id_kind kind);

class store {
 public:
  virtual ~store() = default;

  // ---- ids (overridable) ----
  virtual std::string generate_thread_id(const request_context& ctx);
  virtual std::string generate_item_id(id_kind kind, const protocol::thread_metadata& thread,
                                       const request_context& ctx);

  // ---- threads ----
  // not_found when missing or not the caller's.
  virtual awaitable<protocol::thread_metadata> load_thread(std::string thread_id,
                                                           const request_context& ctx) = 0;
  // Upsert. A new id becomes the caller's thread; an id owned by another user is not_found.
  virtual awaitable<void> save_thread(const protocol::thread_metadata& thread,
                                      const request_context& ctx) = 0;
  // The caller's threads by created_at (ties: insertion order). `after` = a thread id from a previous page
  // (not_found if unknown); returns at most `limit` (> 0) threads.
  virtual awaitable<protocol::thread_page> load_threads(std::size_t limit, std::optional<std::string> after,
                                                        protocol::sort_order order,
                                                        const request_context& ctx) = 0;
  // The same page as load_threads (same order, limit, cursor and errors), handed to `visit` one thread at a
  // time instead of being copied into a thread_page: the server writes the threads.list answer this way, so a
  // store that can lend its own records saves a copy of every thread of every page. The default calls
  // load_threads, so a store that does not override it (or wraps another store) stays consistent. `visit`
  // runs before this completes, may be called while the store holds a lock, and must not call the store.
  virtual awaitable<page_end> visit_threads(std::size_t limit, std::optional<std::string> after,
                                            protocol::sort_order order, const request_context& ctx,
                                            const thread_visitor& visit);
  // Inserts a brand-new thread: errc::id_taken (conflict) when any thread, of any user, already has its id.
  // The server creates threads with it and, on id_taken, retries with a fresh id, so a rare id collision
  // never fails a request nor merges two threads. The default checks with load_thread, then save_thread
  // (another user's id makes it not_found); a store can override it with one atomic insert.
  virtual awaitable<void> insert_thread(const protocol::thread_metadata& thread, const request_context& ctx);
  // Deletes the thread and all its items. not_found when missing or not the caller's.
  virtual awaitable<void> delete_thread(std::string thread_id, const request_context& ctx) = 0;

  // ---- items ----
  // Items of one thread by created_at (ties: insertion order), hidden items included.
  virtual awaitable<protocol::item_page> load_thread_items(std::string thread_id,
                                                           std::optional<std::string> after,
                                                           std::size_t limit, protocol::sort_order order,
                                                           const request_context& ctx) = 0;
  // Inserts a new item (conflict if the id exists in the thread).
  virtual awaitable<void> add_thread_item(std::string thread_id, const protocol::thread_item& item,
                                          const request_context& ctx) = 0;
  // Upsert by item id: replaces in place (keeping its position), or inserts when new.
  virtual awaitable<void> save_item(std::string thread_id, const protocol::thread_item& item,
                                    const request_context& ctx) = 0;
  virtual awaitable<protocol::thread_item> load_item(std::string thread_id, std::string item_id,
                                                     const request_context& ctx) = 0;
  virtual awaitable<void> delete_thread_item(std::string thread_id, std::string item_id,
                                             const request_context& ctx) = 0;

  // ---- attachment metadata ----
  // Upsert (metadata and thread_id included). An id owned by another user is not_found.
  virtual awaitable<void> save_attachment(const protocol::attachment& attachment,
                                          const request_context& ctx) = 0;
  virtual awaitable<protocol::attachment> load_attachment(std::string attachment_id,
                                                          const request_context& ctx) = 0;
  virtual awaitable<void> delete_attachment(std::string attachment_id, const request_context& ctx) = 0;
};

// Owns attachment bytes (docs/stores.md): the two-phase upload's first step and the deletion of the bytes.
class attachment_store {
 public:
  virtual ~attachment_store() = default;
  virtual std::string generate_attachment_id(std::string_view mime_type, const request_context& ctx);
  // Default: not_implemented (only needed for two-phase upload).
  virtual awaitable<protocol::attachment> create_attachment(const protocol::attachments_create_params& params,
                                                            const request_context& ctx);
  // Deletes the bytes. not_found when unknown or not the caller's.
  virtual awaitable<void> delete_attachment(std::string attachment_id, const request_context& ctx) = 0;
};

}  // namespace chatkit::store
