// Cross-origin resource sharing for browser front ends (the ChatKit web component calls the server from
// the app's origin). Sans-IO: the policy maps request header values to response headers and a status;
// the server applies it, and a host with its own HTTP stack can apply it just the same.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace chatkit::http {

struct cors_options {
  // Exact origins ("https://app.example.com", scheme://host[:port], compared case-insensitively).
  // "*" allows any origin, which is refused together with allow_credentials (browsers forbid it and it
  // would let any site act with the user's cookies).
  std::vector<std::string> allowed_origins;
  // Access-Control-Allow-Credentials: needed when the front end sends cookies.
  bool allow_credentials = false;
  std::vector<std::string> allowed_methods{"GET", "POST", "OPTIONS"};
  // Request headers a browser may send (compared case-insensitively).
  std::vector<std::string> allowed_headers{"authorization", "content-type", "x-user-id"};
  // Response headers scripts may read.
  std::vector<std::string> exposed_headers;
  // How long browsers may cache a preflight answer.
  std::chrono::seconds max_age{600};
};

struct header_field {
  std::string name;
  std::string value;
  friend bool operator==(const header_field&, const header_field&) = default;
};

struct cors_preflight {
  int status = 204;  // 204 when allowed, 403 when refused
  std::vector<header_field> headers;
};

class cors_policy {
 public:
  // Throws std::invalid_argument for "*" with credentials or an empty origin entry.
  explicit cors_policy(cors_options opts);

  bool origin_allowed(std::string_view origin) const noexcept;

  // A preflight is an OPTIONS request carrying Origin and Access-Control-Request-Method.
  static bool is_preflight(std::string_view method, std::string_view origin,
                           std::string_view access_control_request_method) noexcept;

  // The answer to a preflight. `request_headers` is the raw Access-Control-Request-Headers value.
  cors_preflight preflight(std::string_view origin, std::string_view request_method,
                           std::string_view request_headers) const;

  // Headers to add to an actual response: Access-Control-Allow-Origin and friends when `origin` is
  // allowed, only `Vary: Origin` when it is not (the answer depends on the origin, caches must know).
  // Nothing when there is no Origin header (not a cross-origin browser request).
  std::vector<header_field> response_headers(std::string_view origin) const;

  const cors_options& options() const noexcept { return opts_; }

 private:
  cors_options opts_;
  bool any_origin_ = false;
};

}  // namespace chatkit::http
