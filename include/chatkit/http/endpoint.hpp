// The ChatKit endpoint: answers the POST requests of one path by handing their bodies to a
// request_processor (normally chatkit::server::chatkit_server) and writing back JSON or an SSE stream.
// chatkit::http::server uses it; a host with its own Beast server mounts it directly:
//
//   if (ep.matches(req)) keep_alive = co_await ep.handle(std::move(req), stream, buffer);
#pragma once

#include <chatkit/http/access_log.hpp>
#include <chatkit/http/auth.hpp>
#include <chatkit/http/cors.hpp>
#include <chatkit/http/message.hpp>
#include <chatkit/server/request_processor.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

namespace chatkit::http {

struct limits_options {
  // Larger request bodies are answered 413 (input.transcribe carries base64 audio, hence the headroom).
  std::size_t max_body_bytes = 8 * 1024 * 1024;
  // Larger request heads (request line + headers) are answered 431.
  std::size_t max_header_bytes = 16 * 1024;
  // Time allowed to receive one whole request once its first byte arrived.
  std::chrono::milliseconds read_timeout{std::chrono::seconds(30)};
  // Time a keep-alive connection may sit idle between requests.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};
  // Time allowed for one write to complete: a client that stops reading is dropped (its stream cancelled).
  std::chrono::milliseconds write_timeout{std::chrono::seconds(30)};
  // Concurrent event streams per user; one more is answered 429. 0 means unlimited.
  std::size_t max_streams_per_user = 16;
  // Frames buffered while the socket is busy before the producer is made to wait (back pressure).
  // Everything buffered goes out in one write: a fast bot never costs one syscall per frame.
  std::size_t stream_buffer_bytes = 256 * 1024;
};

struct endpoint_options {
  std::string path = "/chatkit";
  // Required: who is asking (see auth.hpp).
  authenticate_fn authenticate;
  // Cross-origin browser access; none when unset (same-origin deployments, or a proxy adds it).
  std::optional<cors_options> cors;
  limits_options limits;
  // Defaults to stderr_access_log(); set a no-op function to disable.
  access_log_fn access_log;
};

class endpoint {
 public:
  // Throws std::invalid_argument when options.authenticate is empty or the CORS options are invalid.
  endpoint(std::shared_ptr<server::request_processor> processor, endpoint_options options);
  ~endpoint();
  endpoint(const endpoint&) = delete;
  endpoint& operator=(const endpoint&) = delete;

  // Whether `req` targets this endpoint's path (any method: wrong methods are answered 405 by handle()).
  bool matches(const request& req) const noexcept;

  // Answers one complete request on `stream`. `buffer` holds bytes read past the request (pipelining);
  // the endpoint may append to it while it watches a stream for the client's disconnect. Uses
  // stream.expires_after/expires_never for write timeouts. Returns whether the connection may serve
  // another request. Never throws for request problems (they are answered); throws only when the
  // coroutine itself is cancelled.
  boost::asio::awaitable<bool> handle(request req, boost::beast::tcp_stream& stream,
                                      boost::beast::flat_buffer& buffer);

  const endpoint_options& options() const noexcept;
  const cors_policy* cors() const noexcept;
  // Number of event streams currently running (all users).
  std::size_t active_streams() const noexcept;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace chatkit::http
