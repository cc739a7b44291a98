// Who may call the task bot (docs/task-bot.md, isolation level 1): bearer tokens signed with
// CHATKIT_JWT_SECRET (HS256) or by an identity provider whose keys are published at JWT_JWKS_URL (RS256,
// ES256), checked against JWT_ISSUER / JWT_AUDIENCE when set (the user id is the `sub` claim), and the
// optional CHATKIT_DOMAIN_ALLOWLIST of browser origins. Used by /chatkit (through chatkit_auth()), /mcp and
// every /api route.
#pragma once

#include <chatkit/http/auth.hpp>
#include <chatkit/http/jwks.hpp>
#include <chatkit/http/jwt.hpp>
#include <chatkit/http/message.hpp>
#include <chatkit/request_context.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace task_bot {

// Token settings beside the HS256 secret.
struct token_settings {
  std::optional<std::string> jwks_url;  // JWT_JWKS_URL: keys of an identity provider
  std::optional<std::string> issuer;    // JWT_ISSUER: the `iss` every token must carry
  std::optional<std::string> audience;  // JWT_AUDIENCE: a value `aud` must contain
};

class access_control {
 public:
  // Throws std::invalid_argument on an empty secret or a JWKS URL that is not https (loopback http is fine).
  access_control(std::string jwt_secret, std::vector<std::string> domain_allowlist,
                 token_settings tokens = {});

  // The caller of `req`: its bearer token (or, with `allow_query_token`, an `access_token` query parameter,
  // as EventSource cannot send headers). Throws chatkit::error: unauthorized (401) naming the reason,
  // forbidden (403) for an Origin outside the allowlist. A coroutine: the JWKS may have to be fetched.
  boost::asio::awaitable<chatkit::request_context> authenticate(const chatkit::http::request& req,
                                                                bool allow_query_token = false) const;
  // Throws chatkit::error(forbidden) when the request has an Origin header that is not allowed.
  void check_origin(const chatkit::http::request& req) const;

  // A token for `user_id` valid for `ttl` (the demo sign-in).
  std::string issue_token(const std::string& user_id, std::chrono::seconds ttl) const;

  // authenticate() as the ChatKit endpoint's hook.
  chatkit::http::authenticator chatkit_auth() const;

 private:
  chatkit::http::jwt_key key_;
  std::shared_ptr<chatkit::http::jwt_verifier> verifier_;
  std::shared_ptr<chatkit::http::jwks_verifier> jwks_;  // with JWT_JWKS_URL; also holds the HS256 key
  std::vector<std::string> allowlist_;                  // lower case; empty: every origin
};

// A random secret for demo mode without CHATKIT_JWT_SECRET (tokens die with the process).
std::string random_secret();

}  // namespace task_bot
