// The MCP Streamable HTTP server over real sockets on 127.0.0.1: what a well-behaved client gets, and every
// refusal (Host, Origin, credentials, media types, size, malformed JSON-RPC, batches, modern headers).
#include <chatkit/agents/context_binding.hpp>
#include <chatkit/agents/tool.hpp>
#include <chatkit/agents/tool_registry.hpp>
#include <chatkit/error.hpp>
#include <chatkit/http/server.hpp>
#include <chatkit/mcp/streamable_http.hpp>
#include <chatkit/mcp/tool_server.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include <memory>
#include <string>

namespace asio = boost::asio;
namespace json = boost::json;
namespace agents = chatkit::agents;
namespace mcp = chatkit::mcp;

namespace {

struct no_chatkit : chatkit::server::request_processor {
  asio::awaitable<chatkit::server::process_result> process(std::string, chatkit::request_context) override {
    throw chatkit::error(chatkit::errc::not_found, "no ChatKit here");
    co_return chatkit::server::json_response{};
  }
};

struct reply {
  int status = 0;
  std::string head;
  std::string body;
  json::value json() const { return json::parse(body); }
  bool has(const std::string& line) const { return head.find(line) != std::string::npos; }
};

// Token "alice-token" is alice, "bob-token" is bob; anything else is refused.
chatkit::request_context token_auth(const chatkit::http::request& req) {
  const auto h = req[boost::beast::http::field::authorization];
  if (h == "Bearer alice-token") return {"alice", {}, {}};
  if (h == "Bearer bob-token") return {"bob", {}, {}};
  throw chatkit::error(chatkit::errc::unauthorized, h.empty() ? "missing bearer token" : "invalid token");
}

std::atomic<bool> slow_started{false};

agents::tool_registry tools() {
  agents::tool_registry r;
  r.add(agents::make_tool(
      "whoami", "Who calls",
      json::object{{"type", "object"},
                   {"properties", {{"user_id", {{"type", "string"}}}}},
                   {"required", json::array{"user_id"}},
                   {"additionalProperties", false}},
      [](agents::tool_context& ctx, json::object args) -> asio::awaitable<agents::tool_output> {
        co_await mcp::report_progress(ctx, 1, 1);
        co_return agents::tool_output(std::string(args.at("user_id").as_string()));
      }));
  r.add(agents::make_tool("slow", "Runs until cancelled", json::object{{"type", "object"}},
                          [](agents::tool_context&, json::object) -> asio::awaitable<agents::tool_output> {
                            slow_started = true;
                            asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::hours(1));
                            co_await t.async_wait(asio::use_awaitable);
                            co_return agents::tool_output("never");
                          }));
  return r.bind({agents::bind_user_id()});
}

struct running_server {
  chatkit::http::server server;
  explicit running_server(mcp::http_options options = {})
      : server(std::make_shared<no_chatkit>(),
               chatkit::http::server_options{
                   .endpoint = {.authenticate = token_auth, .access_log = [](auto&) {}}}) {
    options.max_body_bytes = 4096;
    mcp::mount(server, std::make_shared<mcp::tool_server>(tools()), std::move(options));
    server.start();
  }
  ~running_server() { server.stop(std::chrono::seconds(2)); }

  // One request (Connection: close), read to the end. `headers` are full lines with CRLF.
  reply send(const std::string& method, const std::string& body, std::string headers = {},
             std::string host = "127.0.0.1") const {
    std::string r = method + " /mcp HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n" + headers +
                    "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    asio::io_context ioc;
    asio::ip::tcp::socket s(ioc);
    s.connect({asio::ip::make_address("127.0.0.1"), server.port()});
    asio::write(s, asio::buffer(r));
    std::string out;
    boost::system::error_code ec;
    asio::read(s, asio::dynamic_buffer(out), ec);
    reply rep;
    const auto end = out.find("\r\n\r\n");
    rep.head = out.substr(0, end);
    rep.body = end == std::string::npos ? std::string() : out.substr(end + 4);
    if (out.size() > 12) rep.status = std::stoi(out.substr(9, 3));
    return rep;
  }

  reply post(const std::string& body, const std::string& extra = {},
             const std::string& token = "alice-token") const {
    std::string headers = "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n";
    if (!token.empty()) headers += "Authorization: Bearer " + token + "\r\n";
    return send("POST", body, headers + extra);
  }
};

