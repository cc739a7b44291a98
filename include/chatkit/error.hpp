// chatkit::error — the one exception type every layer throws for failures a caller can act on.
// It carries an error_code in chatkit's category (which maps to an HTTP status and a wire error
// type) plus, for request-validation failures, the JSON path of the offending value.
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <string>
#include <string_view>

namespace chatkit {

enum class errc {
  ok = 0,
  invalid_request = 1,  // malformed JSON, wrong types, unknown discriminators (HTTP 400)
  unauthorized,         // missing or invalid identity (401)
  forbidden,            // authenticated, but not allowed (403)
  not_found,            // missing, or not visible to this user: the two look the same (404)
  method_not_allowed,   // (405)
  conflict,             // the request contradicts the stored state (409)
  payload_too_large,    // body over the configured limit (413)
  headers_too_large,    // (431)
  too_many_requests,    // per-user stream cap reached (429)
  not_implemented,      // a hook the application did not implement (501)
  internal,             // a server fault; its message is never shown to clients (500)
  unavailable,          // a dependency is down or shutting down (503)
};

const boost::system::error_category& error_category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

// The HTTP status that errc maps to (500 for codes from other categories).
int http_status(const boost::system::error_code& ec) noexcept;
// The `error.type` string of a JSON error body, e.g. "invalid_request", "not_found".
std::string_view error_type_name(errc e) noexcept;

class error : public boost::system::system_error {
 public:
  error(errc code, std::string message, std::string json_path = {})
      : boost::system::system_error(make_error_code(code), message),
        message_(std::move(message)),
        path_(std::move(json_path)) {}

  errc code_value() const noexcept { return static_cast<errc>(code().value()); }
  // The message without the error-code suffix that system_error::what() appends.
  const std::string& message() const noexcept { return message_; }
  // JSON path of the offending value for invalid_request ("params.input.content[0].type"), else empty.
  const std::string& path() const noexcept { return path_; }

 private:
  std::string message_;
  std::string path_;
};

}  // namespace chatkit

template <>
struct boost::system::is_error_code_enum<chatkit::errc> : std::true_type {};
