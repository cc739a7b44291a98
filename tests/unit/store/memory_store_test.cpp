// memory_store behaviour beyond the contract suite: what it documents for the cases the contract leaves open.
#include <chatkit/store/memory_store.hpp>
#include <chatkit/store/testing/store_contract.hpp>

#include <catch2/catch.hpp>

using chatkit::store::memory_store;
using chatkit::store::testing::run_sync;
namespace protocol = chatkit::protocol;

namespace {

chatkit::request_context user(std::string id) {
  chatkit::request_context ctx;
  ctx.user_id = std::move(id);
  return ctx;
}

protocol::timestamp second(std::int64_t s) { return protocol::timestamp{1'700'000'000'000'000 + s * 1'000'000}; }

protocol::thread_item message(const std::string& thread_id, const std::string& id, protocol::timestamp t,
                              const std::string& text) {
  protocol::assistant_message_item m;
  m.id = id;
  m.thread_id = thread_id;
  m.created_at = t;
  protocol::output_text part;
  part.text = text;
  m.content.push_back(part);
  return m;
}

protocol::thread_metadata thread(std::string id, protocol::timestamp created_at) {
  protocol::thread_metadata t;
  t.id = std::move(id);
  t.created_at = created_at;
  return t;
}

std::vector<std::string> item_ids(memory_store& s, const std::string& thread_id, const chatkit::request_context& ctx) {
  std::vector<std::string> out;
  auto page = run_sync(s.load_thread_items(thread_id, std::nullopt, 100, protocol::sort_order::asc, ctx));
  for (const auto& i : page.data) out.push_back(protocol::item_id(i));
  return out;
}

}  // namespace

TEST_CASE("memory_store: save_item keeps the item's place even when created_at changes", "[memory_store]") {
  memory_store s;
  auto alice = user("alice");
  run_sync(s.save_thread(thread("thr_1", second(0)), alice));
  for (int i = 0; i < 3; ++i)
    run_sync(s.add_thread_item("thr_1", message("thr_1", "msg_" + std::to_string(i), second(i), "x"), alice));
  run_sync(s.save_item("thr_1", message("thr_1", "msg_0", second(100), "moved?"), alice));
  CHECK(item_ids(s, "thr_1", alice) == std::vector<std::string>{"msg_0", "msg_1", "msg_2"});
  auto loaded = run_sync(s.load_item("thr_1", "msg_0", alice));
  CHECK(protocol::base(loaded).created_at == second(100));  // the new version is stored as given
}

TEST_CASE("memory_store: save_thread with a new created_at re-sorts the thread", "[memory_store]") {
  memory_store s;
  auto alice = user("alice");
  for (int i = 0; i < 3; ++i)
    run_sync(s.save_thread(thread("thr_" + std::to_string(i), second(i)), alice));
  run_sync(s.save_thread(thread("thr_0", second(10)), alice));
  auto page = run_sync(s.load_threads(10, std::nullopt, protocol::sort_order::asc, alice));
  std::vector<std::string> ids;
  for (const auto& t : page.data) ids.push_back(t.id);
  CHECK(ids == std::vector<std::string>{"thr_1", "thr_2", "thr_0"});
  // Back to an equal created_at: its original insertion sequence places it first again.
  run_sync(s.save_thread(thread("thr_0", second(1)), alice));
  page = run_sync(s.load_threads(10, std::nullopt, protocol::sort_order::asc, alice));
  ids.clear();
  for (const auto& t : page.data) ids.push_back(t.id);
  CHECK(ids == std::vector<std::string>{"thr_0", "thr_1", "thr_2"});
}

TEST_CASE("memory_store: ids are one namespace across users", "[memory_store]") {
  // A second user cannot claim a thread id in use: that would be a silent takeover of the first one's data.
  memory_store s;
  auto alice = user("alice");
  auto bob = user("bob");
  run_sync(s.save_thread(thread("thr_x", second(0)), alice));
  auto attempt = [&] { run_sync(s.save_thread(thread("thr_x", second(1)), bob)); };
  CHECK_THROWS_AS(attempt(), chatkit::error);
  CHECK(run_sync(s.load_thread("thr_x", alice)).created_at == second(0));
}

TEST_CASE("memory_store: a user's last thread deleted leaves an empty listing", "[memory_store]") {
  memory_store s;
  auto alice = user("alice");
  run_sync(s.save_thread(thread("thr_a", second(0)), alice));
  run_sync(s.delete_thread("thr_a", alice));
  auto page = run_sync(s.load_threads(5, std::nullopt, protocol::sort_order::desc, alice));
  CHECK(page.data.empty());
  CHECK_FALSE(page.has_more);
  // And the user can start again.
  run_sync(s.save_thread(thread("thr_a", second(0)), alice));
  CHECK(run_sync(s.load_threads(5, std::nullopt, protocol::sort_order::desc, alice)).data.size() == 1);
}
