// Importing an MCP server's tools as ordinary agents::function_tools (docs/mcp.md#importing-tools): each tool
// is named `<alias>__<tool>` (sanitised to [A-Za-z0-9_-]{1,64}), keeps the server's inputSchema (strict =
// false), and calls `tools/call` through the client. With `bindings`, every tool that has such a parameter is
// wrapped with agents::bind_context: the parameter disappears from the schema the model sees, is filled from
// the run's caller on every call, and a model that sets it anyway is refused and reported.
//
//   auto server = co_await mcp::client::connect(mcp::stdio_server({"notes-server"}));
//   mcp::import_options o;
//   o.alias = "notes";
//   o.bindings = {agents::bind_user_id()};
//   co_await mcp::register_tools(registry, server, o);      // notes__add, notes__list, ... bound to the user
#pragma once

#include <chatkit/agents/context_binding.hpp>
#include <chatkit/agents/tool.hpp>
#include <chatkit/agents/tool_registry.hpp>
#include <chatkit/mcp/client.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chatkit::mcp {

struct import_options {
  std::string alias;  // the prefix ("<alias>__<tool>"); empty = the tool's own name
  std::string separator = "__";
  std::vector<std::string> allow;  // MCP tool names to import; empty = all
  std::vector<std::string> deny;   // MCP tool names never imported (wins over allow)
  // Applied to every tool whose inputSchema has a top-level property of the binding's name.
  std::vector<agents::context_binding> bindings;
  agents::bound_argument_policy policy = agents::bound_argument_policy::refuse;
  std::optional<std::chrono::milliseconds> timeout;  // per call; empty = the client's request_timeout
  std::size_t max_output_bytes = 64 * 1024;          // text beyond this is cut with a note
  bool images_as_input = true;  // image blocks as input_image parts; false = a "[image ...]" placeholder
  // What a transport failure or timeout does: end the run (default) or become a sentence for the model.
  // An isError result or a JSON-RPC error always goes back to the model.
  agents::failure_mode on_transport_failure = agents::failure_mode::propagate;
};

struct imported_tools {
  std::vector<agents::function_tool> tools;
  std::map<std::string, std::string> mcp_name;  // SDK tool name → the server's tool name
  std::vector<std::string> skipped;             // "<tool>: <reason>" for tools left out (filters excluded)
};

// `<alias><separator><tool>` with every character outside [A-Za-z0-9_-] replaced by '_' and, when longer than
// 64, shortened with a hash of the full name so different long names stay different.
std::string sdk_tool_name(std::string_view alias, std::string_view mcp_tool_name,
                          std::string_view separator = "__");

// What the model receives for a tools/call result: text blocks as text; images as input_image parts (or a
// placeholder); audio and blobs as placeholders; resource links as name and URI; structuredContent as JSON
// text when there is no text block. Capped at max_output_bytes.
agents::tool_output to_tool_output(const call_result& result, const import_options& options = {});

// Tools for `tools` (as listed by the client). Throws agents::user_error when two tools end up with the same
// SDK name.
imported_tools import_tools(std::shared_ptr<client> server, const std::vector<tool_info>& tools,
                            const import_options& options = {});
// Lists the server's tools, then imports them.
boost::asio::awaitable<imported_tools> import_tools(std::shared_ptr<client> server,
                                                    import_options options = {});
// Lists, imports and adds every tool to `registry` (all or nothing; a taken name throws agents::user_error).
boost::asio::awaitable<imported_tools> register_tools(agents::tool_registry& registry,
                                                      std::shared_ptr<client> server,
                                                      import_options options = {});

}  // namespace chatkit::mcp
