// http/error.hpp: JSON error bodies and responses, and the JWT error category.
#include <chatkit/http/error.hpp>

#include <catch2/catch.hpp>

using namespace chatkit::http;

TEST_CASE("error responses map the code to the status and never leak internals", "[error]") {
  auto r = make_error_response(chatkit::errc::internal, "db password is hunter2");
  CHECK(r.result_int() == 500);
  CHECK(r.body() == R"({"error":{"type":"internal_error","message":"Internal server error"}})");
  CHECK(error_body(chatkit::errc::not_implemented, "no sync_action") ==
        R"({"error":{"type":"not_implemented","message":"no sync_action"}})");
  CHECK(make_error_response(chatkit::errc::too_many_requests, "x").result_int() == 429);
  CHECK(make_error_response(chatkit::errc::headers_too_large, "x").result_int() == 431);
  auto media = make_error_response(boost::beast::http::status::unsupported_media_type,
                                   "unsupported_media_type", "send application/json");
  CHECK(media.result_int() == 415);
  CHECK(media.body() == R"({"error":{"type":"unsupported_media_type","message":"send application/json"}})");
}

TEST_CASE("jwt errors have readable messages", "[error][jwt]") {
  CHECK(make_error_code(jwt_errc::expired).message() == "token expired");
  CHECK(boost::system::error_code(jwt_errc::bad_signature).category().name() == std::string("chatkit.jwt"));
}
