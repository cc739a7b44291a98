// mcp::client over Streamable HTTP against real peers on 127.0.0.1: server-everything (legacy era, sessions,
// SSE replies with priming events) and the TypeScript SDK v2 handler (modern era, stateless, required
// headers).
#include <chatkit/mcp/client.hpp>

#include "support/run_sync.hpp"
#include "unit/mcp/peers.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

using namespace chatkit;
using namespace chatkit::mcp::testing;
namespace asio = boost::asio;
namespace json = boost::json;
using namespace asio::experimental::awaitable_operators;
using chatkit::testing::run_sync;

namespace {

asio::awaitable<void> sleep_ms(int ms) {
  asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(ms));
  co_await t.async_wait(asio::use_awaitable);
}

std::unique_ptr<http_peer> everything_http() {
  skip_unless_peers();
  return std::make_unique<http_peer>(std::vector<std::string>{node_binary(), "-r", "./force-loopback.cjs",
                                                              everything_js(), "streamableHttp"},
                                     "MCP_PEER_LISTENING");
}

}  // namespace

TEST_CASE("http: server-everything over Streamable HTTP (legacy era, session, SSE)",
          "[mcp][client][http][peers]") {
  auto peer = everything_http();
  asio::io_context ioc;
  log_lines logs;
  auto options = logs.options();
  int list_changed = 0;
  options.on_tools_changed = [&] { ++list_changed; };
  run_sync(ioc, [&]() -> asio::awaitable<void> {
    auto c = co_await mcp::client::connect(mcp::http_server(peer->url()), options);
    CHECK(c->era() == mcp::era::legacy);  // the modern probe got "Server not initialized": fallback
    CHECK(c->protocol_version() == "2025-11-25");
    auto tools = co_await c->list_tools();
    CHECK(tools.size() >= 10);

    auto echo = co_await c->call_tool("echo", {{"message", "over http"}});
    CHECK(echo.content.at(0).text == "Echo: over http");

    auto sum = co_await c->call_tool("get-sum", {{"a", 2}, {"b", 40}});
    CHECK(sum.content.at(0).text.find("42") != std::string::npos);

    auto structured = co_await c->call_tool("get-structured-content", {{"location", "Chicago"}});
    CHECK(structured.structured_content.has_value());

    auto bad = co_await c->call_tool("get-sum", {{"a", "two"}});
    CHECK(bad.is_error);

    try {
      co_await c->request("no/such/method");
      FAIL("no error");
    } catch (const mcp::remote_error& e) {
      CHECK(e.rpc_code() == -32601);
    }

    std::vector<double> seen;
    mcp::call_options progress;
    progress.on_progress = [&](const mcp::progress_update& u) { seen.push_back(u.progress); };
    auto done =
        co_await c->call_tool("trigger-long-running-operation", {{"duration", 1}, {"steps", 2}}, progress);
    CHECK_FALSE(done.is_error);
    CHECK(seen == std::vector<double>{1, 2});

    // Cancellation: the awaiting coroutine loses the race; the connection stays usable.
    auto raced = co_await (c->call_tool("trigger-long-running-operation", {{"duration", 2}, {"steps", 2}}) ||
                           sleep_ms(300));
    CHECK(raced.index() == 1);
    auto again = co_await c->call_tool("echo", {{"message", "after cancel"}});
    CHECK(again.content.at(0).text == "Echo: after cancel");

    // Several calls at once share the connection pool.
    auto [a, b] =
        co_await (c->call_tool("echo", {{"message", "a"}}) && c->call_tool("echo", {{"message", "b"}}));
    CHECK(a.content.at(0).text == "Echo: a");
    CHECK(b.content.at(0).text == "Echo: b");

    CHECK(list_changed >= 1);  // sent after notifications/initialized, delivered on the GET stream

    co_await c->close();
    CHECK_FALSE(c->is_open());
  }());
}

