// Concurrency: many coroutines on a multi-threaded io_context writing at once lose nothing and keep
// each writer's order.
#include "check_context.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <future>
#include <map>
#include <set>
#include <thread>

namespace chatkit::store::testing::detail {

namespace {

using protocol::sort_order;
namespace asio = boost::asio;

// Lets other coroutines run between two writes, so the writers really interleave.
asio::awaitable<void> yield_once() {
  co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
}

asio::awaitable<void> append_items(store* s, std::string thread_id, std::vector<std::string> ids,
                                   protocol::timestamp created_at, request_context who) {
  for (const auto& id : ids) {
    co_await s->add_thread_item(thread_id, assistant_message(thread_id, id, created_at, id), who);
    co_await yield_once();
  }
}

asio::awaitable<void> create_threads(store* s, std::vector<std::string> ids, protocol::timestamp created_at,
                                     request_context who) {
  for (const auto& id : ids) {
    protocol::thread_metadata t;
    t.id = id;
    t.created_at = created_at;
    co_await s->save_thread(t, who);
    co_await yield_once();
  }
}

asio::awaitable<void> rewrite_item(store* s, std::string thread_id, std::string item_id, std::size_t writer,
                                   std::size_t rounds, request_context who) {
  for (std::size_t i = 0; i < rounds; ++i) {
    co_await s->save_item(thread_id, assistant_message(thread_id, item_id, at(1), std::to_string(writer)), who);
    (void)co_await s->load_item(thread_id, item_id, who);
    co_await yield_once();
  }
}

// Spawns every coroutine, runs the io_context on options.io_threads threads, and rethrows the first failure.
void run_concurrently(check_context& c, std::vector<asio::awaitable<void>> work) {
  std::vector<std::future<void>> done;
  for (auto& w : work) done.push_back(asio::co_spawn(c.ioc, std::move(w), asio::use_future));
  c.ioc.restart();
  std::vector<std::thread> pool;
  const std::size_t threads = std::max<std::size_t>(1, c.options.io_threads);
  for (std::size_t i = 0; i < threads; ++i) pool.emplace_back([&] { c.ioc.run(); });
  for (auto& t : pool) t.join();
  for (auto& d : done) d.get();
}

void concurrent_appends(check_context& c) {
  auto t = c.new_thread(c.alice);
  const std::size_t writers = c.options.concurrent_writers;
  const std::size_t per_writer = c.options.items_per_writer;
  // Every item has the same created_at, so only the insertion order can keep each writer's items in order.
  std::map<std::string, std::pair<std::size_t, std::size_t>> origin;  // id -> (writer, index)
  std::vector<asio::awaitable<void>> work;
  for (std::size_t w = 0; w < writers; ++w) {
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < per_writer; ++i) {
      ids.push_back(c.id("msg") + "-w" + std::to_string(w) + "-" + std::to_string(i));
      origin[ids.back()] = {w, i};
    }
    work.push_back(append_items(c.s.get(), t.id, std::move(ids), at(7), c.alice));
  }
  run_concurrently(c, std::move(work));

  auto all = walk_items(c, c.alice, t.id, 97, sort_order::asc);
  REQUIRE(all.size() == writers * per_writer);
  CHECK(std::set<std::string>(all.begin(), all.end()).size() == all.size());
  std::vector<std::size_t> next(writers, 0);
  for (const auto& id : all) {
    auto it = origin.find(id);
    REQUIRE(it != origin.end());
    auto [w, i] = it->second;
    INFO("item " << id);
    CHECK(i == next[w]);  // each writer's items appear in the order it wrote them
    next[w] = i + 1;
  }
  // The reverse walk is the exact mirror.
  auto desc = walk_items(c, c.alice, t.id, 101, sort_order::desc);
  std::reverse(desc.begin(), desc.end());
  CHECK(desc == all);
}

void concurrent_thread_creation(check_context& c) {
  const std::size_t writers = c.options.concurrent_writers;
  const std::size_t per_writer = std::max<std::size_t>(1, c.options.items_per_writer / 8);
  std::map<std::string, std::pair<std::size_t, std::size_t>> origin;
  std::vector<asio::awaitable<void>> work;
  for (std::size_t w = 0; w < writers; ++w) {
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < per_writer; ++i) {
      ids.push_back(c.id("thr") + "-w" + std::to_string(w) + "-" + std::to_string(i));
      origin[ids.back()] = {w, i};
    }
    // Alternate users: the two users' threads are written at the same time.
    work.push_back(create_threads(c.s.get(), std::move(ids), at(3), w % 2 == 0 ? c.alice : c.bob));
  }
  run_concurrently(c, std::move(work));
  for (const request_context* who : {&c.alice, &c.bob}) {
    auto all = walk_threads(c, *who, 13, sort_order::asc);
    std::vector<std::size_t> next(writers, 0);
    for (const auto& id : all) {
      auto it = origin.find(id);
      REQUIRE(it != origin.end());
      auto [w, i] = it->second;
      CHECK((w % 2 == 0) == (who == &c.alice));
      CHECK(i == next[w]);
      next[w] = i + 1;
    }
    const std::size_t own_writers = who == &c.alice ? (writers + 1) / 2 : writers / 2;
    CHECK(all.size() == own_writers * per_writer);
  }
}

void concurrent_upserts_of_one_item(check_context& c) {
  auto t = c.new_thread(c.alice);
  auto before = c.new_item(c.alice, t.id, 0);
  auto item = c.new_item(c.alice, t.id, 1, "start");
  auto after = c.new_item(c.alice, t.id, 2);
  const std::size_t writers = c.options.concurrent_writers;
  std::vector<asio::awaitable<void>> work;
  for (std::size_t w = 0; w < writers; ++w)
    work.push_back(rewrite_item(c.s.get(), t.id, protocol::item_id(item), w, 20, c.alice));
  run_concurrently(c, std::move(work));
  // One item, still in place, holding one writer's complete version.
  auto ids = ids_of(c.run(c.s->load_thread_items(t.id, std::nullopt, 10, sort_order::asc, c.alice)));
  CHECK(ids == std::vector<std::string>{protocol::item_id(before), protocol::item_id(item), protocol::item_id(after)});
  auto final_item = c.run(c.s->load_item(t.id, protocol::item_id(item), c.alice));
  const auto& text = std::get<protocol::assistant_message_item>(final_item).content.at(0).text;
  bool from_a_writer = false;
  for (std::size_t w = 0; w < writers; ++w) from_a_writer = from_a_writer || text == std::to_string(w);
  CHECK(from_a_writer);
}

}  // namespace

void add_concurrency_checks(std::vector<check>& out) {
  out.push_back({"concurrent appends lose nothing and keep each writer's order", "[concurrency]", concurrent_appends});
  out.push_back({"concurrent thread creation by two users loses nothing", "[concurrency]", concurrent_thread_creation});
  out.push_back({"concurrent upserts of one item leave one whole version in place", "[concurrency]",
                 concurrent_upserts_of_one_item});
}

}  // namespace chatkit::store::testing::detail
