// event_emitter: the event pipeline as hooks see it (docs/server.md#the-event-pipeline) — relayed and hidden
// events, persistence before each frame, store failures at each stage of a stream, and cancellation: when the
// consumer goes away mid-stream (the sink's write fails, or the stream's coroutine is cancelled while the bot
// waits) pending assistant text is persisted, other pending items are dropped, and the hidden "cancelled"
// note is stored. Nothing is lost or written twice.
#include "harness.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

using namespace chatkit::testing;
using namespace chatkit::testing::frames;
namespace cp = chatkit::protocol;
namespace asio = boost::asio;
using chatkit::store::awaitable;

TEST_CASE("progress, notice and client effects are relayed untouched", "[server][events]") {
  harness h;
  auto p = h.stream(create_body("progress"));
  CHECK(p.events[3] == json::parse(R"({"type":"progress_update","icon":"sparkle","text":"Thinking..."})"));
  CHECK(p.events[4].at("type") == "thread.updated");
  auto n = h.stream(create_body("notice"));
  CHECK(n.events[3] ==
        json::parse(R"({"type":"notice","level":"warning","message":"Heads **up**","title":"Note"})"));
  auto e = h.stream(create_body("effect"));
  CHECK(e.events[3] ==
        json::parse(R"({"type":"client_effect","name":"highlight","data":{"color":"yellow"}})"));
  CHECK(h.stored_items(thread_id_of(e), h.alice).size() == 2);  // effects are not persisted
}

TEST_CASE("hidden context is persisted but never sent", "[server][hidden]") {
  harness h;
  auto s = h.stream(create_body("hidden"));
  // The swallowed done is still the first event, so the title change is announced right after it.
  CHECK(s.types() == types{"thread.created", done, "stream_options", "thread.updated", added, part_added,
                           delta, delta, delta, part_done, done});
  const auto id = thread_id_of(s);
  auto items = h.stored_items(id, h.alice);
  REQUIRE(items.size() == 3);
  CHECK(cp::item_type(items[1]) == "hidden_context_item");
  const auto page = h.call(R"({"type":"items.list","params":{"thread_id":")" + id + R"(","order":"asc"}})");
  CHECK(page.at("data").as_array().size() == 2);
  const auto thread = h.call(R"({"type":"threads.get_by_id","params":{"thread_id":")" + id + R"("}})");
  CHECK(thread.at("items").at("data").as_array().size() == 2);
}

TEST_CASE("removing an item that was only pending is not an error", "[server][events]") {
  struct remover : chatkit::server::chatkit_server {
    using chatkit_server::chatkit_server;
    boost::asio::awaitable<void> respond(chatkit::server::respond_args args,
                                         chatkit::server::event_emitter& out) override {
      cp::assistant_message_item draft;
      draft.id = out.new_item_id(chatkit::store::id_kind::message);
      draft.thread_id = args.thread.id;
      draft.created_at = cp::timestamp::now();
      co_await out.emit(cp::item_added_event{draft});
      co_await out.emit(cp::item_removed_event{draft.id});
      co_await chatkit::examples::stream_echo(out, "kept");
    }
  };
  harness h{std::in_place_type<remover>};
  auto s = h.stream(create_body("x"));
  CHECK(s.types() == types{"thread.created", done, "stream_options", added, "thread.item.removed", added,
                           part_added, delta, delta, delta, part_done, done});
  CHECK(h.stored_items(thread_id_of(s), h.alice).size() == 2);
}

// ---- store failures: before the first frame the error escapes run() (the transport answers 500); inside
// the pipeline it becomes an error event, and the store holds exactly what was confirmed ----

namespace {

// Delegates to a memory store; `fail_on` names the operation that throws, `after` how many calls succeed
// first.
struct flaky_store : chatkit::store::store {
  std::shared_ptr<chatkit::store::memory_store> inner = std::make_shared<chatkit::store::memory_store>();
  std::string fail_on;
  int after = 0;
  int calls = 0;

