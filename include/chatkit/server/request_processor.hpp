// The seam between a transport (the Beast front end, or a host's own HTTP framework) and the ChatKit
// server core. A transport only needs this header: it hands over the raw body plus the authenticated
// context and gets back either a JSON body or an event stream to pump into its connection.
#pragma once

#include <chatkit/request_context.hpp>
#include <chatkit/server/answer_buffers.hpp>

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <variant>

namespace chatkit::server {

// Where a streaming response goes. Implemented by the transport (e.g. the HTTP connection).
class event_sink {
 public:
  virtual ~event_sink() = default;
  // Writes one or more complete SSE frames ("data: {...}\n\n"). Completes once the bytes are written or
  // buffered (this is the back-pressure point). Throws, or completes with cancellation, when the consumer
  // is gone; the producer then runs its cancellation handling (partial answers are persisted).
  virtual boost::asio::awaitable<void> write(std::string_view frames) = 0;
};

// A non-streaming answer: Content-Type application/json.
struct json_response {
  std::string body;
};

// A streaming answer: Content-Type text/event-stream. `run` produces every frame into the sink.
// If `run` throws before it wrote its first frame, nothing has been sent yet and the transport answers
// with the error's HTTP status instead (a thread that does not exist → 404); afterwards an exception
// simply ends the body. Cancel `run` (Asio per-operation cancellation) when the client disconnects.
//
// A transport that refuses the stream instead of running it (too many streams: 429, 503) calls `refused` with
// the status it answers, when set: chatkit_server then counts the request under that status in
// chatkit_requests_total, and under 200 only once `run` is called (docs/guide-operations.md#metrics).
struct event_stream {
  std::function<boost::asio::awaitable<void>(event_sink&)> run;
  std::function<void(int status)> refused = {};  // optional: a default so that event_stream{run} stays valid
};

using process_result = std::variant<json_response, event_stream>;

// Anything that answers ChatKit requests. chatkit::server::chatkit_server implements it.
class request_processor {
 public:
  virtual ~request_processor() = default;
  // Parses and dispatches one request. Throws chatkit::error (invalid_request, not_found,
  // not_implemented, ...) for failures detected before any response byte.
  virtual boost::asio::awaitable<process_result> process(std::string body, request_context ctx) = 0;
};

}  // namespace chatkit::server
