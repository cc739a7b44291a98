// The echo bot behind chatkit::http::server over real sockets on 127.0.0.1: a full exchange, errors as HTTP
// statuses, a client that disconnects mid-stream — its partial answer and the cancelled note are stored —
// and regressions of protocol details (a sender-less sync action, a null client tool output).
#include "echo_http.hpp"

#include "support/run_sync.hpp"

#include <chatkit/protocol.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <catch2/catch.hpp>

#include <future>
#include <thread>

namespace asio = boost::asio;
namespace cp = chatkit::protocol;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using chatkit::testing::create_body;
using chatkit::testing::http_post;
using chatkit::testing::post;
using chatkit::testing::round_trip;
using running_server = chatkit::testing::running_echo_server<>;

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
  const std::string id = list.substr(id_at + 6, list.find('"', id_at + 6) - (id_at + 6));
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
  // No sender item: the echo bot's sync_action hook is called and is not implemented.
  CHECK(round_trip(srv.http->port(),
                   R"({"type":"threads.sync_custom_action","params":{"thread_id":")" + id +
                       R"(","action":{"type":"x"}}})",
                   "alice")
            .starts_with("HTTP/1.1 501"));
  CHECK(
      round_trip(srv.http->port(), R"({"type":"threads.list","params":{}})", "").starts_with("HTTP/1.1 401"));
}

TEST_CASE("a client that disconnects mid-stream gets its partial answer persisted",
          "[integration][http][cancel]") {
  running_server srv;
  asio::io_context ioc;
  tcp::socket s(ioc);
  // A small receive window (set before connecting): the server soon blocks on the socket because this
  // client stops reading, long before the longest stream the echo bot allows is written.
  s.open(tcp::v4());
  s.set_option(asio::socket_base::receive_buffer_size(4096));
  s.connect({asio::ip::make_address("127.0.0.1"), srv.http->port()});
  asio::write(s, asio::buffer(http_post(create_body("stream 10000"), "alice")));
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
      auto page = co_await srv.store->load_thread_items(threads.data[0].id, std::nullopt, 10,
                                                        cp::sort_order::asc, alice);
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
  CHECK(partial.content[0].text.size() < 4u * 10000u);  // cut short, not the whole answer
  CHECK(std::get<cp::sdk_hidden_context_item>(items[2]).content == chatkit::server::cancelled_note);
}

namespace {

std::string thread_id_of(const chatkit::testing::http_answer& created) {
  return std::string(created.events.at(0).at("thread").at("id").as_string());
}

// A "press" action request of `type` (threads.custom_action or threads.sync_custom_action); an empty `item`
// names no sender.
std::string action_body(const std::string& type, const std::string& thread, const std::string& item = {}) {
  return R"({"type":")" + type + R"(","params":{"thread_id":")" + thread + "\"" +
         (item.empty() ? "" : R"(,"item_id":")" + item + "\"") + R"(,"action":{"type":"press"}}})";
}

// Records what the sync_action hook got: answers an assistant message naming the sender (or "none").
struct sync_recording_bot : chatkit::examples::echo_bot {
  using echo_bot::echo_bot;
  asio::awaitable<std::optional<cp::thread_item>> sync_action(chatkit::server::action_args args) override {
    cp::assistant_message_item m;
    m.id = "msg_sync";
    m.thread_id = args.thread.id;
    m.created_at = cp::timestamp::now();
    m.content.push_back(cp::output_text{.text = "sender: " + (args.sender ? args.sender->id : "none")});
    co_return cp::thread_item{std::move(m)};
  }
};

}  // namespace

TEST_CASE("threads.sync_custom_action without item_id calls the hook without a sender",
          "[integration][http][sync_action]") {
  SECTION("the echo bot does not implement the hook: 501") {
    running_server srv;
    const auto created = post(srv.port(), create_body("question"), "alice");
    const auto id = thread_id_of(created);
    const auto no_sender = post(srv.port(), action_body("threads.sync_custom_action", id), "alice");
    CHECK(no_sender.status == 501);
    CHECK(no_sender.json().at("error").at("type") == "not_implemented");
    // A sender that exists but is no widget (here the structured input item) is a request error.
    const std::string question(created.events.at(3).at("item").at("id").as_string());
    CHECK(created.events.at(3).at("item").at("type") == "structured_input");
    const auto not_widget =
        post(srv.port(), action_body("threads.sync_custom_action", id, question), "alice");
    CHECK(not_widget.status == 400);
    CHECK(not_widget.json().at("error").at("message") ==
          "params.item_id: threads.sync_custom_action requires a widget sender item");
    // A sender that does not exist is a 404.
    CHECK(post(srv.port(), action_body("threads.sync_custom_action", id, "msg_nothere"), "alice").status ==
          404);
  }
  SECTION("a bot that implements it gets a null sender") {
    chatkit::testing::running_echo_server<sync_recording_bot> srv;
    const auto id = thread_id_of(post(srv.port(), create_body("question"), "alice"));
    const auto r = post(srv.port(), action_body("threads.sync_custom_action", id), "alice");
    REQUIRE(r.status == 200);
    CHECK(r.json().at("updated_item").at("content").at(0).at("text") == "sender: none");
  }
  SECTION("threads.custom_action without item_id streams the action's answer") {
    running_server srv;
    const auto id = thread_id_of(post(srv.port(), create_body("question"), "alice"));
    const auto r = post(srv.port(), action_body("threads.custom_action", id), "alice");
    REQUIRE(r.status == 200);
    REQUIRE(r.is_stream());
    CHECK(r.events.back().at("item").at("content").at(0).at("text") == "Action: press");
  }
}

