// The storage codec shared by the SQL stores (src/store/detail/body_codec.hpp), without a database.
#include "store/detail/body_codec.hpp"
#include <chatkit/error.hpp>
#include <chatkit/protocol/thread.hpp>

#include <catch2/catch.hpp>

using namespace chatkit;
using chatkit::store::detail::find_invalid_utf8;
using chatkit::store::detail::json_text_depth;

TEST_CASE("find_invalid_utf8 accepts well-formed UTF-8 and pinpoints the first bad byte", "[sqlite][codec]") {
  constexpr auto ok = std::string_view::npos;
  CHECK(find_invalid_utf8("") == ok);
  CHECK(find_invalid_utf8("plain ascii") == ok);
  CHECK(find_invalid_utf8("\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF") ==
        ok);                                          // é € 😀 U+10FFFF
  CHECK(find_invalid_utf8("ab\x80") == 2);            // lone continuation byte
  CHECK(find_invalid_utf8("\xC0\xAF") == 0);          // overlong '/'
  CHECK(find_invalid_utf8("\xE0\x80\xAF") == 0);      // overlong 3-byte
  CHECK(find_invalid_utf8("x\xED\xA0\x80") == 1);     // UTF-16 surrogate
  CHECK(find_invalid_utf8("\xF4\x90\x80\x80") == 0);  // above U+10FFFF
  CHECK(find_invalid_utf8("\xF5\x80\x80\x80") == 0);  // invalid lead byte
  CHECK(find_invalid_utf8("abc\xE2\x82") == 3);       // truncated sequence
  CHECK(find_invalid_utf8("\xC3(") == 0);             // bad continuation
}

TEST_CASE("json_text_depth counts nesting outside strings", "[sqlite][codec]") {
  CHECK(json_text_depth("1") == 0);
  CHECK(json_text_depth("{\"a\":[1,{\"b\":[]}]}") == 4);
  CHECK(json_text_depth("[\"[[[[\\\"]]\"]") ==
        1);  // brackets and escaped quotes inside a string do not count
}

TEST_CASE("encode_body refuses what could not be read back, decode_body reports corruption",
          "[sqlite][codec]") {
  protocol::thread_metadata t;
  t.id = "thr_1";
  t.metadata["k"] = "v";
  const auto text = store::detail::encode_body(t, "thread", 1024);
  CHECK(store::detail::decode_body<protocol::thread_metadata>(text, "thread") == t);

  try {
    store::detail::encode_body(t, "thread", 10);
    FAIL("oversize accepted");
  } catch (const chatkit::error& e) {
    CHECK(e.code_value() == chatkit::errc::payload_too_large);
  }
  boost::json::value deep = boost::json::array();
  for (int i = 0; i < 600; ++i) deep = boost::json::array({deep});
  t.metadata["deep"] = deep;
  try {
    store::detail::encode_body(t, "thread", 1 << 20);
    FAIL("excessive nesting accepted");
  } catch (const chatkit::error& e) {
    CHECK(e.code_value() == chatkit::errc::invalid_request);
    CHECK_THAT(e.message(), Catch::Contains("nested"));
  }
  try {
    store::detail::decode_body<protocol::thread_metadata>("{\"id\": 12", "thread");
    FAIL("corrupt body decoded");
  } catch (const chatkit::error& e) {
    CHECK(e.code_value() == chatkit::errc::internal);
    CHECK_THAT(e.message(), Catch::Contains("stored thread"));
  }
}
