// The task bot's settings, from flags and environment (flags win). docs/task-bot.md lists them all.
#pragma once

#include <chatkit/agents/openai_api.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace task_bot {

struct task_bot_config {
  std::string bind = "127.0.0.1";  // --bind or --host / BIND
  std::uint16_t port = 8000;       // --port / PORT (0: an ephemeral port)
  std::string store =
      "sqlite:./task_bot.db";                 // --store / DATABASE_URL: sqlite:PATH, memory, postgresql://...
  std::string jwt_secret;                     // CHATKIT_JWT_SECRET; empty only in demo mode (then random)
                                              // or with JWT_JWKS_URL
  std::optional<std::string> jwt_jwks_url;    // JWT_JWKS_URL: an identity provider's keys (RS256/ES256)
  std::optional<std::string> jwt_issuer;      // JWT_ISSUER: required `iss` of every token
  std::optional<std::string> jwt_audience;    // JWT_AUDIENCE: required `aud` of every token
  bool demo = false;                          // --demo: demo sign-in, may run without a secret
  bool demo_model = false;                    // --demo-model, or no OPENAI_API_KEY
  // --cors-origin (repeatable) / CHATKIT_CORS_ORIGINS (or the older CORS_ORIGINS), comma separated
  std::vector<std::string> cors_origins;
  std::vector<std::string> domain_allowlist;  // CHATKIT_DOMAIN_ALLOWLIST, comma separated
  std::optional<std::string> domain_key;      // CHATKIT_DOMAIN_KEY
  std::optional<std::string> openai_api_key;  // OPENAI_API_KEY
  std::optional<std::string> openai_base_url;  // OPENAI_BASE_URL
  std::string openai_model = "gpt-4.1-mini";   // --model / OPENAI_MODEL
  // --openai-api / OPENAI_API: Chat Completions for servers that only speak it (the demo model: Responses)
  chatkit::agents::openai_api openai_api = chatkit::agents::openai_api::responses;
  std::chrono::milliseconds heartbeat{15000};  // --heartbeat-seconds
  unsigned threads = 2;                        // --threads
  // External MCP servers whose tools the agent gets, bound to the user (docs/task-bot.md#mcp-tools):
  std::vector<std::string> mcp_stdio;  // --mcp-stdio "CMD ARGS" (repeatable) / MCP_STDIO, ';' separated
  std::vector<std::string> mcp_http;   // --mcp-http URL (repeatable) / MCP_HTTP, comma separated
  std::optional<std::string> mcp_http_token;  // MCP_HTTP_TOKEN: bearer token for the --mcp-http servers
  // GET /metrics in the Prometheus format (docs/guide-operations.md): --metrics / METRICS=1, protected by
  // METRICS_TOKEN when set.
  bool metrics = false;
  std::optional<std::string> metrics_token;  // METRICS_TOKEN
};

using getenv_fn = std::function<const char*(const char*)>;

// Throws std::invalid_argument naming the flag or variable; "help" for --help.
task_bot_config parse_config(int argc, const char* const* argv, const getenv_fn& getenv);

std::string usage_text();

}  // namespace task_bot
