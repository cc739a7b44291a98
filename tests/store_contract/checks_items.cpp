// Items: add, conflict, upsert in place, load, delete, not-found behaviour, hidden items.
#include "check_context.hpp"

namespace chatkit::store::testing::detail {

namespace {

using protocol::sort_order;

std::vector<std::string> all_item_ids(check_context& c, const std::string& thread_id) {
  return ids_of(c.run(c.s->load_thread_items(thread_id, std::nullopt, 1000, sort_order::asc, c.alice)));
}

void add_then_load_item(check_context& c) {
  auto t = c.new_thread(c.alice);
  auto item = c.new_item(c.alice, t.id, 3, "first answer");
  CHECK(json_of(c.run(c.s->load_item(t.id, protocol::item_id(item), c.alice))) == json_of(item));
  auto page = c.run(c.s->load_thread_items(t.id, std::nullopt, 10, sort_order::asc, c.alice));
  REQUIRE(page.data.size() == 1);
  CHECK(json_of(page.data[0]) == json_of(item));
}

void duplicate_add_is_conflict(check_context& c) {
  auto t = c.new_thread(c.alice);
  auto item = c.new_item(c.alice, t.id, 1, "original");
  c.new_item(c.alice, t.id, 2);
  auto dup = assistant_message(t.id, protocol::item_id(item), at(9), "impostor");
  expect_error(chatkit::errc::conflict, [&] { c.run(c.s->add_thread_item(t.id, dup, c.alice)); });
  // The failed insert left the store as it was.
  CHECK(json_of(c.run(c.s->load_item(t.id, protocol::item_id(item), c.alice))) == json_of(item));
  CHECK(all_item_ids(c, t.id).size() == 2);
}

void save_item_inserts_new(check_context& c) {
  auto t = c.new_thread(c.alice);
  auto first = c.new_item(c.alice, t.id, 1);
  auto fresh = assistant_message(t.id, c.id("msg"), at(2), "upserted");
  c.run(c.s->save_item(t.id, fresh, c.alice));
  CHECK(all_item_ids(c, t.id) ==
        std::vector<std::string>{protocol::item_id(first), protocol::item_id(fresh)});
  CHECK(json_of(c.run(c.s->load_item(t.id, protocol::item_id(fresh), c.alice))) == json_of(fresh));
}

void save_item_replaces_in_place(check_context& c) {
  auto t = c.new_thread(c.alice);
  // Equal timestamps: only the insertion order places them, and a replacement must not move the item.
  auto a = c.new_item(c.alice, t.id, 1, "a");
  auto b = c.new_item(c.alice, t.id, 1, "b");
  auto d = c.new_item(c.alice, t.id, 1, "d");
  const auto before = all_item_ids(c, t.id);
  auto b2 = assistant_message(t.id, protocol::item_id(b), at(1), "b, rewritten");
  c.run(c.s->save_item(t.id, b2, c.alice));
  CHECK(all_item_ids(c, t.id) == before);
  CHECK(json_of(c.run(c.s->load_item(t.id, protocol::item_id(b), c.alice))) == json_of(b2));
  // A replacement may change the item's type (a widget replacing a message, say).
  protocol::end_of_turn_item eot;
  eot.id = protocol::item_id(a);
  eot.thread_id = t.id;
  eot.created_at = at(1);
  c.run(c.s->save_item(t.id, eot, c.alice));
  CHECK(all_item_ids(c, t.id) == before);
  CHECK(json_of(c.run(c.s->load_item(t.id, eot.id, c.alice))) == json_of(protocol::thread_item(eot)));
  (void)d;
}

void load_missing_item_is_not_found(check_context& c) {
  auto t = c.new_thread(c.alice);
  c.new_item(c.alice, t.id);
  const std::string missing = c.id("msg");
  auto message =
      expect_error(chatkit::errc::not_found, [&] { c.run(c.s->load_item(t.id, missing, c.alice)); });
  CHECK(message.find(missing) != std::string::npos);
  expect_error(chatkit::errc::not_found, [&] { c.run(c.s->load_item(c.id("thr"), missing, c.alice)); });
}

void item_ops_on_missing_thread_are_not_found(check_context& c) {
  const std::string missing = c.id("thr");
  auto item = assistant_message(missing, c.id("msg"), at(0), "orphan");
  expect_error(chatkit::errc::not_found, [&] { c.run(c.s->add_thread_item(missing, item, c.alice)); });
  expect_error(chatkit::errc::not_found, [&] { c.run(c.s->save_item(missing, item, c.alice)); });
  expect_error(chatkit::errc::not_found,
               [&] { c.run(c.s->load_thread_items(missing, std::nullopt, 10, sort_order::asc, c.alice)); });
  expect_error(chatkit::errc::not_found,
               [&] { c.run(c.s->delete_thread_item(missing, protocol::item_id(item), c.alice)); });
  // Nothing was created by the failed writes.
  expect_error(chatkit::errc::not_found, [&] { c.run(c.s->load_thread(missing, c.alice)); });
}

void delete_item_keeps_the_rest(check_context& c) {
  auto t = c.new_thread(c.alice);
  auto a = c.new_item(c.alice, t.id, 1);
  auto b = c.new_item(c.alice, t.id, 2);
  auto d = c.new_item(c.alice, t.id, 3);
  c.run(c.s->delete_thread_item(t.id, protocol::item_id(b), c.alice));
  expect_error(chatkit::errc::not_found, [&] { c.run(c.s->load_item(t.id, protocol::item_id(b), c.alice)); });
  CHECK(all_item_ids(c, t.id) == std::vector<std::string>{protocol::item_id(a), protocol::item_id(d)});
  // A deleted id may be added again; it goes to its created_at position.
  c.run(c.s->add_thread_item(t.id, b, c.alice));
  CHECK(all_item_ids(c, t.id) ==
        std::vector<std::string>{protocol::item_id(a), protocol::item_id(b), protocol::item_id(d)});
}

void delete_missing_item_is_not_found(check_context& c) {
  auto t = c.new_thread(c.alice);
  auto a = c.new_item(c.alice, t.id);
  const std::string missing = c.id("msg");
  auto never =
      expect_error(chatkit::errc::not_found, [&] { c.run(c.s->delete_thread_item(t.id, missing, c.alice)); });
  c.run(c.s->delete_thread_item(t.id, protocol::item_id(a), c.alice));
  auto twice = expect_error(chatkit::errc::not_found,
                            [&] { c.run(c.s->delete_thread_item(t.id, protocol::item_id(a), c.alice)); });
  auto load = expect_error(chatkit::errc::not_found,
                           [&] { c.run(c.s->load_item(t.id, protocol::item_id(a), c.alice)); });
  CHECK(twice == load);
  CHECK(never.find(missing) != std::string::npos);
}

void hidden_items_are_returned(check_context& c) {
  auto t = c.new_thread(c.alice);
  auto visible = c.new_item(c.alice, t.id, 1);
  protocol::hidden_context_item hidden;
  hidden.id = c.id("msg");
  hidden.thread_id = t.id;
  hidden.created_at = at(2);
  hidden.content = boost::json::object{{"note", "for the model only"}};
  protocol::sdk_hidden_context_item sdk;
  sdk.id = c.id("shcx");
  sdk.thread_id = t.id;
  sdk.created_at = at(3);
  sdk.content = "The user cancelled the stream. Stop responding to the prior request.";
  c.run(c.s->add_thread_item(t.id, hidden, c.alice));
  c.run(c.s->add_thread_item(t.id, sdk, c.alice));
  auto page = c.run(c.s->load_thread_items(t.id, std::nullopt, 10, sort_order::asc, c.alice));
  REQUIRE(page.data.size() == 3);
  CHECK(json_of(page.data[0]) == json_of(visible));
  CHECK(json_of(page.data[1]) == json_of(protocol::thread_item(hidden)));
  CHECK(json_of(page.data[2]) == json_of(protocol::thread_item(sdk)));
}

void same_thread_items_only(check_context& c) {
  auto t1 = c.new_thread(c.alice);
  auto t2 = c.new_thread(c.alice);
  auto i1 = c.new_item(c.alice, t1.id, 1);
  auto i2 = c.new_item(c.alice, t2.id, 1);
  CHECK(all_item_ids(c, t1.id) == std::vector<std::string>{protocol::item_id(i1)});
  CHECK(all_item_ids(c, t2.id) == std::vector<std::string>{protocol::item_id(i2)});
  // An item is addressed through its thread: another thread of the same user does not reach it.
  expect_error(chatkit::errc::not_found,
               [&] { c.run(c.s->load_item(t2.id, protocol::item_id(i1), c.alice)); });
  expect_error(chatkit::errc::not_found,
               [&] { c.run(c.s->delete_thread_item(t2.id, protocol::item_id(i1), c.alice)); });
  CHECK(json_of(c.run(c.s->load_item(t1.id, protocol::item_id(i1), c.alice))) == json_of(i1));
}

}  // namespace

void add_item_checks(std::vector<check>& out) {
  out.push_back(
      {"add_thread_item then load_item and load_thread_items return it", "[items]", add_then_load_item});
  out.push_back({"add_thread_item with an existing id is conflict and changes nothing", "[items]",
                 duplicate_add_is_conflict});
  out.push_back({"save_item with a new id inserts it", "[items]", save_item_inserts_new});
  out.push_back(
      {"save_item with an existing id replaces it in place", "[items]", save_item_replaces_in_place});
  out.push_back(
      {"load_item of a missing item or thread is not_found", "[items]", load_missing_item_is_not_found});
  out.push_back({"item operations on a missing thread are not_found and create nothing", "[items]",
                 item_ops_on_missing_thread_are_not_found});
  out.push_back({"delete_thread_item removes one item and keeps the order of the rest", "[items]",
                 delete_item_keeps_the_rest});
  out.push_back({"delete_thread_item of a missing or deleted item is not_found", "[items]",
                 delete_missing_item_is_not_found});
  out.push_back({"load_thread_items returns hidden items too", "[items]", hidden_items_are_returned});
  out.push_back({"items belong to one thread", "[items]", same_thread_items_only});
}

}  // namespace chatkit::store::testing::detail
