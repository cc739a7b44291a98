// A client that goes away after every event index of a stream (docs/cancellation.md): over a real socket on
// 127.0.0.1, the client reads k events of a threads.create answered by a paced echo (a pause between the
// bot's events, so the disconnect lands mid-stream), then closes, for every k of the complete stream. The
// server must end the turn (its access log records it), store what docs/cancellation.md promises — the user
// message once its thread.item.done went out, the partial answer with at least the text the client saw, the
// hidden "cancelled" note — and keep serving: a fresh request on a new connection is answered in full.
#include "echo_http.hpp"
#include "support/run_sync.hpp"

#include <chatkit/http/access_log.hpp>
#include <chatkit/protocol.hpp>
#include <chatkit/server/chatkit_server.hpp>
#include <chatkit/server/event_emitter.hpp>

#include <catch2/catch.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/json/parse.hpp>

#include <condition_variable>
#include <mutex>
#include <thread>

using namespace chatkit;
using namespace chatkit::testing;
namespace cp = chatkit::protocol;
namespace json = boost::json;
namespace net = boost::asio;

namespace {

// The echo of examples/echo_server, with a short pause before each of the bot's events.
class paced_bot : public examples::echo_bot {
 public:
  using echo_bot::echo_bot;

 protected:
  net::awaitable<void> respond(server::respond_args args, server::event_emitter& out) override {
    std::string text;
    for (const auto& part : args.user_message->content)
      if (const auto* t = std::get_if<cp::input_text>(&part)) text += t->text;
    if (!args.thread.title) args.thread.title = text;
    cp::assistant_message_item msg;
    msg.id = out.new_item_id(store::id_kind::message);
    msg.thread_id = args.thread.id;
    msg.created_at = cp::timestamp::now();
    const std::vector<std::string> parts{"You ", "said: ", text};
    co_await pause();
    co_await out.emit(cp::item_added_event{msg});
    co_await pause();
    co_await out.emit(cp::item_updated_event{msg.id, cp::content_part_added{0, {}}});
    std::string full;
    for (const auto& p : parts) {
      co_await pause();
      co_await out.emit(cp::item_updated_event{msg.id, cp::content_part_text_delta{0, p}});
      full += p;
    }
    co_await pause();
    cp::output_text part{{}, full};
    co_await out.emit(cp::item_updated_event{msg.id, cp::content_part_done{0, part}});
    msg.content.push_back(std::move(part));
    co_await pause();
    co_await out.emit(cp::item_done_event{std::move(msg)});
  }

 private:
  static net::awaitable<void> pause() {
    net::steady_timer t(co_await net::this_coro::executor, std::chrono::milliseconds(15));
    co_await t.async_wait(net::use_awaitable);
  }
};

struct log_entry {
  int status = 0;
  std::size_t events = 0;
  bool cancelled = false;
};

struct paced_server {
  std::shared_ptr<store::memory_store> store = std::make_shared<store::memory_store>();
  std::shared_ptr<paced_bot> bot = std::make_shared<paced_bot>(store);
  std::mutex mu;
  std::condition_variable cv;
  std::vector<log_entry> log;
  std::unique_ptr<http::server> srv;

  paced_server() {
    http::server_options o;
    o.endpoint.authenticate = http::dev_header_auth("X-User-Id", true);
    o.endpoint.access_log = [this](const http::access_log_entry& e) {
      {
        std::lock_guard lock(mu);
        log.push_back({e.status, e.events, e.cancelled});
      }
      cv.notify_all();
    };
    srv = std::make_unique<http::server>(bot, std::move(o));
    srv->start();
  }
  ~paced_server() { srv->stop(std::chrono::milliseconds(0)); }
  std::uint16_t port() const { return srv->port(); }

  // Waits (generously) until n requests were logged: each request's turn has ended.
  bool wait_for_log(std::size_t n) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(20), [&] { return log.size() >= n; });
  }
  // Everything the user's only thread holds, hidden items included (read from the store directly).
  std::vector<cp::thread_item> stored_items(const std::string& user) {
    net::io_context ioc;
    const request_context ctx{user, {}, {}};
    auto threads = run_sync(ioc, store->load_threads(10, std::nullopt, cp::sort_order::asc, ctx));
    if (threads.data.empty()) return {};
    return run_sync(ioc, store->load_thread_items(threads.data.at(0).id, std::nullopt, 100,
                                                  cp::sort_order::asc, ctx))
        .data;
  }
  log_entry entry(std::size_t i) {
    std::lock_guard lock(mu);
    return log.at(i);
  }
};