  void maybe_fail(std::string_view op) {
    if (op == fail_on && calls++ >= after) throw std::runtime_error("disk on fire");
  }
  awaitable<cp::thread_metadata> load_thread(std::string id, const chatkit::request_context& c) override {
    maybe_fail("load_thread");
    co_return co_await inner->load_thread(id, c);
  }
  awaitable<void> save_thread(const cp::thread_metadata& t, const chatkit::request_context& c) override {
    maybe_fail("save_thread");
    co_await inner->save_thread(t, c);
  }
  awaitable<cp::thread_page> load_threads(std::size_t l, std::optional<std::string> a, cp::sort_order o,
                                          const chatkit::request_context& c) override {
    co_return co_await inner->load_threads(l, a, o, c);
  }
  awaitable<void> delete_thread(std::string id, const chatkit::request_context& c) override {
    co_await inner->delete_thread(id, c);
  }
  awaitable<cp::item_page> load_thread_items(std::string t, std::optional<std::string> a, std::size_t l,
                                             cp::sort_order o, const chatkit::request_context& c) override {
    co_return co_await inner->load_thread_items(t, a, l, o, c);
  }
  awaitable<void> add_thread_item(std::string t, const cp::thread_item& i,
                                  const chatkit::request_context& c) override {
    maybe_fail("add_thread_item");
    co_await inner->add_thread_item(t, i, c);
  }
  awaitable<void> save_item(std::string t, const cp::thread_item& i,
                            const chatkit::request_context& c) override {
    co_await inner->save_item(t, i, c);
  }
  awaitable<cp::thread_item> load_item(std::string t, std::string i,
                                       const chatkit::request_context& c) override {
    co_return co_await inner->load_item(t, i, c);
  }
  awaitable<void> delete_thread_item(std::string t, std::string i,
                                     const chatkit::request_context& c) override {
    co_await inner->delete_thread_item(t, i, c);
  }
  awaitable<void> save_attachment(const cp::attachment& a, const chatkit::request_context& c) override {
    co_await inner->save_attachment(a, c);
  }
  awaitable<cp::attachment> load_attachment(std::string id, const chatkit::request_context& c) override {
    co_return co_await inner->load_attachment(id, c);
  }
  awaitable<void> delete_attachment(std::string id, const chatkit::request_context& c) override {
    co_await inner->delete_attachment(id, c);
  }
};

struct flaky_harness {
  boost::asio::io_context ioc;
  std::shared_ptr<flaky_store> store = std::make_shared<flaky_store>();
  chatkit::examples::echo_bot bot{store};
  chatkit::request_context alice{"alice", {}, {}};

  // Runs a create; returns the frames sent and whether run() threw.
  std::pair<collecting_sink, bool> create(const std::string& text) {
    auto r = run_sync(ioc, bot.process(create_body(text), alice));
    collecting_sink sink;
    bool threw = false;
    try {
      run_sync(ioc, std::get<chatkit::server::event_stream>(r).run(sink));
    } catch (const std::runtime_error&) {
      threw = true;
    }
    return {std::move(sink), threw};
  }
};

}  // namespace

TEST_CASE("a store failure before the first frame escapes run() with nothing sent", "[server][errors]") {
  flaky_harness h;
  h.store->fail_on = "save_thread";
  auto [sink, threw] = h.create("Hello");
  CHECK(threw);
  CHECK(sink.events.empty());
  CHECK(run_sync(h.ioc, h.store->load_threads(10, std::nullopt, cp::sort_order::asc, h.alice)).data.empty());
}

TEST_CASE(
    "a store failure while persisting the user message ends the stream with an error event after "
    "thread.created",
    "[server][errors]") {
  flaky_harness h;
  h.store->fail_on = "add_thread_item";
  auto [sink, threw] = h.create("Hello");
  // thread.created is out, so the transport can no longer answer with a status: the client gets an error
  // event.
  CHECK_FALSE(threw);
  CHECK(sink.types() == std::vector<std::string>{"thread.created", "error"});
  CHECK(sink.events.back() == json::parse(R"({"type":"error","code":"stream.error","allow_retry":true})"));
}

TEST_CASE("a store failure inside the pipeline becomes an error event; the failed item is not claimed done",
          "[server][errors]") {
  flaky_harness h;
  h.store->fail_on = "add_thread_item";
  h.store->after = 1;  // the user message is stored, the assistant message is not
  auto [sink, threw] = h.create("Hello");
  CHECK_FALSE(threw);
  CHECK(sink.events.back() == json::parse(R"({"type":"error","code":"stream.error","allow_retry":true})"));
  for (const auto& e : sink.events)
    if (e.at("type") == "thread.item.done") CHECK(e.at("item").at("type") == "user_message");
  const auto id = thread_id_of(sink);
  auto items =
      run_sync(h.ioc, h.store->load_thread_items(id, std::nullopt, 10, cp::sort_order::asc, h.alice));
  REQUIRE(items.data.size() == 1);
  CHECK(cp::item_type(items.data[0]) == "user_message");
}

