// access_log.hpp: the one-line JSON format (the server test checks which requests are logged).
#include <chatkit/http/access_log.hpp>

#include <boost/json/parse.hpp>

#include <catch2/catch.hpp>

using namespace chatkit::http;

TEST_CASE("format_access_log writes one compact JSON object", "[access_log]") {
  access_log_entry e;
  e.method = "POST";
  e.path = "/chatkit";
  e.status = 200;
  e.user = "u\"1";
  e.duration = std::chrono::microseconds(1234);
  e.events = 7;
  CHECK(format_access_log(e) ==
        R"({"method":"POST","path":"/chatkit","status":200,"user":"u\"1","duration_us":1234,"events":7})");
}

TEST_CASE("format_access_log marks cancelled streams", "[access_log]") {
  access_log_entry e;
  e.method = "POST";
  e.path = "/chatkit";
  e.status = 499;
  e.cancelled = true;
  CHECK(format_access_log(e).find(R"("cancelled":true)") != std::string::npos);
}

TEST_CASE("format_access_log escapes as Boost.JSON does and parses back", "[access_log]") {
  access_log_entry e;
  e.method = "POST";
  e.path = "/chat\\kit";
  e.status = 404;
  e.user = std::string_view("tab\there, nl\n, ctl\x01, quote\", h\xc3\xa9llo", 35);
  e.duration = std::chrono::microseconds(0);
  e.events = 0;
  e.cancelled = true;
  const std::string line = format_access_log(e);
  CHECK(line ==
        "{\"method\":\"POST\",\"path\":\"/chat\\\\kit\",\"status\":404,\"user\":\"tab\\there, nl\\n, "
        "ctl\\u0001, "
        "quote\\\", h\xc3\xa9llo\",\"duration_us\":0,\"events\":0,\"cancelled\":true}");
  const auto v = boost::json::parse(line).as_object();
  CHECK(v.at("user").as_string() == e.user);
  CHECK(v.at("path").as_string() == e.path);
  CHECK(v.at("status").as_int64() == 404);
}

TEST_CASE("format_access_log writes bytes that are not UTF-8 as U+FFFD, so the line stays JSON",
          "[access_log]") {
  access_log_entry e;
  e.method = std::string_view("P\xffST", 4);
  e.path = std::string_view("/a\xc3(b\x7f", 6);  // a truncated sequence and DEL
  e.status = 404;
  e.user = std::string_view("\xed\xa0\x80u", 4);  // an encoded surrogate
  const std::string line = format_access_log(e);
  const auto v = boost::json::parse(line).as_object();
  CHECK(v.at("method").as_string() == "P\xef\xbf\xbdST");
  CHECK(v.at("path").as_string() == "/a\xef\xbf\xbd(b\x7f");
  CHECK(line.find(R"("path":"/a\ufffd(b\u007f")") != std::string::npos);  // printable ASCII only
  CHECK(v.at("user").as_string() == "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdu");  // one U+FFFD per byte
}
