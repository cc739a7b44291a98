// Reads the checklist table (§11) of the spec and fails if any request, event, update or item named there
// has no golden fixture, or the fixture does not parse into the type of that name.
#include "support/fixtures.hpp"

#include <chatkit/protocol.hpp>

#include <catch2/catch.hpp>

#include <regex>
#include <sstream>

namespace cp = chatkit::protocol;
using namespace chatkit::testing;

TEST_CASE("every checklist row of the spec has a type and a fixture", "[protocol][checklist]") {
  const std::string spec = read_file(spec_dir() / "chatkit-protocol.md");
  const auto at = spec.find("## 11. Checklist");
  REQUIRE(at != std::string::npos);
  std::istringstream table(spec.substr(at));
  const std::regex row(R"(^\|\s*(\d+)\s*\|\s*(request|event|update|item)\s*\|\s*([a-z_.]+)\s*\|)");
  int rows = 0;
  for (std::string line; std::getline(table, line);) {
    std::smatch m;
    if (!std::regex_search(line, m, row)) continue;
    ++rows;
    const std::string kind = m[2], name = m[3];
    INFO(kind << " " << name);
    const std::string dir = kind == "request"  ? "requests"
                            : kind == "event"  ? "events"
                            : kind == "update" ? "updates"
                                               : "items";
    const auto file = fixtures_dir() / "protocol" / dir / (name + ".json");
    REQUIRE(std::filesystem::exists(file));
    if (kind == "request") {
      CHECK(cp::request_type(cp::parse_request(read_file(file))) == name);
    } else if (kind == "event") {
      CHECK(cp::event_type(cp::from_json<cp::stream_event>(read_json_file(file))) == name);
    } else if (kind == "update") {
      const auto e = cp::from_json<cp::stream_event>(read_json_file(file));
      REQUIRE(std::holds_alternative<cp::item_updated_event>(e));
      const auto& update = std::get<cp::item_updated_event>(e).update;
      CHECK(std::visit([](const auto& u) { return std::string(std::remove_cvref_t<decltype(u)>::type_name); },
                       update) == name);
    } else {
      CHECK(cp::item_type(cp::from_json<cp::thread_item>(read_json_file(file))) == name);
    }
  }
  CHECK(rows == 49);
}
