// bench_store — store throughput, printed as a table.
//
//   bench_store [--items N] [--page-loads N] [--only NAME]
//
// For every store of bench_targets():
//  * append: N items appended with add_thread_item (each writer to its own thread), by 1 writer and by
//    8 concurrent writers (coroutines on an io_context run by 8 threads); reported as appends/s in total.
//  * page load: load_thread_items(limit 20, desc) — what opening a conversation costs — on a thread of
//    1,000 items, by 1 and by 8 concurrent readers; reported as page loads/s in total.
// Wall-clock time of the whole batch, after one warm-up batch; the figure is items (or pages) / seconds.
#include "bench_targets.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace protocol = chatkit::protocol;
using chatkit::store::store;

namespace {

struct settings {
  std::size_t items = 20'000;       // appended per run, split across writers
  std::size_t page_loads = 20'000;  // per run, split across readers
  std::string only;
};

protocol::thread_item make_item(const std::string& thread_id, std::size_t n, protocol::timestamp t) {
  protocol::assistant_message_item m;
  m.id = "msg_" + thread_id + "_" + std::to_string(n);
  m.thread_id = thread_id;
  m.created_at = t;
  protocol::output_text part;
  part.text = "A typical assistant answer of a few sentences, about two hundred bytes long. It has some words, "
              "a number (42) and punctuation; nothing fancy, but enough to cost a realistic copy.";
  m.content.push_back(std::move(part));
  return m;
}

asio::awaitable<void> append_run(store& s, std::string thread_id, std::size_t count, chatkit::request_context ctx) {
  for (std::size_t i = 0; i < count; ++i)
    co_await s.add_thread_item(thread_id, make_item(thread_id, i, protocol::timestamp::now()), ctx);
}

asio::awaitable<void> load_run(store& s, std::string thread_id, std::size_t count, chatkit::request_context ctx) {
  for (std::size_t i = 0; i < count; ++i)
    (void)co_await s.load_thread_items(thread_id, std::nullopt, 20, protocol::sort_order::desc, ctx);
}

// Runs the coroutines made by `make(worker)` for `workers` workers on `threads` threads; returns seconds.
template <class Make>
double timed(asio::io_context& ioc, std::size_t workers, Make&& make) {
  std::vector<std::future<void>> done;
  for (std::size_t w = 0; w < workers; ++w) done.push_back(asio::co_spawn(ioc, make(w), asio::use_future));
  const auto start = std::chrono::steady_clock::now();
  ioc.restart();
  std::vector<std::thread> pool;
  for (std::size_t i = 0; i < workers; ++i) pool.emplace_back([&] { ioc.run(); });
  for (auto& t : pool) t.join();
  const auto stop = std::chrono::steady_clock::now();
  for (auto& d : done) d.get();
  return std::chrono::duration<double>(stop - start).count();
}

void new_thread(asio::io_context& ioc, store& s, const std::string& id, const chatkit::request_context& ctx) {
  protocol::thread_metadata t;
  t.id = id;
  t.created_at = protocol::timestamp::now();
  auto f = asio::co_spawn(ioc, s.save_thread(t, ctx), asio::use_future);
  ioc.restart();
  ioc.run();
  f.get();
}

double appends_per_second(const chatkit::bench::bench_target& target, std::size_t writers, std::size_t items,
                          int round) {
  asio::io_context ioc;
  auto s = target.make(ioc);
  chatkit::request_context ctx;
  ctx.user_id = "bench-user";
  std::vector<std::string> threads;
  for (std::size_t w = 0; w < writers; ++w) {
    threads.push_back("thr_bench_" + std::to_string(round) + "_" + std::to_string(w));
    new_thread(ioc, *s, threads.back(), ctx);
  }
  const std::size_t per_writer = items / writers;
  const double secs =
      timed(ioc, writers, [&](std::size_t w) { return append_run(*s, threads[w], per_writer, ctx); });
  return static_cast<double>(per_writer * writers) / secs;
}

double page_loads_per_second(const chatkit::bench::bench_target& target, std::size_t readers, std::size_t loads,
                             int round) {
  asio::io_context ioc;
  auto s = target.make(ioc);
  chatkit::request_context ctx;
  ctx.user_id = "bench-user";
  const std::string thread_id = "thr_bench_pages_" + std::to_string(round);
  new_thread(ioc, *s, thread_id, ctx);
  timed(ioc, 1, [&](std::size_t) { return append_run(*s, thread_id, 1000, ctx); });
  const std::size_t per_reader = loads / readers;
  const double secs = timed(ioc, readers, [&](std::size_t) { return load_run(*s, thread_id, per_reader, ctx); });
  return static_cast<double>(per_reader * readers) / secs;
}

}  // namespace

int main(int argc, char** argv) {
  settings cfg;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--items" && i + 1 < argc) {
      cfg.items = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--page-loads" && i + 1 < argc) {
      cfg.page_loads = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--only" && i + 1 < argc) {
      cfg.only = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--items N] [--page-loads N] [--only STORE]\n", argv[0]);
      return 2;
    }
  }
  if (cfg.items < 8 || cfg.page_loads < 8) {
    std::fprintf(stderr, "--items and --page-loads must be at least 8\n");
    return 2;
  }

  std::printf("%-10s %16s %16s %18s %18s\n", "store", "appends/s (1)", "appends/s (8)", "page loads/s (1)",
              "page loads/s (8)");
  for (const auto& target : chatkit::bench::bench_targets()) {
    if (!cfg.only.empty() && cfg.only != target.name) continue;
    {
      asio::io_context probe;
      if (!target.make(probe)) {
        std::printf("%-10s skipped (not configured)\n", target.name.c_str());
        continue;
      }
    }
    try {
      appends_per_second(target, 1, cfg.items / 10, 0);  // warm-up
      const double a1 = appends_per_second(target, 1, cfg.items, 1);
      const double a8 = appends_per_second(target, 8, cfg.items, 2);
      page_loads_per_second(target, 1, cfg.page_loads / 10, 3);  // warm-up
      const double p1 = page_loads_per_second(target, 1, cfg.page_loads, 4);
      const double p8 = page_loads_per_second(target, 8, cfg.page_loads, 5);
      std::printf("%-10s %16.0f %16.0f %18.0f %18.0f\n", target.name.c_str(), a1, a8, p1, p8);
    } catch (const std::exception& e) {
      std::printf("%-10s failed: %s\n", target.name.c_str(), e.what());
    }
  }
  std::printf("(%zu appends and %zu page loads of 20 per measurement; %u hardware threads)\n", cfg.items,
              cfg.page_loads, std::thread::hardware_concurrency());
  return 0;
}
