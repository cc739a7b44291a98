// GCC 12 at -O3 misreports Asio's recycled coroutine-frame allocator (operator new paired with its own
// aligned free) as -Wmismatched-new-delete; the pairing is correct.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <chatkit/http/jwks.hpp>
#include <chatkit/log.hpp>

#include "asio/detail/https_get.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <optional>
#include <stdexcept>

namespace chatkit::http {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

using pkey_ptr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using pkey_ctx_ptr = std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)>;
using bld_ptr = std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)>;
using params_ptr = std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)>;
using bn_ptr = std::unique_ptr<BIGNUM, decltype(&BN_free)>;

[[noreturn]] void refuse(const std::string& why) {
  ERR_clear_error();
  throw std::invalid_argument(why);
}

std::string string_member(const json::object& jwk, std::string_view name, bool required) {
  const json::value* v = jwk.if_contains(name);
  if (v == nullptr) {
    if (required) refuse("missing \"" + std::string(name) + "\"");
    return {};
  }
  if (!v->is_string()) refuse("\"" + std::string(name) + "\" is not a string");
  return std::string(v->get_string());
}

std::string b64_member(const json::object& jwk, std::string_view name) {
  auto bytes = base64url_decode(string_member(jwk, name, true));
  if (!bytes) refuse("\"" + std::string(name) + "\" is not base64url");
  if (bytes->empty()) refuse("\"" + std::string(name) + "\" is empty");
  return *bytes;
}

// `invalid` says what is wrong when OpenSSL refuses the parameters or the key fails its public check.
pkey_ptr from_params(const char* type, OSSL_PARAM_BLD* bld, const std::string& invalid) {
  params_ptr params(OSSL_PARAM_BLD_to_param(bld), &OSSL_PARAM_free);
  pkey_ctx_ptr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr), &EVP_PKEY_CTX_free);
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1 || raw == nullptr)
    refuse(invalid);
  pkey_ptr key(raw, &EVP_PKEY_free);
  pkey_ctx_ptr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr), &EVP_PKEY_CTX_free);
  if (!check || EVP_PKEY_public_check(check.get()) != 1) refuse(invalid);
  return key;
}

std::string to_pem(EVP_PKEY* key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1) refuse("cannot encode the key");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Cache-Control max-age in seconds: nullopt without one; 0 for no-cache / no-store.
std::optional<long long> max_age(std::string_view cache_control) {
  const std::string cc = lower(cache_control);
  if (cc.find("no-store") != std::string::npos || cc.find("no-cache") != std::string::npos) return 0;
  for (std::size_t at = cc.find("max-age"); at != std::string::npos; at = cc.find("max-age", at + 1)) {
    if (at > 0 && cc[at - 1] != ' ' && cc[at - 1] != ',') continue;  // s-maxage and the like
    std::size_t i = at + 7;
    while (i < cc.size() && cc[i] == ' ') ++i;
    if (i >= cc.size() || cc[i] != '=') continue;
    ++i;
    while (i < cc.size() && cc[i] == ' ') ++i;
    if (i < cc.size() && cc[i] == '"') ++i;
    long long v = 0;
    std::size_t digits = 0;
    for (; i < cc.size() && cc[i] >= '0' && cc[i] <= '9' && digits < 12; ++i, ++digits)
      v = v * 10 + (cc[i] - '0');
    if (digits > 0) return v;
  }
  return std::nullopt;
}

void log_to_stderr(std::string_view message) {  // the default on_error: the SDK's log (chatkit/log.hpp)
  log::warn("http", "jwks", {{"reason", message}});
}

}  // namespace

