// mcp::client against misbehaving peers (tests/mcp-peers/misbehaving_server.py): malformed messages, an
// oversized line, a peer that dies mid-call, one that never answers, one that floods stderr, one that ignores
// SIGTERM, one the era probe upsets, and server-initiated requests. Every case ends with a clear error and no
// process left behind.
#include <chatkit/mcp/client.hpp>

#include "support/log_capture.hpp"
#include "support/run_sync.hpp"
#include "unit/mcp/peers.hpp"

#include <boost/asio/io_context.hpp>

#include <csignal>

using namespace chatkit;
using namespace chatkit::mcp::testing;
namespace asio = boost::asio;
namespace json = boost::json;
using chatkit::testing::run_sync;

namespace {

mcp::stdio_server misbehaving(const std::string& mode) {
  return mcp::stdio_server({"python3", (peers_dir() / "misbehaving_server.py").string(), mode});
}

bool process_gone(int pid) {
  return pid > 0 && ::kill(pid, 0) != 0;
}

// Connects to the peer in `mode`, calls its tool and returns the error the call ended with ("" = none).
std::string call_error(const std::string& mode, mcp::client_options options, int* pid = nullptr,
                       std::string* answer = nullptr) {
  asio::io_context ioc;
  std::string error;
  run_sync(ioc, [&]() -> asio::awaitable<void> {
    auto c = co_await mcp::client::connect(misbehaving(mode), options);
    if (pid) *pid = c->process_id();
    try {
      auto r = co_await c->call_tool("work");
      if (answer) *answer = r.content.at(0).text;
    } catch (const mcp::mcp_error& e) {
      error = e.what();
    }
    co_await c->close();
  }());
  return error;
}

}  // namespace

TEST_CASE("client: a malformed answer fails the call it names", "[mcp][client][bad-input]") {
  log_lines logs;
  const auto error = call_error("malformed", logs.options());
  CHECK(error.find("invalid message") != std::string::npos);
  CHECK(logs.contains("invalid message"));
}

TEST_CASE("client: a line over the size cap is a protocol error and the server is stopped",
          "[mcp][client][bad-input]") {
  auto options = mcp::client_options{};
  options.max_message_bytes = 1024 * 1024;
  int pid = 0;
  const auto error = call_error("oversized", options, &pid);
  CHECK(error.find("larger than 1048576 bytes") != std::string::npos);
  CHECK(process_gone(pid));
}

TEST_CASE("client: a server dying mid-call", "[mcp][client][bad-input]") {
  int pid = 0;
  const auto error = call_error("die", {}, &pid);
  CHECK(error == "the MCP server exited with status 3");
  CHECK(process_gone(pid));
}

TEST_CASE("client: a server that never answers times out", "[mcp][client][bad-input]") {
  mcp::client_options options;
  options.request_timeout = std::chrono::milliseconds(300);
  const auto error = call_error("silent", options);
  CHECK(error == "MCP request tools/call timed out after 300 ms");
}

TEST_CASE("client: a server flooding stderr is drained and still answers", "[mcp][client][bad-input]") {
  std::size_t lines = 0;
  mcp::client_options options;
  options.on_log = [&](mcp::log_source src, std::string_view) {
    lines += src == mcp::log_source::server_stderr;
  };
  std::string answer;
  CHECK(call_error("flood", options, nullptr, &answer).empty());
  CHECK(answer == "done after flood");
  CHECK(lines == 50000);
}

TEST_CASE("client: without on_log, the server's stderr and the client's diagnostics go to the SDK's log sink",
          "[mcp][client][log]") {
  chatkit::testing::log_capture cap(chatkit::log::level::info);
  std::string answer;
  CHECK(call_error("flood", {}, nullptr, &answer).empty());
  CHECK(answer == "done after flood");
  CHECK(cap.count("mcp", "server stderr") == 50000);
  const auto line = cap.find("mcp", "server stderr");
  REQUIRE(line);
  CHECK(line->severity == chatkit::log::level::info);
  CHECK(line->field("line").starts_with("log line 0 "));

  CHECK(call_error("malformed", {}).find("invalid message") != std::string::npos);
  bool reported = false;
  for (const auto& r : cap.records())
    if (r.component == "mcp" && r.message == "client" &&
        r.field("detail").find("invalid message") != std::string::npos)
      reported = r.severity == chatkit::log::level::warn;
  CHECK(reported);
}

TEST_CASE("client: close stops a server that ignores stdin and SIGTERM", "[mcp][client][bad-input]") {
  asio::io_context ioc;
  mcp::stdio_server server = misbehaving("stubborn");
  server.shutdown_grace = std::chrono::milliseconds(200);
  int pid = 0;
  run_sync(ioc, [&]() -> asio::awaitable<void> {
    auto c = co_await mcp::client::connect(server);
    pid = c->process_id();
    co_await c->close();
  }());
  CHECK(process_gone(pid));
}

