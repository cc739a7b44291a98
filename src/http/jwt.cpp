#include <chatkit/http/jwt.hpp>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <array>
#include <cmath>
#include <set>
#include <stdexcept>
#include <vector>

namespace chatkit::http {

struct jwt_key::impl {
  jwt_alg alg{};
  std::string kid;
  std::string secret;                                      // HS256
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey{nullptr, &EVP_PKEY_free};  // RS256 / ES256
  bool has_private = false;
};

namespace {

constexpr std::string_view b64_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::size_t max_token_size = 64 * 1024;  // far above any sane token; bounds the work per request

int b64_value(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;
using ecdsa_sig_ptr = std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)>;

constexpr std::size_t es256_half = 32;

std::optional<jwt_alg> parse_alg(std::string_view s) noexcept {
  if (s == "HS256") return jwt_alg::hs256;
  if (s == "RS256") return jwt_alg::rs256;
  if (s == "ES256") return jwt_alg::es256;
  return std::nullopt;
}

std::string hmac_sha256(std::string_view secret, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &len);
  return std::string(reinterpret_cast<const char*>(out.data()), len);
}

// ES256 signatures are the raw big-endian r || s (32 bytes each); OpenSSL wants DER.
std::optional<std::string> es256_raw_to_der(std::string_view raw) {
  if (raw.size() != 2 * es256_half) return std::nullopt;
  ecdsa_sig_ptr sig(ECDSA_SIG_new(), &ECDSA_SIG_free);
  if (!sig) return std::nullopt;
  auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  BIGNUM* r = BN_bin2bn(bytes, static_cast<int>(es256_half), nullptr);
  BIGNUM* s = BN_bin2bn(bytes + es256_half, static_cast<int>(es256_half), nullptr);
  if (!r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return std::nullopt;
  std::string der(static_cast<std::size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  i2d_ECDSA_SIG(sig.get(), &p);
  return der;
}

std::string es256_der_to_raw(std::string_view der) {
  auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ecdsa_sig_ptr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())), &ECDSA_SIG_free);
  if (!sig) throw std::runtime_error("ES256: cannot decode the signature");
  std::string raw(2 * es256_half, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, static_cast<int>(es256_half)) < 0 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + es256_half, static_cast<int>(es256_half)) < 0)
    throw std::runtime_error("ES256: signature component too large");
  return raw;
}

bool verify_signature(const jwt_key::impl& key, std::string_view signing_input, std::string_view sig) {
  if (key.alg == jwt_alg::hs256) {
    std::string expected = hmac_sha256(key.secret, signing_input);
    return expected.size() == sig.size() && CRYPTO_memcmp(expected.data(), sig.data(), sig.size()) == 0;
  }
  std::string der_storage;
  if (key.alg == jwt_alg::es256) {
    auto der = es256_raw_to_der(sig);
    if (!der) return false;
    der_storage = std::move(*der);
    sig = der_storage;
  }
  md_ctx_ptr ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.pkey.get()) == 1 &&
            EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                             reinterpret_cast<const unsigned char*>(signing_input.data()),
                             signing_input.size()) == 1;
  ERR_clear_error();  // a failed verification leaves entries on the thread's error queue
  return ok;
}

// A basic_parser handler that only watches member names: it fails on the second occurrence of a name in one
// object. Boost.JSON keeps one of two duplicates silently, which would let a token say `sub` twice and have
// this verifier and another component read different values (RFC 7515, section 5.2: reject or use the last;
// we reject).
struct duplicate_names {
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);
  using ec_t = boost::system::error_code;
  using sv = boost::json::string_view;

  std::vector<std::set<std::string, std::less<>>> objects;  // the names seen in each open object
  std::string key;
  bool duplicate = false;

  bool on_document_begin(ec_t&) { return true; }
  bool on_document_end(ec_t&) { return true; }
  bool on_array_begin(ec_t&) { return true; }
  bool on_array_end(std::size_t, ec_t&) { return true; }
  bool on_object_begin(ec_t&) {
    objects.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t, ec_t&) {
    objects.pop_back();
    return true;
  }
  bool on_string_part(sv, std::size_t, ec_t&) { return true; }
  bool on_string(sv, std::size_t, ec_t&) { return true; }
  bool on_key_part(sv s, std::size_t, ec_t&) {
    key.append(s.data(), s.size());
    return true;
  }
  bool on_key(sv s, std::size_t, ec_t& ec) {
    key.append(s.data(), s.size());
    const bool fresh = objects.back().insert(std::move(key)).second;
    key.clear();
    if (fresh) return true;
    duplicate = true;
    ec = boost::json::error::syntax;
    return false;
  }
  bool on_number_part(sv, ec_t&) { return true; }
  bool on_int64(std::int64_t, sv, ec_t&) { return true; }
  bool on_uint64(std::uint64_t, sv, ec_t&) { return true; }
  bool on_double(double, sv, ec_t&) { return true; }
  bool on_bool(bool, ec_t&) { return true; }
  bool on_null(ec_t&) { return true; }
  bool on_comment_part(sv, ec_t&) { return true; }
  bool on_comment(sv, ec_t&) { return true; }
};

