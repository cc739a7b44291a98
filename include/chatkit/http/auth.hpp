// Authentication: turning an HTTP request into a chatkit::request_context (the identity every store
// call and hook receives). The hook is a plain function so that hosts can plug in sessions, API keys or
// an upstream gateway's headers; two ready-made ones are provided.
#pragma once

#include <chatkit/http/jwt.hpp>
#include <chatkit/http/message.hpp>
#include <chatkit/request_context.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace chatkit::http {

// Returns the identity of a request, or throws chatkit::error(errc::unauthorized, reason) (answered 401)
// or errc::forbidden (403). Any other exception is answered 500 without details. It runs on the
// connection's executor before the request is processed: keep it non-blocking.
using authenticate_fn = std::function<request_context(const request&)>;

// The one message every refused credential gets (401): which check failed is not told to clients.
inline constexpr std::string_view credentials_refused = "invalid or missing credentials";

// Receives the precise reason of each refused credential ("invalid bearer token: token expired").
using auth_failure_fn = std::function<void(std::string_view reason)>;

// `Authorization: Bearer <jwt>`; the verified claims become request_context::claims and the configured
// claim (default `sub`) the user id. Every failure is a 401 with the message credentials_refused; the
// reason goes to `on_failure` (default: one line on stderr).
authenticate_fn jwt_bearer_auth(std::shared_ptr<const jwt_verifier> verifier,
                                auth_failure_fn on_failure = {});

struct dev_header_options {
  // The request header trusted as the user id.
  std::string header = "X-User-Id";
  // No start-up warning on stderr.
  bool quiet = false;
  // chatkit::http::server refuses to start dev-header auth on an address that is not loopback (127.0.0.0/8,
  // ::1) unless this is set: for a gateway on another host that authenticates and sets the header itself.
  bool allow_non_loopback = false;
  // Longer ids are a 400.
  std::size_t max_user_id_bytes = 128;
};

// Trusts a request header (default X-User-Id) as the user id: for local development, or behind a gateway
// that authenticates and sets the header itself. A missing or empty header is a 401; the header twice, an
// id longer than max_user_id_bytes or with bytes outside visible ASCII (0x21-0x7E) is a 400. Prints a
// warning to stderr when created unless `quiet`.
authenticate_fn dev_header_auth(dev_header_options options);
authenticate_fn dev_header_auth(std::string header = "X-User-Id", bool quiet = false);

// Whether `auth` came from dev_header_auth without allow_non_loopback: chatkit::http::server then refuses
// to start on a non-loopback address. A host serving the endpoint from its own server can check the same.
bool dev_header_auth_needs_loopback(const authenticate_fn& auth) noexcept;

}  // namespace chatkit::http
