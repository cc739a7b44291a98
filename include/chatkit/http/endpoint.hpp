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
#include <vector>

namespace chatkit::http {

class mounted_stream;  // chatkit/http/beast_mount.hpp

// Every limit with its default and what happens past it: docs/http.md#limits.
struct limits_options {
  // Larger request bodies are answered 413 (input.transcribe carries base64 audio, hence the headroom).
  std::size_t max_body_bytes = 8 * 1024 * 1024;
  // Larger request heads (request line + headers) are answered 431. It also caps the connection's read
  // buffer: a chunk-size line with its extensions, or the trailers, above it are answered 413.
  std::size_t max_header_bytes = 16 * 1024;
  // Time allowed to receive one whole request once its first byte arrived.
  std::chrono::milliseconds read_timeout{std::chrono::seconds(30)};
  // Time a keep-alive connection may sit idle between requests.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};
  // Time allowed for one write to complete: a client that stops reading is dropped (its stream cancelled).
  std::chrono::milliseconds write_timeout{std::chrono::seconds(30)};
  // Concurrent event streams per user; one more is answered 429. 0 means unlimited.
  std::size_t max_streams_per_user = 16;
  // Concurrent event streams of all users together; one more is answered 503 with Retry-After. 0: unlimited.
  std::size_t max_streams = 512;
  // ChatKit requests admitted at once (authenticated, body being read, processed or streaming); one more
  // is answered 503 with Retry-After before its body is read. Bounds the memory held by request bodies
  // to about max_requests_in_flight * max_body_bytes. 0: unlimited.
  std::size_t max_requests_in_flight = 1024;
  // The Retry-After of the 503s of the load caps (here and server_options::max_connections).
  std::chrono::seconds retry_after{1};
  // After an error answered before its request was fully read (400, 401, 413, 415...), the server stops
  // sending, reads and discards what the client still sends for up to linger_timeout or linger_bytes,
  // then closes: a client that writes its whole body before reading gets the status, not a reset.
  std::chrono::milliseconds linger_timeout{std::chrono::seconds(10)};
  std::size_t linger_bytes = 128 * 1024 * 1024;
  // Longest wait for an asynchronous authenticate hook (auth.hpp); past it the request is answered 503.
  std::chrono::milliseconds auth_timeout{std::chrono::seconds(10)};
  // Frames buffered while the socket is busy before the producer is made to wait (back pressure).
  // Everything buffered goes out in one write: a fast bot never costs one syscall per frame.
  std::size_t stream_buffer_bytes = 256 * 1024;
};

struct endpoint_options {
  std::string path = "/chatkit";
  // Required: who is asking (see auth.hpp), a plain function or a coroutine.
  authenticator authenticate;
  // Cross-origin browser access; none when unset (same-origin deployments, or a proxy adds it).
  std::optional<cors_options> cors;
  limits_options limits;
  // Media types a ChatKit POST may carry (compared without case, parameters such as charset ignored);
  // any other Content-Type, or none, is answered 415 before the body is read. Empty: any type.
  std::vector<std::string> accepted_content_types = {"application/json"};
  // Defaults to structured_access_log() (through chatkit::log); set a no-op function to disable.
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

  // Answers one request whose head `parser` has read, before its body is read: the method, Content-Length,
  // Content-Type, credentials (authenticate() gets the head, with an empty body) and load caps are checked
  // first, so a refused request's body is neither read nor invited (no 100 Continue). Then answers
  // `Expect: 100-continue`, reads the body (parser limits set from options().limits; the stream's current
  // expiry bounds the read) and answers as handle(request) does. When it returns false while
  // !parser.is_done(), request bytes may still be in flight: close with a lingering close
  // (docs/http.md#limits) or the client may see a reset instead of the answer.
  boost::asio::awaitable<bool> handle(request_parser& parser, boost::beast::tcp_stream& stream,
                                      boost::beast::flat_buffer& buffer);

  // Answers one complete request on `stream`. `buffer` holds bytes read past the request (pipelining);
  // the endpoint may append to it while it watches a stream for the client's disconnect. Uses
  // stream.expires_after/expires_never for write timeouts. Returns whether the connection may serve
  // another request. Never throws for request problems (they are answered); throws only when the
  // coroutine itself is cancelled.
  boost::asio::awaitable<bool> handle(request req, boost::beast::tcp_stream& stream,
                                      boost::beast::flat_buffer& buffer);

  // The same two on a host's own stream (TLS): see chatkit/http/beast_mount.hpp, whose `serve` makes the
  // mounted_stream. Reads, writes and the disconnect watch go through the host's layers; write timeouts and
  // closes act on the beast::tcp_stream underneath.
  boost::asio::awaitable<bool> handle(request_parser& parser, mounted_stream& stream,
                                      boost::beast::flat_buffer& buffer);
  boost::asio::awaitable<bool> handle(request req, mounted_stream& stream, boost::beast::flat_buffer& buffer);

  const endpoint_options& options() const noexcept;
  const cors_policy* cors() const noexcept;
  // Number of event streams currently running (all users).
  std::size_t active_streams() const noexcept;
  // Number of requests admitted and not yet answered (streams included).
  std::size_t active_requests() const noexcept;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace chatkit::http
