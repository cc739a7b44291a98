// The store error idiom: store::errc values, their category, and store_error reported as the chatkit::errc
// the server answers with.
#include <chatkit/store/error.hpp>

#include <catch2/catch.hpp>

#include <string>

namespace cs = chatkit::store;

namespace {

template <class F>
cs::store_error caught(F&& f) {
  try {
    f();
  } catch (const cs::store_error& e) {
    return e;
  }
  FAIL("no store_error thrown");
  return cs::store_error(cs::errc::ok, "");
}

}  // namespace

TEST_CASE("store errc values map to the chatkit errc the server reports", "[error]") {
  CHECK(cs::to_chatkit_errc(cs::errc::no_user) == chatkit::errc::unauthorized);
  CHECK(cs::to_chatkit_errc(cs::errc::thread_not_found) == chatkit::errc::not_found);
  CHECK(cs::to_chatkit_errc(cs::errc::cursor_not_found) == chatkit::errc::not_found);
  CHECK(cs::to_chatkit_errc(cs::errc::missing_reference) == chatkit::errc::not_found);
  CHECK(cs::to_chatkit_errc(cs::errc::item_exists) == chatkit::errc::conflict);
  CHECK(cs::to_chatkit_errc(cs::errc::invalid_page_limit) == chatkit::errc::invalid_request);
  CHECK(cs::to_chatkit_errc(cs::errc::record_too_large) == chatkit::errc::payload_too_large);
  CHECK(cs::to_chatkit_errc(cs::errc::not_supported) == chatkit::errc::not_implemented);
  CHECK(cs::to_chatkit_errc(cs::errc::unavailable) == chatkit::errc::unavailable);
  CHECK(cs::to_chatkit_errc(cs::errc::corrupt_record) == chatkit::errc::internal);
}

TEST_CASE("a store error code has its own category, equivalent to the chatkit code", "[error]") {
  const boost::system::error_code ec = cs::errc::item_not_found;
  CHECK(ec.category() == cs::store_category());
  CHECK(std::string(ec.category().name()) == "chatkit.store");
  CHECK(ec.message() == "item not found");
  CHECK(
      ec.default_error_condition() ==
      boost::system::error_condition(static_cast<int>(chatkit::errc::not_found), chatkit::error_category()));
}

TEST_CASE("the helpers throw store_error: a chatkit::error with the store reason", "[error]") {
  auto e = caught([] { cs::throw_thread_not_found("thr_1"); });
  CHECK(e.reason() == cs::errc::thread_not_found);
  CHECK(e.code_value() == chatkit::errc::not_found);
  CHECK(e.message() == "thread not found: thr_1");

  e = caught([] { cs::throw_item_exists("thr_1", "msg_1"); });
  CHECK(e.reason() == cs::errc::item_exists);
  CHECK(e.code_value() == chatkit::errc::conflict);

  e = caught([] { cs::throw_cursor_not_found("msg_9"); });
  CHECK(e.reason_code() == cs::errc::cursor_not_found);

  e = caught([] { cs::require_user(chatkit::request_context{}); });
  CHECK(e.code_value() == chatkit::errc::unauthorized);
  e = caught([] { cs::require_page_limit(0); });
  CHECK(e.reason() == cs::errc::invalid_page_limit);
  e = caught([] { cs::require_id("", "item"); });
  CHECK(e.message() == "item id must not be empty");
  CHECK_NOTHROW(cs::require_page_limit(1));
  CHECK_NOTHROW(cs::require_id("x", "item"));
}
