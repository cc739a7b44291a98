// jwks.hpp: JWK parsing (RSA and EC P-256 keys made with OpenSSL here), and jwks_verifier against a JWKS
// server on 127.0.0.1 that rotates its keys, goes down, answers slowly or sends broken documents.
#include "server_fixture.hpp"
#include "support/doc_server.hpp"

#include "support/run_sync.hpp"

#include <chatkit/http/jwks.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/serialize.hpp>

#include <catch2/catch.hpp>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <mutex>

using namespace chatkit::http;
using namespace chatkit::http::test;
using chatkit::testing::doc_server;
using chatkit::testing::run_sync;
namespace json = boost::json;

namespace {

// A key pair made for the test: the private half signs, the public half is published as a JWK.
struct test_key {
  jwt_key signer;
  json::object jwk;
};

std::string private_pem(EVP_PKEY* k) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), k, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string bn_bytes(EVP_PKEY* k, const char* name) {
  BIGNUM* bn = nullptr;
  REQUIRE(EVP_PKEY_get_bn_param(k, name, &bn) == 1);
  std::string out(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

test_key make_rsa(const std::string& kid) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> k(
      EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048}), &EVP_PKEY_free);
  REQUIRE(k);
  json::object jwk{{"kty", "RSA"},
                   {"kid", kid},
                   {"use", "sig"},
                   {"alg", "RS256"},
                   {"n", base64url_encode(bn_bytes(k.get(), OSSL_PKEY_PARAM_RSA_N))},
                   {"e", base64url_encode(bn_bytes(k.get(), OSSL_PKEY_PARAM_RSA_E))}};
  return {jwt_key::from_pem(jwt_alg::rs256, private_pem(k.get()), kid), std::move(jwk)};
}

test_key make_ec(const std::string& kid) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> k(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"),
                                                        &EVP_PKEY_free);
  REQUIRE(k);
  unsigned char point[65];
  std::size_t len = 0;
  REQUIRE(EVP_PKEY_get_octet_string_param(k.get(), OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &len) == 1);
  REQUIRE(len == 65);
  const std::string raw(reinterpret_cast<const char*>(point), len);
  json::object jwk{{"kty", "EC"},
                   {"kid", kid},
                   {"crv", "P-256"},
                   {"x", base64url_encode(raw.substr(1, 32))},
                   {"y", base64url_encode(raw.substr(33, 32))}};
  return {jwt_key::from_pem(jwt_alg::es256, private_pem(k.get()), kid), std::move(jwk)};
}

// Key generation is the slow part: each key is made once per run.
const test_key& rsa_a() {
  static const test_key k = make_rsa("key-a");
  return k;
}
const test_key& rsa_b() {
  static const test_key k = make_rsa("key-b");
  return k;
}
const test_key& ec_c() {
  static const test_key k = make_ec("key-c");
  return k;
}

std::string jwks_of(std::initializer_list<const test_key*> keys) {
  json::array a;
  for (const auto* k : keys) a.push_back(k->jwk);
  return json::serialize(json::object{{"keys", std::move(a)}});
}

