// JSON-RPC 2.0 messages as MCP uses them (docs/mcp.md#json-rpc): requests, notifications, responses and error
// responses as plain values, a parser that never throws on bad input and says what to answer, and a compact
// serialiser (one line, no raw newline — what the stdio transport needs). Both MCP eras share this layer.
//
//   auto parsed = mcp::parse_message(line);
//   if (auto* failure = std::get_if<mcp::parse_failure>(&parsed))
//     send(mcp::rpc_error_response{failure->id, failure->error});       // -32700 / -32600
//   else std::visit(dispatcher, std::get<mcp::rpc_message>(parsed));
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace chatkit::mcp {

// Error codes with a name in JSON-RPC or MCP.
namespace rpc_code {
inline constexpr int parse_error = -32700;
inline constexpr int invalid_request = -32600;
inline constexpr int method_not_found = -32601;
inline constexpr int invalid_params = -32602;
inline constexpr int internal_error = -32603;
inline constexpr int header_mismatch = -32020;                     // modern era, HTTP headers vs body
inline constexpr int missing_required_client_capability = -32021;  // modern era
inline constexpr int unsupported_protocol_version = -32022;        // modern era, data: {supported, requested}
inline constexpr int url_elicitation_required = -32042;
}  // namespace rpc_code

// A request id: an integer or a string, never null. 0 is an ordinary id.
using request_id = std::variant<std::int64_t, std::string>;

boost::json::value to_json(const request_id& id);
// The id as text for logs and maps: 7 → "7", "abc" → "\"abc\"" (quoted, so 7 and "7" differ).
std::string to_string(const request_id& id);

struct rpc_error {
  int code = rpc_code::internal_error;
  std::string message;
  std::optional<boost::json::value> data;
};

struct rpc_request {
  request_id id;
  std::string method;
  std::optional<boost::json::object> params;
};

struct rpc_notification {
  std::string method;
  std::optional<boost::json::object> params;
};

struct rpc_response {
  request_id id;
  boost::json::object result;
};

struct rpc_error_response {
  std::optional<request_id> id;  // empty = null: the request could not be identified
  rpc_error error;
};

using rpc_message = std::variant<rpc_request, rpc_notification, rpc_response, rpc_error_response>;

// What to answer a message that could not be parsed: -32700 for text that is not JSON, -32600 for JSON that
// is not a JSON-RPC 2.0 message (a batch array included — batches are not part of MCP). `id` is the message's
// id when it had a usable one, so the error can still be matched to the request.
struct parse_failure {
  rpc_error error;
  std::optional<request_id> id;
};

struct parse_limits {
  std::size_t max_bytes = 16 * 1024 * 1024;  // a longer message is refused before parsing (-32600)
  std::size_t max_depth = 64;                // nesting of arrays and objects
};

using parse_result = std::variant<rpc_message, parse_failure>;

// Parses one message. Unknown members are ignored (forward compatibility); `params` and `result` must be
// objects.
parse_result parse_message(std::string_view text, const parse_limits& limits = {});
parse_result parse_message(const boost::json::value& value);

boost::json::object to_json(const rpc_message& message);
// Compact JSON without a trailing newline; JSON escaping guarantees no raw newline inside.
std::string serialize(const rpc_message& message);

// The method of a request or notification, empty for responses.
std::string_view method_of(const rpc_message& message) noexcept;

}  // namespace chatkit::mcp