// Sends a threads.create, reads until at least k events arrived (0: the head only), then closes the socket.
// Returns the events received.
std::vector<json::value> read_then_close(std::uint16_t port, const std::string& body, std::size_t k,
                                         const std::string& user) {
  namespace beast = boost::beast;
  net::io_context ioc;
  net::ip::tcp::socket s(ioc);
  s.connect({net::ip::make_address("127.0.0.1"), port});
  net::write(s, net::buffer(http_post(body, user)));
  beast::flat_buffer buffer;
  beast::http::response_parser<beast::http::string_body> parser;
  parser.body_limit(boost::none);
  auto frames = [&] {
    std::size_t n = 0;
    const auto& b = parser.get().body();
    for (auto at = b.find("\n\n"); at != std::string::npos; at = b.find("\n\n", at + 2)) ++n;
    return n;
  };
  while (!parser.is_header_done() || (frames() < k && !parser.is_done()))
    beast::http::read_some(s, buffer, parser);
  s.close();
  std::vector<json::value> events;
  const auto& b = parser.get().body();
  for (std::size_t at = 0; at < b.size();) {
    const auto end = b.find("\n\n", at);
    if (end == std::string::npos) break;
    events.push_back(json::parse(std::string_view(b).substr(at + 6, end - at - 6)));
    at = end + 2;
  }
  return events;
}

}  // namespace

TEST_CASE(
    "client disconnects after every event index: the turn ends, the partial answer is kept, the server "
    "keeps serving",
    "[integration][cancellation][faults]") {
  paced_server server;
  const std::string echo = "You said: Hello there";
  // The complete stream: its length is the range of k.
  const auto complete = post(server.port(), create_body("Hello there"), "alice");
  REQUIRE(complete.status == 200);
  const std::size_t total = complete.events.size();
  // thread.created, user done, stream_options, added, thread.updated, part added, 3 deltas, part done, done
  REQUIRE(total == 11);
  REQUIRE(server.wait_for_log(1));
  std::size_t requests = 1;

  for (std::size_t k = 0; k <= total; ++k) {
    INFO("the client reads " << k << " events, then closes");
    const std::string user = "user" + std::to_string(k);  // one user per k: their only thread is this one
    const auto seen = read_then_close(server.port(), create_body("Hello there"), k, user);
    CHECK(seen.size() >= k);
    // The server ends the turn: the request is logged.
    REQUIRE(server.wait_for_log(++requests));
    const auto logged = server.entry(requests - 1);
    CHECK(logged.status == 200);

    const auto items = server.stored_items(user);
    // What the client saw of the answer.
    std::string seen_text;
    bool saw_user_done = false, saw_answer_done = false;
    for (const auto& e : seen) {
      if (e.at("type") == "thread.item.done")
        (e.at("item").at("type") == "user_message" ? saw_user_done : saw_answer_done) = true;
      if (e.at("type") == "thread.item.updated" &&
          e.at("update").at("type") == "assistant_message.content_part.text_delta")
        seen_text += std::string(e.at("update").at("delta").as_string());
    }
    // The user's message is never lost once its thread.item.done was sent.
    if (saw_user_done) REQUIRE_FALSE(items.empty());
    if (!items.empty()) CHECK(std::holds_alternative<cp::user_message_item>(items.front()));
    std::string stored_text;
    bool answer_stored = false, noted = false;
    for (const auto& i : items) {
      if (const auto* m = std::get_if<cp::assistant_message_item>(&i)) {
        answer_stored = true;
        stored_text = m->content.at(0).text;
      }
      noted = noted || std::holds_alternative<cp::sdk_hidden_context_item>(i);
    }
    // The partial answer: at least what the client saw, and a prefix of the whole answer.
    if (!seen_text.empty() || saw_answer_done) CHECK(answer_stored);
    CHECK(echo.starts_with(stored_text));
    CHECK(stored_text.starts_with(seen_text));
    if (!logged.cancelled) {
      CHECK(stored_text == echo);
      CHECK_FALSE(noted);
    } else if (logged.events >= 3 && stored_text != echo) {
      // Cancelled once the bot had started (stream_options went out) and before its answer was done: the
      // hidden note tells the next turn. (A client that read every event may still close before the final
      // chunk: the log says cancelled, the turn itself was complete.)
      CHECK(noted);
      CHECK(std::holds_alternative<cp::sdk_hidden_context_item>(items.back()));
    }
  }

  // Still serving: a fresh request is answered in full.
  const auto again = post(server.port(), create_body("Hello there"), "alice");
  CHECK(again.status == 200);
  CHECK(again.events.size() == total);
}