using sys_clock = std::chrono::system_clock;
const sys_clock::time_point t0 = sys_clock::time_point(std::chrono::seconds(2'000'000'000));

std::string token_for(const test_key& k, const std::string& user = "user_1") {
  const auto exp =
      std::chrono::duration_cast<std::chrono::seconds>(t0.time_since_epoch()).count() + 365 * 24 * 3600;
  return sign_jwt({{"sub", user}, {"iss", "https://issuer.test"}, {"aud", "chatkit"}, {"exp", exp}},
                  k.signer);
}

jwt_options claims() {
  jwt_options c;
  c.issuer = "https://issuer.test";
  c.audience = "chatkit";
  return c;
}

// Collects the verifier's log lines.
struct log_lines {
  std::shared_ptr<std::mutex> mu = std::make_shared<std::mutex>();
  std::shared_ptr<std::vector<std::string>> lines = std::make_shared<std::vector<std::string>>();
  std::function<void(std::string_view)> sink() const {
    return [mu = mu, lines = lines](std::string_view m) {
      std::lock_guard lock(*mu);
      lines->emplace_back(m);
    };
  }
  bool contains(std::string_view needle) const {
    std::lock_guard lock(*mu);
    for (const auto& l : *lines)
      if (l.find(needle) != std::string::npos) return true;
    return false;
  }
  std::string all() const {
    std::lock_guard lock(*mu);
    std::string s;
    for (const auto& l : *lines) s += l + "\n";
    return s;
  }
};

jwks_options options_for(const doc_server& srv, const log_lines& log) {
  jwks_options o;
  o.url = srv.url("/jwks");
  o.on_error = log.sink();
  return o;
}

boost::system::result<verified_jwt> verify(const jwks_verifier& v, const std::string& token,
                                           sys_clock::time_point now) {
  boost::asio::io_context ioc;
  return run_sync(ioc, v.verify(token, now));
}

}  // namespace

TEST_CASE("jwks: RSA and EC P-256 JWKs verify tokens signed with their private keys", "[jwks]") {
  auto parsed = parse_jwks(jwks_of({&rsa_a(), &ec_c()}));
  REQUIRE(parsed.error.empty());
  CHECK(parsed.skipped.empty());
  REQUIRE(parsed.keys.size() == 2);
  CHECK(parsed.keys[0].alg() == jwt_alg::rs256);
  CHECK(parsed.keys[0].kid() == "key-a");
  CHECK(parsed.keys[1].alg() == jwt_alg::es256);
  jwt_options o = claims();
  o.keys = parsed.keys;
  jwt_verifier v(o);
  auto a = v.verify(token_for(rsa_a(), "alice"), t0);
  REQUIRE((a).has_value());
  CHECK(a->user_id == "alice");
  REQUIRE((v.verify(token_for(ec_c()), t0)).has_value());
  CHECK(v.verify(token_for(rsa_b()), t0).error() == jwt_errc::no_matching_key);
  // alg and use may be absent: the key type decides.
  json::object bare = rsa_a().jwk;
  bare.erase("alg");
  bare.erase("use");
  CHECK(jwt_key_from_jwk(bare).alg() == jwt_alg::rs256);
}

TEST_CASE("jwks: unusable keys are left out with their reason; unusable documents are refused", "[jwks]") {
  auto with = [](const json::object& base, const json::object& changes) {
    json::object k = base;
    for (const auto& [name, value] : changes) {
      if (value.is_null()) {
        k.erase(name);
      } else {
        k[name] = value;
      }
    }
    return k;
  };
  const auto& rsa = rsa_a().jwk;
  const auto& ec = ec_c().jwk;
  struct bad_key {
    json::object jwk;
    std::string reason;
  };
  std::string flipped_y = base64url_decode(ec.at("y").as_string()).value();
  flipped_y[31] = static_cast<char>(flipped_y[31] ^ 1);
  const std::vector<bad_key> bad{
      {with(rsa, json::object{{"n", "not base64url!"}}), "\"n\" is not base64url"},
      {with(rsa, json::object{{"kty", "oct"}}), "unsupported kty \"oct\""},
      {with(rsa, json::object{{"kty", nullptr}}), "missing \"kty\""},
      {with(rsa, json::object{{"use", "enc"}}), "\"use\" is \"enc\""},
      {with(rsa, json::object{{"alg", "RS512"}}), "unsupported alg \"RS512\""},
      {with(rsa, json::object{{"key_ops", json::array{"encrypt"}}}), "\"key_ops\" does not allow \"verify\""},
      {with(rsa, json::object{{"n", base64url_encode(std::string(128, '\x7f'))}}), "RSA key below 2048 bits"},
      {with(ec, json::object{{"crv", "P-384"}}), "unsupported curve \"P-384\""},
      {with(ec, json::object{{"x", base64url_encode("short")}}), "32 bytes"},
      {with(ec, json::object{{"y", base64url_encode(flipped_y)}}), "not on the P-256 curve"},
      {with(ec, json::object{{"alg", "RS256"}}), "unsupported alg \"RS256\""},
  };
  for (const auto& b : bad) {
    INFO(json::serialize(b.jwk));
    try {
      (void)jwt_key_from_jwk(b.jwk);
      FAIL("accepted");
    } catch (const std::invalid_argument& e) {
      CHECK_THAT(e.what(), Catch::Contains(b.reason));
    }
    // In a set beside a good key: the good key stays, the bad one is reported.
    json::array keys{b.jwk, rsa_b().jwk};
    auto parsed = parse_jwks(json::serialize(json::object{{"keys", keys}}));
    CHECK(parsed.error.empty());
    CHECK(parsed.keys.size() == 1);
    REQUIRE(parsed.skipped.size() == 1);
    CHECK_THAT(parsed.skipped[0], Catch::StartsWith("key 0") && Catch::Contains(b.reason));
  }
  CHECK_THAT(parse_jwks("{not json").error, Catch::Contains("not JSON"));
  CHECK_THAT(parse_jwks(R"({"keys":{}})").error, Catch::Contains("no \"keys\" array"));
  CHECK_THAT(parse_jwks(R"([1,2])").error, Catch::Contains("no \"keys\" array"));
  CHECK_THAT(parse_jwks(R"({"keys":[]})").error, Catch::Contains("no usable key"));
  CHECK_THAT(parse_jwks(jwks_of({&rsa_a(), &rsa_b(), &ec_c()}), 2).error,
             Catch::Contains("more than the limit of 2"));
}

TEST_CASE("jwks_verifier: a URL must be https, or http on loopback", "[jwks]") {
  CHECK_THROWS_AS(jwks_verifier({.url = "http://idp.example.com/jwks"}, {}), std::invalid_argument);
  CHECK_THROWS_AS(jwks_verifier({.url = "ftp://idp.example.com/jwks"}, {}), std::invalid_argument);
  CHECK_THROWS_AS(jwks_verifier({.url = "https:///jwks"}, {}), std::invalid_argument);
  CHECK_NOTHROW(jwks_verifier({.url = "https://idp.example.com/.well-known/jwks.json"}, {}));
  CHECK_NOTHROW(jwks_verifier({.url = "http://localhost:8080/jwks"}, {}));
  CHECK_NOTHROW(jwks_verifier({.url = "http://127.0.0.1:8080/jwks"}, {}));
  CHECK_NOTHROW(jwks_verifier({.url = "http://[::1]:8080/jwks"}, {}));
  CHECK_NOTHROW(jwks_verifier({.url = "http://idp.internal/jwks", .allow_insecure_http = true}, {}));
}

TEST_CASE("jwks_verifier: keys rotate; an unknown kid refetches at most once per interval", "[jwks]") {
  doc_server srv;
  log_lines log;
  srv.set("/jwks", {jwks_of({&rsa_a()}), "public, max-age=600"});
  jwks_verifier v(options_for(srv, log), claims());
  using std::chrono::seconds;

  // Signed with key A: the first verification fetches the set.
  auto a = verify(v, token_for(rsa_a(), "alice"), t0);
  REQUIRE((a).has_value());
  CHECK(a->user_id == "alice");
  CHECK(srv.hits("/jwks") == 1);
  CHECK((verify(v, token_for(rsa_a()), t0 + seconds(10))).has_value());
  CHECK(srv.hits("/jwks") == 1);  // cached

  // The provider rotates to key B; a token with kid B makes the verifier fetch again and verifies.
  srv.set("/jwks", {jwks_of({&rsa_b()}), "max-age=600"});
  CHECK((verify(v, token_for(rsa_b(), "bob"), t0 + seconds(40))).has_value());
  CHECK(srv.hits("/jwks") == 2);
  // Key A left the set: its tokens are refused now.
  CHECK(verify(v, token_for(rsa_a()), t0 + seconds(41)).error() == jwt_errc::no_matching_key);

  // Unknown kids: one fetch per refetch_interval (30 s), however many tokens.
  for (int i = 0; i < 20; ++i)
    CHECK(verify(v, token_for(ec_c()), t0 + seconds(45 + i)).error() == jwt_errc::no_matching_key);
  CHECK(srv.hits("/jwks") == 2);
  CHECK(verify(v, token_for(ec_c()), t0 + seconds(75)).error() == jwt_errc::no_matching_key);
  CHECK(srv.hits("/jwks") == 3);
  for (int i = 0; i < 5; ++i) (void)verify(v, token_for(ec_c()), t0 + seconds(76 + i));
  CHECK(srv.hits("/jwks") == 3);
  CHECK(v.fetch_count() == 3);
  // Garbage never fetches.
  CHECK(verify(v, "not.a.token", t0 + seconds(500)).error() == jwt_errc::malformed);
  CHECK(srv.hits("/jwks") == 3);
}

TEST_CASE("jwks_verifier: concurrent verifications share one fetch", "[jwks]") {
  doc_server srv;
  log_lines log;
  srv.set("/jwks", {jwks_of({&rsa_a(), &ec_c()}), ""});
  srv.set_delay(std::chrono::milliseconds(300));
  jwks_verifier v(options_for(srv, log), claims());
  boost::asio::io_context ioc;
  std::vector<std::future<boost::system::result<verified_jwt>>> results;
  for (int i = 0; i < 8; ++i)
    results.push_back(
        boost::asio::co_spawn(ioc, v.verify(token_for(i % 2 ? rsa_a() : ec_c(), "u" + std::to_string(i)), t0),
                              boost::asio::use_future));
  ioc.run();
  for (int i = 0; i < 8; ++i) {
    auto r = results[static_cast<std::size_t>(i)].get();
    REQUIRE((r).has_value());
    CHECK(r->user_id == "u" + std::to_string(i));
  }
  CHECK(srv.hits("/jwks") == 1);
  CHECK(v.fetch_count() == 1);
}

TEST_CASE("jwks_verifier: with the server down, cached keys serve until expiry (and max_stale)", "[jwks]") {
  doc_server srv;
  log_lines log;
  srv.set("/jwks", {jwks_of({&rsa_a()}), "max-age=120"});
  auto o = options_for(srv, log);
  o.max_stale = std::chrono::minutes(10);
  jwks_verifier v(o, claims());
  using std::chrono::seconds;
  REQUIRE((verify(v, token_for(rsa_a()), t0)).has_value());
  srv.stop_listening();
  CHECK(verify(v, token_for(rsa_a()), t0 + seconds(100)).has_value());  // fresh: no fetch
  CHECK(v.fetch_count() == 1);
  // Expired: a refetch is tried, fails, and the stale keys are still used within max_stale.
  CHECK((verify(v, token_for(rsa_a()), t0 + seconds(200))).has_value());
  CHECK(v.fetch_count() == 2);
  CHECK(log.contains("connecting"));
  CHECK(log.contains("the cached keys stay in use"));
  // Past expiry + max_stale: nothing usable is left.
  CHECK(verify(v, token_for(rsa_a()), t0 + seconds(120 + 600 + 1)).error() == jwt_errc::keys_unavailable);
}

TEST_CASE("jwks_verifier: Cache-Control max-age is honoured within min and max bounds", "[jwks]") {
  using std::chrono::seconds;
  doc_server srv;
  log_lines log;
  auto o = options_for(srv, log);
  o.min_cache_age = seconds(60);
  o.max_cache_age = seconds(3600);
  {
    srv.set("/jwks", {jwks_of({&rsa_a()}), "max-age=5"});  // below the minimum: 60 s
    jwks_verifier v(o, claims());
    REQUIRE((verify(v, token_for(rsa_a()), t0)).has_value());
    REQUIRE((verify(v, token_for(rsa_a()), t0 + seconds(59))).has_value());
    CHECK(v.fetch_count() == 1);
    REQUIRE((verify(v, token_for(rsa_a()), t0 + seconds(61))).has_value());
    CHECK(v.fetch_count() == 2);
  }
  {
    srv.set("/jwks", {jwks_of({&rsa_a()}), "public, s-maxage=10, max-age=999999"});  // above: 3600 s
    jwks_verifier v(o, claims());
    REQUIRE((verify(v, token_for(rsa_a()), t0)).has_value());
    REQUIRE((verify(v, token_for(rsa_a()), t0 + seconds(3599))).has_value());
    CHECK(v.fetch_count() == 1);
    REQUIRE((verify(v, token_for(rsa_a()), t0 + seconds(3601))).has_value());
    CHECK(v.fetch_count() == 2);
  }
  {
    srv.set("/jwks", {jwks_of({&rsa_a()}), ""});  // none: default_cache_age
    o.default_cache_age = seconds(300);
    jwks_verifier v(o, claims());
    REQUIRE((verify(v, token_for(rsa_a()), t0)).has_value());
    REQUIRE((verify(v, token_for(rsa_a()), t0 + seconds(299))).has_value());
    CHECK(v.fetch_count() == 1);
    REQUIRE((verify(v, token_for(rsa_a()), t0 + seconds(301))).has_value());
    CHECK(v.fetch_count() == 2);
  }
}

TEST_CASE("jwks_verifier: broken documents are logged clearly and refuse tokens, never crash", "[jwks]") {
  struct broken {
    doc_server::doc doc;
    std::string logged;
  };
  json::object bad_b64 = rsa_a().jwk;
  bad_b64["n"] = "%%%";
  json::object wrong_kty = rsa_a().jwk;
  wrong_kty["kty"] = "oct";
  const std::vector<broken> cases{
      {{"{\"keys\": [", ""}, "not JSON"},
      {{json::serialize(json::object{{"keys", json::array{bad_b64}}}), ""}, "\"n\" is not base64url"},
      {{json::serialize(json::object{{"keys", json::array{wrong_kty}}}), ""}, "unsupported kty \"oct\""},
      {{"{\"keys\":[" + std::string(300 * 1024, ' ') + "]}", ""}, "larger than 262144 bytes"},
      {{jwks_of({&rsa_a()}), "", 500}, "HTTP status 500"},
  };
  for (const auto& c : cases) {
    INFO(c.logged);
    doc_server srv;
    log_lines log;
    srv.set("/jwks", c.doc);
    jwks_verifier v(options_for(srv, log), claims());
    CHECK(verify(v, token_for(rsa_a()), t0).error() == jwt_errc::keys_unavailable);
    CHECK(log.contains(c.logged));
    CHECK(log.contains(srv.url("/jwks")));
  }
  // A broken document after a good one keeps the good keys.
  doc_server srv;
  log_lines log;
  srv.set("/jwks", {jwks_of({&rsa_a()}), "max-age=60"});
  jwks_verifier v(options_for(srv, log), claims());
  REQUIRE((verify(v, token_for(rsa_a()), t0)).has_value());
  srv.set("/jwks", {"garbage", ""});
  CHECK((verify(v, token_for(rsa_a()), t0 + std::chrono::seconds(90))).has_value());
  CHECK(v.fetch_count() == 2);
  CHECK(log.contains("not JSON"));
}

TEST_CASE("jwks_verifier: behind jwt_bearer_auth every failure is the generic 401", "[jwks][server][auth]") {
  doc_server jwks_srv;
  log_lines log;
  jwks_srv.set("/jwks", {jwks_of({&rsa_a()}), "max-age=600"});
  auto verifier = std::make_shared<jwks_verifier>(options_for(jwks_srv, log), claims());
  std::mutex mu;
  std::vector<std::string> reasons;
  server_fixture f([&](server_options& o) {
    o.endpoint.authenticate = jwt_bearer_auth(verifier, [&](std::string_view why) {
      std::lock_guard lock(mu);
      reasons.emplace_back(why);
    });
  });
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(sys_clock::now().time_since_epoch()).count();
  auto token = [&](const test_key& k) {
    return sign_jwt(
        {{"sub", "carol"}, {"iss", "https://issuer.test"}, {"aud", "chatkit"}, {"exp", now + 600}}, k.signer);
  };
  auto c = f.connect();
  auto ok = c.request(
      post("/chatkit", R"({"type":"json","params":{}})", {"Authorization: Bearer " + token(rsa_a())}));
  CHECK(ok.status == 200);
  CHECK(json_of(ok.body).at("user").as_string() == "carol");
  auto refused = c.request(
      post("/chatkit", R"({"type":"json","params":{}})", {"Authorization: Bearer " + token(ec_c())}));
  CHECK(refused.status == 401);
  CHECK(error_message(refused) == credentials_refused);
  auto none = c.request(post("/chatkit", R"({"type":"json","params":{}})"));
  CHECK(none.status == 401);
  CHECK(error_message(none) == credentials_refused);
  std::lock_guard lock(mu);
  REQUIRE(reasons.size() == 2);
  CHECK(reasons[0] == "invalid bearer token: no key matches the token");
  CHECK(reasons[1] == "missing bearer token");
}
