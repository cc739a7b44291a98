// Cancellation (spec §7.10.7): when the consumer goes away mid-stream — the sink's write fails, or the
// stream's coroutine is cancelled while the bot waits — pending assistant text is persisted, other pending
// items are dropped, and the hidden "cancelled" note is stored. Nothing is lost or written twice.
#include "harness.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

using namespace chatkit::testing;
namespace cp = chatkit::protocol;
namespace asio = boost::asio;

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
