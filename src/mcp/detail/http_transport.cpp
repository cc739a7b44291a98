#include "mcp/detail/transport.hpp"
namespace chatkit::mcp::detail {
std::shared_ptr<transport> make_http_transport(strand_type, const http_server&, const client_options&) {
  throw mcp_error(errc::invalid_configuration, "not yet");
}
}  // namespace chatkit::mcp::detail
