// GCC 12 at -O3 misreports Asio's recycled coroutine-frame allocator (operator new paired with its own
// aligned free) as -Wmismatched-new-delete; the pairing is correct.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <chatkit/http/auth.hpp>
#include <chatkit/log.hpp>

#include <stdexcept>

namespace chatkit::http {
namespace {

bool iequals_prefix(std::string_view s, std::string_view prefix) noexcept {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

void log_refusal(std::string_view reason) {
  log::warn("http", "authentication refused", {{"reason", reason}});
}

// The bearer token of `req`, or the reason there is none.
std::string_view bearer_token(const request& req, std::string_view& reason) {
  auto it = req.find(boost::beast::http::field::authorization);
  if (it == req.end()) {
    reason = "missing bearer token";
    return {};
  }
  std::string_view value(it->value().data(), it->value().size());
  if (!iequals_prefix(value, "bearer ")) {
    reason = "the Authorization header is not a bearer token";
    return {};
  }
  value.remove_prefix(7);
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  return value;
}

// The coroutine jwt_bearer_auth(jwks_verifier) returns; its parameters are copies, so that it does not
// depend on the lifetime of the function object that started it.
boost::asio::awaitable<request_context> verify_with_jwks(std::shared_ptr<const jwks_verifier> verifier,
                                                         auth_failure_fn on_failure, const request& req) {
  std::string_view reason;
  const std::string token(bearer_token(req, reason));
  if (reason.empty()) {
    auto r = co_await verifier->verify(token);
    if (r) co_return request_context{std::move(r->user_id), std::move(r->claims), nullptr};
    const std::string why = "invalid bearer token: " + r.error().message();
    on_failure(why);
  } else {
    on_failure(reason);
  }
  throw error(errc::unauthorized, std::string(credentials_refused));
}

// The function dev_header_auth returns. A named type, so that dev_header_auth_needs_loopback can recognise it
// inside an authenticate_fn.
struct dev_header_authenticator {
  std::string header;
  std::size_t max_user_id_bytes;
  bool allow_non_loopback;

  request_context operator()(const request& req) const {
    const auto n = req.count(header);
    if (n == 0) throw error(errc::unauthorized, "missing " + header + " header");
    // Two identity headers could be read differently by a proxy and by this server: refuse both.
    if (n > 1) throw error(errc::invalid_request, "duplicate " + header + " header");
    const auto value = req[header];
    const std::string_view id(value.data(), value.size());
    if (id.empty()) throw error(errc::unauthorized, "missing " + header + " header");
    if (id.size() > max_user_id_bytes)
      throw error(errc::invalid_request,
                  header + " is longer than " + std::to_string(max_user_id_bytes) + " bytes");
    for (char c : id)
      if (c < '!' || c > '~')
        throw error(errc::invalid_request,
                    header + " must be visible ASCII characters (no spaces or controls)");
    return request_context{std::string(id), {}, nullptr};
  }
};

}  // namespace

authenticate_fn jwt_bearer_auth(std::shared_ptr<const jwt_verifier> verifier, auth_failure_fn on_failure) {
  if (!verifier) throw std::invalid_argument("jwt_bearer_auth: null verifier");
  if (!on_failure) on_failure = log_refusal;
  return [verifier = std::move(verifier), on_failure = std::move(on_failure)](const request& req) {
    // Clients learn only that their credentials were refused; which check failed is for the server's log.
    auto refuse = [&](std::string_view reason) -> request_context {
      on_failure(reason);
      throw error(errc::unauthorized, std::string(credentials_refused));
    };
    std::string_view reason;
    const std::string_view value = bearer_token(req, reason);
    if (!reason.empty()) return refuse(reason);
    auto r = verifier->verify(value);
    if (!r) return refuse("invalid bearer token: " + r.error().message());
    return request_context{std::move(r->user_id), std::move(r->claims), nullptr};
  };
}

async_authenticate_fn jwt_bearer_auth(std::shared_ptr<const jwks_verifier> verifier,
                                      auth_failure_fn on_failure) {
  if (!verifier) throw std::invalid_argument("jwt_bearer_auth: null verifier");
  if (!on_failure) on_failure = log_refusal;
  return [verifier = std::move(verifier), on_failure = std::move(on_failure)](const request& req) {
    return verify_with_jwks(verifier, on_failure, req);
  };
}

authenticator::authenticator(authenticate_fn fn) {
  if (fn) fn_.emplace<1>(std::move(fn));
}

authenticator::authenticator(async_authenticate_fn fn) {
  if (fn) fn_.emplace<2>(std::move(fn));
}

authenticator::operator bool() const noexcept {
  return fn_.index() != 0;
}

boost::asio::awaitable<request_context> authenticator::operator()(const request& req) const {
  if (const auto* f = sync_function()) co_return (*f)(req);
  if (const auto* f = async_function()) co_return co_await (*f)(req);
  throw std::logic_error("authenticator: empty");
}

authenticate_fn dev_header_auth(std::string header, bool quiet) {
  dev_header_options o;
  o.header = std::move(header);
  o.quiet = quiet;
  return dev_header_auth(std::move(o));
}

authenticate_fn dev_header_auth(dev_header_options options) {
  if (options.header.empty()) throw std::invalid_argument("dev_header_auth: empty header name");
  if (options.max_user_id_bytes == 0) throw std::invalid_argument("dev_header_auth: max_user_id_bytes is 0");
  if (!options.quiet)
    log::warn("http",
              "dev-header authentication trusts a request header as the user id: anyone who can reach this "
              "server can act as any user; use it only for local development or behind a gateway that sets "
              "the header",
              {{"header", options.header}});
  return dev_header_authenticator{std::move(options.header), options.max_user_id_bytes,
                                  options.allow_non_loopback};
}

bool dev_header_auth_needs_loopback(const authenticator& auth) noexcept {
  const auto* fn = auth.sync_function();
  const auto* dev = fn != nullptr ? fn->target<dev_header_authenticator>() : nullptr;
  return dev != nullptr && !dev->allow_non_loopback;
}

}  // namespace chatkit::http
