// echo_server — the deterministic echo bot (shared/spec/echo-bot.md) served over HTTP on 127.0.0.1.
//
//   echo_server [--port N] [--store memory|sqlite:PATH] [--auth dev-header|jwt] [--threads N]
//
// --auth jwt reads the HS256 secret from CHATKIT_JWT_SECRET; the user id is the token's `sub`.
// --auth dev-header trusts the X-User-Id header: for local testing only.
#include "echo_bot.hpp"

#include <chatkit/http/auth.hpp>
#include <chatkit/http/jwt.hpp>
#include <chatkit/http/server.hpp>
#include <chatkit/store/memory_store.hpp>
#if __has_include(<chatkit/store/sqlite_store.hpp>) && defined(CHATKIT_ECHO_WITH_SQLITE)
#include <chatkit/store/sqlite_store.hpp>
#define CHATKIT_ECHO_HAS_SQLITE 1
#endif

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>

namespace {

struct options {
  std::uint16_t port = 8000;
  std::string store = "memory";
  std::string auth = "dev-header";
  unsigned threads = 1;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "echo_server: %s\nusage: echo_server [--port N] [--store memory|sqlite:PATH] "
               "[--auth dev-header|jwt] [--threads N]\n",
               why);
  std::exit(2);
}

options parse_args(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage("missing value");
      return argv[++i];
    };
    if (arg == "--port") {
      const int p = std::atoi(value().c_str());
      if (p < 0 || p > 65535) usage("bad --port");
      o.port = static_cast<std::uint16_t>(p);
    } else if (arg == "--store") {
      o.store = value();
    } else if (arg == "--auth") {
      o.auth = value();
    } else if (arg == "--threads") {
      const int t = std::atoi(value().c_str());
      if (t < 1 || t > 256) usage("bad --threads");
      o.threads = static_cast<unsigned>(t);
    } else if (arg == "--help" || arg == "-h") {
      usage("help");
    } else {
      usage("unknown argument");
    }
  }
  return o;
}

std::shared_ptr<chatkit::store::store> make_store(const std::string& spec) {
  if (spec == "memory") return std::make_shared<chatkit::store::memory_store>();
#ifdef CHATKIT_ECHO_HAS_SQLITE
  if (spec.starts_with("sqlite:")) {
    chatkit::store::sqlite_store_options o;
    o.path = spec.substr(7);
    return std::make_shared<chatkit::store::sqlite_store>(std::move(o));
  }
#endif
  usage("unsupported --store (memory, or sqlite:PATH when built with SQLite)");
}

chatkit::http::authenticate_fn make_auth(const std::string& mode) {
  if (mode == "dev-header") return chatkit::http::dev_header_auth();
  if (mode == "jwt") {
    const char* secret = std::getenv("CHATKIT_JWT_SECRET");
    if (!secret || !*secret) usage("--auth jwt needs CHATKIT_JWT_SECRET");
    chatkit::http::jwt_options jwt;
    jwt.keys.push_back(chatkit::http::jwt_key::hmac(secret));
    return chatkit::http::jwt_bearer_auth(std::make_shared<chatkit::http::jwt_verifier>(std::move(jwt)));
  }
  usage("--auth must be dev-header or jwt");
}

}  // namespace

int main(int argc, char** argv) {
  const options opts = parse_args(argc, argv);

  // Block the stop signals in every thread; the main thread waits for them below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto bot = std::make_shared<chatkit::examples::echo_bot>(
      make_store(opts.store), std::make_shared<chatkit::examples::echo_attachment_store>());
  chatkit::http::server_options server_opts;
  server_opts.address = "127.0.0.1";
  server_opts.port = opts.port;
  server_opts.threads = opts.threads;
  server_opts.endpoint.authenticate = make_auth(opts.auth);
  chatkit::http::server server(bot, std::move(server_opts));
  server.start();
  std::printf("echo_server: listening on http://127.0.0.1:%u/chatkit (store %s, auth %s)\n", server.port(),
              opts.store.c_str(), opts.auth.c_str());
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::printf("echo_server: signal %d, shutting down\n", sig);
  server.stop();
  return 0;
}
