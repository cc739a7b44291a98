// libFuzzer target: the MCP server's message handling behind its stdio framing (docs/fuzzing.md#mcp_server).
// The input is cut into lines at '\n' (a '\r' before it dropped, blank lines skipped; the last line needs no
// '\n'), as mcp::serve_stdio reads them, and every line is handed to mcp::tool_server::handle_text twice: on
// one `connection` session that lives for the whole input (the legacy lifecycle, the era fixed by the first
// request) and on a fresh `stateless` session (one HTTP request). The registry holds tools bound to the
// caller's user id. Oracles: every reply and every interim notification is one line of valid JSON-RPC
// (mcp::parse_message reads it back as a response, an error response or a notification respectively), and no
// tool handler ever sees a user_id other than the caller's, at any depth, whatever the client put in the
// arguments.
#include <chatkit/agents/context_binding.hpp>
#include <chatkit/agents/tool.hpp>
#include <chatkit/agents/tool_registry.hpp>
#include <chatkit/mcp/jsonrpc.hpp>
#include <chatkit/mcp/tool_server.hpp>
#include <chatkit/request_context.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>

namespace asio = boost::asio;
namespace json = boost::json;
namespace agents = chatkit::agents;
namespace mcp = chatkit::mcp;

namespace {

constexpr std::string_view caller_id = "fuzz-user";

[[noreturn]] void fail(const char* what, std::string_view text) {
  std::fprintf(stderr, "fuzz_mcp_server: %s: %.*s\n", what, static_cast<int>(text.size()), text.data());
  std::abort();
}

// A user_id anywhere in what a handler sees must be the caller's (bound names are checked at every depth).
bool forged_inside(const json::value& v) {
  if (const auto* o = v.if_object()) {
    for (const auto& [key, value] : *o)
      if ((key == "user_id" && !(value.is_string() && value.as_string() == caller_id)) ||
          forged_inside(value))
        return true;
  } else if (const auto* a = v.if_array()) {
    for (const auto& e : *a)
      if (forged_inside(e)) return true;
  }
  return false;
}

void check_user(const json::object& args) {
  const auto* u = args.if_contains("user_id");
  if (u == nullptr || !u->is_string() || u->as_string() != caller_id || forged_inside(args))
    fail("a tool saw a user_id that is not the caller's", json::serialize(args));
}

agents::tool_registry make_registry() {
  agents::tool_registry r;
  // Bound to the caller: the client sees only `text`, a forged user_id is refused.
  r.add(agents::make_tool(
      "add_note", "Adds a note for the caller",
      json::object{{"type", "object"},
                   {"properties", {{"text", {{"type", "string"}}}, {"user_id", {{"type", "string"}}}}},
                   {"required", json::array{"text", "user_id"}},
                   {"additionalProperties", false}},
      [](agents::tool_context& ctx, json::object args) -> asio::awaitable<agents::tool_output> {
        check_user(args);
        co_await mcp::report_progress(ctx, 1, 2, "writing");
        co_await mcp::log_message(ctx, "info", json::value(args.at("text")));
        co_return agents::tool_output(json::object{{"saved", args.at("text")}});
      }));
  // An open schema (nested values allowed) that also takes the bound user_id.
  r.add(
      agents::make_tool("echo", "Echoes its arguments",
                        json::object{{"type", "object"}, {"properties", {{"user_id", {{"type", "string"}}}}}},
                        [](agents::tool_context&, json::object args) -> asio::awaitable<agents::tool_output> {
                          check_user(args);
                          co_return agents::tool_output(json::value(std::move(args)));
                        }));
  r.add(agents::make_tool("fails", "Always throws", json::object{{"type", "object"}},
                          [](agents::tool_context&, json::object) -> asio::awaitable<agents::tool_output> {
                            throw std::runtime_error("tool failure");
                            co_return agents::tool_output("unreachable");
                          }));
  return r.bind({agents::bind_user_id()});
}

struct target {
  asio::io_context ioc;
  std::shared_ptr<mcp::tool_server> server;
  chatkit::request_context caller{std::string(caller_id), {}, {}};

  target() {
    mcp::tool_server_options o;
    o.info = {"fuzz", "1.0", "", "Fuzzing."};
    o.page_size = 2;  // so that tools/list pages and cursors are reached
    o.on_binding_violation = [](const agents::binding_violation&) {};
    server = std::make_shared<mcp::tool_server>(make_registry(), o);
  }

  void one(mcp::server_session& session, std::string_view line) {
    mcp::notification_sink sink = [](mcp::rpc_notification n) -> asio::awaitable<void> {
      const std::string text = mcp::serialize(n);
      if (text.find('\n') != std::string::npos) fail("a notification holds a raw newline", text);
      auto back = mcp::parse_message(text);
      auto* m = std::get_if<mcp::rpc_message>(&back);
      if (m == nullptr || !std::holds_alternative<mcp::rpc_notification>(*m))
        fail("a notification is not valid JSON-RPC", text);
      co_return;
    };
    std::optional<std::string> reply;
    bool done = false;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          reply = co_await server->handle_text(session, line, caller, sink);
          done = true;
        },
        [](std::exception_ptr e) {
          if (e) std::rethrow_exception(e);  // handle_text never throws for bad input
        });
    ioc.restart();
    ioc.run();
    if (!done) fail("handle_text did not complete", line);
    if (!reply) return;
    if (reply->find('\n') != std::string::npos) fail("a reply holds a raw newline", *reply);
    auto back = mcp::parse_message(*reply);
    auto* m = std::get_if<mcp::rpc_message>(&back);
    if (m == nullptr) fail("a reply is not valid JSON-RPC", *reply);
    if (!std::holds_alternative<mcp::rpc_response>(*m) &&
        !std::holds_alternative<mcp::rpc_error_response>(*m))
      fail("a reply is neither a response nor an error response", *reply);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static target t;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  mcp::server_session connection(mcp::session_kind::connection, "connection");
  std::size_t start = 0;
  while (start <= input.size()) {
    auto nl = input.find('\n', start);
    if (nl == std::string_view::npos) nl = input.size();
    std::string_view line = input.substr(start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") != std::string_view::npos) {
      t.one(connection, line);
      mcp::server_session stateless(mcp::session_kind::stateless, std::string(caller_id));
      t.one(stateless, line);
    }
    start = nl + 1;
  }
  return 0;
}
