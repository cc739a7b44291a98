#include <chatkit/mcp/error.hpp>

#include <string>

namespace chatkit::mcp {

namespace {

class category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "chatkit.mcp"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::ok:
        return "success";
      case errc::parse_error:
        return "the message is not valid JSON";
      case errc::invalid_message:
        return "the message is not a valid JSON-RPC 2.0 message";
      case errc::message_too_large:
        return "the message exceeds the size limit";
      case errc::remote_error:
        return "the peer answered with an error";
      case errc::timeout:
        return "the request timed out";
      case errc::cancelled:
        return "the request was cancelled";
      case errc::connection_closed:
        return "the connection to the peer was closed";
      case errc::unsupported_version:
        return "no protocol revision in common with the peer";
      case errc::not_initialized:
        return "the session is not initialized";
      case errc::transport_error:
        return "transport error";
      case errc::invalid_configuration:
        return "invalid configuration";
      case errc::session_expired:
        return "the server no longer knows the session";
    }
    return "unknown mcp error";
  }
};

}  // namespace

const boost::system::error_category& mcp_category() noexcept {
  static const category instance;
  return instance;
}

mcp_error::mcp_error(errc code, std::string message)
    : boost::system::system_error(make_error_code(code), message), message_(std::move(message)) {}

remote_error::remote_error(int rpc_code, std::string rpc_message, std::optional<boost::json::value> data)
    : mcp_error(errc::remote_error, "MCP error " + std::to_string(rpc_code) + ": " + rpc_message),
      rpc_code_(rpc_code),
      rpc_message_(std::move(rpc_message)),
      data_(std::move(data)) {}

}  // namespace chatkit::mcp
