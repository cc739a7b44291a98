// agent_quickstart — the smallest real agent: a notes assistant with typed tools bound to the signed-in
// user (notes_agent.cpp), answering ChatKit requests over HTTP on 127.0.0.1 (or --host).
//
//   OPENAI_API_KEY=sk-... agent_quickstart [--host 127.0.0.1] [--port 8001] [--store memory|sqlite:PATH]
//                                          [--auth dev-header|jwt] [--model gpt-4.1-mini]
//                                          [--openai-api responses|chat] [--cors-origin ORIGIN]...
//
// --host: an address that is not loopback is announced at start-up (dev-header auth is refused there).
// --cors-origin: a browser origin allowed to call the server (repeatable; docs/guide-web-ui.md).
// OPENAI_BASE_URL points it at any OpenAI-compatible server; --openai-api chat (or OPENAI_API=chat) makes
// the agent speak Chat Completions, which Ollama, vLLM, llama.cpp server and LiteLLM serve
// (docs/openai-client.md#which-api-for-which-server).
// --auth dev-header trusts the X-User-Id header (local testing only); --auth jwt verifies an HS256
// bearer token with the secret (at least 32 bytes) in CHATKIT_JWT_SECRET and uses its `sub` as the user id.
// Without --auth: jwt when CHATKIT_JWT_SECRET is set, else dev-header.
#include "notes_agent.hpp"

#include <chatkit/http/server.hpp>

#include <chatkit/openai/error.hpp>
#include "serve_flags.hpp"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8001;
  std::string store = "memory";
  std::string auth = chatkit::examples::default_auth_mode();
  std::string model = "gpt-4.1-mini";
  std::string openai_api;  // --openai-api; empty: OPENAI_API, else responses
  std::vector<std::string> cors_origins;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "agent_quickstart: %s\nusage: agent_quickstart [--host ADDRESS] [--port N] "
               "[--store memory|sqlite:PATH] [--auth dev-header|jwt] [--model NAME] "
               "[--openai-api responses|chat] [--cors-origin ORIGIN]...\n",
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
    if (arg == "--host") {
      o.host = value;
    } else if (arg == "--cors-origin") {
      o.cors_origins.push_back(value);
    } else if (arg == "--port") {
      const int p = std::atoi(value.c_str());
      if (p < 0 || p > 65535) usage("bad --port");
      o.port = static_cast<std::uint16_t>(p);
    } else if (arg == "--store") {
      o.store = value;
    } else if (arg == "--auth") {
      o.auth = value;
    } else if (arg == "--model") {
      o.model = value;
    } else if (arg == "--openai-api") {
      o.openai_api = value;
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

  // [serve]
  // The agent: one ChatKit thread store, the notes, and the OpenAI client options from the environment.
  chatkit::examples::quickstart_options app;
  app.store = flag(chatkit::examples::make_store, opts.store);
  app.notes = std::make_shared<chatkit::examples::note_store>();
  app.model = opts.model;
  app.api =
      opts.openai_api.empty()
          ? flag([](const std::string&) { return chatkit::agents::openai_api_from_env(); }, "OPENAI_API")
                .value_or(chatkit::agents::openai_api::responses)
          : flag(chatkit::agents::parse_openai_api, opts.openai_api);
  const auto app_api = app.api;
  std::shared_ptr<chatkit::agents::agent_server> bot;
  try {
    bot = chatkit::examples::make_notes_server(std::move(app));
  } catch (const chatkit::openai::api_error& e) {  // no OPENAI_API_KEY, or a bad OPENAI_BASE_URL
    std::fprintf(stderr, "agent_quickstart: %s\n", e.what());
    return 1;
  }

  // Served over HTTP: the authenticated user becomes the request_context every tool call is bound to.
  chatkit::http::server_options http;
  http.address = flag(chatkit::examples::check_host, opts.host);
  http.port = opts.port;
  http.endpoint.authenticate = flag(chatkit::examples::make_auth, opts.auth);
  if (!opts.cors_origins.empty()) http.endpoint.cors = flag(chatkit::examples::make_cors, opts.cors_origins);
  chatkit::http::server server(bot, std::move(http));
  try {
    server.start();
  } catch (const std::exception& e) {  // dev-header auth on a reachable address, a port in use, ...
    std::fprintf(stderr, "agent_quickstart: %s\n", e.what());
    return 1;
  }
  // [serve]
  chatkit::examples::announce_bind("agent_quickstart", opts.host, opts.auth);
  const bool v6 = opts.host.find(':') != std::string::npos;
  std::printf(
      "agent_quickstart: listening on http://%s%s%s:%u/chatkit (model %s over %s, store %s, auth %s)\n",
      v6 ? "[" : "", opts.host.c_str(), v6 ? "]" : "", server.port(), opts.model.c_str(),
      std::string(chatkit::agents::to_string(app_api)).c_str(), opts.store.c_str(), opts.auth.c_str());
  for (const auto& origin : opts.cors_origins)
    std::printf("agent_quickstart: CORS allows %s\n", origin.c_str());
  std::fflush(stdout);

  const int sig = stop.wait();
  std::printf("agent_quickstart: signal %d, shutting down\n", sig);
  server.stop();
  return 0;
}
