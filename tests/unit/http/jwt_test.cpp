#include <chatkit/http/jwt.hpp>

#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <array>
#include <memory>
#include <random>

using namespace chatkit::http;
using clock_type = std::chrono::system_clock;

namespace {

// Keys are generated fresh by OpenSSL, so no test depends on key material embedded in the tree.
std::string to_pem(EVP_PKEY* k, bool priv) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (priv)
    PEM_write_bio_PrivateKey(bio.get(), k, nullptr, nullptr, 0, nullptr, nullptr);
  else
    PEM_write_bio_PUBKEY(bio.get(), k);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

struct key_pair {
  std::string private_pem, public_pem;
};

key_pair make_rsa(unsigned bits = 2048) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> k(EVP_RSA_gen(bits), &EVP_PKEY_free);
  REQUIRE(k);
  return {to_pem(k.get(), true), to_pem(k.get(), false)};
}

key_pair make_ec(const char* curve = "P-256") {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> k(EVP_EC_gen(curve), &EVP_PKEY_free);
  REQUIRE(k);
  return {to_pem(k.get(), true), to_pem(k.get(), false)};
}

const key_pair& rsa_keys() {
  static const key_pair k = make_rsa();
  return k;
}
const key_pair& ec_keys() {
  static const key_pair k = make_ec();
  return k;
}

const auto now = clock_type::time_point(std::chrono::seconds(1'700'000'000));
constexpr std::int64_t now_s = 1'700'000'000;

boost::json::object claims(std::int64_t exp = now_s + 3600) {
  return {{"sub", "user_1"}, {"exp", exp}, {"name", "Ada"}};
}

jwt_verifier verifier_for(std::vector<jwt_key> keys) {
  jwt_options o;
  o.keys = std::move(keys);
  return jwt_verifier(std::move(o));
}

// Builds a token from raw header/payload text with a valid HS256 signature, bypassing sign_jwt's checks.
std::string raw_hs256(std::string_view header, std::string_view payload, std::string_view secret) {
  std::string input = base64url_encode(header) + "." + base64url_encode(payload);
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac.data(), &len);
  return input + "." + base64url_encode(std::string_view(reinterpret_cast<const char*>(mac.data()), len));
}

// find() instead of at(): GCC's -O3 null-dereference analysis misfires inside object::at.
std::string str_claim(const boost::json::object& o, std::string_view k) {
  auto it = o.find(k);
  return it == o.end() || !it->value().is_string() ? std::string() : std::string(it->value().get_string());
}

jwt_errc failure(const boost::system::result<verified_jwt>& r) {
  REQUIRE(r.has_error());
  REQUIRE(r.error().category() == jwt_category());
  return static_cast<jwt_errc>(r.error().value());
}

}  // namespace

TEST_CASE("base64url round-trips and rejects invalid text", "[jwt]") {
  for (std::string s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar",
                                                std::string("\xff\xfe\x00\x01", 4)})
    CHECK(base64url_decode(base64url_encode(s)) == s);
  CHECK(base64url_encode("\xfb\xff") == "-_8");
  CHECK_FALSE(base64url_decode("a"));     // a lone character cannot encode a byte
  CHECK_FALSE(base64url_decode("ab+c"));  // standard alphabet is not base64url
  CHECK_FALSE(base64url_decode("ab=="));  // padding is not used in JWS
  CHECK_FALSE(base64url_decode("Zh"));    // non-zero trailing bits
  CHECK(base64url_decode("Zg") == "f");
}

TEST_CASE("a well-known HS256 token: signed identically, and its short secret refused", "[jwt]") {
  // The example token of RFC 7519's ecosystem (jwt.io), secret "your-256-bit-secret", no exp claim.
  const std::string token =
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
      "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
      "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
  CHECK(sign_jwt({{"sub", "1234567890"}, {"name", "John Doe"}, {"iat", 1516239022}},
                 jwt_key::hmac("your-256-bit-secret")) == token);
  // Its secret is 19 bytes: a verifier refuses it, since any one token lets an attacker search for it
  // offline.
  jwt_options o;
  o.keys = {jwt_key::hmac("your-256-bit-secret")};
  CHECK_THROWS_AS(jwt_verifier(o), std::invalid_argument);

  const auto key = jwt_key::hmac("your-256-bit-secret-your-256-bit");
  const auto same = sign_jwt({{"sub", "1234567890"}, {"name", "John Doe"}, {"iat", 1516239022}}, key);
  o.keys = {key};
  o.require_exp = false;
  auto r = jwt_verifier(o).verify(same, now);
  REQUIRE(r.has_value());
  CHECK(r->user_id == "1234567890");
  CHECK(str_claim(r->claims, "name") == "John Doe");

  o.keys = {jwt_key::hmac("another-secret-another-secret-012")};
  CHECK(failure(jwt_verifier(o).verify(same, now)) == jwt_errc::bad_signature);
  o.keys = {key};
  o.require_exp = true;
  CHECK(failure(jwt_verifier(o).verify(same, now)) == jwt_errc::missing_exp);
}

