// The flags every example server takes, in one place: --store memory|sqlite:PATH and --auth dev-header|jwt
// (HS256 with the secret in CHATKIT_JWT_SECRET, the default when it is set), plus a clean stop on
// SIGINT/SIGTERM.
#pragma once

#include <chatkit/http/auth.hpp>
#include <chatkit/store/store.hpp>

#include <csignal>
#include <memory>
#include <string>

namespace chatkit::examples {

// Throws std::invalid_argument with a message for the usage line.
std::shared_ptr<store::store> make_store(const std::string& spec);
http::authenticate_fn make_auth(const std::string& mode);
// The --auth mode when none is given: "jwt" when CHATKIT_JWT_SECRET is set, else "dev-header".
std::string default_auth_mode();

// Blocks SIGINT and SIGTERM in this thread and every thread started after it (construct it before the
// server's workers); wait() returns the signal that arrived.
class stop_signals {
 public:
  stop_signals();
  int wait();

 private:
  sigset_t set_;
};

}  // namespace chatkit::examples
