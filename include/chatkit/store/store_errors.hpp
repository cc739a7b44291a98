// The errors every store throws, in one place so that all implementations (ours and a host's) word
// them the same way. The not-found messages name only the id the caller supplied: a record of another
// user and a missing one produce the very same error, so nothing leaks about what exists.
#pragma once

#include <cstddef>
#include <string_view>

namespace chatkit::store {

[[noreturn]] void throw_thread_not_found(std::string_view thread_id);
[[noreturn]] void throw_item_not_found(std::string_view thread_id, std::string_view item_id);
[[noreturn]] void throw_attachment_not_found(std::string_view attachment_id);
// An `after` cursor naming no element of the listing (spec §8: NotFound).
[[noreturn]] void throw_cursor_not_found(std::string_view after);
// add_thread_item with an id already present in the thread.
[[noreturn]] void throw_item_exists(std::string_view thread_id, std::string_view item_id);

// errc::invalid_request unless 0 < limit; errc::invalid_request for an empty id (`what` names it).
void require_page_limit(std::size_t limit);
void require_id(std::string_view id, std::string_view what);

}  // namespace chatkit::store
