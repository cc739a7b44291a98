#include <chatkit/protocol/timestamp.hpp>

#include <catch2/catch.hpp>

using chatkit::protocol::parse_timestamp;
using chatkit::protocol::timestamp;

TEST_CASE("timestamps are written as naive ISO-8601 with microseconds only when non-zero",
          "[protocol][timestamp]") {
  CHECK(to_string(timestamp::from_civil(2025, 1, 2, 3, 4, 5)) == "2025-01-02T03:04:05");
  CHECK(to_string(timestamp::from_civil(2025, 1, 2, 3, 4, 5, 120)) == "2025-01-02T03:04:05.000120");
  CHECK(to_string(timestamp::from_civil(2026, 11, 25, 11, 23, 43, 210451)) == "2026-11-25T11:23:43.210451");
  CHECK(to_string(timestamp::from_civil(1969, 12, 31, 23, 59, 59, 999999)) == "1969-12-31T23:59:59.999999");
  CHECK(to_string(timestamp::from_civil(2024, 2, 29)) == "2024-02-29T00:00:00");
}

TEST_CASE("timestamps parse any ISO-8601 date-time", "[protocol][timestamp]") {
  CHECK(parse_timestamp("2025-01-02T03:04:05") == timestamp::from_civil(2025, 1, 2, 3, 4, 5));
  CHECK(parse_timestamp("2025-01-02T03:04:05.000120") == timestamp::from_civil(2025, 1, 2, 3, 4, 5, 120));
  CHECK(parse_timestamp("2025-01-02T03:04:05.1") == timestamp::from_civil(2025, 1, 2, 3, 4, 5, 100000));
  CHECK(parse_timestamp("2025-01-02T03:04:05.123456789") ==
        timestamp::from_civil(2025, 1, 2, 3, 4, 5, 123456));
  CHECK(parse_timestamp("2025-01-02 03:04") == timestamp::from_civil(2025, 1, 2, 3, 4));
  CHECK(parse_timestamp("2025-01-02") == timestamp::from_civil(2025, 1, 2));
  CHECK(parse_timestamp("2025-01-02T03:04:05Z") == timestamp::from_civil(2025, 1, 2, 3, 4, 5));
  CHECK(parse_timestamp("2025-01-02T05:04:05+02:00") == timestamp::from_civil(2025, 1, 2, 3, 4, 5));
  CHECK(parse_timestamp("2025-01-02T01:04:05-0200") == timestamp::from_civil(2025, 1, 2, 3, 4, 5));
  CHECK_FALSE(parse_timestamp("2025-02-30T00:00:00"));
  CHECK_FALSE(parse_timestamp("2025-13-01"));
  CHECK_FALSE(parse_timestamp("2025-01-02T24:00:00"));
  CHECK_FALSE(parse_timestamp("yesterday"));
  CHECK_FALSE(parse_timestamp("2025-01-02T03:04:05."));
  CHECK_FALSE(parse_timestamp("2025-01-02T03:04:05+2"));
  CHECK_FALSE(parse_timestamp(""));
}

TEST_CASE("now() is close to the system clock's local time", "[protocol][timestamp]") {
  const auto a = timestamp::now();
  const auto b = timestamp::now();
  CHECK(a <= b);
  CHECK(a.micros > timestamp::from_civil(2020, 1, 1).micros);
}