jwt_key jwt_key_from_jwk(const json::object& jwk) {
  const std::string kty = string_member(jwk, "kty", true);
  const std::string kid = string_member(jwk, "kid", false);
  const std::string alg = string_member(jwk, "alg", false);
  const std::string use = string_member(jwk, "use", false);
  if (!use.empty() && use != "sig") refuse("\"use\" is \"" + use + "\", not \"sig\"");
  if (const json::value* ops = jwk.if_contains("key_ops")) {
    if (!ops->is_array()) refuse("\"key_ops\" is not an array");
    const auto& a = ops->get_array();
    if (std::none_of(a.begin(), a.end(),
                     [](const json::value& v) { return v.is_string() && v.get_string() == "verify"; }))
      refuse("\"key_ops\" does not allow \"verify\"");
  }
  if (kty == "RSA") {
    if (!alg.empty() && alg != "RS256") refuse("unsupported alg \"" + alg + "\" for an RSA key (RS256 only)");
    const std::string n = b64_member(jwk, "n");
    const std::string e = b64_member(jwk, "e");
    if (n.size() > 2048) refuse("the RSA modulus is larger than 16384 bits");
    if (e.size() > 8) refuse("the RSA exponent is too large");
    bn_ptr bn_n(
        BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()), static_cast<int>(n.size()), nullptr),
        &BN_free);
    bn_ptr bn_e(
        BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()), static_cast<int>(e.size()), nullptr),
        &BN_free);
    bld_ptr bld(OSSL_PARAM_BLD_new(), &OSSL_PARAM_BLD_free);
    if (!bn_n || !bn_e || !bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1)
      refuse("cannot build the RSA key");
    // RFC 7518, section 3.3: keys below 2048 bits must not be used.
    if (BN_num_bits(bn_n.get()) < 2048) refuse("RSA key below 2048 bits");
    auto key = from_params("RSA", bld.get(), "the RSA public key is not valid");
    return jwt_key::from_pem(jwt_alg::rs256, to_pem(key.get()), kid);
  }
  if (kty == "EC") {
    const std::string crv = string_member(jwk, "crv", true);
    if (crv != "P-256") refuse("unsupported curve \"" + crv + "\" (P-256 only)");
    if (!alg.empty() && alg != "ES256")
      refuse("unsupported alg \"" + alg + "\" for a P-256 key (ES256 only)");
    const std::string x = b64_member(jwk, "x");
    const std::string y = b64_member(jwk, "y");
    if (x.size() != 32 || y.size() != 32) refuse("\"x\" and \"y\" of a P-256 key must be 32 bytes each");
    std::string point = "\x04" + x + y;  // uncompressed point
    bld_ptr bld(OSSL_PARAM_BLD_new(), &OSSL_PARAM_BLD_free);
    if (!bld ||
        OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1)
      refuse("cannot build the EC key");
    auto key = from_params("EC", bld.get(), "the point (x, y) is not on the P-256 curve");
    return jwt_key::from_pem(jwt_alg::es256, to_pem(key.get()), kid);
  }
  refuse("unsupported kty \"" + kty + "\" (RSA and EC only)");
}

jwks_parse_result parse_jwks(std::string_view document, std::size_t max_keys) {
  jwks_parse_result out;
  boost::system::error_code ec;
  json::value v = json::parse(document, ec);
  if (ec) {
    out.error = "the key set is not JSON (" + ec.message() + ")";
    return out;
  }
  const json::value* keys = v.is_object() ? v.get_object().if_contains("keys") : nullptr;
  if (keys == nullptr || !keys->is_array()) {
    out.error = "the key set has no \"keys\" array";
    return out;
  }
  const auto& arr = keys->get_array();
  if (arr.size() > max_keys) {
    out.error = "the key set has " + std::to_string(arr.size()) + " keys, more than the limit of " +
                std::to_string(max_keys);
    return out;
  }
  for (std::size_t i = 0; i < arr.size(); ++i) {
    std::string label = "key " + std::to_string(i);
    try {
      if (!arr[i].is_object()) throw std::invalid_argument("not a JSON object");
      const auto& jwk = arr[i].get_object();
      if (const auto* kid = jwk.if_contains("kid"); kid != nullptr && kid->is_string())
        label += " (kid \"" + std::string(kid->get_string()) + "\")";
      out.keys.push_back(jwt_key_from_jwk(jwk));
    } catch (const std::exception& e) {
      out.skipped.push_back(label + ": " + e.what());
    }
  }
  if (out.keys.empty()) out.error = "the key set has no usable key";
  return out;
}

