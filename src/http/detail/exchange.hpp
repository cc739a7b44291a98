// One request/response exchange on a connection (private to the http layer): what the access log and the
// response need from the request, and the one way a complete (non-streaming) response is written — CORS
// headers, keep-alive, a timed write, one access-log line. The endpoint uses it for the ChatKit path, the
// server for its extra routes and for requests that could not be parsed.
#pragma once

#include <chatkit/http/endpoint.hpp>
#include <chatkit/http/error.hpp>
#include <chatkit/http/message.hpp>

#include "http/detail/stream_ref.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chatkit::http::detail {

// What went wrong before any response byte, as an error code and a client-safe message. Internal errors
// (anything that is not a chatkit::error) are logged here (chatkit/log.hpp); their details never reach a
// client.
struct failure {
  errc code = errc::internal;
  std::string message;
};
failure classify(const std::exception_ptr& error);

class exchange {
 public:
  // Reads method, path, version, keep-alive and Origin from `req`; `cors` may be null (no CORS configured).
  exchange(const endpoint_options& options, const cors_policy* cors, stream_ref stream, const request& req);

  // The answer to a CORS preflight, or none when `req` is not one (or CORS is not configured). A preflight
  // answer carries its own CORS headers, so the response headers of an actual request are dropped.
  std::optional<response> preflight(const request& req);

  // Writes a complete response (adds the CORS headers, settles keep-alive and Content-Length, bounds the
  // write by limits.write_timeout) and logs it. Returns whether the connection may serve another request.
  boost::asio::awaitable<bool> send(response res);
  // The same for a 200 application/json answer (what send(make_json_response(body)) writes), its head
  // written straight into one buffer beside the body: the answer of every non-streaming ChatKit request.
  boost::asio::awaitable<bool> send_json(std::string body);
  boost::asio::awaitable<bool> send_error(errc code, std::string_view message);
  // The error response for an exception caught before any response byte (see classify).
  boost::asio::awaitable<bool> send_failure(const std::exception_ptr& error);

  // The access-log line of this request; `events` and `cancelled` describe a stream.
  void log(int status, std::size_t events, bool cancelled) const;

  const endpoint_options& options;
  const cors_policy* cors;
  stream_ref stream;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  std::string method, path, user;
  unsigned version = 11;
  bool keep_alive = true;
  // Added to every response of this exchange (empty when CORS is off or the request has no Origin).
  std::vector<header_field> cors_headers;
};

}  // namespace chatkit::http::detail
