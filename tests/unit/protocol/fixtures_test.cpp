// Golden fixtures (tests/fixtures/protocol, see its README): every server-side object must read and
// write back to exactly the fixture's JSON value; every request must parse, write, and parse again unchanged.
#include "support/fixtures.hpp"

#include <chatkit/protocol.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

namespace cp = chatkit::protocol;
using chatkit::testing::fixtures_dir;
using chatkit::testing::json_files;
using chatkit::testing::read_file;
using chatkit::testing::read_json_file;

namespace {

template <class T>
void check_exact_round_trip(const std::filesystem::path& file) {
  INFO(file.filename().string());
  const boost::json::value expected = read_json_file(file);
  const T parsed = cp::from_json<T>(expected);
  const std::string written = cp::to_json(parsed);
  const boost::json::value actual = boost::json::parse(written);
  INFO("written: " << written);
  CHECK(actual == expected);
  // A second pass is stable byte for byte.
  CHECK(cp::to_json(cp::from_json<T>(actual)) == written);
}

// Every member of `subset` is in `whole` with the same value (recursively for objects); a null member of
// `subset` may be absent from `whole` (nulls are omitted on output).
bool contains(const boost::json::value& whole, const boost::json::value& subset) {
  if (!subset.is_object()) return whole == subset;
  if (!whole.is_object()) return false;
  for (const auto& m : subset.get_object()) {
    const auto* w = whole.get_object().if_contains(m.key());
    if (!w && m.value().is_null()) continue;
    if (!w || !contains(*w, m.value())) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("every event fixture round-trips exactly", "[protocol][fixtures]") {
  const auto files = json_files(fixtures_dir() / "protocol" / "events");
  REQUIRE(files.size() >= 12);
  for (const auto& f : files) check_exact_round_trip<cp::stream_event>(f);
}

TEST_CASE("every item update fixture round-trips exactly", "[protocol][fixtures]") {
  const auto files = json_files(fixtures_dir() / "protocol" / "updates");
  REQUIRE(files.size() >= 10);
  for (const auto& f : files) check_exact_round_trip<cp::stream_event>(f);
}

TEST_CASE("every thread item fixture round-trips exactly", "[protocol][fixtures]") {
  const auto files = json_files(fixtures_dir() / "protocol" / "items");
  REQUIRE(files.size() >= 11);
  for (const auto& f : files) check_exact_round_trip<cp::thread_item>(f);
}

TEST_CASE("threads, pages and attachments round-trip exactly", "[protocol][fixtures]") {
  const auto dir = fixtures_dir() / "protocol" / "other";
  check_exact_round_trip<cp::thread>(dir / "thread.json");
  check_exact_round_trip<cp::thread>(dir / "thread-status-locked.json");
  check_exact_round_trip<cp::thread>(dir / "thread-status-closed.json");
  check_exact_round_trip<cp::thread>(dir / "thread-status-closed--no-reason.json");
  check_exact_round_trip<cp::thread_page>(dir / "page-threads.json");
  check_exact_round_trip<cp::thread_page>(dir / "page-threads--last.json");
  check_exact_round_trip<cp::thread_page>(dir / "page-threads--empty.json");
  check_exact_round_trip<cp::item_page>(dir / "page-items.json");
  check_exact_round_trip<cp::attachment>(dir / "attachment-file.json");
  check_exact_round_trip<cp::attachment>(dir / "attachment-image.json");
  check_exact_round_trip<cp::attachment>(dir / "attachment-file--no-upload.json");
  const auto updated = read_json_file(dir / "sync-custom-action--updated-item.json");
  const auto item = cp::from_json<cp::thread_item>(updated.at("updated_item"));
  CHECK(boost::json::parse(cp::to_json(item)) == updated.at("updated_item"));
}

TEST_CASE("every request fixture parses, and writes back what it read", "[protocol][fixtures]") {
  const auto files = json_files(fixtures_dir() / "protocol" / "requests");
  REQUIRE(files.size() >= 16);
  for (const auto& f : files) {
    INFO(f.filename().string());
    const std::string body = read_file(f);
    const cp::request parsed = cp::parse_request(body);
    const std::string expected_type = f.stem().string().substr(0, f.stem().string().find("--"));
    CHECK(cp::request_type(parsed) == expected_type);
    const std::string written = cp::to_json(parsed);
    INFO("written: " << written);
    // Everything the client sent is preserved (defaults may be added, e.g. "metadata":{}).
    CHECK(contains(boost::json::parse(written), boost::json::parse(body)));
    CHECK(cp::to_json(cp::parse_request(written)) == written);
  }
}