// ---- cancellation ----

namespace {

// Streams "w0 w1 ... w9" with a short wait before every delta, and a pending workflow beside it.
struct slow_bot : chatkit::server::chatkit_server {
  using chatkit_server::chatkit_server;
  boost::asio::awaitable<void> respond(chatkit::server::respond_args args,
                                       chatkit::server::event_emitter& out) override {
    cp::workflow_item wf;
    wf.id = out.new_item_id(chatkit::store::id_kind::workflow);
    wf.thread_id = args.thread.id;
    wf.created_at = cp::timestamp::now();
    co_await out.emit(cp::item_added_event{wf});
    cp::assistant_message_item msg;
    msg.id = out.new_item_id(chatkit::store::id_kind::message);
    msg.thread_id = args.thread.id;
    msg.created_at = cp::timestamp::now();
    co_await out.emit(cp::item_added_event{msg});
    co_await out.emit(cp::item_updated_event{msg.id, cp::content_part_added{0, {}}});
    asio::steady_timer timer(co_await asio::this_coro::executor);
    std::string text;
    for (int i = 0; i < 10; ++i) {
      timer.expires_after(std::chrono::milliseconds(2));
      co_await timer.async_wait(asio::use_awaitable);
      const std::string delta = "w" + std::to_string(i) + " ";
      text += delta;
      co_await out.emit(cp::item_updated_event{msg.id, cp::content_part_text_delta{0, delta}});
    }
    msg.content.push_back(cp::output_text{{}, text});
    co_await out.emit(cp::item_done_event{msg});
  }
};

enum class how { sink_fails, cancel_while_waiting, cancel_at_frame };

struct outcome {
  std::vector<cp::thread_item> items;
  std::size_t frames = 0;
  bool threw_cancelled = false;
};

// Creates a thread whose reply is cut after `frames` frames of the reply stream.
outcome cut_after(std::size_t frames, how mode) {
  harness h{std::in_place_type<slow_bot>};
  auto r = h.process(create_body("go"), h.alice);
  auto& stream = std::get<chatkit::server::event_stream>(r);
  collecting_sink sink;
  asio::cancellation_signal signal;
  if (mode == how::sink_fails) {
    sink.fail_after = frames;
  } else {
    sink.on_frame = [&](const json::value&) {
      if (sink.events.size() != frames) return;
      if (mode == how::cancel_at_frame)
        signal.emit(asio::cancellation_type::terminal);
      else
        asio::post(h.ioc, [&] { signal.emit(asio::cancellation_type::terminal); });
    };
  }
  auto fut =
      asio::co_spawn(h.ioc, stream.run(sink), asio::bind_cancellation_slot(signal.slot(), asio::use_future));
  h.ioc.restart();
  h.ioc.run();
  outcome o;
  try {
    fut.get();
  } catch (const chatkit::server::stream_cancelled&) {
    o.threw_cancelled = true;
  }
  o.frames = sink.events.size();
  o.items = h.stored_items(thread_id_of(sink), h.alice);
  return o;
}

const std::string* assistant_text(const std::vector<cp::thread_item>& items) {
  for (const auto& i : items)
    if (const auto* m = std::get_if<cp::assistant_message_item>(&i)) return &m->content.at(0).text;
  return nullptr;
}

}  // namespace

// Frames: thread.created, user done, stream_options, workflow added, assistant added, part added, then one
// delta per step (slow_bot sets no title, so there is no thread.updated).
TEST_CASE("cancelled after three deltas: the partial answer and the note are stored", "[server][cancel]") {
  for (auto mode : {how::sink_fails, how::cancel_while_waiting, how::cancel_at_frame}) {
    INFO(static_cast<int>(mode));
    const auto o = cut_after(9, mode);
    CHECK(o.threw_cancelled);
    REQUIRE(o.items.size() == 3);  // user message, partial reply, note — the pending workflow is dropped
    CHECK(cp::item_type(o.items[0]) == "user_message");
    REQUIRE(assistant_text(o.items));
    CHECK(*assistant_text(o.items) == (mode == how::sink_fails ? "w0 w1 w2 w3 " : "w0 w1 w2 "));
    const auto& note = std::get<cp::sdk_hidden_context_item>(o.items[2]);
    CHECK(note.content == chatkit::server::cancelled_note);
    CHECK(note.id.starts_with("shcx_"));
  }
}

