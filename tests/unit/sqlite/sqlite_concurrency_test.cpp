// Many concurrent writers: coroutines on a multi-threaded io_context and two store instances (as two
// server processes would) appending to the same file at once lose nothing and keep each writer's order.
#include "sqlite_test_util.hpp"

#include <chatkit/sqlite/sqlite_store.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <exception>
#include <map>
#include <thread>

using namespace chatkit;
using namespace chatkit::sqlite_test;

TEST_CASE("sqlite store: concurrent writers through two instances lose nothing", "[sqlite][concurrency]") {
  temp_dir dir;
  const auto path = dir.file("shared.db");
  store::sqlite_store first({.path = path, .threads = 3});
  store::sqlite_store second({.path = path, .threads = 3});
  const auto alice = user("alice");
  run_sync(first.save_thread(make_thread("thr_shared"), alice));

  constexpr int writers = 8;
  constexpr int per_writer = 60;
  boost::asio::io_context ioc;
  std::atomic<int> failures{0};
  std::string first_error;
  for (int w = 0; w < writers; ++w) {
    store::store& target = w % 2 ? static_cast<store::store&>(second) : first;
    boost::asio::co_spawn(
        ioc,
        [&target, &alice, w]() -> boost::asio::awaitable<void> {
          for (int i = 0; i < per_writer; ++i) {
            const std::string id = "msg_w" + std::to_string(w) + "_" + std::to_string(i);
            // Each writer's items have increasing timestamps; writers interleave.
            co_await target.add_thread_item("thr_shared", make_message("thr_shared", id, id, i), alice);
          }
        },
        [&](std::exception_ptr ep) {
          if (ep) ++failures;
        });
  }
  run_on_threads(ioc, 4);
  REQUIRE(failures == 0);

  // Walk every page through the other instance.
  std::vector<std::string> all;
  std::optional<std::string> after;
  do {
    auto page = run_sync(second.load_thread_items("thr_shared", after, 37, protocol::sort_order::asc, alice));
    for (const auto& item : page.data) all.push_back(protocol::item_id(item));
    after = page.after;
  } while (after);
  REQUIRE(all.size() == writers * per_writer);
  std::map<int, int> next;  // writer -> next expected index
  for (const auto& id : all) {
    const auto us = id.find('_', 5);
    const int w = std::stoi(id.substr(5, us - 5));
    const int i = std::stoi(id.substr(us + 1));
    CHECK(i == next[w]);
    next[w] = i + 1;
  }
}

// Group commit seen from the store: many users' writers append at once (their writes share transactions);
// every append is readable (through a reader connection) as soon as its call returned, a refused one (another
// user's thread, a taken id) fails alone, and each thread holds exactly its user's items in each writer's
// order.
TEST_CASE("sqlite store: concurrent appends of several users all land, each readable when its call returns",
          "[sqlite][concurrency]") {
  temp_dir dir;
  store::sqlite_store s({.path = dir.file("many.db"), .threads = 2, .synchronous_full = true});
  constexpr int users = 4;
  constexpr int writers_per_user = 8;
  constexpr int per_writer = 25;
  for (int u = 0; u < users; ++u) {
    const auto id = "thr_u" + std::to_string(u);
    run_sync(s.save_thread(make_thread(id), user("user" + std::to_string(u))));
  }

  boost::asio::io_context ioc;
  std::atomic<int> failures{0};
  std::atomic<int> invisible{0};
  std::atomic<int> wrongly_accepted{0};
  for (int u = 0; u < users; ++u) {
    for (int w = 0; w < writers_per_user; ++w) {
      boost::asio::co_spawn(
          ioc,
          [&, u, w]() -> boost::asio::awaitable<void> {
            const auto ctx = user("user" + std::to_string(u));
            const auto thread_id = "thr_u" + std::to_string(u);
            for (int i = 0; i < per_writer; ++i) {
              const auto id = "msg_w" + std::to_string(w) + "_" + std::to_string(i);
              co_await s.add_thread_item(thread_id, make_message(thread_id, id, id, i), ctx);
              // Committed before the call returned: a reader sees it now.
              try {
                (void)co_await s.load_item(thread_id, id, ctx);
              } catch (const std::exception&) {
                ++invisible;
              }
              if (i % 5 == 0) {
                // Refused writes in the same batches: another user's thread, and a taken id.
                const auto other = "thr_u" + std::to_string((u + 1) % users);
                try {
                  co_await s.add_thread_item(other, make_message(other, id + "_x", "x"), ctx);
                  ++wrongly_accepted;
                } catch (const chatkit::error& e) {
                  if (e.code_value() != chatkit::errc::not_found) ++wrongly_accepted;
                }
                try {
                  co_await s.add_thread_item(thread_id, make_message(thread_id, id, "again"), ctx);
                  ++wrongly_accepted;
                } catch (const chatkit::error& e) {
                  if (e.code_value() != chatkit::errc::conflict) ++wrongly_accepted;
                }
              }
            }
          },
          [&](std::exception_ptr ep) {
            if (ep) ++failures;
          });
    }
  }
  run_on_threads(ioc, 4);
  REQUIRE(failures == 0);
  CHECK(invisible == 0);
  CHECK(wrongly_accepted == 0);

  for (int u = 0; u < users; ++u) {
    const auto ctx = user("user" + std::to_string(u));
    const auto thread_id = "thr_u" + std::to_string(u);
    auto page = run_sync(s.load_thread_items(thread_id, std::nullopt, 1000, protocol::sort_order::asc, ctx));
    REQUIRE(page.data.size() == writers_per_user * per_writer);
    std::map<int, int> next;
    for (const auto& item : page.data) {
      const auto id = protocol::item_id(item);
      CHECK(message_text(item) == id);  // the first write of the id, never a refused "again"
      const auto us = id.find('_', 5);
      const int w = std::stoi(id.substr(5, us - 5));
      const int i = std::stoi(id.substr(us + 1));
      CHECK(i == next[w]);
      next[w] = i + 1;
    }
  }
}
