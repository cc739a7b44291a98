// An upstream model that fails at every byte boundary of a transcript (docs/agents.md#errors): a short
// Responses and a short Chat Completions transcript, served by the scripted server cut after k bytes for
// every k from 0 to the whole transcript, ending with a clean close (truncation), an abort (no terminating
// chunk), a TCP reset, a hang (the read timeout fires), or after a 429 with retry-after (and retry-after-ms,
// which wins: 1 ms) or a 500 with retry-after-ms that the client retries; and a 500 whose error body is cut
// at every byte. Each agent turn (agent_server, threads.create) must end with an error event — or, only if
// the cut left nothing the decoder needs, the complete answer — never a truncated answer passed off as
// complete; the user's message stays stored, and the store holds exactly the items whose thread.item.done
// went out (the partial answer is dropped, per docs/server.md#error-events). A 500 without retries is an
// error event; 500 then 429 then the transcript is a complete answer. Each fault kind runs on its own thread
// with its own scripted server, client and io_context, one turn after another on one connection pool, so the
// waits of the kinds overlap and the whole stays within the CI budget
// (docs/security.md#fuzzing-and-sanitizers).
#include "agent_support.hpp"
#include "support/collecting_sink.hpp"

#include <chatkit/agents/agent_server.hpp>
#include <chatkit/agents/openai_chat_model.hpp>
#include <chatkit/protocol.hpp>
#include <chatkit/store/memory_store.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include <catch2/catch.hpp>

#include <future>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

using namespace chatkit;
using namespace chatkit::agents;
namespace cp = chatkit::protocol;
namespace net = boost::asio;
namespace json = boost::json;
using chatkit::testing::collecting_sink;
using openai::testing::ending;
using openai::testing::exchange;
using openai::testing::scripted_server;
using openai::testing::write_plan;

namespace {

const std::string answer = "Hi there";

// Short transcripts of the answer "Hi there": Responses as the API streams it (agent_support.hpp), Chat in
// its shortest form.
const std::string responses_transcript = test::text_answer("r1", "m1", {"Hi", " there"});

const std::string chat_transcript =
    R"(data: {"id":"c1","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"}}]})"
    "\n\n"
    R"(data: {"id":"c1","choices":[{"index":0,"delta":{"content":" there"}}]})"
    "\n\n"
    R"(data: {"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})"
    "\n\n"
    "data: [DONE]\n\n";

enum class api { responses, chat };

// Like run_sync, but returns as soon as `op` is done instead of when the io_context runs out of work (the
// client's idle keep-alive connections keep timers pending for a while).
template <class T>
T run_until_done(net::io_context& ioc, net::awaitable<T> op) {
  auto result = net::co_spawn(ioc, std::move(op), net::use_future);
  ioc.restart();
  while (result.wait_for(std::chrono::seconds(0)) != std::future_status::ready) ioc.run_one();
  return result.get();
}

std::string create_body(const std::string& text) {
  return R"({"type":"threads.create","params":{"input":{"content":[{"type":"input_text","text":")" + text +
         R"("}],"attachments":[],"inference_options":{}}}})";
}

exchange error_reply(int status, openai::header_list headers = {}) {
  return exchange::json(
      status, R"({"error":{"message":"upstream trouble","type":"server_error","param":null,"code":null}})",
      std::move(headers));
}

struct bench {
  scripted_server model_server;
  net::io_context ioc;
  std::shared_ptr<store::memory_store> store = std::make_shared<store::memory_store>();
  std::unique_ptr<agent_server> bot;
  request_context alice{"alice", {}, {}};
  std::string last_error;

  explicit bench(api which, const std::function<void(openai::client_options&)>& tweak = {}) {
    auto o = openai::testing::client_options_for(model_server);
    if (tweak) tweak(o);
    auto client = std::make_shared<const openai::client>(ioc.get_executor(), o);
    agent a;
    a.name = "Assistant";
    a.instructions = std::string("Be brief.");
    a.model = "gpt-test";
    agent_server_options opts;
    if (which == api::responses)
      opts.run.model = std::make_shared<openai_responses_model>(client);
    else
      opts.run.model = std::make_shared<openai_chat_model>(client);
    opts.on_run_error = [](const server::respond_args&, std::exception_ptr) {
    };  // expected: keep the log quiet
    bot = std::make_unique<agent_server>(store, std::move(a), std::move(opts));
  }

