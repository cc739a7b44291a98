#include "serve_flags.hpp"

#include <chatkit/http/auth.hpp>
#include <chatkit/http/jwt.hpp>
#include <chatkit/store/memory_store.hpp>
#if defined(CHATKIT_EXAMPLES_WITH_SQLITE)
#include <chatkit/sqlite/sqlite_store.hpp>
#endif

#include <boost/asio/ip/address.hpp>

#include <pthread.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace chatkit::examples {

std::shared_ptr<store::store> make_store(const std::string& spec) {
  if (spec == "memory") return std::make_shared<store::memory_store>();
#if defined(CHATKIT_EXAMPLES_WITH_SQLITE)
  if (spec.starts_with("sqlite:")) {
    store::sqlite_store_options o;
    o.path = spec.substr(7);
    return std::make_shared<store::sqlite_store>(std::move(o));
  }
#endif
  throw std::invalid_argument("unsupported --store (memory, or sqlite:PATH when built with SQLite)");
}

http::authenticate_fn make_auth(const std::string& mode) {
  if (mode == "dev-header") return http::dev_header_auth();
  if (mode == "jwt") {
    const char* secret = std::getenv("CHATKIT_JWT_SECRET");
    if (!secret || !*secret) throw std::invalid_argument("--auth jwt needs CHATKIT_JWT_SECRET");
    http::jwt_options jwt;
    jwt.keys.push_back(http::jwt_key::hmac(secret));
    return http::jwt_bearer_auth(std::make_shared<http::jwt_verifier>(std::move(jwt)));
  }
  throw std::invalid_argument("--auth must be dev-header or jwt");
}

std::string default_auth_mode() {
  const char* secret = std::getenv("CHATKIT_JWT_SECRET");
  return secret && *secret ? "jwt" : "dev-header";
}

http::cors_options make_cors(const std::vector<std::string>& origins) {
  http::cors_options o;
  for (const auto& origin : origins) {
    if (origin.empty()) throw std::invalid_argument("--cors-origin: empty origin");
    const auto scheme_end = origin.find("://");
    if (origin != "*" && (scheme_end == std::string::npos ||
                          origin.find('/', scheme_end + 3) != std::string::npos || origin.back() == '/'))
      throw std::invalid_argument("--cors-origin " + origin +
                                  ": an origin is scheme://host[:port], without a path or trailing slash");
    o.allowed_origins.push_back(origin);
  }
  o.allowed_methods = {"GET", "POST", "OPTIONS"};
  // Authorization: the bearer token the page's custom fetch adds; Content-Type: application/json on every
  // ChatKit request (not a CORS-safelisted value, hence the preflight); the rest: what browsers and the
  // web component's client library may add (docs/guide-web-ui.md#cors).
  o.allowed_headers = {"authorization",     "content-type",     "accept",
                       "cache-control",     "last-event-id",    "openai-beta",
                       "x-chatkit-version", "x-requested-with", "x-stainless-lang"};
  return o;
}

std::string check_host(const std::string& host) {
  boost::system::error_code ec;
  (void)boost::asio::ip::make_address(host, ec);
  if (ec) throw std::invalid_argument("--host " + host + ": not an IPv4 or IPv6 address");
  return host;
}

bool is_loopback_host(std::string_view host) {
  boost::system::error_code ec;
  const auto a = boost::asio::ip::make_address(std::string(host), ec);
  return !ec && a.is_loopback();
}

void announce_bind(std::string_view program, std::string_view host, std::string_view auth_mode) {
  if (is_loopback_host(host)) return;
  std::fprintf(stderr,
               "%.*s: listening on %.*s, which is not loopback: reachable from the network (auth %.*s); "
               "put TLS in front of it (docs/guide-reverse-proxy.md)\n",
               static_cast<int>(program.size()), program.data(), static_cast<int>(host.size()), host.data(),
               static_cast<int>(auth_mode.size()), auth_mode.data());
}

stop_signals::stop_signals() {
  sigemptyset(&set_);
  sigaddset(&set_, SIGINT);
  sigaddset(&set_, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set_, nullptr);
}

int stop_signals::wait() {
  int sig = 0;
  sigwait(&set_, &sig);
  return sig;
}

}  // namespace chatkit::examples