bool has_duplicate_names(std::string_view text) {
  boost::json::basic_parser<duplicate_names> p(boost::json::parse_options{});
  boost::system::error_code ec;
  p.write_some(false, text.data(), text.size(), ec);
  return p.handler().duplicate;
}

// A decoded segment as a JSON object; malformed, or duplicate_member when a name repeats in an object.
boost::system::result<boost::json::object> parse_object(std::string_view segment) {
  auto text = base64url_decode(segment);
  if (!text) return jwt_errc::malformed;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(*text, ec);
  if (ec || !v.is_object()) return jwt_errc::malformed;
  if (has_duplicate_names(*text)) return jwt_errc::duplicate_member;
  return std::move(v.as_object());
}

// A NumericDate claim as seconds since the epoch; nullopt when absent; false in `ok` when not a number.
std::optional<double> numeric_claim(const boost::json::object& claims, std::string_view name, bool& ok) {
  auto it = claims.find(name);
  if (it == claims.end()) return std::nullopt;
  const auto& v = it->value();
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  if (v.is_double() && std::isfinite(v.get_double())) return v.get_double();
  ok = false;
  return std::nullopt;
}

}  // namespace

std::string_view to_string(jwt_alg alg) noexcept {
  switch (alg) {
    case jwt_alg::hs256: return "HS256";
    case jwt_alg::rs256: return "RS256";
    case jwt_alg::es256: return "ES256";
  }
  return "HS256";
}

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  auto byte = [&](std::size_t k) { return static_cast<unsigned>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    unsigned n = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out += b64_alphabet[(n >> 18) & 63];
    out += b64_alphabet[(n >> 12) & 63];
    out += b64_alphabet[(n >> 6) & 63];
    out += b64_alphabet[n & 63];
  }
  if (bytes.size() - i == 1) {
    unsigned n = byte(i) << 16;
    out += b64_alphabet[(n >> 18) & 63];
    out += b64_alphabet[(n >> 12) & 63];
  } else if (bytes.size() - i == 2) {
    unsigned n = (byte(i) << 16) | (byte(i + 1) << 8);
    out += b64_alphabet[(n >> 18) & 63];
    out += b64_alphabet[(n >> 12) & 63];
    out += b64_alphabet[(n >> 6) & 63];
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  // JWT segments are unpadded; a remainder of one character can never encode a whole byte.
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  unsigned acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = b64_value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  // Leftover bits must be zero, otherwise two different strings would decode to the same bytes.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

jwt_key jwt_key::hmac(std::string secret, std::string kid) {
  if (secret.empty()) throw std::invalid_argument("jwt_key::hmac: empty secret");
  auto p = std::make_shared<impl>();
  p->alg = jwt_alg::hs256;
  p->kid = std::move(kid);
  p->secret = std::move(secret);
  p->has_private = true;
  return jwt_key(std::move(p));
}

jwt_key jwt_key::from_pem(jwt_alg alg, std::string_view pem, std::string kid) {
  if (alg == jwt_alg::hs256) throw std::invalid_argument("jwt_key::from_pem: HS256 takes a secret, use hmac()");
  auto p = std::make_shared<impl>();
  p->alg = alg;
  p->kid = std::move(kid);
  auto read = [&](bool priv) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())),
                                                  &BIO_free);
    if (!bio) return static_cast<EVP_PKEY*>(nullptr);
    return priv ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)
                : PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  };
  EVP_PKEY* k = read(false);
  if (!k) {
    k = read(true);
    p->has_private = k != nullptr;
  }
  ERR_clear_error();
  if (!k) throw std::invalid_argument("jwt_key::from_pem: not a PEM public or private key");
  p->pkey.reset(k);
  if (alg == jwt_alg::rs256) {
    if (EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA) throw std::invalid_argument("jwt_key::from_pem: RS256 needs an RSA key");
    // RFC 7518, section 3.3: keys below 2048 bits must not be used.
    if (EVP_PKEY_get_bits(k) < 2048) throw std::invalid_argument("jwt_key::from_pem: RSA key below 2048 bits");
  } else {
    std::array<char, 64> group{};
    std::size_t len = 0;
    if (EVP_PKEY_get_base_id(k) != EVP_PKEY_EC ||
        EVP_PKEY_get_group_name(k, group.data(), group.size(), &len) != 1 ||
        std::string_view(group.data(), len) != "prime256v1") {
      ERR_clear_error();
      throw std::invalid_argument("jwt_key::from_pem: ES256 needs an EC P-256 key");
    }
  }
  return jwt_key(std::move(p));
}

jwt_alg jwt_key::alg() const noexcept { return impl_->alg; }
const std::string& jwt_key::kid() const noexcept { return impl_->kid; }

jwt_verifier::jwt_verifier(jwt_options opts) : opts_(std::move(opts)) {
  for (const auto& key : opts_.keys)
    if (key.alg() == jwt_alg::hs256 && key.get_impl().secret.size() < min_hs256_secret_bytes)
      throw std::invalid_argument("jwt_verifier: an HS256 secret must be at least " +
                                  std::to_string(min_hs256_secret_bytes) + " bytes (this one has " +
                                  std::to_string(key.get_impl().secret.size()) +
                                  "); generate one with `openssl rand -hex 32`");
}

