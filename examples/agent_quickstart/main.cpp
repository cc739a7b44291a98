// agent_quickstart — the smallest real agent: a notes assistant with typed tools bound to the signed-in
// user (notes_agent.cpp), answering ChatKit requests over HTTP on 127.0.0.1.
//
//   OPENAI_API_KEY=sk-... agent_quickstart [--port 8001] [--store memory|sqlite:PATH]
//                                          [--auth dev-header|jwt] [--model gpt-4.1-mini]
//
// OPENAI_BASE_URL points it at any server speaking the Responses API (vLLM, Ollama, a gateway).
// --auth dev-header trusts the X-User-Id header (local testing only); --auth jwt verifies an HS256
// bearer token with the secret in CHATKIT_JWT_SECRET and uses its `sub` as the user id.
#include "notes_agent.hpp"

#include <chatkit/http/auth.hpp>
#include <chatkit/http/jwt.hpp>
#include <chatkit/http/server.hpp>
#include <chatkit/openai/error.hpp>
#include <chatkit/store/memory_store.hpp>
#if defined(CHATKIT_QUICKSTART_WITH_SQLITE)
#include <chatkit/store/sqlite_store.hpp>
#endif

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

namespace {

struct options {
  std::uint16_t port = 8001;
  std::string store = "memory";
  std::string auth = "dev-header";
  std::string model = "gpt-4.1-mini";
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "agent_quickstart: %s\nusage: agent_quickstart [--port N] [--store memory|sqlite:PATH] "
               "[--auth dev-header|jwt] [--model NAME]\n",
               why);
  std::exit(2);
}

options parse_args(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") usage("help");
    if (i + 1 >= argc) usage("missing value");
    const std::string value = argv[++i];
    if (arg == "--port") {
      const int p = std::atoi(value.c_str());
      if (p < 0 || p > 65535) usage("bad --port");
      o.port = static_cast<std::uint16_t>(p);
    } else if (arg == "--store") {
      o.store = value;
    } else if (arg == "--auth") {
      o.auth = value;
    } else if (arg == "--model") {
      o.model = value;
    } else {
      usage("unknown argument");
    }
  }
  return o;
}

std::shared_ptr<chatkit::store::store> make_store(const std::string& spec) {
  if (spec == "memory") return std::make_shared<chatkit::store::memory_store>();
#if defined(CHATKIT_QUICKSTART_WITH_SQLITE)
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
  sigset_t stop_signals;  // blocked in every thread; the main thread waits for them below
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  // [serve]
  // The agent: one ChatKit thread store, the notes, and the OpenAI client options from the environment.
  chatkit::examples::quickstart_options app;
  app.store = make_store(opts.store);
  app.notes = std::make_shared<chatkit::examples::note_store>();
  app.model = opts.model;
  std::shared_ptr<chatkit::agents::agent_server> bot;
  try {
    bot = chatkit::examples::make_notes_server(std::move(app));
  } catch (const chatkit::openai::api_error& e) {  // no OPENAI_API_KEY, or a bad OPENAI_BASE_URL
    std::fprintf(stderr, "agent_quickstart: %s\n", e.what());
    return 1;
  }

  // Served over HTTP: the authenticated user becomes the request_context every tool call is bound to.
  chatkit::http::server_options http;
  http.address = "127.0.0.1";
  http.port = opts.port;
  http.endpoint.authenticate = make_auth(opts.auth);
  chatkit::http::server server(bot, std::move(http));
  server.start();
  // [serve]
  std::printf("agent_quickstart: listening on http://127.0.0.1:%u/chatkit (model %s, store %s, auth %s)\n",
              server.port(), opts.model.c_str(), opts.store.c_str(), opts.auth.c_str());
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::printf("agent_quickstart: signal %d, shutting down\n", sig);
  server.stop();
  return 0;
}