TEST_CASE("a null client tool output is stored and answered without an output field",
          "[integration][http][client_tool]") {
  running_server srv;
  const auto created = post(srv.port(), create_body("client tool"), "alice");
  const auto id = thread_id_of(created);
  const std::string call_id(created.events.at(3).at("item").at("id").as_string());
  const auto output = post(
      srv.port(),
      R"({"type":"threads.add_client_tool_output","params":{"thread_id":")" + id + R"(","result":null}})",
      "alice");
  REQUIRE(output.status == 200);
  for (const auto& e : output.events) CHECK(chatkit::testing::first_null(e).empty());
  const auto thread =
      post(srv.port(), R"({"type":"threads.get_by_id","params":{"thread_id":")" + id + R"("}})", "alice");
  REQUIRE(thread.status == 200);
  INFO(thread.body);
  const auto body = thread.json();
  CHECK(chatkit::testing::first_null(body).empty());
  const auto& call = body.at("items").at("data").at(1).as_object();
  CHECK(call.at("id") == json::value(call_id));
  CHECK(call.at("status") == "completed");
  CHECK_FALSE(call.contains("output"));
  // The stored item, as the store writes it, has no null either.
  const chatkit::request_context alice{"alice", {}, {}};
  asio::io_context q;
  auto stored = chatkit::testing::run_sync(q, srv.store->load_item(id, call_id, alice));
  CHECK(chatkit::testing::first_null(json::parse(cp::to_json(stored, cp::audience::storage))).empty());
  CHECK_FALSE(std::get<cp::client_tool_call_item>(stored).output.has_value());
}

#if defined(CHATKIT_TEST_WITH_SQLITE)
#include <chatkit/sqlite/sqlite_store.hpp>

#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace {

// Redirects this process's stderr into a file while alive; text() reads what was written.
class stderr_capture {
 public:
  explicit stderr_capture(std::filesystem::path path) : path_(std::move(path)) {
    std::fflush(stderr);
    saved_ = ::dup(2);
    std::FILE* f = std::fopen(path_.c_str(), "w");
    ::dup2(::fileno(f), 2);
    std::fclose(f);
  }
  ~stderr_capture() { restore(); }
  stderr_capture(const stderr_capture&) = delete;
  stderr_capture& operator=(const stderr_capture&) = delete;
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
    saved_ = -1;
  }
  std::string text() const {
    std::ifstream in(path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  std::filesystem::path path_;
  int saved_ = -1;
};

}  // namespace

TEST_CASE("a database failure answers a fixed message and a reference; the detail is only in the log",
          "[integration][http][errors]") {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("chatkit-store-errors-" + std::to_string(std::random_device{}()));
  std::filesystem::create_directories(dir);
  const auto db_path = (dir / "chat.db").string();
  {
    chatkit::store::sqlite_store_options so;
    so.path = db_path;
    so.busy_timeout = std::chrono::milliseconds(50);
    auto store = std::make_shared<chatkit::store::sqlite_store>(std::move(so));
    auto bot = std::make_shared<chatkit::examples::echo_bot>(store);
    chatkit::http::server_options o;
    o.endpoint.authenticate = chatkit::http::dev_header_auth("X-User-Id", true);
    o.endpoint.access_log = [](const auto&) {};
    chatkit::http::server http(bot, std::move(o));
    http.start();

    const auto created = post(http.port(), create_body("Hello"), "alice");
    REQUIRE(created.status == 200);
    const std::string id(created.events.at(0).at("thread").at("id").as_string());

    // Another connection holds the write lock past the store's busy timeout: SQLite says "database is
    // locked".
    sqlite3* other = nullptr;
    REQUIRE(sqlite3_open(db_path.c_str(), &other) == SQLITE_OK);
    REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
    stderr_capture log(dir / "stderr.txt");
    const auto answer =
        post(http.port(), R"({"type":"threads.update","params":{"thread_id":")" + id + R"(","title":"x"}})",
             "alice");
    log.restore();
    sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(other);

    CHECK(answer.status == 503);
    const auto message = std::string(answer.json().at("error").at("message").as_string());
    CHECK(message.starts_with("the database is unavailable (reference "));
    CHECK(message.find("sqlite") == std::string::npos);
    CHECK(message.find("locked") == std::string::npos);
    const auto ref = message.substr(message.find("reference ") + 10, 16);
    const auto logged = log.text();
    const auto line_at = logged.find(ref);
    REQUIRE(line_at != std::string::npos);
    const auto line = logged.substr(line_at, logged.find('\n', line_at) - line_at);
    CHECK(line.find("database is locked") != std::string::npos);  // the detail, for the operator

    http.stop(std::chrono::milliseconds(0));
  }
  std::filesystem::remove_all(dir);
}
#endif

TEST_CASE("limits apply to unknown fields too: a huge string or array nobody reads is a 400 naming its path",
          "[integration][http][limits]") {
  running_server srv;
  const auto big_string = post(
      srv.port(),
      R"({"type":"threads.list","params":{"limit":5,"note":")" + std::string(1536 * 1024, 'a') + R"("}})",
      "alice");
  CHECK(big_string.status == 400);
  CHECK(big_string.json().at("error").at("message") ==
        "params.note: string of 1572864 bytes exceeds the limit of 1048576 bytes");
  std::string many = R"({"type":"threads.list","params":{},"padding":[0)";
  for (int i = 1; i < 10'001; ++i) many += ",0";
  many += "]}";
  const auto big_array = post(srv.port(), many, "alice");
  CHECK(big_array.status == 400);
  CHECK(big_array.json().at("error").at("message") == "padding: array has 10001 items; the limit is 10000");
  // The server still answers.
  CHECK(post(srv.port(), R"({"type":"threads.list","params":{}})", "alice").status == 200);
}
