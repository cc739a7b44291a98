#include "serve_flags.hpp"

#include <chatkit/http/auth.hpp>
#include <chatkit/http/jwt.hpp>
#include <chatkit/store/memory_store.hpp>
#if defined(CHATKIT_EXAMPLES_WITH_SQLITE)
#include <chatkit/sqlite/sqlite_store.hpp>
#endif

#include <pthread.h>

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
