// The contract suite itself: its size, its names, its embedded fixtures, and run_sync.
#include <chatkit/store/testing/store_contract.hpp>

#include "store_contract/check_context.hpp"
#include "support/fixtures.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace chatkit::store::testing;

TEST_CASE("the store contract suite has at least 40 distinct, named checks", "[store_contract_suite]") {
  auto names = store_contract_check_names();
  CHECK(names.size() >= 40);
  CHECK(std::set<std::string>(names.begin(), names.end()).size() == names.size());
  for (const auto& n : names) CHECK_FALSE(n.empty());
}

TEST_CASE("the suite embeds every item fixture of tests/fixtures/protocol/items", "[store_contract_suite]") {
  auto files = chatkit::testing::json_files(chatkit::testing::fixtures_dir() / "protocol" / "items");
  REQUIRE(files.size() == detail::item_fixture_count);
  for (std::size_t i = 0; i < files.size(); ++i) {
    CHECK(files[i].filename().string() == detail::item_fixtures[i].name);
    CHECK(chatkit::testing::read_json_file(files[i]) == boost::json::parse(detail::item_fixtures[i].json));
  }
}

namespace {
boost::asio::awaitable<int> answer() { co_return 42; }
boost::asio::awaitable<void> fail() {
  throw chatkit::error(chatkit::errc::conflict, "boom");
  co_return;
}
}  // namespace

TEST_CASE("run_sync returns results and rethrows errors", "[store_contract_suite]") {
  CHECK(run_sync(answer()) == 42);
  boost::asio::io_context ioc;
  CHECK(run_sync(ioc, answer()) == 42);
  CHECK(run_sync(ioc, answer()) == 42);  // the io_context is reusable
  CHECK_THROWS_AS(run_sync(ioc, fail()), chatkit::error);
}
