// mcp::client over stdio against the real peers of tests/mcp-peers: the legacy reference servers
// (server-everything, server-memory) and the TypeScript SDK v2 server for the modern era.
#include <chatkit/mcp/client.hpp>

#include "support/run_sync.hpp"
#include "unit/mcp/peers.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <csignal>
#include <fstream>

using namespace chatkit;
using namespace chatkit::mcp::testing;
namespace asio = boost::asio;
namespace json = boost::json;
using namespace asio::experimental::awaitable_operators;
using chatkit::testing::run_sync;

namespace {

mcp::stdio_server everything() {
  skip_unless_peers();
  return mcp::stdio_server({node_binary(), everything_js(), "stdio"});
}

bool has_tool(const std::vector<mcp::tool_info>& tools, std::string_view name) {
  for (const auto& t : tools)
    if (t.name == name) return true;
  return false;
}

asio::awaitable<void> sleep_ms(int ms) {
  asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(ms));
  co_await t.async_wait(asio::use_awaitable);
}

}  // namespace

TEST_CASE("stdio: server-everything speaks the legacy era; list and call its tools",
          "[mcp][client][stdio][peers]") {
  asio::io_context ioc;
  log_lines logs;
  auto options = logs.options();
  int list_changed = 0;
  options.on_tools_changed = [&] { ++list_changed; };
  run_sync(ioc, [&]() -> asio::awaitable<void> {
    auto c = co_await mcp::client::connect(everything(), options);
    CHECK(c->era() == mcp::era::legacy);
    CHECK(c->protocol_version() == "2025-11-25");
    CHECK(c->server_info().at("name") == "mcp-servers/everything");
    CHECK(c->process_id() > 0);

    auto tools = co_await c->list_tools();
    CHECK(has_tool(tools, "echo"));
    CHECK(has_tool(tools, "get-sum"));
    for (const auto& t : tools) CHECK(t.input_schema.at("type") == "object");

    auto echo = co_await c->call_tool("echo", {{"message", "hello"}});
    CHECK_FALSE(echo.is_error);
    REQUIRE(echo.content.size() == 1);
    CHECK(echo.content[0].type == "text");
    CHECK(echo.content[0].text == "Echo: hello");

    auto structured = co_await c->call_tool("get-structured-content", {{"location", "New York"}});
    REQUIRE(structured.structured_content);
    CHECK(structured.structured_content->as_object().contains("temperature"));

    auto image = co_await c->call_tool("get-tiny-image");
    bool saw_image = false;
    for (const auto& b : image.content)
      if (b.type == "image") saw_image = !b.data.empty() && b.mime_type == "image/png";
    CHECK(saw_image);

    auto links = co_await c->call_tool("get-resource-links", {{"count", 2}});
    int link_count = 0;
    for (const auto& b : links.content)
      if (b.type == "resource_link") link_count += !b.uri.empty();
    CHECK(link_count == 2);

    // The server sends list_changed right after notifications/initialized.
    co_await c->ping();
    CHECK(list_changed >= 1);

    co_await c->close();
    CHECK_FALSE(c->is_open());
  }());
  CHECK(logs.contains("Starting"));  // the server's stderr reached the log callback
}

TEST_CASE("stdio: isError results and JSON-RPC errors are told apart", "[mcp][client][stdio][peers]") {
  asio::io_context ioc;
  run_sync(ioc, [&]() -> asio::awaitable<void> {
    auto c = co_await mcp::client::connect(everything());
    auto bad_args = co_await c->call_tool("get-sum", {{"a", "two"}});
    CHECK(bad_args.is_error);
    REQUIRE_FALSE(bad_args.content.empty());
    CHECK(bad_args.content[0].text.find("Input validation error") != std::string::npos);

    auto unknown = co_await c->call_tool("no-such-tool");
    CHECK(unknown.is_error);  // this (v1) server reports an unknown tool as an isError result

    try {
      co_await c->request("no/such/method");
      FAIL("no error");
    } catch (const mcp::remote_error& e) {
      CHECK(e.rpc_code() == -32601);
    }
    co_await c->close();
  }());
}

