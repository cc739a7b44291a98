// An upstream model that fails at the byte boundaries of a transcript (docs/agents.md#errors): a short
// Responses and a short Chat Completions transcript, served by the scripted server cut after k bytes (every
// byte around each event boundary, every 8th byte elsewhere), ending with a clean close (truncation), an
// abort (no terminating chunk), a TCP reset, a hang (the read timeout fires), or after a 429 with retry-after
// (and retry-after-ms, which wins: 1 ms) that the client retries. Each agent turn (agent_server,
// threads.create) must end with an error event — or, only if the cut left nothing the decoder needs, the
// complete answer — never a truncated answer passed off as complete; the user's message stays stored, and the
// store holds exactly the items whose thread.item.done went out (the partial answer is dropped, per
// docs/server.md#error-events). A 500 without retries is an error event; 500 then 429 then the transcript is
// a complete answer.
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

// The checks every turn must pass; returns whether it ended with an error event.
bool check_turn(const bench::turn& t) {
  std::string frames;
  for (const auto& e : t.events) frames += json::serialize(e) + "\n";
  INFO("frames:\n" << frames << "run error: " << t.run_error);
  CHECK(t.escaped.empty());
  REQUIRE(t.events.size() >= 2);
  CHECK(t.events.at(0).at("type") == "thread.created");
  // The user's message: announced, and stored first.
  CHECK(t.events.at(1).at("item").at("type") == "user_message");
  REQUIRE_FALSE(t.stored.empty());
  CHECK(std::holds_alternative<cp::user_message_item>(t.stored.front()));
  // The store holds exactly the items whose thread.item.done went out.
  std::vector<std::string> done, stored;
  bool error = false;
  for (const auto& e : t.events) {
    if (e.at("type") == "thread.item.done") done.emplace_back(e.at("item").at("id").as_string());
    if (e.at("type") == "error") error = true;
  }
  for (const auto& i : t.stored) stored.push_back(cp::item_id(i));
  CHECK(stored == done);
  if (!error) {
    // No error event: then the answer is complete, never a truncated one passed off as whole.
    std::string text;
    for (const auto& i : t.stored)
      if (const auto* m = std::get_if<cp::assistant_message_item>(&i))
        for (const auto& part : m->content) text += part.text;
    CHECK(text == answer);
  }
  if (error) UNSCOPED_INFO("the turn failed: " << t.run_error << "\nframes:\n" << frames);
  return error;
}

// Cuts before `complete_at` bytes must fail; later ones (Chat: inside `data: [DONE]`, after every choice has
// its finish_reason) may be a complete answer (docs/openai-client.md#errors).
// The cut points: every byte around each event boundary (the blank line and the byte after it) and every
// 8th byte in between, so each loop stays short under ASan on a busy machine.
std::vector<std::size_t> cut_points(const std::string& transcript) {
  std::vector<std::size_t> out;
  for (std::size_t k = 0; k < transcript.size(); ++k) {
    const bool near_boundary = (k >= 1 && transcript[k - 1] == '\n') || transcript[k] == '\n' ||
                               (k >= 2 && transcript.compare(k - 2, 2, "\n\n") == 0);
    if (near_boundary || k % 8 == 0) out.push_back(k);
  }
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
  struct kind {
    const char* name;
    ending end;
    bool rate_limited_first;
  };
  const kind kinds[] = {{"clean close (truncation)", ending::close, false},
                        {"abort", ending::abort, false},
                        {"reset", ending::reset, false},
                        {"429 with retry-after, then abort", ending::abort, true}};
  for (const auto& kd : kinds) {
    bench b(which);
    std::size_t errors = 0;
    for (const auto k : cuts) {
      INFO(kd.name << " after " << k << " bytes");
      if (kd.rate_limited_first)
        b.model_server.add(error_reply(429, {{"retry-after", "1"}, {"retry-after-ms", "1"}}));
      auto x = exchange::sse(transcript.substr(0, k), "req", write_plan::whole());
      x.end = kd.end;
      b.model_server.add(std::move(x));
      const bool error = check_turn(b.run_turn());
      if (k < complete_at) CHECK(error);
      errors += error;
    }
    CHECK(b.model_server.unexpected_requests() == 0);
    // A body that ends before its terminal event (and the blank line that ends it) is truncated.
    CHECK(errors >= must_fail);
  }
  {
    // A hang after k bytes: the read timeout ends the call.
    bench b(which, [](openai::client_options& o) { o.read_timeout = std::chrono::milliseconds(10); });
    std::size_t errors = 0;
    for (const auto k : cuts) {
      INFO("hang after " << k << " bytes");
      auto x = exchange::sse(transcript.substr(0, k), "req", write_plan::whole());
      x.end = ending::hang;
      b.model_server.add(std::move(x));
      const bool error = check_turn(b.run_turn());
      if (k < complete_at) CHECK(error);
      errors += error;
    }
    CHECK(errors >= must_fail);
  }
  {
    INFO("500 without retries");
    bench b(which, [](openai::client_options& o) { o.max_retries = 0; });
    b.model_server.add(error_reply(500));
    CHECK(check_turn(b.run_turn()));
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
