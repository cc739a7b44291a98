// Errors of the MCP layer (docs/mcp.md#errors): one error_code category ("chatkit.mcp") and exceptions
// derived from boost::system::system_error. A JSON-RPC error answered by the peer travels as remote_error,
// which keeps the peer's code, message and data; everything the SDK detects itself (a broken pipe, a timeout,
// a message over the size cap) has its own errc.
#pragma once

#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <optional>
#include <string>

namespace chatkit::mcp {

enum class errc {
  ok = 0,
  parse_error = 1,        // a message that is not JSON (JSON-RPC -32700)
  invalid_message,        // JSON that is not a valid JSON-RPC 2.0 message (-32600)
  message_too_large,      // a message over the configured size cap
  remote_error,           // the peer answered a JSON-RPC error (remote_error carries it)
  timeout,                // no answer within the request's timeout
  cancelled,              // the caller cancelled the request
  connection_closed,      // the peer went away (process exited, socket closed) before answering
  unsupported_version,    // no protocol revision both sides speak
  not_initialized,        // a request before the lifecycle allows it
  transport_error,        // HTTP status or framing the transport cannot use
  invalid_configuration,  // a misuse of the API (bad tool name, conflicting options)
  session_expired,        // HTTP, legacy era: the server no longer knows the session (the client starts a new one)
};

const boost::system::error_category& mcp_category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), mcp_category()};
}

// Base of the layer's exceptions; what() is the message alone.
class mcp_error : public boost::system::system_error {
 public:
  mcp_error(errc code, std::string message);
  const char* what() const noexcept override { return message_.c_str(); }
  errc code_value() const noexcept { return static_cast<errc>(code().value()); }

 private:
  std::string message_;
};

// The peer answered a request with a JSON-RPC error object.
class remote_error : public mcp_error {
 public:
  remote_error(int rpc_code, std::string rpc_message, std::optional<boost::json::value> data = std::nullopt);
  int rpc_code() const noexcept { return rpc_code_; }
  const std::string& rpc_message() const noexcept { return rpc_message_; }
  const std::optional<boost::json::value>& data() const noexcept { return data_; }

 private:
  int rpc_code_;
  std::string rpc_message_;
  std::optional<boost::json::value> data_;
};

}  // namespace chatkit::mcp

template <>
struct boost::system::is_error_code_enum<chatkit::mcp::errc> : std::true_type {};