const std::string modern_envelope =
    R"("_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}})";
const std::string modern_headers = "MCP-Protocol-Version: 2026-07-28\r\n";

}  // namespace

TEST_CASE("streamable_http: a legacy client is served without a session", "[mcp][http]") {
  running_server srv;
  auto init =
      srv.post(R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25"}})");
  CHECK(init.status == 200);
  CHECK(init.has("Content-Type: application/json"));
  CHECK_FALSE(init.has("Mcp-Session-Id"));
  CHECK(init.json().at("result").at("protocolVersion") == "2025-11-25");

  CHECK(srv.post(R"({"jsonrpc":"2.0","method":"notifications/initialized"})").status == 202);
  auto call = srv.post(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami"}})",
                       "MCP-Protocol-Version: 2025-11-25\r\n", "bob-token");
  CHECK(call.json().at("result").at("content").at(0).at("text") == "bob");

  // With a progress token, the progress notification precedes the result in one event stream.
  auto progress = srv.post(
      R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"whoami","_meta":{"progressToken":"p"}}})");
  CHECK(progress.status == 200);
  CHECK(progress.has("Content-Type: text/event-stream"));
  const auto first = progress.body.find("notifications/progress");
  const auto second = progress.body.find("\"result\"");
  CHECK(first != std::string::npos);
  CHECK(second != std::string::npos);
  CHECK(first < second);
}

TEST_CASE("streamable_http: credentials are required and bind the tools", "[mcp][http]") {
  running_server srv;
  const std::string list = R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})";
  auto none = srv.post(list, {}, "");
  CHECK(none.status == 401);
  CHECK(none.has("WWW-Authenticate: Bearer"));
  auto bad = srv.post(list, {}, "forged");
  CHECK(bad.status == 401);
  CHECK(bad.has("WWW-Authenticate: Bearer error=\"invalid_token\""));
  auto forged = srv.post(
      R"({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"whoami","arguments":{"user_id":"bob"}}})");
  CHECK(forged.json().at("result").at("isError") == true);
  CHECK(forged.json().at("result").at("content").at(0).at("text").as_string() ==
        agents::bound_parameter_refusal("user_id"));
}

TEST_CASE("streamable_http: Host and Origin checks refuse other sites with 403", "[mcp][http]") {
  running_server srv;
  const std::string ping = R"({"jsonrpc":"2.0","id":1,"method":"ping"})";
  const std::string headers =
      "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
      "Authorization: Bearer alice-token\r\n";
  CHECK(srv.send("POST", ping, headers, "evil.example:8080").status == 403);
  CHECK(srv.send("POST", ping, headers, "localhost:1234").status == 200);
  CHECK(srv.post(ping, "Origin: http://evil.example\r\n").status == 403);
  CHECK(srv.post(ping, "Origin: http://127.0.0.1:3000\r\n").status == 200);

  running_server strict(
      mcp::http_options{.allowed_origins = {"https://app.example"}, .allow_loopback_origins = false});
  CHECK(strict.post(ping, "Origin: http://localhost:3000\r\n").status == 403);
  CHECK(strict.post(ping, "Origin: https://APP.example\r\n").status == 200);
}

TEST_CASE("streamable_http: bad input gets a clear status and JSON-RPC error", "[mcp][http]") {
  running_server srv;
  auto get = srv.send("GET", "", "Authorization: Bearer alice-token\r\n");
  CHECK(get.status == 405);
  CHECK(get.has("Allow: POST"));
  CHECK(srv.send("DELETE", "", "Authorization: Bearer alice-token\r\n").status == 405);

  auto text = srv.send("POST", "{}", "Content-Type: text/plain\r\nAuthorization: Bearer alice-token\r\n");
  CHECK(text.status == 415);
  auto json_only = srv.send("POST", R"({"jsonrpc":"2.0","id":1,"method":"ping"})",
                            "Content-Type: application/json\r\nAccept: application/json\r\n"
                            "Authorization: Bearer alice-token\r\n");
  CHECK(json_only.status == 406);

  auto malformed = srv.post("{not json");
  CHECK(malformed.status == 400);
  CHECK(malformed.json().at("error").at("code") == -32700);
  CHECK(malformed.json().at("id").is_null());

  auto batch = srv.post(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])");
  CHECK(batch.status == 400);
  CHECK(batch.json().at("error").at("code") == -32600);

  auto big = srv.post(R"({"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":")" +
                      std::string(5000, 'x') + "\"}}");
  CHECK(big.status == 413);
  CHECK(big.json().at("error").at("code") == -32600);

  auto unknown_version =
      srv.post(R"({"jsonrpc":"2.0","id":1,"method":"ping"})", "MCP-Protocol-Version: 1999-01-01\r\n");
  CHECK(unknown_version.status == 400);
}