boost::system::result<verified_jwt> jwt_verifier::verify(std::string_view token,
                                                         std::chrono::system_clock::time_point now) const {
  if (token.size() > max_token_size) return jwt_errc::malformed;
  auto dot1 = token.find('.');
  if (dot1 == std::string_view::npos) return jwt_errc::malformed;
  auto dot2 = token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
    return jwt_errc::malformed;
  std::string_view header_b64 = token.substr(0, dot1);
  std::string_view payload_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
  std::string_view sig_b64 = token.substr(dot2 + 1);

  auto header = parse_object(header_b64);
  if (!header) return header.error();
  auto alg_it = header->find("alg");
  if (alg_it == header->end() || !alg_it->value().is_string()) return jwt_errc::malformed;
  auto alg = parse_alg(alg_it->value().get_string());
  if (!alg) return jwt_errc::unsupported_alg;  // includes "none"
  // We implement no extension headers, so a token that marks any as critical must be refused (RFC 7515, section 4.1.11).
  if (header->contains("crit")) return jwt_errc::unsupported_alg;
  std::string kid;
  if (auto it = header->find("kid"); it != header->end()) {
    if (!it->value().is_string()) return jwt_errc::malformed;
    kid = it->value().get_string();
  }
  auto sig = base64url_decode(sig_b64);
  if (!sig) return jwt_errc::malformed;

  std::string_view signing_input = token.substr(0, dot2);
  bool candidate = false;
  bool verified = false;
  for (const auto& key : opts_.keys) {
    if (key.alg() != *alg || (!kid.empty() && key.kid() != kid)) continue;
    candidate = true;
    if (verify_signature(key.get_impl(), signing_input, *sig)) {
      verified = true;
      break;
    }
  }
  if (!candidate) return jwt_errc::no_matching_key;
  if (!verified) return jwt_errc::bad_signature;

  auto claims = parse_object(payload_b64);
  if (!claims) return claims.error();

  const double now_s = std::chrono::duration<double>(now.time_since_epoch()).count();
  const auto leeway = static_cast<double>(opts_.leeway.count());
  bool numbers_ok = true;
  auto exp = numeric_claim(*claims, "exp", numbers_ok);
  auto nbf = numeric_claim(*claims, "nbf", numbers_ok);
  if (!numbers_ok) return jwt_errc::malformed;
  if (exp && now_s >= *exp + leeway) return jwt_errc::expired;
  if (!exp && opts_.require_exp) return jwt_errc::missing_exp;
  if (nbf && now_s + leeway < *nbf) return jwt_errc::not_yet_valid;

  if (opts_.issuer) {
    auto it = claims->find("iss");
    if (it == claims->end() || !it->value().is_string() || it->value().get_string() != *opts_.issuer)
      return jwt_errc::wrong_issuer;
  }
  if (opts_.audience) {
    auto it = claims->find("aud");
    bool match = false;
    if (it != claims->end()) {
      if (it->value().is_string()) {
        match = it->value().get_string() == *opts_.audience;
      } else if (it->value().is_array()) {
        for (const auto& a : it->value().get_array())
          if (a.is_string() && a.get_string() == *opts_.audience) match = true;
      }
    }
    if (!match) return jwt_errc::wrong_audience;
  }
  auto uid = claims->find(opts_.user_id_claim);
  if (uid == claims->end() || !uid->value().is_string() || uid->value().get_string().empty())
    return jwt_errc::missing_user_claim;

  verified_jwt out;
  out.user_id = std::string(uid->value().get_string());
  out.claims = std::move(*claims);
  out.kid = std::move(kid);
  return out;
}

std::string sign_jwt(const boost::json::object& claims, const jwt_key& key) {
  const auto& k = key.get_impl();
  if (!k.has_private) throw std::invalid_argument("sign_jwt: the key has no private part");
  boost::json::object header{{"alg", to_string(k.alg)}, {"typ", "JWT"}};
  if (!k.kid.empty()) header["kid"] = k.kid;
  std::string input = base64url_encode(boost::json::serialize(header));
  input += '.';
  input += base64url_encode(boost::json::serialize(claims));

  std::string sig;
  if (k.alg == jwt_alg::hs256) {
    sig = hmac_sha256(k.secret, input);
  } else {
    md_ctx_ptr ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    std::size_t len = 0;
    auto* data = reinterpret_cast<const unsigned char*>(input.data());
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, k.pkey.get()) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &len, data, input.size()) != 1) {
      ERR_clear_error();
      throw std::invalid_argument("sign_jwt: signing failed");
    }
    sig.resize(len);
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, data, input.size()) != 1) {
      ERR_clear_error();
      throw std::invalid_argument("sign_jwt: signing failed");
    }
    sig.resize(len);
    if (k.alg == jwt_alg::es256) sig = es256_der_to_raw(sig);
  }
  input += '.';
  input += base64url_encode(sig);
  return input;
}

}  // namespace chatkit::http