TEST_CASE("a name twice in the header or the payload is refused", "[jwt]") {
  const std::string secret = "k-secret-of-32-bytes-0123456789a";
  auto v = verifier_for({jwt_key::hmac(secret)});
  const std::string exp = std::to_string(now_s + 600);
  CHECK(v.verify(raw_hs256(R"({"alg":"HS256"})", R"({"sub":"alice","exp":)" + exp + "}", secret), now)
            .has_value());
  CHECK(failure(v.verify(
            raw_hs256(R"({"alg":"HS256"})", R"({"sub":"alice","exp":)" + exp + R"(,"sub":"admin"})", secret),
            now)) == jwt_errc::duplicate_member);
  CHECK(failure(v.verify(
            raw_hs256(R"({"alg":"HS256","alg":"HS256"})", R"({"sub":"alice","exp":)" + exp + "}", secret),
            now)) == jwt_errc::duplicate_member);
  CHECK(failure(v.verify(raw_hs256(R"({"alg":"HS256","kid":"a","kid":"b"})",
                                   R"({"sub":"alice","exp":)" + exp + "}", secret),
                         now)) == jwt_errc::duplicate_member);
  // Nested objects are checked too; the same name in two different objects is fine.
  CHECK(failure(v.verify(raw_hs256(R"({"alg":"HS256"})",
                                   R"({"sub":"alice","exp":)" + exp + R"(,"x":{"a":1,"a":2}})", secret),
                         now)) == jwt_errc::duplicate_member);
  CHECK(v.verify(
             raw_hs256(R"({"alg":"HS256"})", R"({"sub":"alice","exp":)" + exp + R"(,"x":{"sub":1}})", secret),
             now)
            .has_value());
  // An escaped spelling of the same name is the same name.
  CHECK(failure(v.verify(raw_hs256(R"({"alg":"HS256"})",
                                   R"({"sub":"alice","exp":)" + exp + R"(,"s\u0075b":"admin"})", secret),
                         now)) == jwt_errc::duplicate_member);
}

TEST_CASE("HS256, RS256 and ES256 tokens round-trip", "[jwt]") {
  auto [name, key] = GENERATE(table<std::string, std::function<jwt_key()>>({
      {"HS256", [] { return jwt_key::hmac("s3cret-s3cret-s3cret-s3cret-s3cret"); }},
      {"RS256", [] { return jwt_key::from_pem(jwt_alg::rs256, rsa_keys().private_pem); }},
      {"ES256", [] { return jwt_key::from_pem(jwt_alg::es256, ec_keys().private_pem); }},
  }));
  INFO(name);
  jwt_key signing = key();
  CHECK(to_string(signing.alg()) == name);
  std::string token = sign_jwt(claims(), signing);

  std::vector<jwt_key> verify_keys{signing};
  if (signing.alg() == jwt_alg::rs256) verify_keys = {jwt_key::from_pem(jwt_alg::rs256, rsa_keys().public_pem)};
  if (signing.alg() == jwt_alg::es256) verify_keys = {jwt_key::from_pem(jwt_alg::es256, ec_keys().public_pem)};
  auto v = verifier_for(verify_keys);
  auto r = v.verify(token, now);
  REQUIRE(r.has_value());
  CHECK(r->user_id == "user_1");
  CHECK(str_claim(r->claims, "name") == "Ada");

  // Any flipped bit in the header, payload or signature breaks the token.
  auto dot2 = token.rfind('.');
  std::string tampered_payload = sign_jwt({{"sub", "admin"}, {"exp", now_s + 3600}}, signing);
  std::string forged = tampered_payload.substr(0, tampered_payload.rfind('.')) + token.substr(dot2);
  CHECK(failure(v.verify(forged, now)) == jwt_errc::bad_signature);
  std::string bad_sig = token;
  bad_sig[dot2 + 5] = bad_sig[dot2 + 5] == 'A' ? 'B' : 'A';
  CHECK(failure(v.verify(bad_sig, now)) == jwt_errc::bad_signature);
  CHECK(failure(v.verify(token.substr(0, dot2 + 1), now)) == jwt_errc::bad_signature);
}