TEST_CASE("streamable_http: modern requests must repeat the body in their headers", "[mcp][http]") {
  running_server srv;
  const std::string call =
      R"({"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"whoami",)" + modern_envelope + "}}";
  auto ok = srv.post(call, modern_headers + "Mcp-Method: tools/call\r\nMcp-Name: whoami\r\n");
  CHECK(ok.status == 200);
  CHECK(ok.json().at("result").at("content").at(0).at("text") == "alice");
  CHECK(ok.json().at("result").at("resultType") == "complete");

  auto wrong_name = srv.post(call, modern_headers + "Mcp-Method: tools/call\r\nMcp-Name: other\r\n");
  CHECK(wrong_name.status == 400);
  CHECK(wrong_name.json().at("error").at("code") == -32020);
  CHECK(wrong_name.json().at("id") == 5);
  auto no_method = srv.post(call, modern_headers + "Mcp-Name: whoami\r\n");
  CHECK(no_method.status == 400);
  CHECK(no_method.json().at("error").at("code") == -32020);
  auto no_version = srv.post(call, "Mcp-Method: tools/call\r\nMcp-Name: whoami\r\n");
  CHECK(no_version.json().at("error").at("code") == -32020);

  const std::string discover_old =
      R"({"jsonrpc":"2.0","id":6,"method":"server/discover","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"1900-01-01","io.modelcontextprotocol/clientCapabilities":{}}}})";
  auto old = srv.post(discover_old, "MCP-Protocol-Version: 1900-01-01\r\nMcp-Method: server/discover\r\n");
  CHECK(old.status == 400);
  CHECK(old.json().at("error").at("code") == -32022);

  const std::string unknown =
      R"({"jsonrpc":"2.0","id":7,"method":"prompts/list","params":{)" + modern_envelope + "}}";
  auto not_found = srv.post(unknown, modern_headers + "Mcp-Method: prompts/list\r\n");
  CHECK(not_found.status == 404);
  CHECK(not_found.json().at("error").at("code") == -32601);

  auto no_envelope = srv.post(R"({"jsonrpc":"2.0","id":8,"method":"tools/list"})",
                              modern_headers + "Mcp-Method: tools/list\r\n");
  CHECK(no_envelope.status == 400);
  CHECK(no_envelope.json().at("error").at("code") == -32602);
}

TEST_CASE("streamable_http: notifications/cancelled from the same user ends a running call", "[mcp][http]") {
  running_server srv;
  slow_started = false;
  reply answered;
  std::thread caller([&] {
    answered = srv.post(R"({"jsonrpc":"2.0","id":"slow-1","method":"tools/call","params":{"name":"slow"}})");
  });
  for (int i = 0; i < 1000 && !slow_started; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(slow_started);
  auto cancel =
      srv.post(R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"slow-1"}})");
  CHECK(cancel.status == 202);
  caller.join();
  CHECK(answered.status == 202);  // no JSON-RPC response for a cancelled request
  CHECK(answered.body.empty());
}

TEST_CASE("streamable_http: an asynchronous authenticate hook guards the route", "[mcp][http][auth]") {
  mcp::http_options o;
  o.authenticate = [](const chatkit::http::request& req) -> asio::awaitable<chatkit::request_context> {
    asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(5));
    co_await t.async_wait(asio::use_awaitable);  // a session lookup would wait here
    co_return token_auth(req);
  };
  running_server srv(std::move(o));
  const std::string list = R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})";
  auto ok = srv.post(list);
  CHECK(ok.status == 200);
  CHECK(ok.json().at("result").at("tools").as_array().size() > 0);
  auto none = srv.post(list, {}, "");
  CHECK(none.status == 401);
  CHECK(none.has("WWW-Authenticate: Bearer"));
}
