// tool_server — the SDK's tools served over MCP (docs/mcp.md#server), without I/O: it answers one JSON-RPC
// message at a time for a server_session (one stdio connection, or one stateless HTTP request). Both eras:
// the legacy lifecycle (`initialize`, `ping`, `tools/list`, `tools/call`, `logging/setLevel`) and the modern,
// stateless 2026-07-28 requests carrying the `_meta` envelope (`server/discover`, `tools/list`,
// `tools/call`).
//
//   agents::tool_registry registry;
//   registry.add(add_note_tool());                       // typed tools, make_tool, ...
//   auto server = std::make_shared<mcp::tool_server>(registry.bind({agents::bind_user_id()}),
//                                                    mcp::tool_server_options{.info = {"notes", "1.0"}});
//   mcp::server_session session;                         // one per connection
//   auto reply = co_await server->handle_text(session, line, caller);   // nullopt: nothing to send back
//
// A tool runs with a run_context whose caller() is the request_context given here (the authenticated HTTP
// caller, or the identity a stdio host configured), so bound parameters such as user_id come from it and a
// client that tries to set one gets an `isError` result. Arguments are checked against the tool's schema
// first. Transports: mcp::mount (streamable_http.hpp) and mcp::serve_stdio (stdio_server.hpp).
#pragma once

#include <chatkit/agents/run_context.hpp>
#include <chatkit/agents/tool.hpp>
#include <chatkit/agents/tool_registry.hpp>
#include <chatkit/mcp/jsonrpc.hpp>
#include <chatkit/mcp/protocol_version.hpp>
#include <chatkit/request_context.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace chatkit::mcp {

// Who the server says it is (`serverInfo`, and `instructions` for the client's model).
struct server_info {
  std::string name = "chatkit-cpp";
  std::string version = "0.1.0";
  std::string title;         // optional display name
  std::string instructions;  // optional; sent in the initialize / discover result when not empty
};

// The tools a caller may use. Called for every tools/list and tools/call with the request's caller; a host
// with per-user tool sets returns a different registry per user. The registry's version() is part of the
// list cursor, so a registry that changes between pages makes an old cursor invalid.
using tool_provider = std::function<std::shared_ptr<const agents::tool_registry>(const request_context&)>;

struct tool_server_options {
  server_info info;
  // tools/list returns at most this many tools per page, with a nextCursor for the rest.
  std::size_t page_size = 500;
  // Modern era: how long a client may cache list and discover results (ttlMs); cacheScope is "private",
  // since the lists of bound tools depend on the caller.
  std::chrono::milliseconds list_ttl{0};
  // Where an attempt to set a bound parameter is reported; empty: agents::log_binding_violation.
  agents::binding_violation_logger on_binding_violation;
};

// One conversation with a client: a stdio connection (`connection`: the legacy lifecycle applies, the first
// message fixes the era) or one HTTP request (`stateless`: no lifecycle, each request stands alone).
enum class session_kind { connection, stateless };

class server_session {
 public:
  // `scope` names the requests a `notifications/cancelled` of this session may reach: requests of sessions
  // with the same scope (HTTP uses the caller's user id, so one user cannot cancel another's calls).
  explicit server_session(session_kind kind = session_kind::connection, std::string scope = "connection")
      : kind_(kind), scope_(std::move(scope)) {}

  session_kind kind() const noexcept { return kind_; }
  const std::string& scope() const noexcept { return scope_; }
  // The era the session speaks once known (a connection's first request fixes it).
  std::optional<mcp::era> era() const noexcept { return era_; }
  // The legacy revision answered to `initialize`, or the modern revision.
  const std::string& revision() const noexcept { return revision_; }
  bool initialized() const noexcept { return initialized_; }

 private:
  friend class tool_server;
  session_kind kind_;
  std::string scope_;
  std::optional<mcp::era> era_;
  std::string revision_;
  bool initialized_ = false;
  std::string log_level_;  // set by logging/setLevel (legacy)
};

// Where the messages a request sends before its response (progress, log messages) go, in order.
using notification_sink = std::function<boost::asio::awaitable<void>(rpc_notification)>;

class tool_server {
 public:
  // Serves a fixed set of tools (bind them first: registry.bind({agents::bind_user_id()})).
  explicit tool_server(agents::tool_registry tools, tool_server_options options = {});
  // Serves the tools `provider` returns for each caller.
  explicit tool_server(tool_provider provider, tool_server_options options = {});
  ~tool_server();
  tool_server(const tool_server&) = delete;
  tool_server& operator=(const tool_server&) = delete;

  // Answers one message: the response (or error response) to a request, nothing for a notification or a
  // response, and nothing for a request cancelled by `notifications/cancelled` while it ran. Interim
  // notifications of the request go to `notify` (dropped when empty). Never throws for bad input.
  boost::asio::awaitable<std::optional<rpc_message>> handle(server_session& session, rpc_message message,
                                                            const request_context& caller,
                                                            notification_sink notify = {});
  // The same from text: a message that does not parse is answered -32700 / -32600 (a batch included).
  boost::asio::awaitable<std::optional<std::string>> handle_text(server_session& session,
                                                                 std::string_view text,
                                                                 const request_context& caller,
                                                                 notification_sink notify = {});

  // Cancels the running request `id` of sessions with scope `scope` (what `notifications/cancelled` does).
  // Returns whether one was running.
  bool cancel(std::string_view scope, const request_id& id);

  const tool_server_options& options() const noexcept;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

// For tools served over MCP: progress and log notifications to the calling client, sent before the call's
// result. Both do nothing when the tool is not running under a tool_server (an agent run, a test), when the
// client gave no progressToken, or (logs) when the client's log level filters the message out.
boost::asio::awaitable<void> report_progress(const agents::tool_context& ctx, double progress,
                                             std::optional<double> total = std::nullopt,
                                             std::string message = {});
// `level` is one of debug, info, notice, warning, error, critical, alert, emergency.
boost::asio::awaitable<void> log_message(const agents::tool_context& ctx, std::string_view level,
                                         boost::json::value data, std::string logger = {});
// Whether the tool is running under a tool_server.
bool served_over_mcp(const agents::tool_context& ctx) noexcept;

}  // namespace chatkit::mcp