// One fetch; every verification that needs it waits for it.
namespace {
struct fetch_op {
  std::mutex mu;
  bool done = false;
  std::vector<std::pair<asio::any_io_executor, std::shared_ptr<asio::steady_timer>>> waiters;

  void finish() {
    decltype(waiters) wake;
    {
      std::lock_guard lock(mu);
      done = true;
      wake.swap(waiters);
    }
    for (auto& [ex, timer] : wake) asio::post(ex, [t = timer] { t->cancel(); });
  }
  bool is_done() {
    std::lock_guard lock(mu);
    return done;
  }
};
}  // namespace

struct jwks_verifier::state {
  using clock = std::chrono::system_clock;
  jwks_options opts;
  jwt_options claims;
  std::shared_ptr<const jwt_verifier> static_only;  // claims.keys alone

  std::mutex mu;
  std::shared_ptr<const jwt_verifier> current;  // claims.keys + the fetched set
  bool have_set = false;
  clock::time_point expires_at{};
  std::optional<clock::time_point> last_fetch;
  std::shared_ptr<fetch_op> inflight;
  std::atomic<std::size_t> fetches{0};

  void log(std::string_view m) const { opts.on_error ? opts.on_error(m) : log_to_stderr(m); }

  static asio::awaitable<void> run_fetch(std::shared_ptr<state> st, std::shared_ptr<fetch_op> op,
                                         clock::time_point now) {
    std::string problem;
    try {
      chatkit::detail::https_get_options g;
      g.timeout = st->opts.fetch_timeout;
      g.max_body_bytes = st->opts.max_document_bytes;
      g.allow_insecure_http = st->opts.allow_insecure_http;
      g.extra_ca_pem = st->opts.extra_ca_pem;
      g.use_system_ca_store = st->opts.use_system_ca_store;
      g.accept = "application/jwk-set+json, application/json";
      auto res = co_await chatkit::detail::https_get(st->opts.url, g);
      if (res.status != 200) {
        problem = st->opts.url + ": HTTP status " + std::to_string(res.status);
      } else {
        auto parsed = parse_jwks(res.body, st->opts.max_keys);
        for (const auto& s : parsed.skipped) st->log("jwks: " + st->opts.url + ": left out " + s);
        if (!parsed.error.empty()) {
          problem = st->opts.url + ": " + parsed.error;
        } else {
          jwt_options o = st->claims;
          for (auto& k : parsed.keys) o.keys.push_back(std::move(k));
          auto v = std::make_shared<const jwt_verifier>(std::move(o));
          auto age = st->opts.default_cache_age;
          if (auto a = max_age(res.header("cache-control"))) age = std::chrono::seconds(*a);
          age = std::clamp(age, st->opts.min_cache_age, st->opts.max_cache_age);
          std::lock_guard lock(st->mu);
          st->current = std::move(v);
          st->have_set = true;
          st->expires_at = now + age;
        }
      }
    } catch (const std::exception& e) {
      problem = e.what();
    }
    bool cached = false;
    {
      std::lock_guard lock(st->mu);
      st->inflight.reset();
      cached = st->have_set;
    }
    if (!problem.empty())
      st->log("jwks: " + problem + (cached ? "; the cached keys stay in use" : "; no key set cached"));
    op->finish();
  }