TEST_CASE("stdio: progress, timeout and cancellation", "[mcp][client][stdio][peers]") {
  asio::io_context ioc;
  run_sync(ioc, [&]() -> asio::awaitable<void> {
    auto c = co_await mcp::client::connect(everything());

    std::vector<double> seen;
    mcp::call_options progress;
    progress.on_progress = [&](const mcp::progress_update& u) {
      seen.push_back(u.progress);
      CHECK(u.total == 2);
    };
    auto done =
        co_await c->call_tool("trigger-long-running-operation", {{"duration", 1}, {"steps", 2}}, progress);
    CHECK_FALSE(done.is_error);
    CHECK(seen == std::vector<double>{1, 2});

    mcp::call_options short_timeout;
    short_timeout.timeout = std::chrono::milliseconds(300);
    try {
      co_await c->call_tool("trigger-long-running-operation", {{"duration", 3}, {"steps", 3}}, short_timeout);
      FAIL("no timeout");
    } catch (const mcp::mcp_error& e) {
      CHECK(e.code_value() == mcp::errc::timeout);
    }

    // Cancelling the awaiting coroutine (here: `||` with a shorter timer) cancels the request; the server's
    // late progress and answer are ignored and the connection stays usable.
    int late_progress = 0;
    mcp::call_options watched;
    watched.on_progress = [&](const mcp::progress_update&) { ++late_progress; };
    auto raced =
        co_await (c->call_tool("trigger-long-running-operation", {{"duration", 2}, {"steps", 4}}, watched) ||
                  sleep_ms(700));
    CHECK(raced.index() == 1);
    const int at_cancel = late_progress;
    co_await sleep_ms(1800);  // the tool keeps running on the server and keeps sending progress
    CHECK(late_progress == at_cancel);
    auto echo = co_await c->call_tool("echo", {{"message", "still here"}});
    CHECK(echo.content.at(0).text == "Echo: still here");
    co_await c->close();
  }());
}

TEST_CASE("stdio: server-memory gets its environment and returns structured content",
          "[mcp][client][stdio][peers]") {
  skip_unless_peers();
  temp_dir dir;
  const auto file = dir.path() / "memory.jsonl";
  mcp::stdio_server memory({node_binary(), memory_js()});
  memory.env["MEMORY_FILE_PATH"] = file.string();
  asio::io_context ioc;
  run_sync(ioc, [&]() -> asio::awaitable<void> {
    auto c = co_await mcp::client::connect(memory);
    CHECK(c->era() == mcp::era::legacy);
    auto tools = co_await c->list_tools();
    CHECK(tools.size() == 9);
    auto created = co_await c->call_tool(
        "create_entities",
        {{"entities",
          json::array{{{"name", "alice"}, {"entityType", "person"}, {"observations", {"likes C++"}}}}}});
    CHECK_FALSE(created.is_error);
    REQUIRE(created.structured_content);
    auto graph = co_await c->call_tool("read_graph");
    REQUIRE(graph.structured_content);
    CHECK(graph.structured_content->at("entities").as_array().size() == 1);
    co_await c->close();
  }());
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  CHECK(line.find("alice") != std::string::npos);
}

TEST_CASE("stdio: the TypeScript SDK v2 server is detected as the modern era",
          "[mcp][client][stdio][peers]") {
  skip_unless_peers();
  asio::io_context ioc;
  run_sync(ioc, [&]() -> asio::awaitable<void> {
    auto c = co_await mcp::client::connect(
        mcp::stdio_server({node_binary(), (peers_dir() / "v2-server.mjs").string()}));
    CHECK(c->era() == mcp::era::modern);
    CHECK(c->protocol_version() == "2026-07-28");
    CHECK(c->server_info().at("name") == "v2-peer");
    auto tools = co_await c->list_tools();
    CHECK(has_tool(tools, "add"));
    auto sum = co_await c->call_tool("add", {{"a", 2}, {"b", 40}});
    REQUIRE(sum.structured_content);
    CHECK(sum.structured_content->at("sum") == 42);
    try {
      co_await c->call_tool("nope");
      FAIL("no error");
    } catch (const mcp::remote_error& e) {
      CHECK(e.rpc_code() == -32602);  // v2 reports an unknown tool as a JSON-RPC error
    }
    co_await c->close();
  }());
}

TEST_CASE("stdio: the same v2 server pinned to the legacy era", "[mcp][client][stdio][peers]") {
  skip_unless_peers();
  asio::io_context ioc;
  mcp::client_options legacy;
  legacy.era = mcp::era_preference::legacy;
  run_sync(ioc, [&]() -> asio::awaitable<void> {
    auto c = co_await mcp::client::connect(
        mcp::stdio_server({node_binary(), (peers_dir() / "v2-server.mjs").string()}), legacy);
    CHECK(c->era() == mcp::era::legacy);
    auto echo = co_await c->call_tool("echo", {{"message", "old"}});
    CHECK(echo.content.at(0).text == "Echo: old");
    co_await c->close();
  }());
}
