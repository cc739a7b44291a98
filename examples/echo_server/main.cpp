// echo_server — the deterministic echo bot (README.md beside this file) served over HTTP on 127.0.0.1.
//
//   echo_server [--port N] [--store memory|sqlite:PATH] [--auth dev-header|jwt] [--threads N]
//               [--healthz] [--metrics]
//
// --healthz serves GET /healthz, --metrics GET /metrics in the Prometheus format (bearer token METRICS_TOKEN
// when set; docs/guide-operations.md).
// --auth jwt reads the HS256 secret (at least 32 bytes) from CHATKIT_JWT_SECRET; the user id is the token's
// `sub`. --auth dev-header trusts the X-User-Id header: for local testing only. Without --auth, jwt when
// CHATKIT_JWT_SECRET is set, else dev-header.
#include "echo_bot.hpp"

#include <chatkit/http/server.hpp>

#include "serve_flags.hpp"

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>

namespace {

struct options {
  std::uint16_t port = 8000;
  std::string store = "memory";
  std::string auth = chatkit::examples::default_auth_mode();
  unsigned threads = 1;
  bool healthz = false;
  bool metrics = false;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "echo_server: %s\nusage: echo_server [--port N] [--store memory|sqlite:PATH] "
               "[--auth dev-header|jwt] [--threads N] [--healthz] [--metrics]\n",
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
    } else if (arg == "--healthz") {
      o.healthz = true;
    } else if (arg == "--metrics") {
      o.metrics = true;
    } else if (arg == "--help" || arg == "-h") {
      usage("help");
    } else {
      usage("unknown argument");
    }
  }
  return o;
}

// A flag's value turned into what it names, or the usage line with the reason.
template <class Make>
auto flag(Make make, const std::string& value) {
  try {
    return make(value);
  } catch (const std::invalid_argument& e) {
    usage(e.what());
  }
}

}  // namespace

int main(int argc, char** argv) {
  const options opts = parse_args(argc, argv);

  chatkit::examples::stop_signals stop;  // blocked in every thread; the main thread waits for them below

  auto bot = std::make_shared<chatkit::examples::echo_bot>(
      flag(chatkit::examples::make_store, opts.store), std::make_shared<chatkit::examples::echo_attachment_store>());
  chatkit::http::server_options server_opts;
  server_opts.address = "127.0.0.1";
  server_opts.port = opts.port;
  server_opts.threads = opts.threads;
  server_opts.endpoint.authenticate = flag(chatkit::examples::make_auth, opts.auth);
  server_opts.operations.healthz = opts.healthz;
  server_opts.operations.metrics = opts.metrics;
  if (const char* token = std::getenv("METRICS_TOKEN")) server_opts.operations.metrics_token = token;
  chatkit::http::server server(bot, std::move(server_opts));
  server.start();
  std::printf("echo_server: listening on http://127.0.0.1:%u/chatkit (store %s, auth %s)\n", server.port(),
              opts.store.c_str(), opts.auth.c_str());
  std::fflush(stdout);

  const int sig = stop.wait();
  std::printf("echo_server: signal %d, shutting down\n", sig);
  server.stop();
  return 0;
}
