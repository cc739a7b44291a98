// Errors of the OpenAI client: one error_code category ("openai") whose values mirror the official
// clients' exception kinds (BadRequest, RateLimit, StreamTruncated, ...), and one exception type,
// api_error, that carries the diagnostics a caller needs to act: HTTP status, the API's error
// type/code/param/message and the x-request-id to quote to OpenAI support.
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chatkit::openai {

enum class errc {
  ok = 0,
  bad_request = 1,        // HTTP 400
  authentication,         // 401
  permission_denied,      // 403
  not_found,              // 404
  conflict,               // 409
  unprocessable_entity,   // 422
  rate_limit,             // 429 (code tells rate_limit_exceeded from insufficient_quota)
  internal_server,        // >= 500
  api_status,             // any other non-2xx status
  connection,             // no response: DNS, connect, TLS, proxy, reset before the headers
  timeout,                // connect timeout, idle-read timeout or total deadline
  stream_error,           // a Responses `error` event, or a Chat chunk carrying `error`
  stream_truncated,       // the body ended before a terminal event / [DONE]
  stream_protocol_error,  // invalid JSON in an event, oversize event, bad sequence_number
  cancelled,              // the operation was cancelled by the caller
  invalid_argument,       // unusable options: no API key, malformed base URL or proxy URL
};

const boost::system::error_category& openai_category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), openai_category()};
}

// Status -> error kind, per the official clients' mapping (2xx maps to ok).
errc errc_from_status(int status) noexcept;

using header_list = std::vector<std::pair<std::string, std::string>>;

// Everything known about a failure. Fields that do not apply stay empty / 0.
struct error_details {
  int status = 0;          // HTTP status, 0 when there was no response
  std::string type;        // error.type of the body / event ("server_error", "invalid_request_error")
  std::string code;        // error.code ("rate_limit_exceeded", "invalid_api_key"), may be empty
  std::string param;       // error.param, may be empty
  std::string message;     // error.message, or the raw body when it was not an OpenAI error JSON
  std::string request_id;  // x-request-id of the response
  header_list headers;     // response headers (error responses only)
  std::string body;        // raw error body, or the offending event (truncated to 1 KiB)
};

class api_error : public boost::system::system_error {
 public:
  api_error(errc kind, error_details details);
  // A failure without an HTTP response (transport, protocol, cancellation).
  api_error(errc kind, std::string message, std::string request_id = {}, std::string body = {});

  errc kind() const noexcept { return static_cast<errc>(code().value()); }
  const error_details& details() const noexcept { return details_; }
  int status() const noexcept { return details_.status; }
  const std::string& type() const noexcept { return details_.type; }
  const std::string& error_code() const noexcept { return details_.code; }
  const std::string& param() const noexcept { return details_.param; }
  const std::string& message() const noexcept { return details_.message; }
  const std::string& request_id() const noexcept { return details_.request_id; }

 private:
  error_details details_;
};

// Parses an OpenAI error body ({"error":{...}}) into details; a body that is not such JSON becomes
// the message verbatim. status/request_id/headers are left to the caller.
void parse_error_body(std::string_view body, error_details& out);

}  // namespace chatkit::openai

template <>
struct boost::system::is_error_code_enum<chatkit::openai::errc> : std::true_type {};
