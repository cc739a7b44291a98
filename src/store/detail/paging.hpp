// Paging for the SQL stores, written once (docs/stores.md#paging): limit validation, the extra row that tells
// whether more exist, the `after` cursor and the mapping of (id, body) rows to a page.
//
// Rows are read through a small cursor interface both databases provide (sqlite's statement, postgres's
// rows):
//   bool step();                             // advances to the next row; false when there is none
//   std::string_view text(int column);       // a column of the current row
//   std::int64_t integer(int column);
#pragma once

#include "store/detail/body_codec.hpp"

#include <chatkit/protocol/requests.hpp>
#include <chatkit/protocol/thread.hpp>
#include <chatkit/store/error.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace chatkit::store::detail {

// One page request as the store interface takes it; the limit is validated on construction, before any
// database work.
struct page_request {
  page_request(std::size_t page_limit, std::optional<std::string> after_id, protocol::sort_order sort)
      : limit(page_limit), after(std::move(after_id)), order(sort) {
    require_page_limit(limit);
  }

  bool ascending() const noexcept { return order == protocol::sort_order::asc; }
  // Rows to ask the database for: one more than the page holds tells whether more exist.
  std::int64_t fetch() const noexcept {
    constexpr auto most = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max() - 1);
    return static_cast<std::int64_t>(std::min(limit, most)) + 1;
  }

  std::size_t limit;
  std::optional<std::string> after;
  protocol::sort_order order;
};

// Where an element stands in a listing: by created_at, ties by insertion sequence.
struct page_key {
  std::int64_t created_at = 0;
  std::int64_t seq = 0;
};

// The four SELECTs of one listing, from its `SELECT id, body FROM ... WHERE ...` and the placeholders of the
// limit and of the cursor's created_at and seq: the first page or the rows past a cursor, in either order.
// The strings live as long as the object (keep it static: the connections cache statements by their text).
class page_queries {
 public:
  page_queries(std::string_view select_where, std::string_view limit, std::string_view created_at,
               std::string_view seq) {
    const std::string all(select_where);
    const std::string key = " (" + std::string(created_at) + ", " + std::string(seq) + ")";
    const std::string asc = " ORDER BY created_at, seq LIMIT " + std::string(limit);
    const std::string desc = " ORDER BY created_at DESC, seq DESC LIMIT " + std::string(limit);
    first_[0] = all + desc;
    first_[1] = all + asc;
    past_[0] = all + " AND (created_at, seq) <" + key + desc;
    past_[1] = all + " AND (created_at, seq) >" + key + asc;
  }
  // The query for a page in ascending order or not, past a cursor or not.
  std::string_view pick(bool ascending, bool past_cursor) const noexcept {
    return past_cursor ? past_[ascending ? 1 : 0] : first_[ascending ? 1 : 0];
  }

 private:
  std::string first_[2];
  std::string past_[2];
};

// Reads (id, body) rows into a page of at most `limit` elements; a further row sets has_more and `after`.
template <class T, class Rows>
protocol::page<T> read_page(Rows& rows, std::size_t limit, std::string_view what) {
  protocol::page<T> page;
  std::string last_id;
  while (rows.step()) {
    if (page.data.size() == limit) {
      page.has_more = true;
      page.after = std::move(last_id);
      break;
    }
    last_id = rows.text(0);
    page.data.push_back(decode_body<T>(rows.text(1), what));
  }
  return page;
}

// One page of a listing. locate(after_id) returns the rows (created_at, seq) of the cursor element (none:
// errc::cursor_not_found); select(const page_key* from) returns request.fetch() rows (id, body) in the
// requested order, all of them or only those past `from`.
template <class T, class Locate, class Select>
protocol::page<T> load_page(const page_request& request, std::string_view what, Locate&& locate,
                            Select&& select) {
  std::optional<page_key> from;
  if (request.after) {
    auto cursor = locate(*request.after);
    if (!cursor.step()) throw_cursor_not_found(*request.after);
    from = page_key{cursor.integer(0), cursor.integer(1)};
  }
  auto rows = select(from ? &*from : nullptr);
  return read_page<T>(rows, request.limit, what);
}

}  // namespace chatkit::store::detail