TEST_CASE("cancelled before any text: no empty reply is stored, only the note", "[server][cancel]") {
  for (auto mode : {how::sink_fails, how::cancel_while_waiting, how::cancel_at_frame}) {
    INFO(static_cast<int>(mode));
    const auto o = cut_after(mode == how::sink_fails ? 5 : 6, mode);
    CHECK(o.threw_cancelled);
    REQUIRE(o.items.size() == 2);
    CHECK(cp::item_type(o.items[1]) == "sdk_hidden_context");
  }
}

TEST_CASE("cancelled right after stream_options", "[server][cancel]") {
  const auto o = cut_after(3, how::cancel_at_frame);
  CHECK(o.threw_cancelled);
  CHECK(o.frames == 3);
  REQUIRE(o.items.size() == 2);
  CHECK(cp::item_type(o.items[1]) == "sdk_hidden_context");
}

TEST_CASE("a stream that is not cancelled stores the whole answer once", "[server][cancel]") {
  const auto o = cut_after(1000, how::cancel_at_frame);
  CHECK_FALSE(o.threw_cancelled);
  // user message and reply; the workflow was added but never done, so it is not stored
  REQUIRE(o.items.size() == 2);
  CHECK(*assistant_text(o.items) == "w0 w1 w2 w3 w4 w5 w6 w7 w8 w9 ");
}

TEST_CASE("the next turn after a cancellation sees the note in the thread", "[server][cancel]") {
  harness h{std::in_place_type<slow_bot>};
  auto r = h.process(create_body("go"), h.alice);
  collecting_sink sink;
  sink.fail_after = 8;
  CHECK_THROWS_AS(run_sync(h.ioc, std::get<chatkit::server::event_stream>(r).run(sink)),
                  chatkit::server::stream_cancelled);
  const auto id = thread_id_of(sink);
  auto page = h.call(R"({"type":"items.list","params":{"thread_id":")" + id + R"(","order":"asc"}})");
  // The note is stored but hidden from clients.
  for (const auto& item : page.at("data").as_array()) CHECK(item.at("type") != "sdk_hidden_context");
  CHECK(h.stored_items(id, h.alice).size() == 3);
}

TEST_CASE("a cancelled answer of only white space, Unicode spaces included, is not stored",
          "[server][cancel]") {
  struct exposed : chatkit::examples::echo_bot {
    using echo_bot::echo_bot;
    using echo_bot::handle_stream_cancelled;
  };
  harness h(std::in_place_type<exposed>);
  const auto id = thread_id_of(h.stream(create_body("hi")));
  auto thread = run_sync(h.ioc, h.store->load_thread(id, h.alice));
  const auto before = h.stored_items(id, h.alice).size();
  auto message = [&](std::string text) {
    cp::assistant_message_item m;
    m.id = h.store->generate_item_id(chatkit::store::id_kind::message, thread, h.alice);
    m.thread_id = id;
    m.created_at = cp::timestamp::now();
    cp::output_text part;
    part.text = std::move(text);
    m.content.push_back(std::move(part));
    return cp::thread_item{std::move(m)};
  };
  std::vector<cp::thread_item> pending;
  pending.push_back(message(" \t\n\u00a0\u2003\u3000\u2029\u205f\u0085"));  // white space only
  pending.push_back(message("\u00a0ok"));                                   // text after a space
  pending.push_back(message("\u200b"));  // a zero-width space is not white space: kept, as elsewhere
  run_sync(h.ioc, static_cast<exposed&>(*h.bot).handle_stream_cancelled(thread, std::move(pending), h.alice));
  const auto items = h.stored_items(id, h.alice);
  REQUIRE(items.size() == before + 3);  // two answers and the note
  CHECK(std::get<cp::assistant_message_item>(items[before]).content.at(0).text == "\u00a0ok");
  CHECK(std::get<cp::assistant_message_item>(items[before + 1]).content.at(0).text == "\u200b");
  CHECK(cp::item_type(items[before + 2]) == "sdk_hidden_context");
}
