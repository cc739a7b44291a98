// How the server side shows tools and their results to MCP clients (docs/mcp.md#server): a tool_output as a
// CallToolResult, failures as `isError` results, and the schema a client sees. Private to the mcp layer.
#pragma once

#include <chatkit/agents/tool.hpp>
#include <chatkit/mcp/protocol_version.hpp>

#include <boost/json/object.hpp>

#include <string>

namespace chatkit::mcp::detail {

// A tool's output as a CallToolResult: a string becomes one text block; another JSON value a text block with
// its compact JSON plus `structuredContent` (legacy: objects only, as the legacy revisions require); content
// parts become blocks — input_text → text, input_image with a data URL → image, with another URL →
// resource_link, input_file with data → an embedded resource (blob), and parts that already are MCP blocks
// (text, image, audio, resource, resource_link) pass through unchanged.
boost::json::object call_result(const agents::tool_output& out, era e);

// {"content":[{"type":"text","text":message}],"isError":true}
boost::json::object error_result(std::string message);

// The inputSchema a client sees: the tool's parameters with the top-level properties that accept null
// removed from "required" (a strict schema lists every property as required; over MCP, null = may be
// omitted).
boost::json::object listed_schema(const boost::json::object& parameters);

// Sets every top-level property of `parameters` that is required, accepts null and is absent from `args` to
// null — the inverse of listed_schema, so a client that omitted an optional argument passes validation.
void fill_omitted_nullable(boost::json::object& args, const boost::json::object& parameters);

}  // namespace chatkit::mcp::detail
