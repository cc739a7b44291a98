// Ordering and cursor pagination of threads and items (docs/stores.md#paging), in both orders.
#include "check_context.hpp"

#include <algorithm>

namespace chatkit::store::testing::detail {

namespace {

using protocol::sort_order;

std::vector<std::string> reversed(std::vector<std::string> v) {
  std::reverse(v.begin(), v.end());
  return v;
}

// `count` items with created_at out of insertion order; returns their ids in created_at order.
std::vector<std::string> shuffled_items(check_context& c, const std::string& thread_id, std::int64_t count) {
  std::vector<std::string> by_time(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i) {
    const std::int64_t second = (i * 7) % count;  // 7 is coprime with the counts used below
    by_time[static_cast<std::size_t>(second)] = protocol::item_id(c.new_item(c.alice, thread_id, second));
  }
  return by_time;
}

std::vector<std::string> shuffled_threads(check_context& c, std::int64_t count) {
  std::vector<std::string> by_time(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i) {
    const std::int64_t second = (i * 7) % count;
    by_time[static_cast<std::size_t>(second)] = c.new_thread(c.alice, second).id;
  }
  return by_time;
}

void empty_pages(check_context& c) {
  for (auto order : {sort_order::asc, sort_order::desc}) {
    auto threads = c.run(c.s->load_threads(5, std::nullopt, order, c.alice));
    CHECK(threads.data.empty());
    CHECK_FALSE(threads.has_more);
    CHECK_FALSE(threads.after.has_value());
  }
  auto t = c.new_thread(c.alice);
  for (auto order : {sort_order::asc, sort_order::desc}) {
    auto items = c.run(c.s->load_thread_items(t.id, std::nullopt, 5, order, c.alice));
    CHECK(items.data.empty());
    CHECK_FALSE(items.has_more);
    CHECK_FALSE(items.after.has_value());
  }
}

void threads_sorted_by_created_at(check_context& c) {
  auto expected = shuffled_threads(c, 10);
  CHECK(ids_of(c.run(c.s->load_threads(100, std::nullopt, sort_order::asc, c.alice))) == expected);
  CHECK(ids_of(c.run(c.s->load_threads(100, std::nullopt, sort_order::desc, c.alice))) == reversed(expected));
}

void items_sorted_by_created_at(check_context& c) {
  auto t = c.new_thread(c.alice);
  auto expected = shuffled_items(c, t.id, 10);
  CHECK(ids_of(c.run(c.s->load_thread_items(t.id, std::nullopt, 100, sort_order::asc, c.alice))) == expected);
  CHECK(ids_of(c.run(c.s->load_thread_items(t.id, std::nullopt, 100, sort_order::desc, c.alice))) ==
        reversed(expected));
}

void microsecond_precision_orders(check_context& c) {
  auto t = c.new_thread(c.alice);
  // One microsecond apart, inserted late-first: the store must keep the microseconds.
  auto later = assistant_message(t.id, c.id("msg"), at(1, 2), "later");
  auto earlier = assistant_message(t.id, c.id("msg"), at(1, 1), "earlier");
  c.run(c.s->add_thread_item(t.id, later, c.alice));
  c.run(c.s->add_thread_item(t.id, earlier, c.alice));
  CHECK(ids_of(c.run(c.s->load_thread_items(t.id, std::nullopt, 10, sort_order::asc, c.alice))) ==
        std::vector<std::string>{protocol::item_id(earlier), protocol::item_id(later)});
}

void thread_ties_use_insertion_order(check_context& c) {
  std::vector<std::string> inserted;
  for (int i = 0; i < 6; ++i) inserted.push_back(c.new_thread(c.alice, 42).id);
  CHECK(walk_threads(c, c.alice, 4, sort_order::asc) == inserted);
  CHECK(walk_threads(c, c.alice, 4, sort_order::desc) == reversed(inserted));
}

void item_ties_use_insertion_order(check_context& c) {
  auto t = c.new_thread(c.alice);
  std::vector<std::string> inserted;
  c.new_item(c.alice, t.id, 50);  // a later item, inserted first
  for (int i = 0; i < 7; ++i) inserted.push_back(protocol::item_id(c.new_item(c.alice, t.id, 42)));
  auto asc = walk_items(c, c.alice, t.id, 3, sort_order::asc);
  REQUIRE(asc.size() == 8);
  CHECK(std::vector<std::string>(asc.begin(), asc.begin() + 7) == inserted);
  auto desc = walk_items(c, c.alice, t.id, 3, sort_order::desc);
  CHECK(std::vector<std::string>(desc.begin() + 1, desc.end()) == reversed(inserted));
}

void thread_pages_walk_everything(check_context& c) {
  auto expected = shuffled_threads(c, 11);
  for (std::size_t limit : {1u, 2u, 3u, 10u}) {
    INFO("limit " << limit);
    CHECK(walk_threads(c, c.alice, limit, sort_order::asc) == expected);
    CHECK(walk_threads(c, c.alice, limit, sort_order::desc) == reversed(expected));
  }
}

void item_pages_walk_everything(check_context& c) {
  auto t = c.new_thread(c.alice);
  auto expected = shuffled_items(c, t.id, 11);
  for (std::size_t limit : {1u, 2u, 3u, 10u}) {
    INFO("limit " << limit);
    CHECK(walk_items(c, c.alice, t.id, limit, sort_order::asc) == expected);
    CHECK(walk_items(c, c.alice, t.id, limit, sort_order::desc) == reversed(expected));
  }
}

void exact_page_size(check_context& c) {
  auto t = c.new_thread(c.alice);
  for (int i = 0; i < 4; ++i) c.new_item(c.alice, t.id, i);
  for (int i = 0; i < 3; ++i) c.new_thread(c.alice, i);  // with t: 4 threads
  for (auto order : {sort_order::asc, sort_order::desc}) {
    auto items = c.run(c.s->load_thread_items(t.id, std::nullopt, 4, order, c.alice));
    CHECK(items.data.size() == 4);
    CHECK_FALSE(items.has_more);
    CHECK_FALSE(items.after.has_value());
    auto threads = c.run(c.s->load_threads(4, std::nullopt, order, c.alice));
    CHECK(threads.data.size() == 4);
    CHECK_FALSE(threads.has_more);
    CHECK_FALSE(threads.after.has_value());
  }
  // One less than the count: has_more, and the cursor is the last returned element.
  auto items = c.run(c.s->load_thread_items(t.id, std::nullopt, 3, sort_order::asc, c.alice));
  CHECK(items.has_more);
  REQUIRE(items.after.has_value());
  CHECK(*items.after == protocol::item_id(items.data.back()));
  // Two pages of exactly `limit`: the second one has no more.
  auto first = c.run(c.s->load_thread_items(t.id, std::nullopt, 2, sort_order::desc, c.alice));
  REQUIRE(first.has_more);
  auto second = c.run(c.s->load_thread_items(t.id, first.after, 2, sort_order::desc, c.alice));
  CHECK(second.data.size() == 2);
  CHECK_FALSE(second.has_more);
  CHECK_FALSE(second.after.has_value());
}

void limit_larger_than_count(check_context& c) {
  auto t = c.new_thread(c.alice);
  for (int i = 0; i < 3; ++i) c.new_item(c.alice, t.id, i);
  for (auto order : {sort_order::asc, sort_order::desc}) {
    auto items = c.run(c.s->load_thread_items(t.id, std::nullopt, 1000, order, c.alice));
    CHECK(items.data.size() == 3);
    CHECK_FALSE(items.has_more);
    auto threads = c.run(c.s->load_threads(1000, std::nullopt, order, c.alice));
    CHECK(threads.data.size() == 1);
    CHECK_FALSE(threads.has_more);
  }
}

void cursor_at_last_element(check_context& c) {
  auto t = c.new_thread(c.alice, 0);
  auto t2 = c.new_thread(c.alice, 1);
  auto first = c.new_item(c.alice, t.id, 1);
  auto last = c.new_item(c.alice, t.id, 2);
  // After the last element in each order: an empty, final page.
  auto asc = c.run(c.s->load_thread_items(t.id, protocol::item_id(last), 5, sort_order::asc, c.alice));
  CHECK(asc.data.empty());
  CHECK_FALSE(asc.has_more);
  CHECK_FALSE(asc.after.has_value());
  auto desc = c.run(c.s->load_thread_items(t.id, protocol::item_id(first), 5, sort_order::desc, c.alice));
  CHECK(desc.data.empty());
  CHECK_FALSE(desc.has_more);
  auto threads_asc = c.run(c.s->load_threads(5, t2.id, sort_order::asc, c.alice));
  CHECK(threads_asc.data.empty());
  CHECK_FALSE(threads_asc.has_more);
  auto threads_desc = c.run(c.s->load_threads(5, t.id, sort_order::desc, c.alice));
  CHECK(threads_desc.data.empty());
  CHECK_FALSE(threads_desc.has_more);
  // And strictly after a middle element.
  CHECK(ids_of(c.run(c.s->load_thread_items(t.id, protocol::item_id(first), 5, sort_order::asc, c.alice))) ==
        std::vector<std::string>{protocol::item_id(last)});
  CHECK(ids_of(c.run(c.s->load_threads(5, t2.id, sort_order::desc, c.alice))) ==
        std::vector<std::string>{t.id});
}

void unknown_cursor_is_not_found(check_context& c) {
  auto t = c.new_thread(c.alice);
  auto other = c.new_thread(c.alice);
  c.new_item(c.alice, t.id);
  auto elsewhere = c.new_item(c.alice, other.id);
  for (auto order : {sort_order::asc, sort_order::desc}) {
    expect_error(chatkit::errc::not_found,
                 [&] { c.run(c.s->load_thread_items(t.id, c.id("msg"), 5, order, c.alice)); });
    // An item of another thread is not a cursor in this one.
    expect_error(chatkit::errc::not_found, [&] {
      c.run(c.s->load_thread_items(t.id, protocol::item_id(elsewhere), 5, order, c.alice));
    });
    expect_error(chatkit::errc::not_found, [&] { c.run(c.s->load_threads(5, c.id("thr"), order, c.alice)); });
  }
}

void deleted_cursor_is_not_found(check_context& c) {
  auto t = c.new_thread(c.alice);
  auto a = c.new_item(c.alice, t.id, 1);
  c.new_item(c.alice, t.id, 2);
  auto gone = c.new_thread(c.alice);
  c.run(c.s->delete_thread_item(t.id, protocol::item_id(a), c.alice));
  c.run(c.s->delete_thread(gone.id, c.alice));
  expect_error(chatkit::errc::not_found, [&] {
    c.run(c.s->load_thread_items(t.id, protocol::item_id(a), 5, sort_order::asc, c.alice));
  });
  expect_error(chatkit::errc::not_found,
               [&] { c.run(c.s->load_threads(5, gone.id, sort_order::asc, c.alice)); });
}

void pages_see_later_writes(check_context& c) {
  auto t = c.new_thread(c.alice);
  auto a = c.new_item(c.alice, t.id, 1);
  auto b = c.new_item(c.alice, t.id, 2);
  auto first = c.run(c.s->load_thread_items(t.id, std::nullopt, 1, sort_order::asc, c.alice));
  REQUIRE(first.has_more);
  // An item added between two page loads shows up on the next page: cursors are ids, not offsets.
  auto d = c.new_item(c.alice, t.id, 3);
  auto rest = c.run(c.s->load_thread_items(t.id, first.after, 10, sort_order::asc, c.alice));
  CHECK(ids_of(rest) == std::vector<std::string>{protocol::item_id(b), protocol::item_id(d)});
  (void)a;
}

// visit_threads hands out the page load_threads returns: the same threads, equal field by field, in the same
// order, with the same end of page and the same errors.
void visit_threads_matches_load_threads(check_context& c) {
  shuffled_threads(c, 7);
  c.new_thread(c.bob);
  auto visit = [&](std::size_t limit, const std::optional<std::string>& after, sort_order order,
                   const request_context& who) {
    protocol::thread_page page;
    const thread_visitor collect = [&](const protocol::thread_metadata& t) { page.data.push_back(t); };
    auto end = c.run(c.s->visit_threads(limit, after, order, who, collect));
    page.has_more = end.has_more;
    page.after = std::move(end.after);
    return page;
  };
  for (auto order : {sort_order::asc, sort_order::desc}) {
    for (std::size_t limit : {1u, 3u, 7u, 100u}) {
      INFO("limit " << limit);
      std::optional<std::string> after;
      for (int pages = 0; pages < 10; ++pages) {
        auto loaded = c.run(c.s->load_threads(limit, after, order, c.alice));
        auto visited = visit(limit, after, order, c.alice);
        CHECK(visited.data == loaded.data);
        CHECK(visited.has_more == loaded.has_more);
        CHECK(visited.after == loaded.after);
        if (!loaded.has_more) break;
        after = loaded.after;
      }
    }
    CHECK(visit(5, std::nullopt, order, c.bob).data.size() == 1);  // only bob's own thread
    expect_error(chatkit::errc::not_found, [&] { visit(5, c.id("thr"), order, c.alice); });
    // Another user's thread is no cursor for alice.
    const auto bobs = c.run(c.s->load_threads(5, std::nullopt, order, c.bob));
    REQUIRE(bobs.data.size() == 1);
    expect_error(chatkit::errc::not_found, [&] { visit(5, bobs.data.front().id, order, c.alice); });
  }
}

}  // namespace

void add_paging_checks(std::vector<check>& out) {
  out.push_back({"empty listings are empty final pages", "[paging]", empty_pages});
  out.push_back(
      {"load_threads orders by created_at in both orders", "[paging]", threads_sorted_by_created_at});
  out.push_back(
      {"load_thread_items orders by created_at in both orders", "[paging]", items_sorted_by_created_at});
  out.push_back({"created_at keeps microseconds for ordering", "[paging]", microsecond_precision_orders});
  out.push_back(
      {"threads with equal created_at keep insertion order", "[paging]", thread_ties_use_insertion_order});
  out.push_back(
      {"items with equal created_at keep insertion order", "[paging]", item_ties_use_insertion_order});
  out.push_back(
      {"thread pages walk every thread once in both orders", "[paging]", thread_pages_walk_everything});
  out.push_back({"item pages walk every item once in both orders", "[paging]", item_pages_walk_everything});
  out.push_back({"a page of exactly the remaining count has no more", "[paging]", exact_page_size});
  out.push_back({"a limit larger than the count returns everything", "[paging]", limit_larger_than_count});
  out.push_back(
      {"a cursor at the last element gives an empty final page", "[paging]", cursor_at_last_element});
  out.push_back({"an unknown cursor is not_found", "[paging]", unknown_cursor_is_not_found});
  out.push_back({"a cursor naming a deleted element is not_found", "[paging]", deleted_cursor_is_not_found});
  out.push_back({"cursors are ids: writes between pages are seen", "[paging]", pages_see_later_writes});
  out.push_back({"visit_threads hands out the pages load_threads returns", "[paging]",
                 visit_threads_matches_load_threads});
}

}  // namespace chatkit::store::testing::detail
