#include <chatkit/store/store_errors.hpp>

#include <chatkit/error.hpp>

#include <string>

namespace chatkit::store {

namespace {
std::string concat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto p : parts) out.append(p);
  return out;
}
}  // namespace

void throw_thread_not_found(std::string_view thread_id) {
  throw chatkit::error(errc::not_found, concat({"thread not found: ", thread_id}));
}

void throw_item_not_found(std::string_view thread_id, std::string_view item_id) {
  throw chatkit::error(errc::not_found, concat({"item not found: ", item_id, " in thread ", thread_id}));
}

void throw_attachment_not_found(std::string_view attachment_id) {
  throw chatkit::error(errc::not_found, concat({"attachment not found: ", attachment_id}));
}

void throw_cursor_not_found(std::string_view after) {
  throw chatkit::error(errc::not_found, concat({"page cursor not found: ", after}));
}

void throw_item_exists(std::string_view thread_id, std::string_view item_id) {
  throw chatkit::error(errc::conflict, concat({"item already exists: ", item_id, " in thread ", thread_id}));
}

void require_page_limit(std::size_t limit) {
  if (limit == 0) throw chatkit::error(errc::invalid_request, "page limit must be greater than 0");
}

void require_id(std::string_view id, std::string_view what) {
  if (id.empty()) throw chatkit::error(errc::invalid_request, concat({what, " id must not be empty"}));
}

}  // namespace chatkit::store
