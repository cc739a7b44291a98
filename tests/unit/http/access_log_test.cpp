// access_log.hpp: the one-line JSON format (the server test checks which requests are logged).
#include <chatkit/http/access_log.hpp>

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
