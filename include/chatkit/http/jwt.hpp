// JSON Web Token verification (RFC 7519 / 7515 compact form) on OpenSSL: HS256, RS256 and ES256.
// `jwt_verifier::verify` is a pure function of (token, keys, options, now): no I/O, never throws on
// untrusted input; every failure is a typed `jwt_errc` (http/error.hpp) that the HTTP layer turns into a 401.
// A header or payload that names a member twice is refused (jwt_errc::duplicate_member).
#pragma once

#include <chatkit/http/error.hpp>

#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chatkit::http {

enum class jwt_alg { hs256, rs256, es256 };

// The `alg` header value ("HS256", ...).
std::string_view to_string(jwt_alg alg) noexcept;

// A verification key (or, when built from a private key / secret, also a signing key).
// The key material lives behind a pimpl so that OpenSSL stays out of this header.
class jwt_key {
 public:
  // A shared secret for HS256. Throws std::invalid_argument on an empty secret.
  static jwt_key hmac(std::string secret, std::string kid = {});
  // A PEM public key ("BEGIN PUBLIC KEY") or private key ("BEGIN PRIVATE KEY" / "BEGIN RSA|EC PRIVATE KEY")
  // for RS256 (RSA) or ES256 (EC P-256). Throws std::invalid_argument when the PEM does not parse or its
  // type does not fit `alg`.
  static jwt_key from_pem(jwt_alg alg, std::string_view pem, std::string kid = {});

  jwt_alg alg() const noexcept;
  const std::string& kid() const noexcept;

  struct impl;
  const impl& get_impl() const noexcept { return *impl_; }

 private:
  explicit jwt_key(std::shared_ptr<const impl> p) : impl_(std::move(p)) {}
  std::shared_ptr<const impl> impl_;
};

struct jwt_options {
  // Candidate keys. A token with a `kid` header only matches keys with that kid; a token without one
  // tries every key of its algorithm.
  std::vector<jwt_key> keys;
  // When set, the `iss` claim must equal it.
  std::optional<std::string> issuer;
  // When set, `aud` (a string or an array of strings) must contain it.
  std::optional<std::string> audience;
  // Clock skew tolerated on exp and nbf.
  std::chrono::seconds leeway{30};
  // Tokens without `exp` never expire; production tokens should carry one.
  bool require_exp = true;
  // The claim that becomes request_context::user_id.
  std::string user_id_claim = "sub";
};

struct verified_jwt {
  std::string user_id;
  boost::json::object claims;  // the whole verified payload
  std::string kid;             // the kid header, when present
};

// HS256 secrets shorter than this are refused by jwt_verifier (RFC 7518, section 3.2: a key of at least the
// hash's size, 256 bits). A short secret can be brute-forced offline from any one token.
inline constexpr std::size_t min_hs256_secret_bytes = 32;

class jwt_verifier {
 public:
  // Throws std::invalid_argument when an HS256 key's secret is shorter than min_hs256_secret_bytes.
  explicit jwt_verifier(jwt_options opts);

  boost::system::result<verified_jwt> verify(
      std::string_view token,
      std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) const;

  const jwt_options& options() const noexcept { return opts_; }

 private:
  jwt_options opts_;
};

// Signs `claims` with `key` (a secret or a private key) and returns the compact token. For hosts that
// issue their own tokens, development tools and tests. Throws std::invalid_argument when `key` cannot sign.
std::string sign_jwt(const boost::json::object& claims, const jwt_key& key);

// base64url without padding (RFC 4648, section 5), as JWT uses it. decode returns nullopt on invalid input.
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace chatkit::http
