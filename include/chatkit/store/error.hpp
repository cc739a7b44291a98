// Errors of the stores: one error_code category ("chatkit.store") whose values say which store rule failed,
// and one exception type, store_error, that every store (ours and a host's) throws.
//
// A store_error *is* a chatkit::error: its code() is the chatkit::errc the server answers with (not_found,
// conflict, ...), so hosts and the server handle it like any other failure; reason() tells the store rule
// apart (a missing thread from a missing page cursor, say). The throw_* helpers word the messages the same
// way in every store: a not-found message names only the id the caller supplied, so a record of another user
// and a missing one produce the very same error and nothing leaks about what exists
// (docs/stores.md#isolation).
#pragma once

#include <chatkit/error.hpp>
#include <chatkit/request_context.hpp>

#include <boost/system/error_code.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace chatkit::store {

enum class errc {
  ok = 0,
  no_user = 1,           // the request context has no user id (chatkit::errc::unauthorized)
  thread_not_found,      // missing, or another user's (not_found)
  item_not_found,        // (not_found)
  attachment_not_found,  // (not_found)
  cursor_not_found,      // a page's `after` names no element of the listing (not_found)
  missing_reference,     // a write referenced a record deleted meanwhile (not_found)
  item_exists,           // add_thread_item with an id already in the thread (conflict)
  constraint_violation,  // the database refused a write that contradicts stored data (conflict)
  invalid_page_limit,    // a page limit of 0 (invalid_request)
  missing_id,            // an empty thread, item or attachment id (invalid_request)
  invalid_record,    // a record the store cannot keep intact: invalid UTF-8, too deep, NUL (invalid_request)
  record_too_large,  // over the store's record size limit (payload_too_large)
  not_supported,     // an optional operation this store does not offer (not_implemented)
  unavailable,     // the database is unreachable, locked past its timeout, or of a newer schema (unavailable)
  corrupt_record,  // a stored record that does not read back (internal)
  database_error,  // any other database failure (internal)
  id_taken,        // insert_thread with an id already used by some thread (conflict; the server retries)
};

const boost::system::error_category& store_category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), store_category()};
}

// The chatkit::errc (hence the HTTP status and wire error type) a store error is reported as.
chatkit::errc to_chatkit_errc(errc e) noexcept;

class store_error : public chatkit::error {
 public:
  store_error(errc reason, std::string message)
      : chatkit::error(to_chatkit_errc(reason), std::move(message)), reason_(reason) {}
  errc reason() const noexcept { return reason_; }
  boost::system::error_code reason_code() const noexcept { return make_error_code(reason_); }

 private:
  errc reason_;
};

[[noreturn]] void throw_thread_not_found(std::string_view thread_id);
[[noreturn]] void throw_item_not_found(std::string_view thread_id, std::string_view item_id);
[[noreturn]] void throw_attachment_not_found(std::string_view attachment_id);
// An `after` cursor naming no element of the listing (docs/stores.md#paging).
[[noreturn]] void throw_cursor_not_found(std::string_view after);
// add_thread_item with an id already present in the thread.
[[noreturn]] void throw_item_exists(std::string_view thread_id, std::string_view item_id);

// insert_thread with an id some thread (of any user) already has.
[[noreturn]] void throw_id_taken(std::string_view thread_id);

// errc::no_user when ctx has no user (every store operation calls this first).
void require_user(const request_context& ctx);
// errc::invalid_page_limit unless 0 < limit.
void require_page_limit(std::size_t limit);
// errc::missing_id for an empty id (`what` names it: "thread", "item", "attachment").
void require_id(std::string_view id, std::string_view what);

}  // namespace chatkit::store

template <>
struct boost::system::is_error_code_enum<chatkit::store::errc> : std::true_type {};
