#include "access_control.hpp"

#include "task.hpp"

#include <chatkit/error.hpp>

#include <boost/url/parse.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <random>

namespace task_bot {
namespace http = chatkit::http;

namespace {

// Clients get one text for every refused credential; which check failed goes to the server's log only.
[[noreturn]] void refuse(std::string_view reason) {
  std::fprintf(stderr, "task_bot: authentication refused: %.*s\n", static_cast<int>(reason.size()),
               reason.data());
  throw chatkit::error(chatkit::errc::unauthorized, std::string(http::credentials_refused));
}

std::string query_token(std::string_view target) {
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return {};
  auto it = url->params().find("access_token");
  return it == url->params().end() ? std::string{} : std::string((*it).value);
}

}  // namespace

access_control::access_control(std::string jwt_secret, std::vector<std::string> domain_allowlist,
                               token_settings tokens)
    : key_(http::jwt_key::hmac(std::move(jwt_secret))) {
  http::jwt_options o;
  o.keys.push_back(key_);
  o.issuer = std::move(tokens.issuer);
  o.audience = std::move(tokens.audience);
  if (tokens.jwks_url)
    jwks_ = std::make_shared<http::jwks_verifier>(http::jwks_options{.url = *tokens.jwks_url}, o);
  verifier_ = std::make_shared<http::jwt_verifier>(std::move(o));
  for (auto& d : domain_allowlist)
    if (!d.empty()) allowlist_.push_back(lower_ascii(d));
}

void access_control::check_origin(const http::request& req) const {
  if (allowlist_.empty()) return;
  const auto origin = req[boost::beast::http::field::origin];
  if (origin.empty()) return;
  if (std::find(allowlist_.begin(), allowlist_.end(),
                lower_ascii(std::string_view(origin.data(), origin.size()))) == allowlist_.end())
    throw chatkit::error(chatkit::errc::forbidden, "origin not allowed");
}

boost::asio::awaitable<chatkit::request_context> access_control::authenticate(const http::request& req,
                                                                              bool allow_query_token) const {
  check_origin(req);
  std::string token;
  const auto header = req[boost::beast::http::field::authorization];
  const std::string_view h(header.data(), header.size());
  if (h.size() > 7 && lower_ascii(h.substr(0, 7)) == "bearer ") {
    token = std::string(h.substr(7));
  } else if (allow_query_token) {
    token = query_token(std::string_view(req.target().data(), req.target().size()));
  }
  if (token.empty()) refuse("missing bearer token");
  auto verified = jwks_ ? co_await jwks_->verify(token) : verifier_->verify(token);
  if (!verified) refuse("invalid bearer token: " + verified.error().message());
  chatkit::request_context ctx;
  ctx.user_id = verified->user_id;
  ctx.claims = std::move(verified->claims);
  co_return ctx;
}

std::string access_control::issue_token(const std::string& user_id, std::chrono::seconds ttl) const {
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  return http::sign_jwt({{"sub", user_id}, {"iat", now}, {"exp", now + ttl.count()}}, key_);
}

http::authenticator access_control::chatkit_auth() const {
  return http::async_authenticate_fn(
      [self = this](const http::request& req) { return self->authenticate(req); });
}

std::string random_secret() {
  std::random_device rd;
  std::string s;
  for (int i = 0; i < 32; ++i) s += "0123456789abcdef"[rd() % 16];
  return s;
}

}  // namespace task_bot
