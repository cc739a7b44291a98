// bench_store — store throughput, printed as a table.
//
//   bench_store [--items N] [--page-loads N] [--writers W] [--seconds S] [--only NAME]
//
// For every store of bench_targets():
//  * append: up to N (default 120,000) items appended with add_thread_item (each writer to its own thread,
//    ids from the store's generate_item_id), by 1 writer, by 8 and by W (default 256) concurrent writers —
//    coroutines on an io_context run by up to 8 threads, each awaiting its append before the next, as the
//    items of W conversations would be; reported as appends/s in total. A store call resumes its caller only
//    once the write committed (for `sqlite`, durably: synchronous=FULL), so W concurrent writers are what
//    lets a group commit share one sync among them. With W writers the store's own threads' CPU time per
//    append is printed too (the process's CPU time less the bench's client threads'): where one writer thread
//    does every write, that is its cost per append, and unlike the wall-clock figure it barely moves when the
//    machine is busy.
//  * page load: load_thread_items(limit 20, desc) — what opening a conversation costs — on a thread of
//    1,000 items, by 1 and by 8 concurrent readers; reported as page loads/s in total.
// Every measurement stops after N items (pages) or S seconds (default 3), whichever comes first, after one
// warm-up; the figure is items (or pages) / wall-clock seconds.
#include "bench_targets.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_future.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <future>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace protocol = chatkit::protocol;
using chatkit::store::store;

