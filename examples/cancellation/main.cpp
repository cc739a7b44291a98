// Cancellation, in-process: a client that goes away mid-stream, and a host that cancels a stream through
// Asio, both end with the partial answer stored. docs/cancellation.md walks through this program; the test
// suite runs it (example_cancellation), and it exits non-zero when the store does not hold what it should.
#include "echo_bot.hpp"

#include <chatkit/protocol.hpp>
#include <chatkit/server/chatkit_server.hpp>
#include <chatkit/store/memory_store.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/system/system_error.hpp>

#include <cstdio>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace net = boost::asio;
namespace cp = chatkit::protocol;

namespace {

// [sink]
// The transport's side of a stream. This sink counts frames and hands each count to `on_frame`, which plays
// the client that disconnects (it throws, as a socket write would) or the host that cancels (it emits an Asio
// cancellation signal bound to the coroutine running the stream).
class counting_sink : public chatkit::server::event_sink {
 public:
  explicit counting_sink(std::function<void(int)> on_frame) : on_frame_(std::move(on_frame)) {}
  net::awaitable<void> write(std::string_view frames) override {
    for (auto at = frames.find("data: "); at != std::string_view::npos; at = frames.find("data: ", at + 1)) {
      on_frame_(++frames_);
    }
    co_return;
  }

 private:
  std::function<void(int)> on_frame_;
  int frames_ = 0;
};
// [sink]

// [run]
// Asks the echo bot for one assistant message of 50 deltas ("stream 50") and runs the stream into `sink`.
// Returns true when the stream ended by cancellation: the server has then already stored the partial answer.
net::awaitable<bool> ask_and_stream(chatkit::server::chatkit_server& bot, const chatkit::request_context& ctx,
                                    chatkit::server::event_sink& sink) {
  const std::string body =
      R"({"type":"threads.create","params":{"input":{"content":[{"type":"input_text","text":"stream 50"}],)"
      R"("attachments":[],"inference_options":{}}}})";
  auto answer = co_await bot.process(body, ctx);
  try {
    co_await std::get<chatkit::server::event_stream>(answer).run(sink);
    co_return false;
  } catch (const chatkit::server::stream_cancelled&) {
    co_return true;
  }
}
// [run]

// What the store holds for the caller's newest thread, as "type:text" lines.
net::awaitable<std::vector<std::string>> stored_items(chatkit::store::store& store,
                                                      const chatkit::request_context& ctx) {
  auto threads = co_await store.load_threads(1, std::nullopt, cp::sort_order::desc, ctx);
  auto items = co_await store.load_thread_items(threads.data.at(0).id, std::nullopt, 100, cp::sort_order::asc, ctx);
  std::vector<std::string> lines;
  for (const auto& item : items.data) {
    std::string line(cp::item_type(item));
    if (const auto* m = std::get_if<cp::assistant_message_item>(&item)) {
      for (const auto& part : m->content) line += ": " + std::to_string(part.text.size()) + " chars";
    } else if (const auto* note = std::get_if<cp::sdk_hidden_context_item>(&item)) {
      line += ": " + note->content;
    }
    lines.push_back(std::move(line));
  }
  co_return lines;
}

template <class T>
T run(net::io_context& ioc, net::awaitable<T> op, net::cancellation_signal* cancel = nullptr) {
  std::exception_ptr failure;
  T result{};
  auto done = [&](std::exception_ptr e, T value) {
    failure = e;
    result = std::move(value);
  };
  if (cancel) {
    net::co_spawn(ioc, std::move(op), net::bind_cancellation_slot(cancel->slot(), done));
  } else {
    net::co_spawn(ioc, std::move(op), done);
  }
  ioc.restart();
  ioc.run();
  if (failure) std::rethrow_exception(failure);
  return result;
}

// The partial answer and the cancellation note must both be stored.
bool check(const char* scenario, bool cancelled, const std::vector<std::string>& items) {
  std::printf("%s: %s\n", scenario, cancelled ? "stream cancelled" : "stream finished (unexpected)");
  bool partial = false, note = false;
  for (const auto& line : items) {
    std::printf("  stored %s\n", line.c_str());
    partial = partial || line.starts_with("assistant_message: ");
    note = note || line.starts_with("sdk_hidden_context: ");
  }
  return cancelled && partial && note;
}

}  // namespace

int main() {
  net::io_context ioc;
  auto store = std::make_shared<chatkit::store::memory_store>();
  chatkit::examples::echo_bot bot(store);
  bool ok = true;

  {  // 1. The client disconnects after 10 frames: the socket write fails.
    const chatkit::request_context alice{.user_id = "alice"};
    counting_sink sink([](int frame) {
      if (frame > 10) throw boost::system::system_error(net::error::broken_pipe);
    });
    const bool cancelled = run(ioc, ask_and_stream(bot, alice, sink));
    ok = check("client disconnect", cancelled, run(ioc, stored_items(*store, alice))) && ok;
  }
  {  // 2. The host cancels the stream's coroutine after 10 frames (a timeout, a shutdown, a stop button).
    const chatkit::request_context bob{.user_id = "bob"};
    net::cancellation_signal cancel;
    counting_sink sink([&](int frame) {
      if (frame == 10) cancel.emit(net::cancellation_type::terminal);
    });
    const bool cancelled = run(ioc, ask_and_stream(bot, bob, sink), &cancel);
    ok = check("host cancellation", cancelled, run(ioc, stored_items(*store, bob))) && ok;
  }
  std::printf("%s\n", ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
