#include <chatkit/error.hpp>

#include <catch2/catch.hpp>

TEST_CASE("errc maps to HTTP statuses and wire type names", "[error]") {
  using chatkit::errc;
  CHECK(chatkit::http_status(make_error_code(errc::invalid_request)) == 400);
  CHECK(chatkit::http_status(make_error_code(errc::not_found)) == 404);
  CHECK(chatkit::http_status(make_error_code(errc::not_implemented)) == 501);
  CHECK(chatkit::http_status(make_error_code(errc::too_many_requests)) == 429);
  CHECK(chatkit::http_status(boost::system::error_code(5, boost::system::generic_category())) == 500);
  CHECK(chatkit::error_type_name(errc::internal) == "internal_error");
  chatkit::error e(errc::invalid_request, "params.limit: expected integer, got string", "params.limit");
  CHECK(e.code() == errc::invalid_request);
  CHECK(e.message() == "params.limit: expected integer, got string");
  CHECK(e.path() == "params.limit");
}
