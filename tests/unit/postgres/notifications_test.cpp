// The NOTIFY payload codec, without a server.
#include "postgres/detail/notifications.hpp"

#include <catch2/catch.hpp>

using namespace chatkit::store;

TEST_CASE("postgres change payloads round-trip and tell local from remote", "[postgres][notify]") {
  const store_change change{
      change_kind::item_deleted, "user \"q\" '1'", "thr_1", "msg_\xC3\xA9", false, false};
  const auto payload = pg_detail::encode_change(change, "origin-a");
  auto mine = pg_detail::decode_change(payload, "origin-a");
  REQUIRE(mine.has_value());
  CHECK(mine->kind == change_kind::item_deleted);
  CHECK(mine->user_id == change.user_id);
  CHECK(mine->thread_id == "thr_1");
  CHECK(mine->id == change.id);
  CHECK(mine->local);
  CHECK_FALSE(mine->truncated);
  auto theirs = pg_detail::decode_change(payload, "origin-b");
  REQUIRE(theirs.has_value());
  CHECK_FALSE(theirs->local);
}

TEST_CASE("postgres change payloads over the NOTIFY limit drop the ids", "[postgres][notify]") {
  const store_change change{change_kind::thread_saved, "u", std::string(9000, 't'), "x", false, false};
  const auto payload = pg_detail::encode_change(change, "o");
  CHECK(payload.size() <= pg_detail::max_payload_bytes);
  auto decoded = pg_detail::decode_change(payload, "o");
  REQUIRE(decoded.has_value());
  CHECK(decoded->truncated);
  CHECK(decoded->kind == change_kind::thread_saved);
  CHECK(decoded->thread_id.empty());
}

TEST_CASE("postgres change decoding ignores foreign payloads", "[postgres][notify]") {
  CHECK_FALSE(pg_detail::decode_change("", "o").has_value());
  CHECK_FALSE(pg_detail::decode_change("hello", "o").has_value());
  CHECK_FALSE(pg_detail::decode_change("{\"chatkit\":\"thread.exploded\"}", "o").has_value());
  CHECK_FALSE(pg_detail::decode_change("[1,2]", "o").has_value());
  CHECK(pg_detail::decode_change("{\"chatkit\":\"attachment.saved\"}", "o").has_value());
}
