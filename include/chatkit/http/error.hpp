// Errors of the HTTP layer. Every failure is answered with a chatkit::errc from <chatkit/error.hpp> (which
// maps it to the status) and the JSON error body built here: {"error": {"type": "...", "message": "..."}}.
// The layer's own codes are those of JWT verification (jwt_errc), each answered 401; 415 (a body that is not
// JSON) is built from its status directly. See docs/http.md#errors.
#pragma once

#include <chatkit/error.hpp>
#include <chatkit/http/message.hpp>

#include <boost/system/error_code.hpp>

#include <string>
#include <string_view>

namespace chatkit::http {

enum class jwt_errc {
  ok = 0,
  malformed = 1,       // not three base64url segments, bad base64, header/payload not a JSON object
  unsupported_alg,     // "none", or an algorithm we do not implement
  no_matching_key,     // no key for this kid / algorithm (an HS256 token never matches an RSA key)
  bad_signature,       // the signature does not verify
  expired,             // exp + leeway <= now
  not_yet_valid,       // nbf - leeway > now
  missing_exp,         // options.require_exp and no numeric exp claim
  wrong_issuer,        // iss differs from options.issuer
  wrong_audience,      // options.audience is not the aud string nor in the aud array
  missing_user_claim,  // the user-id claim is absent, not a string, or empty
  duplicate_member,    // a member name appears twice in one object of the header or the payload
  keys_unavailable,    // jwks_verifier: no key set could be fetched and none is cached
};

const boost::system::error_category& jwt_category() noexcept;

inline boost::system::error_code make_error_code(jwt_errc e) noexcept {
  return {static_cast<int>(e), jwt_category()};
}

// The JSON error body. For errc::internal (and anything unknown) the message is replaced by a fixed text
// so that server internals never reach a client.
std::string error_body(errc code, std::string_view message);

// A complete error response: the status mapped from `code`, application/json, Content-Length set.
response make_error_response(errc code, std::string_view message, unsigned version = 11,
                             bool keep_alive = true);

// The same for an error of HTTP itself that no chatkit::errc names: `status` with `type` as error.type, e.g.
// 415 "unsupported_media_type" for a request body of a media type the endpoint does not accept.
response make_error_response(boost::beast::http::status status, std::string_view type,
                             std::string_view message, unsigned version = 11, bool keep_alive = true);

}  // namespace chatkit::http

template <>
struct boost::system::is_error_code_enum<chatkit::http::jwt_errc> : std::true_type {};
