// The client's transports (docs/mcp.md#client): a stdio child process or Streamable HTTP. A transport turns
// messages into bytes and back; the session (src/mcp/client.cpp) owns ids, pending requests and the
// lifecycle. Every member is called on the client's strand, and the callbacks run on it.
#pragma once

#include <chatkit/mcp/client.hpp>
#include <chatkit/mcp/jsonrpc.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/strand.hpp>

#include <functional>
#include <memory>
#include <string>

namespace chatkit::mcp::detail {

using strand_type = boost::asio::strand<boost::asio::any_io_executor>;

struct transport_callbacks {
  std::function<void(rpc_message)> on_message;
  // The connection is gone (process exited, protocol error, HTTP failure of the whole connection).
  std::function<void(errc, std::string)> on_closed;
  // A request could not be delivered or answered (HTTP: a POST that failed); fails that request only.
  std::function<void(const request_id&, errc, std::string)> on_request_failed;
  std::function<void(log_source, std::string_view)> on_log;
};

class transport {
 public:
  virtual ~transport() = default;
  virtual void start(transport_callbacks callbacks) = 0;
  // Queues one message; never blocks.
  virtual void send(rpc_message message) = 0;
  // Graceful end (see client::close).
  virtual boost::asio::awaitable<void> close() = 0;
  // Immediate end, for destructors: no waiting.
  virtual void abort() noexcept = 0;
  virtual bool is_open() const noexcept = 0;
  virtual int process_id() const noexcept { return 0; }
  // HTTP: what the session learnt from the handshake (legacy: negotiated revision; modern: revision per
  // request).
  virtual void set_protocol_version(std::string /*version*/, era /*e*/) {}
};

std::shared_ptr<transport> make_stdio_transport(strand_type strand, const stdio_server& server,
                                                const client_options& options);
std::shared_ptr<transport> make_http_transport(strand_type strand, const http_server& server,
                                               const client_options& options);

}  // namespace chatkit::mcp::detail
