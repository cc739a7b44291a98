// JSON Web Key Sets (RFC 7517): the public keys an identity provider (Auth0, Clerk, Supabase, Cognito...)
// publishes at a URL, turned into jwt_keys (RSA -> RS256, EC P-256 -> ES256), and a verifier that fetches,
// caches and refreshes them. See docs/http.md#keys-from-a-jwks-url and docs/security.md for the limits.
#pragma once

#include <chatkit/http/jwt.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace chatkit::http {

// One key of a set (a JWK object) as a verification key. RSA keys (`n`, `e`, at least 2048 bits) become
// RS256 keys, EC keys on P-256 (`x`, `y`) ES256 keys; `kid` is kept. A key whose `alg` is neither, whose
// `use` is not "sig" or whose `key_ops` lacks "verify" is refused. Throws std::invalid_argument saying why
// (bad base64url, wrong kty, a point not on the curve...).
jwt_key jwt_key_from_jwk(const boost::json::object& jwk);

// A parsed key set. `error` is set when the document as a whole is unusable (not JSON, no "keys" array,
// over max_keys keys, no usable key); keys that cannot be used are left out, each with its reason in
// `skipped` ("key 2 (kid \"x\"): unsupported kty \"oct\""), so one exotic key does not lose the others.
struct jwks_parse_result {
  std::vector<jwt_key> keys;
  std::vector<std::string> skipped;
  std::string error;
};
jwks_parse_result parse_jwks(std::string_view document, std::size_t max_keys = 64);

struct jwks_options {
  // Where the key set is published, e.g. "https://example.eu.auth0.com/.well-known/jwks.json". https only;
  // http:// is accepted for loopback hosts (localhost, 127.0.0.0/8, ::1), or anywhere with
  // allow_insecure_http (a forged key set would let anyone sign in as anyone).
  std::string url;
  bool allow_insecure_http = false;
  // Certificates trusted for the https fetch, besides (or instead of) the system store.
  std::string extra_ca_pem;
  bool use_system_ca_store = true;
  // Connect, TLS handshake and the whole answer together.
  std::chrono::milliseconds fetch_timeout{std::chrono::seconds(5)};
  // Larger documents are refused.
  std::size_t max_document_bytes = 256 * 1024;
  // Sets with more keys are refused.
  std::size_t max_keys = 64;
  // How long a fetched set is used: the answer's Cache-Control max-age, bounded by min/max_cache_age;
  // default_cache_age without one (or with no-cache / no-store, which get min_cache_age).
  std::chrono::seconds default_cache_age{std::chrono::minutes(10)};
  std::chrono::seconds min_cache_age{std::chrono::minutes(1)};
  std::chrono::seconds max_cache_age{std::chrono::hours(24)};
  // At most one fetch per interval, whatever triggers it: a token with an unknown kid (key rotation), an
  // expired set, or a failed fetch. Unknown kids sent in a flood cost one fetch per interval.
  std::chrono::seconds refetch_interval{std::chrono::seconds(30)};
  // When the set has expired and a new one cannot be fetched (the provider is down), the old keys are
  // still used for this long past their expiry; 0: never past it.
  std::chrono::seconds max_stale{std::chrono::hours(1)};
  // Receives each fetch problem and left-out key ("jwks: https://...: HTTP status 500"). Default: stderr.
  std::function<void(std::string_view message)> on_error;
};

// Verifies tokens like jwt_verifier, with keys fetched from options.url (plus any fixed keys in
// claims.keys). The first verification fetches the set; concurrent verifications share one fetch. Fetches
// run on the executor of the verification that needs them. Thread-safe.
class jwks_verifier {
 public:
  // Throws std::invalid_argument for a URL that is not https (or loopback http), or invalid bounds.
  // `claims` gives issuer, audience, leeway, require_exp and user_id_claim; its keys are always tried too.
  jwks_verifier(jwks_options options, jwt_options claims);
  ~jwks_verifier();
  jwks_verifier(const jwks_verifier&) = delete;
  jwks_verifier& operator=(const jwks_verifier&) = delete;

  // Like jwt_verifier::verify; jwt_errc::keys_unavailable when no key set could be obtained. `now` also
  // drives the cache (expiry, refetch interval). Throws only when the calling coroutine is cancelled.
  boost::asio::awaitable<boost::system::result<verified_jwt>> verify(
      std::string token, std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) const;

  const jwks_options& options() const noexcept;
  // Fetches started so far (successful or not).
  std::size_t fetch_count() const noexcept;

 private:
  struct state;
  std::shared_ptr<state> state_;
};

}  // namespace chatkit::http
