// libFuzzer target: JWT verification (http::jwt_verifier, docs/fuzzing.md#jwt_verifier) with a fixed HS256
// key. An input without a newline is verified as a compact token. An input "HEADER\nPAYLOAD" is turned into
// a token whose signature is valid (the two JSON texts base64url-encoded and signed with the key), so that
// the fuzzer reaches the header and claim checks behind the signature. Oracles: verify never throws, a
// verified token names a non-empty user that is its `sub` claim, and base64url round-trips any bytes.
#include <chatkit/http/jwt.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace ch = chatkit::http;

namespace {

// The seeds in tests/fuzz/corpus/jwt_verifier are signed with it (docs/fuzzing.md#jwt_verifier).
constexpr std::string_view secret = "chatkit-fuzz-secret-0123456789abcdef";
constexpr std::chrono::seconds fixed_now{1'800'000'000};

const ch::jwt_verifier& strict() {
  static const ch::jwt_verifier v([] {
    ch::jwt_options o;
    o.keys.push_back(ch::jwt_key::hmac(std::string(secret), "k1"));
    o.issuer = "https://issuer.test";
    o.audience = "chatkit";
    return o;
  }());
  return v;
}

const ch::jwt_verifier& lenient() {
  static const ch::jwt_verifier v([] {
    ch::jwt_options o;
    o.keys.push_back(ch::jwt_key::hmac(std::string(secret)));
    o.require_exp = false;
    o.leeway = std::chrono::seconds(0);
    return o;
  }());
  return v;
}

std::string hs256(std::string_view input) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), out.data(), &len);
  return std::string(reinterpret_cast<const char*>(out.data()), len);
}

void check(const ch::jwt_verifier& v, std::string_view token) {
  const auto now = std::chrono::system_clock::time_point(fixed_now);
  auto r = v.verify(token, now);
  if (!r) return;
  const auto* sub = r->claims.if_contains("sub");
  if (r->user_id.empty() || sub == nullptr || !sub->is_string() || sub->get_string() != r->user_id) {
    std::fprintf(stderr, "verified token without a matching sub claim: %.*s\n",
                 static_cast<int>(token.size()), token.data());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  const auto decoded = ch::base64url_decode(ch::base64url_encode(input));
  if (!decoded || *decoded != input) {
    std::fprintf(stderr, "base64url did not round-trip %zu bytes\n", size);
    std::abort();
  }
  (void)ch::base64url_decode(input);

  if (const auto nl = input.find('\n'); nl != std::string_view::npos) {
    std::string token = ch::base64url_encode(input.substr(0, nl));
    token += '.';
    token += ch::base64url_encode(input.substr(nl + 1));
    const std::string sig = hs256(token);
    token += '.';
    token += ch::base64url_encode(sig);
    check(strict(), token);
    check(lenient(), token);
  } else {
    check(strict(), input);
    check(lenient(), input);
  }
  return 0;
}