TEST_CASE("http: the TypeScript SDK v2 handler is detected as the modern era", "[mcp][client][http][peers]") {
  skip_unless_peers();
  http_peer peer({node_binary(), (peers_dir() / "v2-http-server.mjs").string()}, "listening", true);
  asio::io_context ioc;
  run_sync(ioc, [&]() -> asio::awaitable<void> {
    auto c = co_await mcp::client::connect(mcp::http_server(peer.url()));
    CHECK(c->era() == mcp::era::modern);
    CHECK(c->protocol_version() == "2026-07-28");
    CHECK(c->server_info().at("name") == "v2-http-peer");
    auto tools = co_await c->list_tools();
    REQUIRE(tools.size() == 3);
    auto echo = co_await c->call_tool("echo", {{"message", "stateless"}});  // needs Mcp-Method and Mcp-Name
    CHECK(echo.content.at(0).text == "Echo: stateless");
    try {
      co_await c->call_tool("nope");
      FAIL("no error");
    } catch (const mcp::remote_error& e) {
      CHECK(e.rpc_code() == -32602);
    }
    co_await c->close();
  }());
}

// In the modern era a call is cancelled by closing its connection. When that connection was a kept-alive one,
// the transport must not take the failed read for a server that closed an idle connection and send the
// call again on a new one: the server would run the tool a second time, for nobody.
TEST_CASE("http: a modern-era call that times out is not sent again", "[mcp][client][http][peers]") {
  skip_unless_peers();
  http_peer peer({node_binary(), (peers_dir() / "v2-http-server.mjs").string()}, "listening", true);
  asio::io_context ioc;
  run_sync(ioc, [&]() -> asio::awaitable<void> {
    auto c = co_await mcp::client::connect(mcp::http_server(peer.url()));
    REQUIRE(c->era() == mcp::era::modern);
    (void)co_await c->list_tools();  // leaves its connection idle: the call below reuses it
    mcp::call_options o;
    o.timeout = std::chrono::milliseconds(300);
    try {
      co_await c->call_tool("stall", {}, o);
      FAIL("no timeout");
    } catch (const mcp::mcp_error& e) {
      CHECK(e.code_value() == mcp::errc::timeout);
    }
    // A call sent again would arrive within milliseconds; give it two seconds.
    std::string count;
    for (int i = 0; i < 20; ++i) {
      co_await sleep_ms(100);
      count = (co_await c->call_tool("stall_count")).content.at(0).text;
      if (count != "1") break;
    }
    CHECK(count == "1");
    co_await c->close();
  }());
}

// The retry the test above must not make for a cancelled call is right for a kept-alive connection the
// server closed while it was idle (asked to after 100 ms): the call goes out once more on a new connection.
TEST_CASE("http: a call on a kept-alive connection the server closed goes out again on a new one",
          "[mcp][client][http][peers]") {
  skip_unless_peers();
  http_peer peer({node_binary(), (peers_dir() / "v2-http-server.mjs").string(), "--keep-alive-ms", "100"},
                 "listening", true);
  asio::io_context ioc;
  run_sync(ioc, [&]() -> asio::awaitable<void> {
    auto c = co_await mcp::client::connect(mcp::http_server(peer.url()));
    REQUIRE(c->era() == mcp::era::modern);
    (void)co_await c->list_tools();
    co_await sleep_ms(2000);  // Node closes idle connections on a coarse timer: about a second here
    auto echo = co_await c->call_tool("echo", {{"message", "again"}});
    CHECK(echo.content.at(0).text == "Echo: again");
    co_await c->close();
  }());
}

TEST_CASE("http: a server that is not there is a clear error", "[mcp][client][http]") {
  asio::io_context ioc;
  mcp::client_options o;
  o.connect_timeout = std::chrono::milliseconds(2000);
  bool failed = false;
  run_sync(ioc, [&]() -> asio::awaitable<void> {
    try {
      co_await mcp::client::connect(mcp::http_server("http://127.0.0.1:1/mcp"), o);
    } catch (const mcp::mcp_error& e) {
      failed = true;
      CHECK(std::string(e.what()).find("127.0.0.1:1") != std::string::npos);
    }
  }());
  CHECK(failed);
}