namespace {

struct settings {
  // Appended per run, split across writers. Large enough that with 256 writers every thread outgrows a shared
  // index page: the steady state of a database of long conversations, not the first minutes of a new file.
  std::size_t items = 120'000;
  std::size_t page_loads = 20'000;  // per run, split across readers
  std::size_t writers = 256;        // the "many writers" column
  double seconds = 3;               // time box of one measurement
  std::string only;
};

using bench_clock = std::chrono::steady_clock;

// What one measurement did: operations completed, stopping early at the deadline.
struct tally {
  bench_clock::time_point deadline;
  std::atomic<std::size_t> done{0};
  bool over() const { return bench_clock::now() >= deadline; }
};

protocol::thread_item make_item(std::string id, const std::string& thread_id, protocol::timestamp t) {
  protocol::assistant_message_item m;
  m.id = std::move(id);
  m.thread_id = thread_id;
  m.created_at = t;
  protocol::output_text part;
  part.text =
      "A typical assistant answer of a few sentences, about two hundred bytes long. It has some words, "
      "a number (42) and punctuation; nothing fancy, but enough to cost a realistic copy.";
  m.content.push_back(std::move(part));
  return m;
}

// Appends `count` items, or fewer if the tally's deadline passed first. Their ids come from the store's
// generator, as a server's items' do.
asio::awaitable<void> append_run(store& s, std::string thread_id, std::size_t count,
                                 chatkit::request_context ctx, tally* t) {
  protocol::thread_metadata thread;
  thread.id = thread_id;
  for (std::size_t i = 0; i < count && !(t && t->over()); ++i) {
    auto id = s.generate_item_id(chatkit::store::id_kind::message, thread, ctx);
    co_await s.add_thread_item(thread_id, make_item(std::move(id), thread_id, protocol::timestamp::now()),
                               ctx);
    if (t) ++t->done;
  }
}

asio::awaitable<void> load_run(store& s, std::string thread_id, std::size_t count,
                               chatkit::request_context ctx, tally& t) {
  for (std::size_t i = 0; i < count && !t.over(); ++i) {
    (void)co_await s.load_thread_items(thread_id, std::nullopt, 20, protocol::sort_order::desc, ctx);
    ++t.done;
  }
}

double cpu_seconds(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// What one timed run took: wall-clock seconds, and the CPU seconds of the store's own threads (the process's
// CPU time over the run less that of the threads running the coroutines; the main thread only waits).
struct timing {
  double seconds = 0;
  double store_cpu = 0;
};

// Runs the coroutines made by `make(worker)` for `workers` workers on up to 8 threads.
template <class Make>
timing timed(asio::io_context& ioc, std::size_t workers, Make&& make) {
  std::vector<std::future<void>> done;
  for (std::size_t w = 0; w < workers; ++w) done.push_back(asio::co_spawn(ioc, make(w), asio::use_future));
  const double cpu_start = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID);
  const auto start = bench_clock::now();
  ioc.restart();
  const std::size_t threads = std::min<std::size_t>(workers, 8);
  std::vector<double> client_cpu(threads);
  std::vector<std::thread> pool;
  for (std::size_t i = 0; i < threads; ++i)
    pool.emplace_back([&, i] {
      ioc.run();
      client_cpu[i] = cpu_seconds(CLOCK_THREAD_CPUTIME_ID);
    });
  for (auto& t : pool) t.join();
  const auto stop = bench_clock::now();
  double store_cpu = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu_start;
  for (double c : client_cpu) store_cpu -= c;
  for (auto& d : done) d.get();
  return {std::chrono::duration<double>(stop - start).count(), std::max(store_cpu, 0.0)};
}

// Appends per second, and the store threads' CPU microseconds per append.
struct append_figures {
  double per_second = 0;
  double store_cpu_us = 0;
};

void new_thread(asio::io_context& ioc, store& s, const std::string& id, const chatkit::request_context& ctx) {
  protocol::thread_metadata t;
  t.id = id;
  t.created_at = protocol::timestamp::now();
  auto f = asio::co_spawn(ioc, s.save_thread(t, ctx), asio::use_future);
  ioc.restart();
  ioc.run();
  f.get();
}

append_figures appends_per_second(const chatkit::bench::bench_target& target, std::size_t writers,
                                  std::size_t items, double seconds, int round) {
  asio::io_context ioc;
  auto s = target.make(ioc);
  chatkit::request_context ctx;
  ctx.user_id = "bench-user";
  std::vector<std::string> threads;
  for (std::size_t w = 0; w < writers; ++w) {
    threads.push_back("thr_bench_" + std::to_string(round) + "_" + std::to_string(w));
    new_thread(ioc, *s, threads.back(), ctx);
  }
  const std::size_t per_writer = std::max<std::size_t>(items / writers, 1);
  tally t;
  t.deadline = bench_clock::now() +
               std::chrono::duration_cast<bench_clock::duration>(std::chrono::duration<double>(seconds));
  const auto run =
      timed(ioc, writers, [&](std::size_t w) { return append_run(*s, threads[w], per_writer, ctx, &t); });
  const auto n = static_cast<double>(std::max<std::size_t>(t.done.load(), 1));
  return {static_cast<double>(t.done.load()) / run.seconds, run.store_cpu * 1e6 / n};
}

double page_loads_per_second(const chatkit::bench::bench_target& target, std::size_t readers,
                             std::size_t loads, double seconds, int round) {
  asio::io_context ioc;
  auto s = target.make(ioc);
  chatkit::request_context ctx;
  ctx.user_id = "bench-user";
  const std::string thread_id = "thr_bench_pages_" + std::to_string(round);
  new_thread(ioc, *s, thread_id, ctx);
  // The 1,000 items come from 50 concurrent writers (a group-committing store takes them in few
  // transactions).
  timed(ioc, 50, [&](std::size_t) { return append_run(*s, thread_id, 20, ctx, nullptr); });
  const std::size_t per_reader = loads / readers;
  tally t;
  t.deadline = bench_clock::now() +
               std::chrono::duration_cast<bench_clock::duration>(std::chrono::duration<double>(seconds));
  const auto run =
      timed(ioc, readers, [&](std::size_t) { return load_run(*s, thread_id, per_reader, ctx, t); });
  return static_cast<double>(t.done.load()) / run.seconds;
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
    } else if (arg == "--writers" && i + 1 < argc) {
      cfg.writers = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--seconds" && i + 1 < argc) {
      cfg.seconds = std::strtod(argv[++i], nullptr);
    } else if (arg == "--only" && i + 1 < argc) {
      cfg.only = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: %s [--items N] [--page-loads N] [--writers W] [--seconds S] [--only STORE]\n",
                   argv[0]);
      return 2;
    }
  }
  if (cfg.items < 8 || cfg.page_loads < 8 || cfg.writers < 1 || !(cfg.seconds > 0)) {
    std::fprintf(stderr,
                 "--items and --page-loads must be at least 8, --writers at least 1, --seconds > 0\n");
    return 2;
  }

  const std::string many = "appends/s (" + std::to_string(cfg.writers) + ")";
  const std::string cpu = "store us/append (" + std::to_string(cfg.writers) + ")";
  std::printf("%-14s %14s %14s %16s %22s %17s %17s\n", "store", "appends/s (1)", "appends/s (8)",
              many.c_str(), cpu.c_str(), "page loads/s (1)", "page loads/s (8)");
  for (const auto& target : chatkit::bench::bench_targets()) {
    if (!cfg.only.empty() && cfg.only != target.name) continue;
    {
      asio::io_context probe;
      if (!target.make(probe)) {
        std::printf("%-14s skipped (not configured)\n", target.name.c_str());
        continue;
      }
    }
    try {
      const double warm = cfg.seconds / 5;
      appends_per_second(target, 1, cfg.items / 10, warm, 0);  // warm-up
      const auto a1 = appends_per_second(target, 1, cfg.items, cfg.seconds, 1);
      const auto a8 = appends_per_second(target, 8, cfg.items, cfg.seconds, 2);
      const auto an = appends_per_second(target, cfg.writers, cfg.items, cfg.seconds, 3);
      page_loads_per_second(target, 1, cfg.page_loads / 10, warm, 4);  // warm-up
      const double p1 = page_loads_per_second(target, 1, cfg.page_loads, cfg.seconds, 5);
      const double p8 = page_loads_per_second(target, 8, cfg.page_loads, cfg.seconds, 6);
      std::printf("%-14s %14.0f %14.0f %16.0f %22.1f %17.0f %17.0f\n", target.name.c_str(), a1.per_second,
                  a8.per_second, an.per_second, an.store_cpu_us, p1, p8);
    } catch (const std::exception& e) {
      std::printf("%-14s failed: %s\n", target.name.c_str(), e.what());
    }
    std::fflush(stdout);
  }
  std::printf(
      "(at most %zu appends and %zu page loads of 20 per measurement, at most %.1f s each; %u hardware "
      "threads)\n",
      cfg.items, cfg.page_loads, cfg.seconds, std::thread::hardware_concurrency());
  return 0;
}
