// Holds docs/protocol-reference.md and the code to each other: every row of its tables names a golden fixture
// that exists and parses into the type of that name and kind, and every alternative of the protocol's variants
// (requests, stream events, item updates, thread items) has a row. A type added without documentation, or a
// documented name the code does not know, fails here.
#include "support/fixtures.hpp"

#include <chatkit/protocol.hpp>

#include <catch2/catch.hpp>

#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <variant>

namespace cp = chatkit::protocol;
using namespace chatkit::testing;

namespace {

struct reference_row {
  std::string kind;  // request | event | update | item
  std::string name;  // the wire name
  std::string cpp_type;
  std::string streams;
};

std::vector<reference_row> read_reference_rows() {
  const std::string page = read_file(docs_dir() / "protocol-reference.md");
  std::istringstream lines(page);
  // | 12 | request | items.list | `items_list` | JSON | ... |
  const std::regex row(R"(^\|\s*\d+\s*\|\s*(request|event|update|item)\s*\|\s*([a-z_.]+)\s*\|\s*`([a-z_]+)`\s*\|\s*(SSE|JSON)?\s*\|)");
  std::vector<reference_row> rows;
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_search(line, m, row)) rows.push_back({m[1], m[2], m[3], m[4]});
  }
  return rows;
}

template <class Variant>
std::set<std::string> wire_names_of() {
  std::set<std::string> names;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (names.insert(std::string(std::variant_alternative_t<I, Variant>::type_name)), ...);
  }(std::make_index_sequence<std::variant_size_v<Variant>>{});
  return names;
}

std::string fixture_dir_for(const std::string& kind) {
  if (kind == "request") return "requests";
  if (kind == "event") return "events";
  if (kind == "update") return "updates";
  return "items";
}

}  // namespace

TEST_CASE("every row of the wire reference has a type and a fixture", "[protocol][reference]") {
  const auto rows = read_reference_rows();
  REQUIRE(rows.size() == 49);
  for (const auto& r : rows) {
    INFO(r.kind << " " << r.name);
    const auto file = fixtures_dir() / "protocol" / fixture_dir_for(r.kind) / (r.name + ".json");
    REQUIRE(std::filesystem::exists(file));
    if (r.kind == "request") {
      const auto request = cp::parse_request(read_file(file));
      CHECK(cp::request_type(request) == r.name);
      CHECK((cp::is_streaming(request) ? "SSE" : "JSON") == r.streams);
    } else if (r.kind == "event") {
      CHECK(cp::event_type(cp::from_json<cp::stream_event>(read_json_file(file))) == r.name);
    } else if (r.kind == "update") {
      const auto e = cp::from_json<cp::stream_event>(read_json_file(file));
      REQUIRE(std::holds_alternative<cp::item_updated_event>(e));
      const auto& update = std::get<cp::item_updated_event>(e).update;
      CHECK(std::visit([](const auto& u) { return std::string(std::remove_cvref_t<decltype(u)>::type_name); },
                       update) == r.name);
    } else {
      CHECK(cp::item_type(cp::from_json<cp::thread_item>(read_json_file(file))) == r.name);
    }
  }
}

TEST_CASE("every protocol type has a row in the wire reference", "[protocol][reference]") {
  std::map<std::string, std::set<std::string>> documented;
  for (const auto& r : read_reference_rows()) documented[r.kind].insert(r.name);
  CHECK(documented["request"] == wire_names_of<cp::request>());
  CHECK(documented["event"] == wire_names_of<cp::stream_event>());
  CHECK(documented["update"] == wire_names_of<cp::item_update>());
  CHECK(documented["item"] == wire_names_of<cp::thread_item>());
}
