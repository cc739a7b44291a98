// Authentication: turning an HTTP request into a chatkit::request_context (the identity every store
// call and hook receives). The hook is a plain function, or a coroutine when it has to wait (a session
// lookup, a token introspection call, a JWKS fetch), so that hosts can plug in sessions, API keys or an
// upstream gateway's headers; ready-made ones are provided. See docs/http.md#authentication.
#pragma once

#include <chatkit/http/jwks.hpp>
#include <chatkit/http/jwt.hpp>
#include <chatkit/http/message.hpp>
#include <chatkit/request_context.hpp>

#include <boost/asio/awaitable.hpp>

#include <concepts>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

namespace chatkit::http {

// Returns the identity of a request, or throws chatkit::error(errc::unauthorized, reason) (answered 401)
// or errc::forbidden (403). Any other exception is answered 500 without details. It runs on the
// connection's executor before the request is processed: keep it non-blocking.
using authenticate_fn = std::function<request_context(const request&)>;

// The same as a coroutine, for a check that waits. It runs on the connection's executor; while it waits,
// the connection is watched: a client that disconnects cancels it (its pending operation completes with
// operation_aborted), and limits_options::auth_timeout bounds it (then 503). Exceptions are answered as
// for authenticate_fn. The request it gets stays valid until it completes.
using async_authenticate_fn = std::function<boost::asio::awaitable<request_context>(const request&)>;

class authenticator;

// A callable of either form (a lambda, a function, a std::function).
template <class F>
concept sync_authenticate_callable = !std::same_as<std::remove_cvref_t<F>, authenticator> &&
                                     std::is_invocable_r_v<request_context, F&, const request&>;
template <class F>
concept async_authenticate_callable =
    !std::same_as<std::remove_cvref_t<F>, authenticator> && !sync_authenticate_callable<F> &&
    std::is_invocable_r_v<boost::asio::awaitable<request_context>, F&, const request&>;

// Either form, as endpoint_options::authenticate and mcp::http_options::authenticate take it: a plain
// function or lambda returning request_context, or one returning awaitable<request_context>.
class authenticator {
 public:
  authenticator() = default;
  // Implicit on purpose: either form converts.
  authenticator(authenticate_fn fn);        // NOLINT
  authenticator(async_authenticate_fn fn);  // NOLINT
  template <sync_authenticate_callable F>
  authenticator(F f) : authenticator(authenticate_fn(std::move(f))) {}  // NOLINT
  template <async_authenticate_callable F>
  authenticator(F f) : authenticator(async_authenticate_fn(std::move(f))) {}  // NOLINT

  explicit operator bool() const noexcept;
  bool is_async() const noexcept { return fn_.index() == 2; }
  // The function it was made from (null for the other form).
  const authenticate_fn* sync_function() const noexcept { return std::get_if<1>(&fn_); }
  const async_authenticate_fn* async_function() const noexcept { return std::get_if<2>(&fn_); }

  // Runs either form. `req` must stay valid until the returned awaitable completes.
  boost::asio::awaitable<request_context> operator()(const request& req) const;

 private:
  std::variant<std::monostate, authenticate_fn, async_authenticate_fn> fn_;
};

// The one message every refused credential gets (401): which check failed is not told to clients.
inline constexpr std::string_view credentials_refused = "invalid or missing credentials";

// Receives the precise reason of each refused credential ("invalid bearer token: token expired").
using auth_failure_fn = std::function<void(std::string_view reason)>;

// `Authorization: Bearer <jwt>`; the verified claims become request_context::claims and the configured
// claim (default `sub`) the user id. Every failure is a 401 with the message credentials_refused; the
// reason goes to `on_failure` (default: one line on stderr).
authenticate_fn jwt_bearer_auth(std::shared_ptr<const jwt_verifier> verifier,
                                auth_failure_fn on_failure = {});
// The same with keys from a JWKS URL (jwks.hpp): a coroutine, since an unknown or expired key set is
// fetched. A key set that cannot be fetched is one more refused credential (the reason goes to on_failure,
// the fetch's own error to jwks_options::on_error).
async_authenticate_fn jwt_bearer_auth(std::shared_ptr<const jwks_verifier> verifier,
                                      auth_failure_fn on_failure = {});

struct dev_header_options {
  // The request header trusted as the user id.
  std::string header = "X-User-Id";
  // No start-up warning on stderr.
  bool quiet = false;
  // chatkit::http::server refuses to start dev-header auth on an address that is not loopback (127.0.0.0/8,
  // ::1) unless this is set: for a gateway on another host that authenticates and sets the header itself.
  bool allow_non_loopback = false;
  // Longer ids are a 400.
  std::size_t max_user_id_bytes = 128;
};

// Trusts a request header (default X-User-Id) as the user id: for local development, or behind a gateway
// that authenticates and sets the header itself. A missing or empty header is a 401; the header twice, an
// id longer than max_user_id_bytes or with bytes outside visible ASCII (0x21-0x7E) is a 400. Prints a
// warning to stderr when created unless `quiet`.
authenticate_fn dev_header_auth(dev_header_options options);
authenticate_fn dev_header_auth(std::string header = "X-User-Id", bool quiet = false);

// Whether `auth` came from dev_header_auth without allow_non_loopback: chatkit::http::server then refuses
// to start on a non-loopback address. A host serving the endpoint from its own server can check the same.
bool dev_header_auth_needs_loopback(const authenticator& auth) noexcept;

}  // namespace chatkit::http
