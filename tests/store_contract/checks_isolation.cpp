// Isolation (docs/stores.md#isolation): bob can never read, list, page, change or delete what alice owns, and
// every refusal is the not_found error a missing record gets, word for word.
#include "check_context.hpp"

namespace chatkit::store::testing::detail {

namespace {

using protocol::sort_order;

// What alice owns: a thread with three items, and an attachment.
struct alice_world {
  protocol::thread_metadata thread;
  std::vector<protocol::thread_item> items;
  protocol::attachment attachment;
};

alice_world make_world(check_context& c) {
  alice_world w;
  w.thread = c.new_thread(c.alice, 1);
  w.thread.title = "alice's secret plans";
  c.run(c.s->save_thread(w.thread, c.alice));
  for (int i = 0; i < 3; ++i)
    w.items.push_back(c.new_item(c.alice, w.thread.id, i, "private " + std::to_string(i)));
  w.attachment.id = c.id("atc");
  w.attachment.name = "secret.pdf";
  w.attachment.mime_type = "application/pdf";
  w.attachment.thread_id = w.thread.id;
  c.run(c.s->save_attachment(w.attachment, c.alice));
  return w;
}

// Everything alice can see, as one string: bob's attempts must leave it unchanged.
std::string snapshot(check_context& c, const alice_world& w) {
  std::string out = json_of(c.run(c.s->load_thread(w.thread.id, c.alice)));
  out += json_of(c.run(c.s->load_thread_items(w.thread.id, std::nullopt, 100, sort_order::asc, c.alice)));
  out += json_of(c.run(c.s->load_threads(100, std::nullopt, sort_order::asc, c.alice)));
  out += json_of(c.run(c.s->load_attachment(w.attachment.id, c.alice)));
  return out;
}

// Alice deletes her records: afterwards they are truly missing.
void vanish(check_context& c, const alice_world& w) {
  c.run(c.s->delete_thread(w.thread.id, c.alice));
  c.run(c.s->delete_attachment(w.attachment.id, c.alice));
}

// Runs bob's `op` against alice's records (must be not_found and change nothing), then against the same
// ids once they are missing: the two errors must be identical.
void expect_hidden(check_context& c, const alice_world& w, const std::function<void()>& op) {
  const std::string before = snapshot(c, w);
  const std::string foreign = expect_error(chatkit::errc::not_found, op);
  CHECK(snapshot(c, w) == before);
  CHECK(foreign.find(c.alice.user_id) == std::string::npos);
  CHECK(foreign.find("secret") == std::string::npos);
  vanish(c, w);
  const std::string missing = expect_error(chatkit::errc::not_found, op);
  CHECK(foreign == missing);
}

void bob_cannot_load_thread(check_context& c) {
  auto w = make_world(c);
  expect_hidden(c, w, [&] { c.run(c.s->load_thread(w.thread.id, c.bob)); });
}

void bob_cannot_list_threads(check_context& c) {
  auto w = make_world(c);
  auto mine = c.new_thread(c.bob, 5);
  for (auto order : {sort_order::asc, sort_order::desc}) {
    auto page = c.run(c.s->load_threads(100, std::nullopt, order, c.bob));
    CHECK(ids_of(page) == std::vector<std::string>{mine.id});
    CHECK_FALSE(page.has_more);
  }
  CHECK(ids_of(c.run(c.s->load_threads(100, std::nullopt, sort_order::asc, c.alice))) ==
        std::vector<std::string>{w.thread.id});
}

void bob_cannot_page_with_alices_thread(check_context& c) {
  auto w = make_world(c);
  c.new_thread(c.bob, 5);
  expect_hidden(c, w, [&] { c.run(c.s->load_threads(10, w.thread.id, sort_order::asc, c.bob)); });
}

void bob_cannot_update_thread(check_context& c) {
  auto w = make_world(c);
  auto hijack = w.thread;
  hijack.title = "pwned";
  const std::string before = snapshot(c, w);
  auto foreign = expect_error(chatkit::errc::not_found, [&] { c.run(c.s->save_thread(hijack, c.bob)); });
  CHECK(snapshot(c, w) == before);
  CHECK(c.run(c.s->load_threads(10, std::nullopt, sort_order::asc, c.bob)).data.empty());
  // Worded exactly as load_thread words a missing thread.
  vanish(c, w);
  auto missing = expect_error(chatkit::errc::not_found, [&] { c.run(c.s->load_thread(w.thread.id, c.bob)); });
  CHECK(foreign == missing);
}

void bob_cannot_delete_thread(check_context& c) {
  auto w = make_world(c);
  expect_hidden(c, w, [&] { c.run(c.s->delete_thread(w.thread.id, c.bob)); });
}

void bob_cannot_load_items(check_context& c) {
  auto w = make_world(c);
  expect_hidden(
      c, w, [&] { c.run(c.s->load_thread_items(w.thread.id, std::nullopt, 10, sort_order::asc, c.bob)); });
}

void bob_cannot_page_with_alices_item(check_context& c) {
  auto w = make_world(c);
  auto mine = c.new_thread(c.bob);
  c.new_item(c.bob, mine.id);
  c.new_item(c.bob, mine.id);
  // An item id of alice's is no cursor in bob's own thread either.
  expect_hidden(c, w, [&] {
    c.run(c.s->load_thread_items(mine.id, protocol::item_id(w.items[0]), 10, sort_order::asc, c.bob));
  });
}

void bob_cannot_add_items(check_context& c) {
  auto w = make_world(c);
  // Neither a new id nor an existing one (which must not answer "conflict" and so reveal it).
  expect_hidden(c, w, [&] {
    c.run(
        c.s->add_thread_item(w.thread.id, assistant_message(w.thread.id, c.id("msg"), at(9), "spam"), c.bob));
  });
  auto w2 = make_world(c);
  expect_hidden(c, w2, [&] {
    c.run(c.s->add_thread_item(
        w2.thread.id, assistant_message(w2.thread.id, protocol::item_id(w2.items[1]), at(9), "spam"), c.bob));
  });
}

void bob_cannot_save_items(check_context& c) {
  auto w = make_world(c);
  expect_hidden(c, w, [&] {
    c.run(c.s->save_item(
        w.thread.id, assistant_message(w.thread.id, protocol::item_id(w.items[1]), at(1), "forged"), c.bob));
  });
  auto w2 = make_world(c);
  expect_hidden(c, w2, [&] {
    c.run(c.s->save_item(w2.thread.id, assistant_message(w2.thread.id, c.id("msg"), at(1), "forged"), c.bob));
  });
}

void bob_cannot_load_item(check_context& c) {
  auto w = make_world(c);
  expect_hidden(c, w, [&] { c.run(c.s->load_item(w.thread.id, protocol::item_id(w.items[0]), c.bob)); });
}

void bob_cannot_delete_item(check_context& c) {
  auto w = make_world(c);
  expect_hidden(c, w,
                [&] { c.run(c.s->delete_thread_item(w.thread.id, protocol::item_id(w.items[2]), c.bob)); });
}

void bob_cannot_load_attachment(check_context& c) {
  auto w = make_world(c);
  expect_hidden(c, w, [&] { c.run(c.s->load_attachment(w.attachment.id, c.bob)); });
}

void bob_cannot_delete_attachment(check_context& c) {
  auto w = make_world(c);
  expect_hidden(c, w, [&] { c.run(c.s->delete_attachment(w.attachment.id, c.bob)); });
}

void bob_cannot_overwrite_attachment(check_context& c) {
  auto w = make_world(c);
  auto forged = w.attachment;
  forged.name = "forged.pdf";
  forged.thread_id = c.id("thr");
  const std::string before = snapshot(c, w);
  auto foreign = expect_error(chatkit::errc::not_found, [&] { c.run(c.s->save_attachment(forged, c.bob)); });
  CHECK(snapshot(c, w) == before);
  vanish(c, w);
  auto missing =
      expect_error(chatkit::errc::not_found, [&] { c.run(c.s->load_attachment(w.attachment.id, c.bob)); });
  CHECK(foreign == missing);
}

void similar_user_ids_are_different_users(check_context& c) {
  // Exact comparison of user ids: no prefix match, no case folding, no trimming.
  auto w = make_world(c);
  const std::string& a = c.alice.user_id;
  std::string upper = a;
  upper[0] = 'A';
  for (const std::string& other :
       {a + "x", a.substr(0, a.size() - 1), upper, a + " ", std::string("%"), std::string("*")}) {
    request_context who;
    who.user_id = other;
    INFO("user id: " << other);
    expect_error(chatkit::errc::not_found, [&] { c.run(c.s->load_thread(w.thread.id, who)); });
    expect_error(chatkit::errc::not_found, [&] { c.run(c.s->load_attachment(w.attachment.id, who)); });
    CHECK(c.run(c.s->load_threads(100, std::nullopt, sort_order::asc, who)).data.empty());
  }
}

void both_users_keep_their_own(check_context& c) {
  // The same shapes of data for two users, interleaved: each sees exactly theirs.
  std::vector<std::string> alice_threads, bob_threads;
  for (int i = 0; i < 4; ++i) {
    alice_threads.push_back(c.new_thread(c.alice, i).id);
    bob_threads.push_back(c.new_thread(c.bob, i).id);
  }
  auto ai = c.new_item(c.alice, alice_threads[0], 1);
  auto bi = c.new_item(c.bob, bob_threads[0], 1);
  CHECK(walk_threads(c, c.alice, 3, sort_order::asc) == alice_threads);
  CHECK(walk_threads(c, c.bob, 3, sort_order::asc) == bob_threads);
  CHECK(ids_of(c.run(c.s->load_thread_items(alice_threads[0], std::nullopt, 10, sort_order::asc, c.alice))) ==
        std::vector<std::string>{protocol::item_id(ai)});
  CHECK(ids_of(c.run(c.s->load_thread_items(bob_threads[0], std::nullopt, 10, sort_order::asc, c.bob))) ==
        std::vector<std::string>{protocol::item_id(bi)});
  // Bob deleting all of his leaves alice's intact.
  for (const auto& id : bob_threads) c.run(c.s->delete_thread(id, c.bob));
  CHECK(walk_threads(c, c.alice, 3, sort_order::asc) == alice_threads);
  CHECK(walk_threads(c, c.bob, 3, sort_order::asc).empty());
}

}  // namespace

void add_isolation_checks(std::vector<check>& out) {
  out.push_back({"isolation: load_thread of another user's thread is not_found", "[isolation]",
                 bob_cannot_load_thread});
  out.push_back(
      {"isolation: load_threads lists only the caller's threads", "[isolation]", bob_cannot_list_threads});
  out.push_back({"isolation: another user's thread is not a load_threads cursor", "[isolation]",
                 bob_cannot_page_with_alices_thread});
  out.push_back({"isolation: save_thread with another user's thread id is not_found", "[isolation]",
                 bob_cannot_update_thread});
  out.push_back({"isolation: delete_thread of another user's thread is not_found", "[isolation]",
                 bob_cannot_delete_thread});
  out.push_back({"isolation: load_thread_items of another user's thread is not_found", "[isolation]",
                 bob_cannot_load_items});
  out.push_back({"isolation: another user's item is not a load_thread_items cursor", "[isolation]",
                 bob_cannot_page_with_alices_item});
  out.push_back({"isolation: add_thread_item into another user's thread is not_found", "[isolation]",
                 bob_cannot_add_items});
  out.push_back(
      {"isolation: save_item into another user's thread is not_found", "[isolation]", bob_cannot_save_items});
  out.push_back(
      {"isolation: load_item from another user's thread is not_found", "[isolation]", bob_cannot_load_item});
  out.push_back({"isolation: delete_thread_item in another user's thread is not_found", "[isolation]",
                 bob_cannot_delete_item});
  out.push_back({"isolation: load_attachment of another user's attachment is not_found", "[isolation]",
                 bob_cannot_load_attachment});
  out.push_back({"isolation: delete_attachment of another user's attachment is not_found", "[isolation]",
                 bob_cannot_delete_attachment});
  out.push_back({"isolation: save_attachment with another user's attachment id is not_found", "[isolation]",
                 bob_cannot_overwrite_attachment});
  out.push_back(
      {"isolation: user ids are compared exactly", "[isolation]", similar_user_ids_are_different_users});
  out.push_back({"isolation: two users' data never mix", "[isolation]", both_users_keep_their_own});
}

}  // namespace chatkit::store::testing::detail
