// The MCP server dispatcher without sockets: lifecycle, both eras, pagination, tools/call results and errors,
// binding to the caller, cancellation.
#include <chatkit/agents/context_binding.hpp>
#include <chatkit/agents/tool.hpp>
#include <chatkit/agents/tool_registry.hpp>
#include <chatkit/mcp/tool_server.hpp>

#include "mcp/detail/call_result.hpp"
#include "support/run_sync.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <stdexcept>
#include <string>

namespace asio = boost::asio;
namespace json = boost::json;
namespace agents = chatkit::agents;
namespace mcp = chatkit::mcp;
using chatkit::testing::run_sync;

namespace {

const json::object modern_meta{{"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
                               {"io.modelcontextprotocol/clientCapabilities", json::object{}}};

agents::function_tool note_tool(std::shared_ptr<std::string> seen_user) {
  return agents::make_tool(
      "whoami", "Say who calls",
      json::object{{"type", "object"},
                   {"properties", {{"greeting", {{"type", "string"}}}, {"user_id", {{"type", "string"}}}}},
                   {"required", json::array{"greeting", "user_id"}},
                   {"additionalProperties", false}},
      [seen_user](agents::tool_context&, json::object args) -> asio::awaitable<agents::tool_output> {
        *seen_user = std::string(args.at("user_id").as_string());
        co_return agents::tool_output(std::string(args.at("greeting").as_string()) + " " + *seen_user);
      });
}

agents::tool_registry sample_registry(std::shared_ptr<std::string> seen_user) {
  agents::tool_registry r;
  r.add(note_tool(seen_user));
  r.add(agents::make_tool("structured", "Returns JSON", json::object{{"type", "object"}},
                          [](agents::tool_context&, json::object) -> asio::awaitable<agents::tool_output> {
                            co_return agents::tool_output(json::object{{"sum", 42}});
                          }));
  r.add(agents::make_tool("fails", "Throws", json::object{{"type", "object"}},
                          [](agents::tool_context&, json::object) -> asio::awaitable<agents::tool_output> {
                            throw std::runtime_error("disk on fire");
                            co_return agents::tool_output("unreachable");
                          }));
  r.add(agents::make_tool(
      "slow", "Sleeps until cancelled, reporting progress first", json::object{{"type", "object"}},
      [](agents::tool_context& ctx, json::object) -> asio::awaitable<agents::tool_output> {
        co_await mcp::report_progress(ctx, 1, 2, "started");
        co_await mcp::log_message(ctx, "info", "working");
        co_await mcp::log_message(ctx, "debug", "filtered out at the default level");
        asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::hours(1));
        co_await t.async_wait(asio::use_awaitable);
        co_return agents::tool_output("never");
      }));
  return r.bind({agents::bind_user_id()});
}

struct fixture {
  asio::io_context ioc;
  std::shared_ptr<std::string> seen_user = std::make_shared<std::string>();
  std::shared_ptr<mcp::tool_server> server;
  chatkit::request_context alice{"alice", {}, {}};
  std::vector<std::string> violations;

  explicit fixture(std::size_t page_size = 500) {
    mcp::tool_server_options o;
    o.info = {"test-server", "1.2.3", "", "Be nice."};
    o.page_size = page_size;
    o.on_binding_violation = [this](const agents::binding_violation& v) {
      violations.push_back(std::string(v.parameter) + " by " + v.caller.user_id);
    };
    server = std::make_shared<mcp::tool_server>(sample_registry(seen_user), o);
  }

  // Sends one line; returns the parsed reply or null when there was none.
  json::value send(mcp::server_session& s, std::string_view line, std::vector<json::value>* notes = nullptr) {
    mcp::notification_sink sink;
    if (notes != nullptr)
      sink = [notes](mcp::rpc_notification n) -> asio::awaitable<void> {
        notes->push_back(json::parse(mcp::serialize(n)));
        co_return;
      };
    auto reply = run_sync(ioc, server->handle_text(s, line, alice, sink));
    if (!reply) return nullptr;
    return json::parse(*reply);
  }

