// The echo bot behind chatkit::http::server over real sockets on 127.0.0.1: a full exchange, errors as HTTP
// statuses, and a client that disconnects mid-stream — its partial answer and the cancelled note are stored.
#include "echo_bot.hpp"

#include <chatkit/http/auth.hpp>
#include <chatkit/http/server.hpp>
#include <chatkit/protocol.hpp>
#include <chatkit/store/memory_store.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <thread>

namespace asio = boost::asio;
namespace cp = chatkit::protocol;
using tcp = asio::ip::tcp;

namespace {

struct running_server {
  std::shared_ptr<chatkit::store::memory_store> store = std::make_shared<chatkit::store::memory_store>();
  std::shared_ptr<chatkit::examples::echo_bot> bot = std::make_shared<chatkit::examples::echo_bot>(
      store, std::make_shared<chatkit::examples::echo_attachment_store>());
  std::unique_ptr<chatkit::http::server> http;

  running_server() {
    chatkit::http::server_options o;
    o.endpoint.authenticate = chatkit::http::dev_header_auth("X-User-Id", true);
    o.endpoint.access_log = [](const auto&) {};
    o.endpoint.limits.stream_buffer_bytes = 16 * 1024;
    http = std::make_unique<chatkit::http::server>(bot, std::move(o));
    http->start();
  }
  ~running_server() { http->stop(std::chrono::milliseconds(0)); }
};

std::string http_post(const std::string& body, const std::string& user) {
  std::string r =
      "POST /chatkit HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nConnection: close\r\n";
  if (!user.empty()) r += "X-User-Id: " + user + "\r\n";
  r += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return r;
}

// Sends one request and reads the whole response (the server closes: Connection: close).
std::string round_trip(std::uint16_t port, const std::string& body, const std::string& user) {
  asio::io_context ioc;
  tcp::socket s(ioc);
  s.connect({asio::ip::make_address("127.0.0.1"), port});
  asio::write(s, asio::buffer(http_post(body, user)));
  std::string out;
  boost::system::error_code ec;
  asio::read(s, asio::dynamic_buffer(out), ec);
  return out;
}

std::string create_body(const std::string& text) {
  return R"({"type":"threads.create","params":{"input":{"content":[{"type":"input_text","text":")" + text +
         R"("}],"attachments":[],"inference_options":{}}}})";
}

}  // namespace

TEST_CASE("a full exchange over HTTP streams the echo and persists it", "[integration][http]") {
  running_server srv;
  const auto response = round_trip(srv.http->port(), create_body("Hello"), "alice");
  CHECK(response.starts_with("HTTP/1.1 200"));
  CHECK(response.find("Content-Type: text/event-stream") != std::string::npos);
  CHECK(response.find(R"("delta":"aid: ")") != std::string::npos);
  CHECK(response.find(R"("text":"You said: Hello")") != std::string::npos);
  const auto list = round_trip(srv.http->port(), R"({"type":"threads.list","params":{}})", "alice");
  CHECK(list.find(R"("title":"Hello")") != std::string::npos);
  // Another user sees nothing, and naming Alice's thread is a 404 like a missing one.
  const auto id_at = list.find("\"id\":\"thr_");
  REQUIRE(id_at != std::string::npos);
  const std::string id = list.substr(id_at + 6, 12);
  CHECK(round_trip(srv.http->port(), R"({"type":"threads.list","params":{}})", "bob")
            .find(R"({"data":[],"has_more":false})") != std::string::npos);
  const auto foreign = round_trip(
      srv.http->port(), R"({"type":"threads.get_by_id","params":{"thread_id":")" + id + R"("}})", "bob");
  CHECK(foreign.starts_with("HTTP/1.1 404"));
  CHECK(round_trip(srv.http->port(), R"({"type":"threads.get_by_id","params":{"thread_id":"thr_nothere"}})",
                   "bob")
            .starts_with("HTTP/1.1 404"));
  CHECK(round_trip(srv.http->port(), R"({"type":"threads.list","params":{"limit":"x"}})", "alice")
            .find(R"("message":"params.limit: expected integer, got string")") != std::string::npos);
  CHECK(round_trip(srv.http->port(),
                   R"({"type":"threads.sync_custom_action","params":{"thread_id":")" + id +
                       R"(","action":{"type":"x"}}})",
                   "alice")
            .starts_with("HTTP/1.1 400"));
  CHECK(
      round_trip(srv.http->port(), R"({"type":"threads.list","params":{}})", "").starts_with("HTTP/1.1 401"));
}

TEST_CASE("a client that disconnects mid-stream gets its partial answer persisted",
          "[integration][http][cancel]") {
  running_server srv;
  asio::io_context ioc;
  tcp::socket s(ioc);
  s.connect({asio::ip::make_address("127.0.0.1"), srv.http->port()});
  // A long stream: the server soon blocks on the socket because this client stops reading.
  asio::write(s, asio::buffer(http_post(create_body("stream 1000000"), "alice")));
  std::string got(64 * 1024, '\0');
  std::size_t n = 0;
  while (n < 16 * 1024) n += s.read_some(asio::buffer(got.data() + n, got.size() - n));
  s.close();  // disconnect mid-stream

  // The server notices when its next write fails; wait (bounded) for the cancellation note to appear.
  const chatkit::request_context alice{"alice", {}, {}};
  std::vector<cp::thread_item> items;
  for (int attempt = 0; attempt < 600; ++attempt) {
    asio::io_context q;
    // A named lambda: the coroutine reads its captures from the closure, which must outlive the run.
    auto load = [&]() -> asio::awaitable<std::vector<cp::thread_item>> {
      auto threads = co_await srv.store->load_threads(1, std::nullopt, cp::sort_order::desc, alice);
      if (threads.data.empty()) co_return std::vector<cp::thread_item>{};
      auto page =
          co_await srv.store->load_thread_items(threads.data[0].id, std::nullopt, 10, cp::sort_order::asc, alice);
      co_return page.data;
    };
    auto f = asio::co_spawn(q, load(), asio::use_future);
    q.run();
    items = f.get();
    if (items.size() == 3) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE(items.size() == 3);
  CHECK(cp::item_type(items[0]) == "user_message");
  const auto& partial = std::get<cp::assistant_message_item>(items[1]);
  REQUIRE(partial.content.size() == 1);
  CHECK(partial.content[0].text.starts_with("tok tok "));
  CHECK(partial.content[0].text.size() < 4u * 1000000u);  // cut short, not the whole answer
  CHECK(std::get<cp::sdk_hidden_context_item>(items[2]).content == chatkit::server::cancelled_note);
}
