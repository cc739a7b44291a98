// In-process pipeline throughput: events/s through chatkit_server::process() for the echo bot's
// `stream 1000` reply (1,004 events after the prelude) into a sink that discards the bytes, on the memory
// store, one core. Also prints heap allocations per event. Nothing is asserted.
#include "common/alloc_counter.hpp"

#include "echo_bot.hpp"

#include <chatkit/store/memory_store.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdio>

namespace asio = boost::asio;

namespace {

struct discarding_sink : chatkit::server::event_sink {
  std::size_t bytes = 0;
  std::size_t writes = 0;
  asio::awaitable<void> write(std::string_view frames) override {
    bytes += frames.size();
    ++writes;
    co_return;
  }
};

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 200;
  asio::io_context ioc;
  auto store = std::make_shared<chatkit::store::memory_store>();
  chatkit::examples::echo_bot bot(store);
  const chatkit::request_context ctx{"bench-user", {}, {}};

  discarding_sink sink;
  std::string thread_id;
  std::uint64_t allocs = 0;
  double seconds = 0;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        // One thread; each round adds a user message answered by a 1,000-delta stream.
        auto created = co_await bot.process(
            R"({"type":"threads.create","params":{"input":{"content":[{"type":"input_text","text":"hi"}],"attachments":[],"inference_options":{}}}})",
            ctx);
        discarding_sink first;
        co_await std::get<chatkit::server::event_stream>(created).run(first);
        auto page = co_await store->load_threads(1, std::nullopt, chatkit::protocol::sort_order::desc, ctx);
        thread_id = page.data.at(0).id;
        const std::string body =
            R"({"type":"threads.add_user_message","params":{"thread_id":")" + thread_id +
            R"(","input":{"content":[{"type":"input_text","text":"stream 1000"}],"attachments":[],"inference_options":{}}}})";
        const auto start = std::chrono::steady_clock::now();
        const auto before = chatkit::bench::allocations.load();
        for (int i = 0; i < rounds; ++i) {
          auto r = co_await bot.process(body, ctx);
          co_await std::get<chatkit::server::event_stream>(r).run(sink);
        }
        allocs = chatkit::bench::allocations.load() - before;
        seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      },
      asio::detached);
  ioc.run();
  const double events = static_cast<double>(sink.writes);
  std::printf("chatkit server pipeline benchmark (one core, memory store, echo bot `stream 1000`)\n");
  std::printf("responses            %d\n", rounds);
  std::printf("events               %.0f\n", events);
  std::printf("events/s             %.0f\n", events / seconds);
  std::printf("MB/s of SSE          %.1f\n", static_cast<double>(sink.bytes) / seconds / 1e6);
  std::printf("allocations/event    %.2f\n", static_cast<double>(allocs) / events);
  return 0;
}