TEST_CASE("a public key cannot sign", "[jwt]") {
  CHECK_THROWS_AS(sign_jwt(claims(), jwt_key::from_pem(jwt_alg::rs256, rsa_keys().public_pem)), std::invalid_argument);
}

TEST_CASE("ES256 rejects signatures of the wrong length or encoding", "[jwt]") {
  auto key = jwt_key::from_pem(jwt_alg::es256, ec_keys().private_pem);
  std::string token = sign_jwt(claims(), key);
  auto v = verifier_for({key});
  std::string input = token.substr(0, token.rfind('.'));
  CHECK(failure(v.verify(input + "." + base64url_encode(std::string(63, 'x')), now)) == jwt_errc::bad_signature);
  CHECK(failure(v.verify(input + "." + base64url_encode(std::string(64, '\0')), now)) == jwt_errc::bad_signature);
}

TEST_CASE("alg none and unknown algorithms are refused", "[jwt]") {
  auto v = verifier_for({jwt_key::hmac("k-secret-of-32-bytes-0123456789a")});
  std::string payload = boost::json::serialize(claims());
  for (std::string alg : std::vector<std::string>{"none", "None", "HS512", "RS384", "PS256", ""}) {
    INFO(alg);
    std::string header = R"({"alg":")" + alg + R"(","typ":"JWT"})";
    CHECK(failure(v.verify(base64url_encode(header) + "." + base64url_encode(payload) + ".", now)) ==
          jwt_errc::unsupported_alg);
    CHECK(failure(v.verify(raw_hs256(header, payload, "k-secret-of-32-bytes-0123456789a"), now)) ==
          jwt_errc::unsupported_alg);
  }
  CHECK(failure(v.verify(
            raw_hs256(R"({"alg":"HS256","crit":["exp"]})", payload, "k-secret-of-32-bytes-0123456789a"),
            now)) == jwt_errc::unsupported_alg);
}

TEST_CASE("the algorithm is fixed by the key, not by the token", "[jwt]") {
  // The classic confusion attack: an HS256 token keyed with the RSA public key's PEM text.
  auto rsa_pub = jwt_key::from_pem(jwt_alg::rs256, rsa_keys().public_pem);
  std::string forged = sign_jwt(claims(), jwt_key::hmac(rsa_keys().public_pem));
  CHECK(failure(verifier_for({rsa_pub}).verify(forged, now)) == jwt_errc::no_matching_key);
  // An RS256 token offered to an ES256-only verifier.
  std::string rs = sign_jwt(claims(), jwt_key::from_pem(jwt_alg::rs256, rsa_keys().private_pem));
  CHECK(failure(verifier_for({jwt_key::from_pem(jwt_alg::es256, ec_keys().public_pem)}).verify(rs, now)) ==
        jwt_errc::no_matching_key);
}

TEST_CASE("kid selects the key from a key set", "[jwt]") {
  auto k1 = jwt_key::hmac("secret-one-0123456789abcdef01234", "k1");
  auto k2 = jwt_key::hmac("secret-two-0123456789abcdef01234", "k2");
  auto ec = jwt_key::from_pem(jwt_alg::es256, ec_keys().private_pem, "k3");
  auto v = verifier_for({k1, k2, ec});
  auto r = v.verify(sign_jwt(claims(), k2), now);
  REQUIRE(r.has_value());
  CHECK(r->kid == "k2");
  REQUIRE(v.verify(sign_jwt(claims(), ec), now).has_value());
  // A known kid with a key from a different set: the signature fails for that kid only.
  CHECK(failure(v.verify(sign_jwt(claims(), jwt_key::hmac("secret-one-0123456789abcdef01234", "k2")), now)) ==
        jwt_errc::bad_signature);
  CHECK(failure(v.verify(sign_jwt(claims(), jwt_key::hmac("secret-two-0123456789abcdef01234", "k9")), now)) ==
        jwt_errc::no_matching_key);
  // Without a kid header every key of the algorithm is tried.
  CHECK(v.verify(sign_jwt(claims(), jwt_key::hmac("secret-two-0123456789abcdef01234")), now).has_value());
  CHECK(failure(v.verify(sign_jwt(claims(), jwt_key::hmac("secret-three-0123456789abcdef012")), now)) ==
        jwt_errc::bad_signature);
  CHECK(failure(verifier_for({}).verify(sign_jwt(claims(), k1), now)) == jwt_errc::no_matching_key);
  // A non-string kid is malformed.
  CHECK(failure(v.verify(raw_hs256(R"({"alg":"HS256","kid":7})", boost::json::serialize(claims()),
                                   "secret-one-0123456789abcdef01234"),
                         now)) == jwt_errc::malformed);
}

