// Prints throughput figures for the OpenAI client (see docs/openai-client.md, "Performance"):
//   1. SSE framing only (sse_parser): MB/s and events/s on a large recorded-shape Responses stream;
//   2. typed Responses events + accumulator (responses_decoder): MB/s, events/s, heap allocations/delta;
//   3. end to end: deltas/s streamed from the scripted server over loopback through the full client.
// Method: the stream is built in memory (N text deltas between the usual lifecycle events), fed in 16 KiB
// pieces like socket reads; each figure is the best of several runs. Allocations are counted by a
// replaced global operator new.
#include <chatkit/openai/client.hpp>
#include <chatkit/openai/responses_decoder.hpp>
#include <chatkit/openai/sse_parser.hpp>

#include "openai/scripted_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>

namespace {
std::atomic<std::size_t> allocations{0};
}

void* operator new(std::size_t n) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

using clock_type = std::chrono::steady_clock;
using namespace chatkit::openai;

std::string make_stream(std::size_t deltas) {
  std::string s;
  std::size_t seq = 0;
  auto add = [&](const char* type, const std::string& json) {
    s += "event: ";
    s += type;
    s += "\ndata: ";
    s += json;
    s += "\n\n";
    ++seq;
  };
  const std::string resp = R"({"id":"resp_b","object":"response","created_at":1700000000,"status":"in_progress","model":"gpt-test","output":[],"parallel_tool_calls":true,"tool_choice":"auto","tools":[],"error":null,"incomplete_details":null,"usage":null})";
  add("response.created", R"({"type":"response.created","sequence_number":0,"response":)" + resp + "}");
  add("response.output_item.added",
      R"({"type":"response.output_item.added","sequence_number":1,"output_index":0,"item":{"id":"msg_b","type":"message","status":"in_progress","role":"assistant","content":[]}})");
  add("response.content_part.added",
      R"({"type":"response.content_part.added","sequence_number":2,"item_id":"msg_b","output_index":0,"content_index":0,"part":{"type":"output_text","text":"","annotations":[],"logprobs":[]}})");
  for (std::size_t i = 0; i < deltas; ++i) {
    add("response.output_text.delta", R"({"type":"response.output_text.delta","sequence_number":)" + std::to_string(seq) +
                                          R"(,"item_id":"msg_b","output_index":0,"content_index":0,"delta":" token","logprobs":[],"obfuscation":"a1b2c3"})");
  }
  std::string done = resp;
  done.replace(done.find("in_progress"), 11, "completed");
  add("response.completed", R"({"type":"response.completed","sequence_number":)" + std::to_string(seq) + R"(,"response":)" + done + "}");
  return s;
}

double seconds_since(clock_type::time_point t) { return std::chrono::duration<double>(clock_type::now() - t).count(); }

void bench_framing(const std::string& body) {
  double best = 1e9;
  std::size_t events = 0;
  for (int run = 0; run < 5; ++run) {
    chatkit::openai::sse_parser p;
    events = 0;
    const auto t0 = clock_type::now();
    boost::system::error_code ec;
    for (std::size_t i = 0; i < body.size(); i += 16384) {
      p.feed(std::string_view(body).substr(i, 16384));
      while (auto e = p.next(ec)) events += e->data.size() > 0 ? 1 : 0;
    }
    best = std::min(best, seconds_since(t0));
  }
  std::printf("sse_parser (framing only): %8.1f MB/s  %10.0f events/s  (%zu events, %.1f MB)\n",
              static_cast<double>(body.size()) / best / 1e6, static_cast<double>(events) / best, events,
              static_cast<double>(body.size()) / 1e6);
}

void bench_typed(const std::string& body, std::size_t deltas) {
  double best = 1e9;
  std::size_t events = 0;
  std::size_t allocs = 0;
  for (int run = 0; run < 5; ++run) {
    responses_decoder d;
    events = 0;
    const auto a0 = allocations.load();
    const auto t0 = clock_type::now();
    for (std::size_t i = 0; i < body.size(); i += 16384) {
      d.feed(std::string_view(body).substr(i, 16384));
      while (auto e = d.next()) ++events;
    }
    d.finish();
    best = std::min(best, seconds_since(t0));
    allocs = allocations.load() - a0;
    if (d.accumulator().current().output_text().size() != deltas * 6) std::abort();
  }
  std::printf("responses_decoder (typed events + accumulator): %8.1f MB/s  %10.0f events/s  %.2f allocations/delta\n",
              static_cast<double>(body.size()) / best / 1e6, static_cast<double>(events) / best,
              static_cast<double>(allocs) / static_cast<double>(deltas));
}

void bench_end_to_end(const std::string& body, std::size_t deltas) {
  namespace net = boost::asio;
  double best = 1e9;
  for (int run = 0; run < 3; ++run) {
    chatkit::openai::testing::scripted_server server;
    server.add(chatkit::openai::testing::exchange::sse(body, "req_bench", chatkit::openai::testing::write_plan::split_every(16384)));
    net::io_context ioc;
    client_options o;
    o.api_key = "bench";
    o.base_url = server.base_url();
    o.proxy = "";
    client c(ioc.get_executor(), o);
    // A named closure: the coroutine refers to its captures after co_spawn returns.
    auto consume = [&]() -> net::awaitable<std::size_t> {
      boost::json::object params;
      params["model"] = "gpt-test";
      params["input"] = "bench";
      auto s = co_await c.stream_response(std::move(params));
      std::size_t n = 0;
      while (auto e = co_await s.next()) n += std::holds_alternative<output_text_delta>(*e) ? 1 : 0;
      co_return n;
    };
    const auto t0 = clock_type::now();
    auto fut = net::co_spawn(ioc, consume(), net::use_future);
    ioc.run();
    if (fut.get() != deltas) std::abort();
    best = std::min(best, seconds_since(t0));
  }
  std::printf("end to end over loopback (scripted server -> client): %10.0f deltas/s  %8.1f MB/s\n",
              static_cast<double>(deltas) / best, static_cast<double>(body.size()) / best / 1e6);
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t deltas = argc > 1 ? static_cast<std::size_t>(std::strtoull(argv[1], nullptr, 10)) : 200000;
  const std::string body = make_stream(deltas);
  bench_framing(body);
  bench_typed(body, deltas);
  bench_end_to_end(body, deltas);
  return 0;
}