TEST_CASE("client: a server the era probe leaves silent is restarted for the legacy handshake",
          "[mcp][client][bad-input]") {
  asio::io_context ioc;
  log_lines logs;
  auto options = logs.options();
  options.probe_timeout = std::chrono::milliseconds(300);
  run_sync(ioc, [&]() -> asio::awaitable<void> {
    auto c = co_await mcp::client::connect(misbehaving("noprobe"), options);
    CHECK(c->era() == mcp::era::legacy);
    CHECK((co_await c->call_tool("work")).content.at(0).text == "ok");
    co_await c->close();
  }());
  CHECK(logs.contains("restarting"));
}

TEST_CASE("client: server requests — ping answered, others refused as not supported", "[mcp][client]") {
  std::string answer;
  CHECK(call_error("ping", {}, nullptr, &answer).empty());
  auto replies = json::parse(answer).as_array();
  CHECK(replies.at(0).at("id") == "s1");
  CHECK(replies.at(0).at("result").as_object().empty());
  CHECK(replies.at(1).at("id") == "s2");
  CHECK(replies.at(1).at("error").at("code") == -32601);
}

TEST_CASE("client: a command that does not exist", "[mcp][client][bad-input]") {
  asio::io_context ioc;
  std::string error;
  run_sync(ioc, [&]() -> asio::awaitable<void> {
    try {
      co_await mcp::client::connect(mcp::stdio_server({"/nonexistent/mcp-server"}));
    } catch (const mcp::mcp_error& e) {
      error = e.what();
    }
  }());
  CHECK(error.find("/nonexistent/mcp-server") != std::string::npos);
}

TEST_CASE("client: the destructor kills the server without waiting", "[mcp][client]") {
  asio::io_context ioc;
  int pid = 0;
  run_sync(ioc, [&]() -> asio::awaitable<void> {
    auto c = co_await mcp::client::connect(misbehaving("stubborn"));
    pid = c->process_id();
  }());
  ioc.restart();
  ioc.run();  // the destructor's work runs on the client's strand
  CHECK(process_gone(pid));
}

TEST_CASE("client: tools/list follows cursors; a repeated cursor is an error", "[mcp][client]") {
  asio::io_context ioc;
  run_sync(ioc, [&]() -> asio::awaitable<void> {
    auto pages = co_await mcp::client::connect(misbehaving("pages"));
    std::vector<std::string> names;
    for (const auto& t : co_await pages->list_tools()) names.push_back(t.name);
    CHECK(names == std::vector<std::string>{"a0", "a1", "b0", "b1", "c0", "c1"});
    co_await pages->close();

    auto loop = co_await mcp::client::connect(misbehaving("loop"));
    std::string error;
    try {
      co_await loop->list_tools();
    } catch (const mcp::mcp_error& e) {
      error = e.what();
    }
    CHECK(error == "the MCP server repeated the tools/list cursor 'again'");
    co_await loop->close();
  }());
}

TEST_CASE("client: an expired HTTP session is replaced by a new one and the request sent again",
          "[mcp][client][http][session]") {
  const auto script = (peers_dir() / "expiring_session_server.py").string();
  asio::io_context ioc;
  SECTION("the server forgets the first session: one new initialize, the request succeeds") {
    http_peer peer({"python3", script}, "MCP_PEER_LISTENING");
    log_lines logs;
    run_sync(ioc, [&]() -> asio::awaitable<void> {
      auto c = co_await mcp::client::connect(mcp::http_server(peer.url()), logs.options());
      CHECK(c->era() == mcp::era::legacy);
      auto tools = co_await c->list_tools();
      REQUIRE(tools.size() == 1);
      CHECK(tools[0].description == "2");  // the server saw the first initialize and the renewal
      co_await c->close();
    }());
    CHECK(logs.contains("starting a new one"));
  }
  SECTION("a server that forgets every session: the request fails after one renewal") {
    http_peer peer({"python3", script, "always"}, "MCP_PEER_LISTENING");
    std::string error;
    run_sync(ioc, [&]() -> asio::awaitable<void> {
      auto c = co_await mcp::client::connect(mcp::http_server(peer.url()), {});
      try {
        co_await c->list_tools();
      } catch (const mcp::mcp_error& e) {
        CHECK(e.code() == mcp::errc::session_expired);
        error = e.what();
      }
      co_await c->close();
    }());
    CHECK(error.find("no longer knows the session") != std::string::npos);
  }
}
