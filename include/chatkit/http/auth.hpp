// Authentication: turning an HTTP request into a chatkit::request_context (the identity every store
// call and hook receives). The hook is a plain function so that hosts can plug in sessions, API keys or
// an upstream gateway's headers; two ready-made ones are provided.
#pragma once

#include <chatkit/http/jwt.hpp>
#include <chatkit/http/message.hpp>
#include <chatkit/request_context.hpp>

#include <functional>
#include <memory>
#include <string>

namespace chatkit::http {

// Returns the identity of a request, or throws chatkit::error(errc::unauthorized, reason) (answered 401)
// or errc::forbidden (403). Any other exception is answered 500 without details. It runs on the
// connection's executor before the request is processed: keep it non-blocking.
using authenticate_fn = std::function<request_context(const request&)>;

// `Authorization: Bearer <jwt>`; the verified claims become request_context::claims and the configured
// claim (default `sub`) the user id. Every failure is a 401 whose message names the reason.
authenticate_fn jwt_bearer_auth(std::shared_ptr<const jwt_verifier> verifier);

// Trusts a request header (default X-User-Id) as the user id: for local development, or behind a gateway
// that authenticates and sets the header itself. A missing or empty header is a 401. Prints a warning to
// stderr when created unless `quiet`.
authenticate_fn dev_header_auth(std::string header = "X-User-Id", bool quiet = false);

}  // namespace chatkit::http
