// The task bot behind an identity provider: JWT_JWKS_URL (with JWT_ISSUER and JWT_AUDIENCE) makes /api,
// /chatkit and /api/tasks/events accept the provider's ES256 tokens, whose keys are fetched from a JWKS
// server on 127.0.0.1; tokens for another audience and HS256 tokens without the issuer are refused.
#include "running_task_bot.hpp"
#include "support/doc_server.hpp"
#include "task_bot_config.hpp"

#include <chatkit/http/jwt.hpp>

#include <boost/json/serialize.hpp>

#include <catch2/catch.hpp>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <map>

namespace {

namespace http = chatkit::http;

// An EC P-256 key made here: the private half signs, the public half is the JWKS document.
struct provider_key {
  http::jwt_key signer;
  std::string jwks;
};

provider_key make_provider_key(const std::string& kid) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> k(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"),
                                                        &EVP_PKEY_free);
  REQUIRE(k);
  unsigned char point[65];
  std::size_t len = 0;
  REQUIRE(EVP_PKEY_get_octet_string_param(k.get(), OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &len) == 1);
  const std::string raw(reinterpret_cast<const char*>(point), len);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), k.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  boost::json::object jwk{{"kty", "EC"},
                          {"crv", "P-256"},
                          {"kid", kid},
                          {"use", "sig"},
                          {"alg", "ES256"},
                          {"x", http::base64url_encode(raw.substr(1, 32))},
                          {"y", http::base64url_encode(raw.substr(33, 32))}};
  return {http::jwt_key::from_pem(http::jwt_alg::es256, std::string(data, static_cast<std::size_t>(n)), kid),
          boost::json::serialize(boost::json::object{{"keys", boost::json::array{jwk}}})};
}

std::string provider_token(const provider_key& key, const std::string& user, const std::string& audience) {
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  return http::sign_jwt(
      {{"sub", user}, {"iss", "https://idp.test/"}, {"aud", audience}, {"iat", now}, {"exp", now + 600}},
      key.signer);
}

}  // namespace

TEST_CASE("task bot: JWT_JWKS_URL, JWT_ISSUER and JWT_AUDIENCE from the environment",
          "[task_bot][config][jwks]") {
  std::map<std::string, std::string> env{{"JWT_JWKS_URL", "https://idp.test/.well-known/jwks.json"},
                                         {"JWT_ISSUER", "https://idp.test/"},
                                         {"JWT_AUDIENCE", "tasks"}};
  auto get = [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  const char* plain[] = {"task_bot"};
  auto c = task_bot::parse_config(1, plain, get);  // no CHATKIT_JWT_SECRET needed
  CHECK(c.jwt_jwks_url == "https://idp.test/.well-known/jwks.json");
  CHECK(c.jwt_issuer == "https://idp.test/");
  CHECK(c.jwt_audience == "tasks");
  CHECK(c.jwt_secret.empty());
}

TEST_CASE("task bot: tokens of an identity provider verified with its JWKS", "[task_bot][jwks]") {
  chatkit::testing::doc_server idp;
  const auto key = make_provider_key("idp-1");
  idp.set("/.well-known/jwks.json", {key.jwks, "max-age=300"});
  auto config = task_bot_test::test_config();
  config.demo = false;
  config.jwt_secret.clear();
  config.jwt_jwks_url = idp.url("/.well-known/jwks.json");
  config.jwt_issuer = "https://idp.test/";
  config.jwt_audience = "tasks";
  task_bot_test::running_task_bot bot(config);

  const auto alice = provider_token(key, "alice", "tasks");
  auto created = task_bot_test::http_call(bot.port(), "POST", "/api/tasks", R"({"title":"buy milk"})", alice);
  CHECK(created.status == 201);
  auto listed = task_bot_test::http_call(bot.port(), "GET", "/api/tasks", {}, alice);
  REQUIRE(listed.status == 200);
  CHECK(listed.json().at("tasks").as_array().size() == 1);
  auto chat = task_bot_test::http_call(bot.port(), "POST", "/chatkit",
                                       R"({"type":"threads.list","params":{}})", alice);
  CHECK(chat.status == 200);
  CHECK(idp.hits("/.well-known/jwks.json") == 1);  // fetched once, then cached

  // Another audience, and no token at all: the one 401 text.
  auto other =
      task_bot_test::http_call(bot.port(), "GET", "/api/tasks", {}, provider_token(key, "alice", "billing"));
  CHECK(other.status == 401);
  CHECK(other.body.find(std::string(http::credentials_refused)) != std::string::npos);
  CHECK(task_bot_test::http_call(bot.port(), "GET", "/api/tasks").status == 401);
  // Bob sees none of Alice's tasks.
  auto bobs =
      task_bot_test::http_call(bot.port(), "GET", "/api/tasks", {}, provider_token(key, "bob", "tasks"));
  REQUIRE(bobs.status == 200);
  CHECK(bobs.json().at("tasks").as_array().empty());
}
