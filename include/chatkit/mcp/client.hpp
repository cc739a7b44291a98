// mcp::client — talks to one MCP server over stdio (a child process) or Streamable HTTP, in either protocol
// era (docs/mcp.md#client): it detects the era, lists the server's tools (following pagination), calls them
// with a per-call timeout, progress and cancellation, and answers what the server asks of it.
//
//   auto c = co_await mcp::client::connect(mcp::stdio_server{{"node", "server.js"}});
//   for (const auto& t : co_await c->list_tools()) std::cout << t.name << '\n';
//   auto r = co_await c->call_tool("echo", {{"message", "hi"}});
//   co_await c->close();
//
// A client is shared (tools imported from it keep it alive) and safe to use from several threads: its work
// runs on a strand of the executor it was connected on. Cancelling a coroutine awaiting call_tool (an Asio
// cancellation slot, e.g. `||` with a timer) sends `notifications/cancelled` and ignores the late answer.
#pragma once

#include <chatkit/mcp/error.hpp>
#include <chatkit/mcp/protocol_version.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chatkit::mcp {

// A server started as a child process (argv[0] searched in PATH; no shell). Its environment is the allow-list
// HOME, LOGNAME, PATH, SHELL, TERM, USER of ours (or all of ours with inherit_environment) plus `env`.
struct stdio_server {
  stdio_server() = default;
  explicit stdio_server(std::vector<std::string> command) : argv(std::move(command)) {}

  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
  bool inherit_environment = false;
  std::optional<std::string> working_directory;
  std::chrono::milliseconds shutdown_grace{2000};  // after closing stdin, and again after SIGTERM
};

// A server reached over Streamable HTTP (http:// or https://, certificates verified against the system store
// plus `extra_ca_pem`).
struct http_server {
  http_server() = default;
  explicit http_server(std::string endpoint) : url(std::move(endpoint)) {}

  std::string url;
  std::map<std::string, std::string> headers;  // sent on every request (e.g. an API key header)
  std::optional<std::string> bearer_token;     // sent as "Authorization: Bearer <token>"
  std::string extra_ca_pem;
  bool verify_certificates = true;
};

enum class era_preference { detect, legacy, modern };

enum class log_source { server_stderr, server_log_message, client };

struct client_options {
  std::string client_name = "chatkit-cpp";
  std::string client_version = "1.0";
  era_preference era = era_preference::detect;
  std::chrono::milliseconds request_timeout{60000};  // per request unless call_options says otherwise
  std::chrono::milliseconds connect_timeout{10000};  // the handshake (and a ceiling for the probe)
  // How long the modern era probe (server/discover) waits; a stdio server that stays silent is restarted.
  std::chrono::milliseconds probe_timeout{5000};
  std::size_t max_message_bytes =
      16u * 1024u * 1024u;        // one message (line / SSE event); over it the connection is dropped
  std::size_t max_tools = 10000;  // list_tools stops with an error above this
  // Server stderr lines, `notifications/message` (rendered as "<level> [logger] <data>") and the client's own
  // diagnostics. Called on the client's strand; empty = the SDK's log sink (chatkit/log.hpp, component
  // "mcp").
  std::function<void(log_source, std::string_view)> on_log;
  // The server said its tool list changed (`notifications/tools/list_changed`); list_tools() again.
  std::function<void()> on_tools_changed;
};

struct tool_info {
  std::string name;
  std::string title;
  std::string description;
  boost::json::object input_schema;  // {"type":"object"} when the server gave none
  std::optional<boost::json::object> output_schema;
  boost::json::object annotations;  // hints from the server (untrusted)
  boost::json::object raw;          // the whole definition as received
};

// One block of a tool result. `type` is "text", "image", "audio", "resource_link" or "resource" (embedded);
// an unknown type keeps only `type` and `raw`.
struct content_block {
  std::string type;
  std::string text;  // text; an embedded text resource's text
  std::string data;  // image/audio base64; an embedded blob resource's base64
  std::string mime_type;
  std::string uri;   // resource_link, resource
  std::string name;  // resource_link
  std::string description;
  boost::json::object raw;
};

struct call_result {
  std::vector<content_block> content;
  std::optional<boost::json::value> structured_content;
  bool is_error = false;
  boost::json::object raw;  // the whole result
};

struct progress_update {
  double progress = 0;
  std::optional<double> total;
  std::string message;
};

struct call_options {
  std::optional<std::chrono::milliseconds> timeout;  // empty = client_options::request_timeout
  std::function<void(const progress_update&)>
      on_progress;           // asks the server for progress; called on the strand
  boost::json::object meta;  // extra `params._meta` members
};

class client {
 public:
  // Starts the server (stdio) or reaches it (HTTP), detects the era and completes the handshake. Throws
  // mcp_error (connection_closed, timeout, unsupported_version, transport_error, message_too_large) or
  // remote_error. The client runs on a strand of the calling coroutine's executor.
  static boost::asio::awaitable<std::shared_ptr<client>> connect(stdio_server server,
                                                                 client_options options = {});
  static boost::asio::awaitable<std::shared_ptr<client>> connect(http_server server,
                                                                 client_options options = {});

  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  mcp::era era() const noexcept;
  const std::string& protocol_version() const noexcept;
  const boost::json::object& server_info() const noexcept;  // {name, version, ...}
  const boost::json::object& server_capabilities() const noexcept;
  const std::string& instructions() const noexcept;  // untrusted text meant for a model; not used by the SDK

  // Every tool, following `nextCursor` (a cursor that repeats or more than max_tools tools is an error).
  // Clears tools_changed().
  boost::asio::awaitable<std::vector<tool_info>> list_tools();
  // True once the server announced a tool list change since the last list_tools().
  bool tools_changed() const noexcept;

  // `tools/call`. A JSON-RPC error from the server throws remote_error; an `isError` result is returned
  // (is_error = true). Timeout → mcp_error(timeout) and cancellation → mcp_error(cancelled), both after
  // telling the server `notifications/cancelled`.
  boost::asio::awaitable<call_result> call_tool(std::string name, boost::json::object arguments = {},
                                                call_options options = {});

  // Any request; the result object. The modern era's `_meta` envelope is added here.
  boost::asio::awaitable<boost::json::object> request(std::string method, boost::json::object params = {},
                                                      call_options options = {});
  // Legacy `ping` (the modern era has none: there it returns at once).
  boost::asio::awaitable<void> ping();

  // Ends the connection: fails what is pending with connection_closed, then stdio: closes stdin, waits,
  // SIGTERM, waits, SIGKILL and reaps; HTTP: DELETE of the session (404/405 tolerated). Idempotent.
  // The destructor does the same without waiting (SIGKILL at once).
  boost::asio::awaitable<void> close();
  bool is_open() const noexcept;

  // The process id of a stdio server (0 for HTTP or once closed).
  int process_id() const noexcept;

  struct impl;
  explicit client(std::shared_ptr<impl> p);

 private:
  std::shared_ptr<impl> impl_;
};

// A call_result as parsed from a `tools/call` result object (exposed for tests and custom transports).
call_result parse_call_result(const boost::json::object& result);
tool_info parse_tool_info(const boost::json::object& definition);

}  // namespace chatkit::mcp