  struct turn {
    std::string run_error;  // why the run failed, if it did
    std::vector<json::value> events;
    std::vector<cp::thread_item> stored;
    std::string escaped;  // what run() threw, if anything
  };

  turn run_turn() {
    turn t;
    last_error.clear();
    auto r = run_until_done(ioc, bot->process(create_body("hello"), alice));
    collecting_sink sink;
    try {
      run_until_done(ioc, std::get<server::event_stream>(r).run(sink));
    } catch (const std::exception& e) {
      t.escaped = e.what();
    }
    t.events = std::move(sink.events);
    t.run_error = last_error;
    if (!t.events.empty() && t.events.front().at("type") == "thread.created")
      t.stored = run_until_done(ioc, store->load_thread_items(
                                         std::string(t.events.front().at("thread").at("id").as_string()),
                                         std::nullopt, 100, cp::sort_order::asc, alice))
                     .data;
    return t;
  }
};

// The checks every turn must pass, without Catch2 (they run on the fault kinds' threads, and Catch2's
// assertions are not thread-safe): `problem` says what went wrong, empty when nothing did; `error` is whether
// the turn ended with an error event.
struct verdict {
  bool error = false;
  std::string problem;
};

verdict judge_turn(const bench::turn& t) {
  verdict v;
  std::string frames;
  for (const auto& e : t.events) frames += json::serialize(e) + "\n";
  auto fail = [&](const std::string& what) {
    if (v.problem.empty()) v.problem = what + "\nframes:\n" + frames + "run error: " + t.run_error;
  };
  if (!t.escaped.empty()) fail("run() threw: " + t.escaped);
  if (t.events.size() < 2) {
    fail("fewer than two events");
    return v;
  }
  if (t.events.at(0).at("type") != "thread.created") fail("the first event is not thread.created");
  // The user's message: announced, and stored first.
  if (t.events.at(1).at("item").at("type") != "user_message")
    fail("the second event is not the user message");
  if (t.stored.empty() || !std::holds_alternative<cp::user_message_item>(t.stored.front())) {
    fail("the user's message is not stored first");
    return v;
  }
  // The store holds exactly the items whose thread.item.done went out.
  std::vector<std::string> done, stored;
  for (const auto& e : t.events) {
    if (e.at("type") == "thread.item.done") done.emplace_back(e.at("item").at("id").as_string());
    if (e.at("type") == "error") v.error = true;
  }
  for (const auto& i : t.stored) stored.push_back(cp::item_id(i));
  if (stored != done) fail("the store does not hold exactly the items whose thread.item.done went out");
  if (!v.error) {
    // No error event: then the answer is complete, never a truncated one passed off as whole.
    std::string text;
    for (const auto& i : t.stored)
      if (const auto* m = std::get_if<cp::assistant_message_item>(&i))
        for (const auto& part : m->content) text += part.text;
    if (text != answer) fail("no error event, but the stored answer is \"" + text + "\"");
  }
  return v;
}

// For the turns run on the test's own thread: the verdict as Catch2 checks; whether it ended in an error.
bool check_turn(const bench::turn& t) {
  const auto v = judge_turn(t);
  INFO(v.problem);
  CHECK(v.problem.empty());
  return v.error;
}

// Cuts before `complete_at` bytes must fail; later ones (Chat: inside `data: [DONE]`, after every choice has
// its finish_reason) may be a complete answer (docs/openai-client.md#errors).
// The cut points: every byte boundary, from nothing sent to the whole transcript.
std::vector<std::size_t> cut_points(const std::string& transcript) {
  std::vector<std::size_t> out;
  for (std::size_t k = 0; k <= transcript.size(); ++k) out.push_back(k);
  return out;
}