  // Starts a fetch unless one ran within refetch_interval, or joins the one in flight; waits for it.
  asio::awaitable<void> refresh(std::shared_ptr<state> self, clock::time_point now) {
    std::shared_ptr<fetch_op> op;
    bool start = false;
    {
      std::lock_guard lock(mu);
      if (inflight) {
        op = inflight;
      } else if (!last_fetch || now - *last_fetch >= opts.refetch_interval || now < *last_fetch) {
        op = inflight = std::make_shared<fetch_op>();
        last_fetch = now;
        start = true;
        ++fetches;
      } else {
        co_return;  // rate-limited: the keys we have are all there is for now
      }
    }
    auto ex = co_await asio::this_coro::executor;
    // The fetch is not the caller's: a client that leaves does not cancel it for the others.
    if (start) asio::co_spawn(ex, run_fetch(std::move(self), op, now), asio::detached);
    auto timer = std::make_shared<asio::steady_timer>(ex);
    for (;;) {
      {
        std::lock_guard lock(op->mu);
        if (op->done) co_return;
        if (op->waiters.empty() || op->waiters.back().second != timer) op->waiters.emplace_back(ex, timer);
      }
      // finish() cancels the timer; the period only covers a wake-up posted before the wait began.
      timer->expires_after(std::chrono::milliseconds(200));
      auto [ec] = co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
      (void)ec;
      auto cs = co_await asio::this_coro::cancellation_state;
      if (cs.cancelled() != asio::cancellation_type::none && !op->is_done())
        throw boost::system::system_error(asio::error::operation_aborted);
    }
  }
};

jwks_verifier::jwks_verifier(jwks_options options, jwt_options claims) : state_(std::make_shared<state>()) {
  std::string error;
  auto url = chatkit::detail::parse_https_url(options.url, error);
  if (!url) throw std::invalid_argument("jwks_verifier: url \"" + options.url + "\": " + error);
  if (!url->tls && !options.allow_insecure_http && !chatkit::detail::is_loopback_host(url->host))
    throw std::invalid_argument("jwks_verifier: url \"" + options.url +
                                "\": http:// is only allowed for loopback hosts; use https://");
  if (options.min_cache_age > options.max_cache_age)
    throw std::invalid_argument("jwks_verifier: min_cache_age is above max_cache_age");
  if (options.max_keys == 0 || options.max_document_bytes == 0)
    throw std::invalid_argument("jwks_verifier: max_keys and max_document_bytes must be positive");
  state_->opts = std::move(options);
  state_->claims = std::move(claims);
  state_->static_only = std::make_shared<const jwt_verifier>(state_->claims);
  state_->current = state_->static_only;
}

jwks_verifier::~jwks_verifier() = default;

const jwks_options& jwks_verifier::options() const noexcept {
  return state_->opts;
}
std::size_t jwks_verifier::fetch_count() const noexcept {
  return state_->fetches.load();
}

asio::awaitable<boost::system::result<verified_jwt>> jwks_verifier::verify(
    std::string token, std::chrono::system_clock::time_point now) const {
  auto st = state_;
  std::shared_ptr<const jwt_verifier> v;
  bool fresh = false;
  {
    std::lock_guard lock(st->mu);
    v = st->current;
    fresh = st->have_set && now < st->expires_at;
  }
  auto r = v->verify(token, now);
  if (fresh) {
    // Only a key we do not know (rotation) is worth a fetch.
    if (r || r.error() != jwt_errc::no_matching_key) co_return r;
  } else if (!r && (r.error() == jwt_errc::malformed || r.error() == jwt_errc::unsupported_alg ||
                    r.error() == jwt_errc::duplicate_member)) {
    co_return r;  // garbage never triggers a fetch
  }
  co_await st->refresh(st, now);
  bool usable = false;
  {
    std::lock_guard lock(st->mu);
    v = st->current;
    usable = st->have_set && now < st->expires_at + st->opts.max_stale;
  }
  if (!usable) {
    auto fixed = st->static_only->verify(token, now);
    if (!fixed && fixed.error() == jwt_errc::no_matching_key) co_return jwt_errc::keys_unavailable;
    co_return fixed;
  }
  co_return v->verify(token, now);
}

}  // namespace chatkit::http
