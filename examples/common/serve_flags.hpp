// The flags every example server takes, in one place: --store memory|sqlite:PATH, --auth dev-header|jwt
// (HS256 with the secret in CHATKIT_JWT_SECRET, the default when it is set), --host ADDRESS (default
// 127.0.0.1; another address is announced at start-up) and --cors-origin ORIGIN (repeatable: the browser
// origins that may call the server, docs/guide-web-ui.md), plus a clean stop on SIGINT/SIGTERM.
#pragma once

#include <chatkit/http/auth.hpp>
#include <chatkit/http/cors.hpp>
#include <chatkit/store/store.hpp>

#include <csignal>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace chatkit::examples {

// Throws std::invalid_argument with a message for the usage line.
std::shared_ptr<store::store> make_store(const std::string& spec);
http::authenticate_fn make_auth(const std::string& mode);
// The --auth mode when none is given: "jwt" when CHATKIT_JWT_SECRET is set, else "dev-header".
std::string default_auth_mode();

// The CORS policy for --cors-origin: these exact origins (scheme://host[:port]; "*" for any), the methods
// GET, POST and OPTIONS, and the request headers a page embedding OpenAI's ChatKit web component sends
// (docs/guide-web-ui.md#cors). Throws std::invalid_argument for an empty origin or one with a path.
http::cors_options make_cors(const std::vector<std::string>& origins);

// --host: an IPv4 or IPv6 address to listen on (0.0.0.0 / :: for every interface), returned as given;
// std::invalid_argument for anything else (names are not resolved).
std::string check_host(const std::string& host);
// Whether `host` is a loopback address (127.0.0.0/8, ::1): only the local machine can connect.
bool is_loopback_host(std::string_view host);
// The start-up notice for a bind address other than loopback, on stderr: the server is reachable from the
// network, so it should sit behind TLS (docs/guide-reverse-proxy.md) and use JWT auth (dev-header auth is
// refused there by http::server). Nothing for loopback.
void announce_bind(std::string_view program, std::string_view host, std::string_view auth_mode);

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
