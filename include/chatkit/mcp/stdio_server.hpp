// The MCP stdio transport, server side (docs/mcp.md#serving-over-stdio): a tool_server answering
// newline-delimited JSON-RPC on the process's stdin/stdout. stdout carries only MCP messages, written by a
// single writer; the SDK logs through chatkit::log (chatkit/log.hpp), whose default sink writes to stderr (a
// sink you install must not write to stdout); the function returns when stdin reaches end of file (after the
// calls still running have answered).
//
//   int main() {
//     chatkit::request_context me{.user_id = std::getenv("NOTES_USER")};   // the identity, from
//     configuration mcp::tool_server server(registry.bind({agents::bind_user_id()}), {.info = {"notes",
//     "1.0"}}); return mcp::serve_stdio(server, me);
//   }
#pragma once

#include <chatkit/mcp/tool_server.hpp>
#include <chatkit/request_context.hpp>

#include <cstddef>

namespace chatkit::mcp {

struct stdio_options {
  int input_fd = 0;   // read with read(2): a pipe, a terminal or a file
  int output_fd = 1;  // one message per line
  // A longer line is discarded and answered -32600 (the connection stays usable).
  std::size_t max_line_bytes = 16 * 1024 * 1024;
};

// Serves one connection (the legacy lifecycle or the modern era, as the client's first request decides)
// until end of input. Requests run concurrently, so `notifications/cancelled` reaches a running call. Every
// tool runs for `caller`. Returns 0, or 1 when the output could not be written.
int serve_stdio(tool_server& server, request_context caller, stdio_options options = {});

}  // namespace chatkit::mcp