TEST_CASE("exp and nbf honour the leeway", "[jwt]") {
  auto key = jwt_key::hmac("k-secret-of-32-bytes-0123456789a");
  jwt_options o;
  o.keys = {key};
  o.leeway = std::chrono::seconds(30);
  jwt_verifier v(o);
  CHECK(v.verify(sign_jwt(claims(now_s + 1), key), now).has_value());
  CHECK(v.verify(sign_jwt(claims(now_s - 29), key), now).has_value());
  CHECK(failure(v.verify(sign_jwt(claims(now_s - 30), key), now)) == jwt_errc::expired);
  CHECK(failure(v.verify(sign_jwt(claims(now_s - 86400), key), now)) == jwt_errc::expired);

  auto with_nbf = [&](std::int64_t nbf) {
    auto c = claims();
    c["nbf"] = nbf;
    return sign_jwt(c, key);
  };
  CHECK(v.verify(with_nbf(now_s + 30), now).has_value());
  CHECK(failure(v.verify(with_nbf(now_s + 31), now)) == jwt_errc::not_yet_valid);

  o.leeway = std::chrono::seconds(0);
  jwt_verifier strict(o);
  CHECK(failure(strict.verify(sign_jwt(claims(now_s), key), now)) == jwt_errc::expired);
  CHECK(failure(strict.verify(with_nbf(now_s + 1), now)) == jwt_errc::not_yet_valid);

  auto c = claims();
  c["exp"] = "tomorrow";
  CHECK(failure(v.verify(sign_jwt(c, key), now)) == jwt_errc::malformed);
  c["exp"] = now_s + 10.5;
  CHECK(v.verify(sign_jwt(c, key), now).has_value());
}

TEST_CASE("iss and aud are checked when configured", "[jwt]") {
  auto key = jwt_key::hmac("k-secret-of-32-bytes-0123456789a");
  jwt_options o;
  o.keys = {key};
  o.issuer = "https://issuer.example";
  o.audience = "chatkit";
  jwt_verifier v(o);
  auto with = [&](boost::json::object extra) {
    auto c = claims();
    for (auto& kv : extra) c[kv.key()] = kv.value();
    return sign_jwt(c, key);
  };
  CHECK(v.verify(with({{"iss", "https://issuer.example"}, {"aud", "chatkit"}}), now).has_value());
  CHECK(v.verify(with({{"iss", "https://issuer.example"}, {"aud", boost::json::array{"x", "chatkit"}}}), now)
            .has_value());
  CHECK(failure(v.verify(with({{"iss", "https://evil.example"}, {"aud", "chatkit"}}), now)) ==
        jwt_errc::wrong_issuer);
  CHECK(failure(v.verify(with({{"aud", "chatkit"}}), now)) == jwt_errc::wrong_issuer);
  CHECK(failure(v.verify(with({{"iss", "https://issuer.example"}, {"aud", "other"}}), now)) ==
        jwt_errc::wrong_audience);
  CHECK(failure(v.verify(with({{"iss", "https://issuer.example"}, {"aud", boost::json::array{1, "x"}}}), now)) ==
        jwt_errc::wrong_audience);
  CHECK(failure(v.verify(with({{"iss", "https://issuer.example"}}), now)) == jwt_errc::wrong_audience);
}

TEST_CASE("the user id claim is configurable", "[jwt]") {
  auto key = jwt_key::hmac("k-secret-of-32-bytes-0123456789a");
  jwt_options o;
  o.keys = {key};
  o.user_id_claim = "email";
  jwt_verifier v(o);
  auto c = claims();
  c["email"] = "ada@example.com";
  auto r = v.verify(sign_jwt(c, key), now);
  REQUIRE(r.has_value());
  CHECK(r->user_id == "ada@example.com");
  CHECK(failure(v.verify(sign_jwt(claims(), key), now)) == jwt_errc::missing_user_claim);
  c["email"] = 42;
  CHECK(failure(v.verify(sign_jwt(c, key), now)) == jwt_errc::missing_user_claim);
  c["email"] = "";
  CHECK(failure(v.verify(sign_jwt(c, key), now)) == jwt_errc::missing_user_claim);
}