void every_cut(api which, const std::string& transcript, std::size_t complete_at) {
  const auto cuts = cut_points(transcript);
  std::size_t must_fail = 0;
  for (auto k : cuts) must_fail += k < complete_at;
  {
    INFO("the whole transcript");
    bench b(which);
    b.model_server.add(exchange::sse(transcript, "req", write_plan::whole()));
    CHECK_FALSE(check_turn(b.run_turn()));
  }
  // One fault kind per thread, each with its own scripted server, client, io_context and store, so that the
  // waits of one (connection set-up, the retries' 1 ms delays, the hang's read timeout) overlap the others.
  struct kind {
    const char* name;
    ending end;
    int status_first;  // 0, or a retried error status answered before the transcript
  };
  const kind kinds[] = {{"clean close (truncation)", ending::close, 0},
                        {"abort", ending::abort, 0},
                        {"reset", ending::reset, 0},
                        {"429 with retry-after, then abort", ending::abort, 429},
                        {"500 with retry-after-ms, then reset", ending::reset, 500},
                        {"hang (the read timeout fires)", ending::hang, 0}};
  struct outcome {
    std::size_t errors = 0;
    std::size_t unexpected_requests = 0;
    std::vector<std::string> problems;  // "after k bytes: ..."
  };
  std::vector<outcome> outcomes(std::size(kinds));
  std::vector<std::thread> threads;
  for (std::size_t n = 0; n < std::size(kinds); ++n)
    threads.emplace_back([&, n] {
      const auto& kd = kinds[n];
      auto& out = outcomes[n];
      try {
        bench b(which, [&](openai::client_options& o) {
          if (kd.end == ending::hang) o.read_timeout = std::chrono::milliseconds(10);
        });
        for (const auto k : cuts) {
          if (kd.status_first == 429)
            b.model_server.add(error_reply(429, {{"retry-after", "1"}, {"retry-after-ms", "1"}}));
          if (kd.status_first == 500) b.model_server.add(error_reply(500, {{"retry-after-ms", "1"}}));
          auto x = exchange::sse(transcript.substr(0, k), "req", write_plan::whole());
          x.end = kd.end;
          b.model_server.add(std::move(x));
          auto v = judge_turn(b.run_turn());
          if (k < complete_at && !v.error && v.problem.empty())
            v.problem = "a cut before the end of the answer was not reported as an error";
          if (!v.problem.empty())
            out.problems.push_back("after " + std::to_string(k) + " bytes: " + v.problem);
          out.errors += v.error;
        }
        out.unexpected_requests = b.model_server.unexpected_requests();
      } catch (const std::exception& e) {
        out.problems.push_back(std::string("the harness failed: ") + e.what());
      }
    });
  for (auto& t : threads) t.join();
  for (std::size_t n = 0; n < std::size(kinds); ++n) {
    INFO(kinds[n].name << ": " << cuts.size() << " cut points");
    const auto& out = outcomes[n];
    CHECK(out.problems.size() == 0);
    for (std::size_t i = 0; i < out.problems.size() && i < 3; ++i) UNSCOPED_INFO(out.problems[i]);
    if (!out.problems.empty()) FAIL_CHECK(out.problems.size() << " failing cut points, the first ones above");
    // A read timeout that fires before the response head arrived (a loaded machine) is retried, and the
    // retry gets the scripted server's 599: expected for the hang, for no other kind.
    if (kinds[n].end != ending::hang) CHECK(out.unexpected_requests == 0);
    // A body that ends before its terminal event (and the blank line that ends it) is truncated.
    CHECK(out.errors >= must_fail);
  }
  {
    // A 500 without retries, its error body cut at every byte (Content-Length says more): an error event.
    bench b(which, [](openai::client_options& o) { o.max_retries = 0; });
    const auto full = error_reply(500);
    for (std::size_t k = 0; k <= full.body.size(); ++k) {
      INFO("500 without retries, body cut after " << k << " bytes");
      auto x = full;
      x.body.resize(k);
      if (k < full.body.size()) x.end = ending::abort;
      b.model_server.add(std::move(x));
      CHECK(check_turn(b.run_turn()));
    }
    CHECK(b.model_server.unexpected_requests() == 0);
  }
  {
    INFO("500, then 429 with retry-after, then the transcript");
    bench b(which);
    b.model_server.add(error_reply(500));
    b.model_server.add(error_reply(429, {{"retry-after", "1"}, {"retry-after-ms", "1"}}));
    b.model_server.add(exchange::sse(transcript, "req", write_plan::whole()));
    CHECK_FALSE(check_turn(b.run_turn()));
    CHECK(b.model_server.requests().size() == 3);
  }
}

}  // namespace

TEST_CASE("upstream faults: a Responses transcript failing at every byte boundary", "[agents][faults]") {
  every_cut(api::responses, responses_transcript, responses_transcript.size());
}

TEST_CASE("upstream faults: a Chat Completions transcript failing at every byte boundary",
          "[agents][faults]") {
  every_cut(api::chat, chat_transcript, chat_transcript.find("data: [DONE]"));
}
