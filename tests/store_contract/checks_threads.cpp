// Threads: CRUD, upsert, delete and its cascade, required user, invalid input.
#include "check_context.hpp"

namespace chatkit::store::testing::detail {

namespace {

using protocol::sort_order;

void save_then_load_round_trips(check_context& c) {
  protocol::thread_metadata t;
  t.id = c.id("thr");
  t.title = "Quarterly \"numbers\" — é ✓";
  t.created_at = at(5, 123456);
  t.status = {protocol::thread_status_type::locked, std::string("maintenance")};
  t.allowed_image_domains = std::vector<std::string>{"images.example.test", "cdn.example.test"};
  t.metadata =
      boost::json::object{{"previous_response_id", "resp_1"}, {"nested", {{"n", 1}, {"list", {1, 2, 3}}}}};
  c.run(c.s->save_thread(t, c.alice));
  auto loaded = c.run(c.s->load_thread(t.id, c.alice));
  CHECK(json_of(loaded) == json_of(t));
  CHECK(loaded == t);
}

void load_missing_thread_is_not_found(check_context& c) {
  const std::string missing = c.id("thr");
  auto message = expect_error(chatkit::errc::not_found, [&] { c.run(c.s->load_thread(missing, c.alice)); });
  CHECK(message.find(c.alice.user_id) == std::string::npos);
}

void save_thread_updates_in_place(check_context& c) {
  auto t = c.new_thread(c.alice, 1);
  auto other = c.new_thread(c.alice, 2);
  t.title = "renamed";
  t.status = {protocol::thread_status_type::closed, std::nullopt};
  t.metadata = boost::json::object{{"k", "v2"}};
  t.allowed_image_domains = std::vector<std::string>{"x.example.test"};
  c.run(c.s->save_thread(t, c.alice));
  CHECK(json_of(c.run(c.s->load_thread(t.id, c.alice))) == json_of(t));
  // Still one entry per thread, same order, the other thread untouched.
  CHECK(ids_of(c.run(c.s->load_threads(10, std::nullopt, sort_order::asc, c.alice))) ==
        std::vector<std::string>{t.id, other.id});
  CHECK(json_of(c.run(c.s->load_thread(other.id, c.alice))) == json_of(other));
  // Clearing optional fields clears them.
  t.title.reset();
  t.allowed_image_domains.reset();
  t.status = {};
  c.run(c.s->save_thread(t, c.alice));
  CHECK(json_of(c.run(c.s->load_thread(t.id, c.alice))) == json_of(t));
}

void delete_thread_removes_it(check_context& c) {
  auto t = c.new_thread(c.alice, 1);
  auto keep = c.new_thread(c.alice, 2);
  c.run(c.s->delete_thread(t.id, c.alice));
  expect_error(chatkit::errc::not_found, [&] { c.run(c.s->load_thread(t.id, c.alice)); });
  CHECK(ids_of(c.run(c.s->load_threads(10, std::nullopt, sort_order::asc, c.alice))) ==
        std::vector<std::string>{keep.id});
  CHECK(c.run(c.s->load_thread(keep.id, c.alice)) == keep);
}

void delete_missing_thread_is_not_found(check_context& c) {
  const std::string missing = c.id("thr");
  auto never = expect_error(chatkit::errc::not_found, [&] { c.run(c.s->delete_thread(missing, c.alice)); });
  auto t = c.new_thread(c.alice);
  c.run(c.s->delete_thread(t.id, c.alice));
  // Deleting twice is an error too, worded as for an id that never existed.
  auto twice = expect_error(chatkit::errc::not_found, [&] { c.run(c.s->delete_thread(t.id, c.alice)); });
  auto load_missing = expect_error(chatkit::errc::not_found, [&] { c.run(c.s->load_thread(t.id, c.alice)); });
  CHECK(twice == load_missing);
  CHECK(never.find(missing) != std::string::npos);
}

void delete_thread_cascades_to_items(check_context& c) {
  auto t = c.new_thread(c.alice);
  auto keep = c.new_thread(c.alice);
  auto item = c.new_item(c.alice, t.id, 1);
  auto kept_item = c.new_item(c.alice, keep.id, 1);
  c.new_item(c.alice, t.id, 2);
  c.run(c.s->delete_thread(t.id, c.alice));
  expect_error(chatkit::errc::not_found,
               [&] { c.run(c.s->load_thread_items(t.id, std::nullopt, 10, sort_order::asc, c.alice)); });
  expect_error(chatkit::errc::not_found,
               [&] { c.run(c.s->load_item(t.id, protocol::item_id(item), c.alice)); });
  // A thread re-created under the same id starts empty: the items really went away.
  c.run(c.s->save_thread(t, c.alice));
  auto page = c.run(c.s->load_thread_items(t.id, std::nullopt, 10, sort_order::asc, c.alice));
  CHECK(page.data.empty());
  CHECK_FALSE(page.has_more);
  // The other thread keeps its item.
  CHECK(json_of(c.run(c.s->load_item(keep.id, protocol::item_id(kept_item), c.alice))) == json_of(kept_item));
}

void empty_user_is_unauthorized(check_context& c) {
  auto t = c.new_thread(c.alice);
  auto item = c.new_item(c.alice, t.id);
  protocol::attachment a;
  a.id = c.id("atc");
  a.name = "a.txt";
  a.mime_type = "text/plain";
  c.run(c.s->save_attachment(a, c.alice));

  const request_context nobody;
  const std::string& tid = t.id;
  const std::string& iid = protocol::item_id(item);
  const std::vector<std::pair<const char*, std::function<void()>>> ops = {
      {"load_thread", [&] { c.run(c.s->load_thread(tid, nobody)); }},
      {"save_thread", [&] { c.run(c.s->save_thread(t, nobody)); }},
      {"load_threads", [&] { c.run(c.s->load_threads(10, std::nullopt, sort_order::asc, nobody)); }},
      {"delete_thread", [&] { c.run(c.s->delete_thread(tid, nobody)); }},
      {"load_thread_items",
       [&] { c.run(c.s->load_thread_items(tid, std::nullopt, 10, sort_order::asc, nobody)); }},
      {"add_thread_item",
       [&] { c.run(c.s->add_thread_item(tid, assistant_message(tid, c.id("msg"), at(0), "x"), nobody)); }},
      {"save_item", [&] { c.run(c.s->save_item(tid, item, nobody)); }},
      {"load_item", [&] { c.run(c.s->load_item(tid, iid, nobody)); }},
      {"delete_thread_item", [&] { c.run(c.s->delete_thread_item(tid, iid, nobody)); }},
      {"save_attachment", [&] { c.run(c.s->save_attachment(a, nobody)); }},
      {"load_attachment", [&] { c.run(c.s->load_attachment(a.id, nobody)); }},
      {"delete_attachment", [&] { c.run(c.s->delete_attachment(a.id, nobody)); }},
  };
  for (const auto& [name, op] : ops) {
    INFO("operation: " << name);
    expect_error(chatkit::errc::unauthorized, op);
  }
  // And nothing was changed by those calls.
  CHECK(c.run(c.s->load_thread(tid, c.alice)) == t);
  CHECK(json_of(c.run(c.s->load_item(tid, iid, c.alice))) == json_of(item));
  CHECK(json_of(c.run(c.s->load_attachment(a.id, c.alice))) == json_of(a));
}

void empty_ids_are_invalid(check_context& c) {
  protocol::thread_metadata t;
  t.created_at = at(0);
  expect_error(chatkit::errc::invalid_request, [&] { c.run(c.s->save_thread(t, c.alice)); });
  CHECK(c.run(c.s->load_threads(10, std::nullopt, sort_order::asc, c.alice)).data.empty());

  auto real = c.new_thread(c.alice);
  expect_error(chatkit::errc::invalid_request, [&] {
    c.run(c.s->add_thread_item(real.id, assistant_message(real.id, "", at(0), "x"), c.alice));
  });
  expect_error(chatkit::errc::invalid_request,
               [&] { c.run(c.s->save_item(real.id, assistant_message(real.id, "", at(0), "x"), c.alice)); });
  CHECK(c.run(c.s->load_thread_items(real.id, std::nullopt, 10, sort_order::asc, c.alice)).data.empty());

  protocol::attachment a;
  a.name = "a.txt";
  a.mime_type = "text/plain";
  expect_error(chatkit::errc::invalid_request, [&] { c.run(c.s->save_attachment(a, c.alice)); });
}

void zero_limit_is_invalid(check_context& c) {
  auto t = c.new_thread(c.alice);
  c.new_item(c.alice, t.id);
  expect_error(chatkit::errc::invalid_request,
               [&] { c.run(c.s->load_threads(0, std::nullopt, sort_order::asc, c.alice)); });
  expect_error(chatkit::errc::invalid_request,
               [&] { c.run(c.s->load_thread_items(t.id, std::nullopt, 0, sort_order::desc, c.alice)); });
}

void returned_values_are_copies(check_context& c) {
  auto t = c.new_thread(c.alice);
  auto item = c.new_item(c.alice, t.id);
  // Changing what was saved, or what was loaded, does not change the store.
  auto original = t;
  t.title = "changed after save";
  auto loaded = c.run(c.s->load_thread(t.id, c.alice));
  CHECK(loaded == original);
  loaded.metadata["x"] = 1;
  CHECK(c.run(c.s->load_thread(t.id, c.alice)) == original);
  auto loaded_item = c.run(c.s->load_item(t.id, protocol::item_id(item), c.alice));
  std::get<protocol::assistant_message_item>(loaded_item).content.at(0).text = "mutated";
  CHECK(json_of(c.run(c.s->load_item(t.id, protocol::item_id(item), c.alice))) == json_of(item));
}

}  // namespace

void add_thread_checks(std::vector<check>& out) {
  out.push_back(
      {"save_thread then load_thread round-trips every field", "[threads]", save_then_load_round_trips});
  out.push_back({"load_thread of a missing id is not_found", "[threads]", load_missing_thread_is_not_found});
  out.push_back(
      {"save_thread on an existing id updates it in place", "[threads]", save_thread_updates_in_place});
  out.push_back({"delete_thread removes the thread and only it", "[threads]", delete_thread_removes_it});
  out.push_back({"delete_thread of a missing or deleted id is not_found", "[threads]",
                 delete_missing_thread_is_not_found});
  out.push_back({"delete_thread deletes the thread's items", "[threads]", delete_thread_cascades_to_items});
  out.push_back(
      {"every operation with an empty user_id is unauthorized", "[threads]", empty_user_is_unauthorized});
  out.push_back(
      {"empty thread, item and attachment ids are invalid_request", "[threads]", empty_ids_are_invalid});
  out.push_back({"a page limit of 0 is invalid_request", "[threads]", zero_limit_is_invalid});
  out.push_back({"saved and loaded values are independent copies", "[threads]", returned_values_are_copies});
}

}  // namespace chatkit::store::testing::detail