TEST_CASE("malformed tokens are typed failures", "[jwt]") {
  auto v = verifier_for({jwt_key::hmac("k-secret-of-32-bytes-0123456789a")});
  std::string good = sign_jwt(claims(), jwt_key::hmac("k-secret-of-32-bytes-0123456789a"));
  for (std::string t : std::vector<std::string>{std::string(), std::string("abc"), std::string("a.b"),
                                                good + ".x", std::string(".."), std::string("!!!.???.***"),
                                                "Bearer " + good, std::string(70000, 'a')}) {
    INFO(t.substr(0, 40));
    CHECK(failure(v.verify(t, now)) == jwt_errc::malformed);
  }
  std::string payload = boost::json::serialize(claims());
  CHECK(failure(v.verify(raw_hs256("not json", payload, "k-secret-of-32-bytes-0123456789a"), now)) ==
        jwt_errc::malformed);
  CHECK(failure(v.verify(raw_hs256(R"(["HS256"])", payload, "k-secret-of-32-bytes-0123456789a"), now)) ==
        jwt_errc::malformed);
  CHECK(failure(v.verify(raw_hs256(R"({"alg":256})", payload, "k-secret-of-32-bytes-0123456789a"), now)) ==
        jwt_errc::malformed);
  CHECK(failure(v.verify(raw_hs256(R"({"typ":"JWT"})", payload, "k-secret-of-32-bytes-0123456789a"), now)) ==
        jwt_errc::malformed);
  // A valid signature over a payload that is not a JSON object.
  CHECK(failure(v.verify(raw_hs256(R"({"alg":"HS256"})", "{\"sub\":", "k-secret-of-32-bytes-0123456789a"),
                         now)) == jwt_errc::malformed);
  CHECK(failure(v.verify(raw_hs256(R"({"alg":"HS256"})", "\"user\"", "k-secret-of-32-bytes-0123456789a"),
                         now)) == jwt_errc::malformed);
  CHECK(failure(v.verify(
            raw_hs256(R"({"alg":"HS256"})", std::string("\xff\xfe", 2), "k-secret-of-32-bytes-0123456789a"),
            now)) == jwt_errc::malformed);
}

TEST_CASE("random bytes never crash the verifier", "[jwt]") {
  auto v = verifier_for({jwt_key::hmac("k-secret-of-32-bytes-0123456789a"),
                         jwt_key::from_pem(jwt_alg::es256, ec_keys().public_pem)});
  std::string good = sign_jwt(claims(), jwt_key::hmac("k-secret-of-32-bytes-0123456789a"));
  std::mt19937 rng(12345);
  for (int i = 0; i < 3000; ++i) {
    std::string t = good;
    // Mutate a few positions, sometimes with characters outside the alphabet.
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) t[rng() % t.size()] = static_cast<char>(rng() % 256);
    auto r = v.verify(t, now);
    if (t != good) CHECK(r.has_error());
  }
}

TEST_CASE("keys are validated when loaded", "[jwt]") {
  CHECK_THROWS_AS(jwt_key::hmac(""), std::invalid_argument);
  CHECK_THROWS_AS(jwt_key::from_pem(jwt_alg::rs256, "not a pem"), std::invalid_argument);
  CHECK_THROWS_AS(jwt_key::from_pem(jwt_alg::hs256, rsa_keys().public_pem), std::invalid_argument);
  CHECK_THROWS_AS(jwt_key::from_pem(jwt_alg::rs256, ec_keys().public_pem), std::invalid_argument);
  CHECK_THROWS_AS(jwt_key::from_pem(jwt_alg::es256, rsa_keys().public_pem), std::invalid_argument);
  CHECK_THROWS_AS(jwt_key::from_pem(jwt_alg::es256, make_ec("P-384").public_pem), std::invalid_argument);
  CHECK_THROWS_AS(jwt_key::from_pem(jwt_alg::rs256, make_rsa(1024).public_pem), std::invalid_argument);
  CHECK(jwt_key::from_pem(jwt_alg::rs256, rsa_keys().public_pem, "kid-1").kid() == "kid-1");
}
