// Agent overhead per text delta, without the network: an in-memory model replays a streamed answer of N
// deltas (already-typed Responses events, as the client's parser would hand them over), and we measure
//   1. the runner alone (run_streamed → next() until the end), and
//   2. a full ChatKit turn through agent_server (history load + conversion, runner, stream_agent_response, event pipeline,
//      memory store, SSE framing into a discarding sink).
// Prints deltas/s and heap allocations per delta. Nothing is asserted. Usage: bench_agents [rounds] [deltas]
#include "common/alloc_counter.hpp"

#include <chatkit/agents/agent_server.hpp>
#include <chatkit/agents/runner.hpp>
#include <chatkit/store/memory_store.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace asio = boost::asio;
namespace json = boost::json;
namespace agents = chatkit::agents;
namespace openai = chatkit::openai;

namespace {

// The events of one streamed answer: created, message added, part added, N deltas, text/part/item done,
// completed.
std::vector<openai::response_event> answer_events(std::size_t deltas, const std::string& msg_id) {
  std::vector<openai::response_event> out;
  auto add = [&](json::object o) {
    auto ev = openai::parse_response_event(std::move(o));
    if (!ev) throw std::runtime_error("bad bench event");
    out.push_back(std::move(*ev));
  };
  std::int64_t seq = 0;
  const json::object response{{"id", "resp_bench"}, {"object", "response"}, {"created_at", 1700000000},
                              {"status", "in_progress"}, {"model", "bench"}, {"output", json::array{}}};
  add({{"type", "response.created"}, {"sequence_number", seq++}, {"response", response}});
  add({{"type", "response.output_item.added"}, {"sequence_number", seq++}, {"output_index", 0},
       {"item", {{"id", msg_id}, {"type", "message"}, {"role", "assistant"}, {"content", json::array{}}}}});
  add({{"type", "response.content_part.added"}, {"sequence_number", seq++}, {"item_id", msg_id},
       {"output_index", 0}, {"content_index", 0}, {"part", {{"type", "output_text"}, {"text", ""}}}});
  std::string text;
  for (std::size_t i = 0; i < deltas; ++i) {
    add({{"type", "response.output_text.delta"}, {"sequence_number", seq++}, {"item_id", msg_id},
         {"output_index", 0}, {"content_index", 0}, {"delta", "token "}});
    text += "token ";
  }
  add({{"type", "response.output_text.done"}, {"sequence_number", seq++}, {"item_id", msg_id},
       {"output_index", 0}, {"content_index", 0}, {"text", text}});
  json::object item{{"id", msg_id}, {"type", "message"}, {"role", "assistant"}, {"status", "completed"},
                    {"content", json::array{json::object{{"type", "output_text"}, {"text", text}, {"annotations", json::array{}}}}}};
  add({{"type", "response.output_item.done"}, {"sequence_number", seq++}, {"output_index", 0}, {"item", item}});
  json::object done = response;
  done["status"] = "completed";
  done["output"] = json::array{item};
  done["usage"] = json::object{{"input_tokens", 10}, {"output_tokens", static_cast<std::int64_t>(deltas)},
                               {"total_tokens", static_cast<std::int64_t>(deltas) + 10}};
  add({{"type", "response.completed"}, {"sequence_number", seq++}, {"response", done}});
  return out;
}

class replay_stream final : public agents::model_stream {
 public:
  explicit replay_stream(const std::vector<openai::response_event>& events) : events_(events) {}
  asio::awaitable<std::optional<openai::response_event>> next() override {
    if (i_ == events_.size()) co_return std::nullopt;
    const auto& ev = events_[i_++];
    if (auto* c = std::get_if<openai::response_completed>(&ev)) current_ = c->response;
    co_return ev;
  }
  const openai::response& current() const noexcept override { return current_; }
  void cancel() noexcept override { i_ = events_.size(); }

 private:
  const std::vector<openai::response_event>& events_;
  std::size_t i_ = 0;
  openai::response current_;
};

// Replays prepared answers in turn; each has its own message id, as real responses do (the store refuses a
// second item with the same id).
class replay_model final : public agents::model {
 public:
  replay_model(std::size_t deltas, std::size_t answers) {
    for (std::size_t i = 0; i < answers; ++i) answers_.push_back(answer_events(deltas, "msg_bench_" + std::to_string(i)));
  }
  asio::awaitable<std::unique_ptr<agents::model_stream>> stream(json::object) override {
    co_return std::make_unique<replay_stream>(answers_.at(next_++ % answers_.size()));
  }

 private:
  std::vector<std::vector<openai::response_event>> answers_;
  std::size_t next_ = 0;
};

struct discarding_sink : chatkit::server::event_sink {
  std::size_t bytes = 0;
  asio::awaitable<void> write(std::string_view frames) override {
    bytes += frames.size();
    co_return;
  }
};

void report(const char* what, double seconds, std::size_t deltas, std::uint64_t allocs) {
  std::printf("%-34s %10.0f deltas/s  %6.2f allocations/delta\n", what, static_cast<double>(deltas) / seconds,
              static_cast<double>(allocs) / static_cast<double>(deltas));
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 50;
  const std::size_t deltas = argc > 2 ? static_cast<std::size_t>(std::atoll(argv[2])) : 2000;
  auto model = std::make_shared<replay_model>(deltas, static_cast<std::size_t>(rounds) * 2 + 1);
  agents::agent a;
  a.name = "Bench";
  a.model = "bench";
  const chatkit::request_context caller{"bench-user", {}, {}};

  asio::io_context ioc;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        // 1. The runner alone.
        {
          const auto before = chatkit::bench::allocations.load();
          const auto start = std::chrono::steady_clock::now();
          for (int r = 0; r < rounds; ++r) {
            agents::run_context ctx(caller);
            auto run = agents::run_streamed(a, "hi", ctx, {.model = model});
            while (co_await run.next()) {
            }
          }
          const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
          report("runner (run_streamed + next)", took.count(), deltas * static_cast<std::size_t>(rounds),
                 chatkit::bench::allocations.load() - before);
        }
        // 2. Full ChatKit turns: one thread, one user message + streamed answer per round.
        {
          auto store = std::make_shared<chatkit::store::memory_store>();
          agents::agent_server bot(store, a, {.run = {.model = model}});
          auto created = co_await bot.process(
              R"({"type":"threads.create","params":{"input":{"content":[{"type":"input_text","text":"hi"}],"attachments":[],"inference_options":{}}}})",
              caller);
          discarding_sink first;
          co_await std::get<chatkit::server::event_stream>(created).run(first);
          auto page = co_await store->load_threads(1, std::nullopt, chatkit::protocol::sort_order::desc, caller);
          const std::string body =
              R"({"type":"threads.add_user_message","params":{"thread_id":")" + page.data.at(0).id +
              R"(","input":{"content":[{"type":"input_text","text":"again"}],"attachments":[],"inference_options":{}}}})";
          discarding_sink sink;
          const auto before = chatkit::bench::allocations.load();
          const auto start = std::chrono::steady_clock::now();
          for (int r = 0; r < rounds; ++r) {
            auto result = co_await bot.process(body, caller);
            co_await std::get<chatkit::server::event_stream>(result).run(sink);
          }
          const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
          report("ChatKit turn (agent_server, SSE)", took.count(), deltas * static_cast<std::size_t>(rounds),
                 chatkit::bench::allocations.load() - before);
          std::printf("  %zu SSE bytes written\n", sink.bytes);
        }
      },
      [](std::exception_ptr e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          std::fprintf(stderr, "bench failed: %s\n", ex.what());
          std::exit(1);
        }
      });
  ioc.run();
  return 0;
}
