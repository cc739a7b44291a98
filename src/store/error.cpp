#include <chatkit/store/error.hpp>

#include <initializer_list>
#include <string>

namespace chatkit::store {
namespace {

class category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "chatkit.store"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::ok:
        return "ok";
      case errc::no_user:
        return "the request context has no user";
      case errc::thread_not_found:
        return "thread not found";
      case errc::item_not_found:
        return "item not found";
      case errc::attachment_not_found:
        return "attachment not found";
      case errc::cursor_not_found:
        return "page cursor not found";
      case errc::missing_reference:
        return "a referenced record no longer exists";
      case errc::item_exists:
        return "item already exists";
      case errc::constraint_violation:
        return "the write contradicts stored data";
      case errc::invalid_page_limit:
        return "page limit must be greater than 0";
      case errc::missing_id:
        return "id must not be empty";
      case errc::invalid_record:
        return "the record cannot be stored intact";
      case errc::record_too_large:
        return "the record is over the store's size limit";
      case errc::not_supported:
        return "not supported by this store";
      case errc::unavailable:
        return "the database is unavailable";
      case errc::corrupt_record:
        return "a stored record is unreadable";
      case errc::database_error:
        return "database error";
      case errc::id_taken:
        return "the id is already taken";
    }
    return "unknown store error";
  }
  // A store error compares equal to the chatkit::errc it is reported as.
  boost::system::error_condition default_error_condition(int ev) const noexcept override {
    return {static_cast<int>(to_chatkit_errc(static_cast<errc>(ev))), chatkit::error_category()};
  }
};

std::string concat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto p : parts) out.append(p);
  return out;
}

}  // namespace

const boost::system::error_category& store_category() noexcept {
  static const category instance;
  return instance;
}

chatkit::errc to_chatkit_errc(errc e) noexcept {
  switch (e) {
    case errc::ok:
      return chatkit::errc::ok;
    case errc::no_user:
      return chatkit::errc::unauthorized;
    case errc::thread_not_found:
    case errc::item_not_found:
    case errc::attachment_not_found:
    case errc::cursor_not_found:
    case errc::missing_reference:
      return chatkit::errc::not_found;
    case errc::item_exists:
    case errc::constraint_violation:
    case errc::id_taken:
      return chatkit::errc::conflict;
    case errc::invalid_page_limit:
    case errc::missing_id:
    case errc::invalid_record:
      return chatkit::errc::invalid_request;
    case errc::record_too_large:
      return chatkit::errc::payload_too_large;
    case errc::not_supported:
      return chatkit::errc::not_implemented;
    case errc::unavailable:
      return chatkit::errc::unavailable;
    case errc::corrupt_record:
    case errc::database_error:
      return chatkit::errc::internal;
  }
  return chatkit::errc::internal;
}

void throw_thread_not_found(std::string_view thread_id) {
  throw store_error(errc::thread_not_found, concat({"thread not found: ", thread_id}));
}

void throw_item_not_found(std::string_view thread_id, std::string_view item_id) {
  throw store_error(errc::item_not_found, concat({"item not found: ", item_id, " in thread ", thread_id}));
}

void throw_attachment_not_found(std::string_view attachment_id) {
  throw store_error(errc::attachment_not_found, concat({"attachment not found: ", attachment_id}));
}

void throw_cursor_not_found(std::string_view after) {
  throw store_error(errc::cursor_not_found, concat({"page cursor not found: ", after}));
}

void throw_item_exists(std::string_view thread_id, std::string_view item_id) {
  throw store_error(errc::item_exists, concat({"item already exists: ", item_id, " in thread ", thread_id}));
}

void throw_id_taken(std::string_view thread_id) {
  throw store_error(errc::id_taken, concat({"thread id already taken: ", thread_id}));
}

void require_user(const request_context& ctx) {
  if (ctx.user_id.empty()) throw store_error(errc::no_user, "request context has no user");
}

void require_page_limit(std::size_t limit) {
  if (limit == 0) throw store_error(errc::invalid_page_limit, "page limit must be greater than 0");
}

void require_id(std::string_view id, std::string_view what) {
  if (id.empty()) throw store_error(errc::missing_id, concat({what, " id must not be empty"}));
}

}  // namespace chatkit::store
