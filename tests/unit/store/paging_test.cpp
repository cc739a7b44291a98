// The paging code shared by the SQL stores (src/store/detail/paging.hpp), on rows held in memory.
#include "store/detail/paging.hpp"

#include <chatkit/protocol/json_io.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace cd = chatkit::store::detail;
namespace cp = chatkit::protocol;

namespace {

// The row cursor the paging code reads, over (id, body) or (created_at, seq) rows.
struct fake_rows {
  std::vector<std::vector<std::string>> data;
  int row = -1;
  bool step() { return ++row < static_cast<int>(data.size()); }
  std::string_view text(int column) const {
    return data.at(static_cast<std::size_t>(row)).at(static_cast<std::size_t>(column));
  }
  std::int64_t integer(int column) const { return std::stoll(std::string(text(column))); }
};

std::string thread_body(const std::string& id) {
  cp::thread_metadata t;
  t.id = id;
  return cp::to_json(t, cp::audience::storage);
}

fake_rows threads(std::initializer_list<const char*> ids) {
  fake_rows rows;
  for (const char* id : ids) rows.data.push_back({id, thread_body(id)});
  return rows;
}

}  // namespace

TEST_CASE("page_request validates the limit and asks for one row more", "[paging]") {
  CHECK_THROWS_AS(cd::page_request(0, std::nullopt, cp::sort_order::asc), chatkit::store::store_error);
  const cd::page_request r(20, std::nullopt, cp::sort_order::desc);
  CHECK_FALSE(r.ascending());
  CHECK(r.fetch() == 21);
  const cd::page_request huge(std::numeric_limits<std::size_t>::max(), std::nullopt, cp::sort_order::asc);
  CHECK(huge.fetch() == std::numeric_limits<std::int64_t>::max());
}

TEST_CASE("read_page fills at most limit elements and marks has_more with the last id", "[paging]") {
  auto full = threads({"thr_a", "thr_b", "thr_c"});
  auto page = cd::read_page<cp::thread_metadata>(full, 2, "thread");
  REQUIRE(page.data.size() == 2);
  CHECK(page.data[1].id == "thr_b");
  CHECK(page.has_more);
  CHECK(page.after == "thr_b");

  auto last = threads({"thr_a", "thr_b"});
  page = cd::read_page<cp::thread_metadata>(last, 2, "thread");
  CHECK(page.data.size() == 2);
  CHECK_FALSE(page.has_more);
  CHECK_FALSE(page.after);
}

TEST_CASE("load_page locates the cursor and selects past it; an unknown cursor is not found", "[paging]") {
  const cd::page_request request(5, std::string("thr_x"), cp::sort_order::asc);
  std::optional<cd::page_key> seen;
  auto page = cd::load_page<cp::thread_metadata>(
      request, "thread",
      [](const std::string&) {
        return fake_rows{{{"7", "3"}}};
      },
      [&](const cd::page_key* from) {
        if (from) seen = *from;
        return threads({"thr_y"});
      });
  REQUIRE(seen);
  CHECK(seen->created_at == 7);
  CHECK(seen->seq == 3);
  CHECK(page.data.size() == 1);

  try {
    cd::load_page<cp::thread_metadata>(
        request, "thread", [](const std::string&) { return fake_rows{}; },
        [](const cd::page_key*) { return fake_rows{}; });
    FAIL("an unknown cursor was accepted");
  } catch (const chatkit::store::store_error& e) {
    CHECK(e.reason() == chatkit::store::errc::cursor_not_found);
  }
}

TEST_CASE("page_queries builds the four SELECTs of a listing", "[paging]") {
  const cd::page_queries q("SELECT id, body FROM t WHERE u = ?1", "?2", "?3", "?4");
  CHECK(q.pick(true, false) == "SELECT id, body FROM t WHERE u = ?1 ORDER BY created_at, seq LIMIT ?2");
  CHECK(q.pick(false, false) ==
        "SELECT id, body FROM t WHERE u = ?1 ORDER BY created_at DESC, seq DESC LIMIT ?2");
  CHECK(q.pick(true, true) ==
        "SELECT id, body FROM t WHERE u = ?1 AND (created_at, seq) > (?3, ?4) ORDER BY created_at, seq LIMIT "
        "?2");
  CHECK(q.pick(false, true) ==
        "SELECT id, body FROM t WHERE u = ?1 AND (created_at, seq) < (?3, ?4) "
        "ORDER BY created_at DESC, seq DESC LIMIT ?2");
}