  json::value request(mcp::server_session& s, int id, std::string method, json::object params = {}) {
    json::object msg{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
    return send(s, json::serialize(msg));
  }

  mcp::server_session initialized() {
    mcp::server_session s;
    auto r =
        request(s, 0, "initialize", {{"protocolVersion", "2025-11-25"}, {"capabilities", json::object{}}});
    REQUIRE(r.at("result").at("protocolVersion") == "2025-11-25");
    send(s, R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
    return s;
  }
};

std::int64_t error_code(const json::value& reply) {
  return reply.at("error").at("code").as_int64();
}

std::string first_text(const json::value& reply) {
  return std::string(reply.at("result").at("content").at(0).at("text").as_string());
}

}  // namespace

TEST_CASE("tool_server: legacy initialize echoes a known revision, else the newest", "[mcp][tool_server]") {
  fixture f;
  mcp::server_session s;
  auto r = f.request(s, 0, "initialize", {{"protocolVersion", "2025-06-18"}});
  CHECK(r.at("id") == 0);
  CHECK(r.at("result").at("protocolVersion") == "2025-06-18");
  CHECK(r.at("result").at("serverInfo").at("name") == "test-server");
  CHECK(r.at("result").at("instructions") == "Be nice.");
  CHECK(r.at("result").at("capabilities").at("tools") == json::object{});  // no listChanged: never emitted
  CHECK(s.era() == mcp::era::legacy);
  CHECK(error_code(f.request(s, 1, "initialize", {{"protocolVersion", "2025-06-18"}})) == -32600);

  mcp::server_session s2;
  CHECK(f.request(s2, 1, "initialize", {{"protocolVersion", "1999-01-01"}})
            .at("result")
            .at("protocolVersion") == "2025-11-25");
}

TEST_CASE("tool_server: a connection answers ping before initialize, nothing else", "[mcp][tool_server]") {
  fixture f;
  mcp::server_session s;
  CHECK(f.request(s, 1, "ping").at("result") == json::object{});
  auto r = f.request(s, 2, "tools/list");
  CHECK(error_code(r) == -32600);
  CHECK(r.at("error").at("message") == "not initialized");
}

TEST_CASE("tool_server: bad messages get JSON-RPC errors, notifications never an answer",
          "[mcp][tool_server]") {
  fixture f;
  auto s = f.initialized();
  auto parse = f.send(s, "{not json");
  CHECK(error_code(parse) == -32700);
  CHECK(parse.at("id").is_null());
  auto batch = f.send(s, R"([{"jsonrpc":"2.0","id":20,"method":"ping"}])");
  CHECK(error_code(batch) == -32600);
  CHECK(batch.at("id").is_null());
  CHECK(error_code(f.request(s, 3, "no/such/method")) == -32601);
  CHECK(f.send(s, R"({"jsonrpc":"2.0","method":"notifications/whatever"})").is_null());
  CHECK(f.send(s, R"({"jsonrpc":"2.0","id":9,"result":{}})").is_null());
}

TEST_CASE("tool_server: tools/list shows the bound tools without their bound parameters",
          "[mcp][tool_server]") {
  fixture f;
  auto s = f.initialized();
  auto r = f.request(s, 1, "tools/list");
  const auto& tools = r.at("result").at("tools").as_array();
  REQUIRE(tools.size() == 4);
  CHECK(tools[0].at("name") == "whoami");
  const auto& schema = tools[0].at("inputSchema").as_object();
  CHECK(schema.at("type") == "object");
  CHECK_FALSE(schema.at("properties").as_object().contains("user_id"));
  CHECK(schema.at("required") == json::array{"greeting"});
  CHECK_FALSE(r.at("result").as_object().contains("nextCursor"));
}

TEST_CASE("tool_server: pagination with cursors bound to the registry version", "[mcp][tool_server]") {
  fixture f(3);
  auto s = f.initialized();
  auto first = f.request(s, 1, "tools/list");
  CHECK(first.at("result").at("tools").as_array().size() == 3);
  auto cursor = first.at("result").at("nextCursor");
  REQUIRE(cursor.is_string());
  auto second = f.request(s, 2, "tools/list", {{"cursor", cursor}});
  CHECK(second.at("result").at("tools").as_array().size() == 1);
  CHECK(second.at("result").at("tools").at(0).at("name") == "slow");
  CHECK_FALSE(second.at("result").as_object().contains("nextCursor"));
  CHECK(error_code(f.request(s, 3, "tools/list", {{"cursor", "bogus"}})) == -32602);
  CHECK(error_code(f.request(s, 4, "tools/list", {{"cursor", "v999.3"}})) == -32602);  // another version
  CHECK(error_code(f.request(s, 5, "tools/list", {{"cursor", 7}})) == -32602);
}

TEST_CASE("tool_server: tools/call runs the tool for the caller", "[mcp][tool_server]") {
  fixture f;
  auto s = f.initialized();
  auto r = f.request(s, 1, "tools/call", {{"name", "whoami"}, {"arguments", {{"greeting", "hello"}}}});
  CHECK(first_text(r) == "hello alice");
  CHECK_FALSE(r.at("result").as_object().contains("isError"));
  CHECK(*f.seen_user == "alice");

  auto structured = f.request(s, 2, "tools/call", {{"name", "structured"}});
  CHECK(first_text(structured) == R"({"sum":42})");
  CHECK(structured.at("result").at("structuredContent") == json::object{{"sum", 42}});
}

TEST_CASE("tool_server: a client cannot set a bound parameter", "[mcp][tool_server]") {
  fixture f;
  auto s = f.initialized();
  auto r = f.request(s, 1, "tools/call",
                     {{"name", "whoami"}, {"arguments", {{"greeting", "hi"}, {"user_id", "bob"}}}});
  CHECK(r.at("result").at("isError") == true);
  CHECK(first_text(r) == agents::bound_parameter_refusal("user_id"));
  CHECK(f.seen_user->empty());
  CHECK(f.violations == std::vector<std::string>{"user_id by alice"});
}

TEST_CASE("tool_server: argument, tool and lookup failures", "[mcp][tool_server]") {
  fixture f;
  auto s = f.initialized();
  auto unknown = f.request(s, 1, "tools/call", {{"name", "nope"}});
  CHECK(error_code(unknown) == -32602);
  CHECK(unknown.at("error").at("message") == "Unknown tool: nope");
  auto invalid = f.request(s, 2, "tools/call", {{"name", "whoami"}, {"arguments", {{"greeting", 5}}}});
  CHECK(invalid.at("result").at("isError") == true);
  CHECK(first_text(invalid) == "Input validation error: $.greeting: expected string, got number");
  auto thrown = f.request(s, 3, "tools/call", {{"name", "fails"}});
  CHECK(thrown.at("result").at("isError") == true);
  CHECK(first_text(thrown) == "disk on fire");
  CHECK(error_code(f.request(s, 4, "tools/call", {{"name", "whoami"}, {"arguments", "x"}})) == -32602);
  CHECK(error_code(f.request(s, 5, "tools/call", {{"arguments", json::object{}}})) == -32602);
}

TEST_CASE("tool_server: the modern era is stateless and versioned", "[mcp][tool_server]") {
  fixture f;
  mcp::server_session s;
  auto d = f.request(s, 1, "server/discover", {{"_meta", modern_meta}});
  CHECK(d.at("result").at("supportedVersions") == json::array{"2026-07-28"});
  CHECK(d.at("result").at("resultType") == "complete");
  CHECK(d.at("result").at("cacheScope") == "private");
  CHECK(d.at("result").at("ttlMs") == 0);
  CHECK(d.at("result").at("_meta").at("io.modelcontextprotocol/serverInfo").at("name") == "test-server");
  CHECK(s.era() == mcp::era::modern);

  auto list = f.request(s, 2, "tools/list", {{"_meta", modern_meta}});
  CHECK(list.at("result").at("tools").as_array().size() == 4);
  CHECK(list.at("result").at("resultType") == "complete");
  CHECK(list.at("result").as_object().contains("ttlMs"));

  auto call = f.request(s, 3, "tools/call",
                        {{"name", "whoami"}, {"arguments", {{"greeting", "hey"}}}, {"_meta", modern_meta}});
  CHECK(first_text(call) == "hey alice");
  CHECK(call.at("result").at("resultType") == "complete");

  auto missing = f.request(s, 4, "tools/list");
  CHECK(error_code(missing) == -32602);
  CHECK(error_code(f.request(s, 5, "ping", {{"_meta", modern_meta}})) == -32601);

  json::object old_meta = modern_meta;
  old_meta["io.modelcontextprotocol/protocolVersion"] = "1900-01-01";
  auto old = f.request(s, 6, "tools/list", {{"_meta", old_meta}});
  CHECK(error_code(old) == -32022);
  CHECK(old.at("error").at("data").at("supported") == json::array{"2026-07-28"});
  CHECK(old.at("error").at("data").at("requested") == "1900-01-01");
}

TEST_CASE("tool_server: a stateless session serves legacy requests without a handshake",
          "[mcp][tool_server]") {
  fixture f;
  mcp::server_session s(mcp::session_kind::stateless, "user:alice");
  CHECK(f.request(s, 1, "tools/list").at("result").at("tools").as_array().size() == 4);
  CHECK(
      f.request(s, 2, "initialize", {{"protocolVersion", "2025-11-25"}}).at("result").at("protocolVersion") ==
      "2025-11-25");
  CHECK(f.request(s, 3, "server/discover", {{"_meta", modern_meta}}).at("result").at("resultType") ==
        "complete");
  CHECK_FALSE(s.era());
}

TEST_CASE("tool_server: notifications/cancelled stops the call and no response is sent",
          "[mcp][tool_server]") {
  fixture f;
  auto s = f.initialized();
  std::vector<json::value> notes;
  std::optional<std::optional<std::string>> reply;
  mcp::notification_sink sink = [&](mcp::rpc_notification n) -> asio::awaitable<void> {
    notes.push_back(json::parse(mcp::serialize(n)));
    // The tool reported progress: it is running now, cancel it.
    if (n.method == "notifications/progress") {
      auto none = co_await f.server->handle_text(
          s, R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"call-A"}})",
          f.alice);
      CHECK_FALSE(none);
    }
  };
  asio::co_spawn(
      f.ioc,
      [&]() -> asio::awaitable<void> {
        reply = co_await f.server->handle_text(
            s,
            R"({"jsonrpc":"2.0","id":"call-A","method":"tools/call","params":{"name":"slow","_meta":{"progressToken":7}}})",
            f.alice, sink);
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  f.ioc.restart();
  f.ioc.run();
  REQUIRE(reply.has_value());
  CHECK_FALSE(reply->has_value());
  REQUIRE(notes.size() == 2);
  CHECK(notes[0].at("method") == "notifications/progress");
  CHECK(notes[0].at("params").at("progressToken") == 7);
  CHECK(notes[0].at("params").at("total") == 2);
  CHECK(notes[0].at("params").at("progress").is_int64());
  CHECK(notes[1].at("method") == "notifications/message");
  CHECK(notes[1].at("params").at("level") == "info");
  CHECK_FALSE(f.server->cancel("connection", mcp::request_id{std::string("call-A")}));
}

TEST_CASE("tool_server: another scope cannot cancel a call", "[mcp][tool_server]") {
  fixture f;
  CHECK_FALSE(f.server->cancel("user:mallory", mcp::request_id{std::int64_t{1}}));
}

TEST_CASE("call_result: outputs and content parts become MCP content blocks", "[mcp][tool_server]") {
  using mcp::detail::call_result;
  auto text = call_result(agents::tool_output("hi"), mcp::era::legacy);
  CHECK(text == json::parse(R"({"content":[{"type":"text","text":"hi"}]})"));
  auto array = call_result(agents::tool_output(json::value(json::array{1, 2})), mcp::era::legacy);
  CHECK_FALSE(array.contains("structuredContent"));  // legacy: objects only
  CHECK(call_result(agents::tool_output(json::value(json::array{1, 2})), mcp::era::modern)
            .contains("structuredContent"));
  auto parts =
      call_result(agents::tool_output::content(json::array{
                      json::object{{"type", "input_text"}, {"text", "see"}},
                      json::object{{"type", "input_image"}, {"image_url", "data:image/png;base64,AAAA"}},
                      json::object{{"type", "input_image"}, {"image_url", "https://example.com/a.png"}},
                      json::object{{"type", "input_file"},
                                   {"filename", "a.pdf"},
                                   {"file_data", "data:application/pdf;base64,QQ=="}},
                      json::object{{"type", "audio"}, {"data", "UklG"}, {"mimeType", "audio/wav"}}}),
                  mcp::era::legacy);
  CHECK(parts.at("content") == json::parse(R"([
    {"type":"text","text":"see"},
    {"type":"image","data":"AAAA","mimeType":"image/png"},
    {"type":"resource_link","uri":"https://example.com/a.png","name":"image"},
    {"type":"resource","resource":{"uri":"file:///a.pdf","mimeType":"application/pdf","blob":"QQ=="}},
    {"type":"audio","data":"UklG","mimeType":"audio/wav"}])"));
}

TEST_CASE("call_result: nullable parameters may be omitted by clients", "[mcp][tool_server]") {
  json::object schema = json::parse(R"({"type":"object","properties":{"a":{"type":"string"},
    "b":{"type":["string","null"]},"c":{"anyOf":[{"type":"object"},{"type":"null"}]}},
    "required":["a","b","c"],"additionalProperties":false})")
                            .as_object();
  CHECK(mcp::detail::listed_schema(schema).at("required") == json::array{"a"});
  json::object args{{"a", "x"}};
  mcp::detail::fill_omitted_nullable(args, schema);
  CHECK(args == json::parse(R"({"a":"x","b":null,"c":null})"));
}
