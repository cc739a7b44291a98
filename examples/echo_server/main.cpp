// echo_server — the deterministic echo bot (README.md beside this file) served over HTTP, on 127.0.0.1
// unless --host says otherwise.
//
//   echo_server [--host ADDRESS] [--port N] [--store memory|sqlite:PATH] [--auth dev-header|jwt]
//               [--threads N] [--cors-origin ORIGIN]... [--max-connections-per-ip N] [--healthz] [--metrics]
//               [--no-access-log]
//
// --host 0.0.0.0 (or any address that is not loopback) makes the server reachable from the network: it
// says so at start-up, and dev-header auth is refused there. --cors-origin lets a page on that origin
// (scheme://host[:port]) call the server from the browser, as OpenAI's ChatKit web component does
// (docs/guide-web-ui.md); repeat it for several origins. --max-connections-per-ip (default 256, 0: no cap):
// behind a reverse proxy every connection comes from the proxy, so set 0 there and let the proxy limit
// each client (docs/guide-reverse-proxy.md).
// --healthz serves GET /healthz, --metrics GET /metrics in the Prometheus format (bearer token METRICS_TOKEN
// when set; docs/guide-operations.md).
// --no-access-log drops the per-request access log line (JSON on stderr by default): the side-by-side
// benchmark runs that way because the Node server it is compared with logs nothing (docs/benchmarks.md).
// --auth jwt reads the HS256 secret (at least 32 bytes) from CHATKIT_JWT_SECRET; the user id is the token's
// `sub`. --auth dev-header trusts the X-User-Id header: for local testing only. Without --auth, jwt when
// CHATKIT_JWT_SECRET is set, else dev-header.
#include "echo_bot.hpp"

#include <chatkit/http/server.hpp>

#include "serve_flags.hpp"

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8000;
  std::string store = "memory";
  std::string auth = chatkit::examples::default_auth_mode();
  unsigned threads = 1;
  std::vector<std::string> cors_origins;
  std::size_t max_connections_per_ip = 256;
  bool healthz = false;
  bool metrics = false;
  bool access_log = true;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "echo_server: %s\nusage: echo_server [--host ADDRESS] [--port N] [--store memory|sqlite:PATH] "
               "[--auth dev-header|jwt] [--threads N] [--cors-origin ORIGIN]... "
               "[--max-connections-per-ip N] [--healthz] [--metrics] [--no-access-log]\n",
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
    if (arg == "--host") {
      o.host = value();
    } else if (arg == "--cors-origin") {
      o.cors_origins.push_back(value());
    } else if (arg == "--port") {
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
    } else if (arg == "--max-connections-per-ip") {
      const int n = std::atoi(value().c_str());
      if (n < 0) usage("bad --max-connections-per-ip");
      o.max_connections_per_ip = static_cast<std::size_t>(n);
    } else if (arg == "--healthz") {
      o.healthz = true;
    } else if (arg == "--metrics") {
      o.metrics = true;
    } else if (arg == "--no-access-log") {
      o.access_log = false;
    } else if (arg == "--help" || arg == "-h") {
      usage("help");
    } else {
      usage("unknown argument");
    }
  }
  return o;
}

// A flag's value turned into what it names, or the usage line with the reason.
template <class Make, class Value>
auto flag(Make make, const Value& value) {
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
      flag(chatkit::examples::make_store, opts.store),
      std::make_shared<chatkit::examples::echo_attachment_store>());
  chatkit::http::server_options server_opts;
  server_opts.address = flag(chatkit::examples::check_host, opts.host);
  server_opts.port = opts.port;
  server_opts.threads = opts.threads;
  server_opts.max_connections_per_ip = opts.max_connections_per_ip;
  server_opts.endpoint.authenticate = flag(chatkit::examples::make_auth, opts.auth);
  if (!opts.cors_origins.empty())
    server_opts.endpoint.cors = flag(chatkit::examples::make_cors, opts.cors_origins);
  if (!opts.access_log) server_opts.endpoint.access_log = [](const chatkit::http::access_log_entry&) {};
  server_opts.operations.healthz = opts.healthz;
  server_opts.operations.metrics = opts.metrics;
  if (const char* token = std::getenv("METRICS_TOKEN")) server_opts.operations.metrics_token = token;
  chatkit::http::server server(bot, std::move(server_opts));
  try {
    server.start();
  } catch (const std::exception& e) {  // dev-header auth on a reachable address, a port in use, ...
    std::fprintf(stderr, "echo_server: %s\n", e.what());
    return 1;
  }
  chatkit::examples::announce_bind("echo_server", opts.host, opts.auth);
  const bool v6 = opts.host.find(':') != std::string::npos;
  std::printf("echo_server: listening on http://%s%s%s:%u/chatkit (store %s, auth %s)\n", v6 ? "[" : "",
              opts.host.c_str(), v6 ? "]" : "", server.port(), opts.store.c_str(), opts.auth.c_str());
  for (const auto& origin : opts.cors_origins) std::printf("echo_server: CORS allows %s\n", origin.c_str());
  std::fflush(stdout);

  const int sig = stop.wait();
  std::printf("echo_server: signal %d, shutting down\n", sig);
  server.stop();
  return 0;
}
