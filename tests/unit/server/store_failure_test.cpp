// Store failures at each stage of a stream: before the first frame the error escapes run() (the transport
// answers 500); inside the pipeline it becomes an error event, and the store holds exactly what was
// confirmed.
#include "harness.hpp"

#include <catch2/catch.hpp>

using namespace chatkit::testing;
namespace cp = chatkit::protocol;
using chatkit::store::awaitable;

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

TEST_CASE("a store failure while persisting the user message ends the stream after thread.created",
          "[server][errors]") {
  flaky_harness h;
  h.store->fail_on = "add_thread_item";
  auto [sink, threw] = h.create("Hello");
  CHECK(threw);
  CHECK(sink.types() == std::vector<std::string>{"thread.created"});
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
