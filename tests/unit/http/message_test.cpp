// message.hpp: response helpers and target paths.
#include <chatkit/http/message.hpp>

#include <catch2/catch.hpp>

using namespace chatkit::http;

TEST_CASE("target_path drops the query string and the fragment", "[message]") {
  CHECK(target_path("/chatkit?x=1#f") == "/chatkit");
  CHECK(target_path("/chatkit#f") == "/chatkit");
  CHECK(target_path("/") == "/");
}

TEST_CASE("make_json_response is a 200 with a JSON body and its length", "[message]") {
  auto r = make_json_response(R"({"ok":true})", 10, false);
  CHECK(r.result_int() == 200);
  CHECK(r.version() == 10);
  CHECK(r[boost::beast::http::field::content_type] == "application/json");
  CHECK(r[boost::beast::http::field::content_length] == "11");
  CHECK_FALSE(r.keep_alive());
}
