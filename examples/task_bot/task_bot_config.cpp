#include "task_bot_config.hpp"

#include <algorithm>
#include <charconv>
#include <iterator>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace task_bot {
namespace {

std::vector<std::string> comma_list(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const auto comma = s.find(',');
    std::string_view item = s.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '/')) item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

std::vector<std::string> separated(std::string_view s, char sep) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const auto at = s.find(sep);
    std::string_view item = s.substr(0, at);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    if (at == std::string_view::npos) break;
    s.remove_prefix(at + 1);
  }
  return out;
}

long number(std::string_view s, std::string_view what, long lo, long hi) {
  long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < lo || v > hi)
    throw std::invalid_argument(std::string(what) + ": not a number from " + std::to_string(lo) + " to " +
                                std::to_string(hi));
  return v;
}

}  // namespace

std::string usage_text() {
  return "usage: task_bot [--port N] [--bind|--host ADDRESS] [--store sqlite:PATH|memory|postgresql://...]\n"
         "                [--cors-origin ORIGIN]...\n"
         "                [--demo] [--demo-model] [--model NAME] [--openai-api responses|chat]\n"
         "                [--heartbeat-seconds N] [--threads N] [--metrics]\n"
         "                [--mcp-stdio \"CMD ARGS\"]... [--mcp-http URL]...\n"
         "environment: PORT BIND DATABASE_URL CHATKIT_JWT_SECRET JWT_JWKS_URL JWT_ISSUER JWT_AUDIENCE\n"
         "             CHATKIT_CORS_ORIGINS (or CORS_ORIGINS) CHATKIT_DOMAIN_ALLOWLIST CHATKIT_DOMAIN_KEY\n"
         "             OPENAI_API_KEY OPENAI_BASE_URL OPENAI_MODEL OPENAI_API\n"
         "             MCP_STDIO MCP_HTTP MCP_HTTP_TOKEN METRICS METRICS_TOKEN\n";
}

task_bot_config parse_config(int argc, const char* const* argv, const getenv_fn& getenv) {
  task_bot_config c;
  auto env = [&](const char* name) -> std::optional<std::string> {
    const char* v = getenv(name);
    if (!v || !*v) return std::nullopt;
    return std::string(v);
  };
  if (auto v = env("PORT")) c.port = static_cast<std::uint16_t>(number(*v, "PORT", 0, 65535));
  if (auto v = env("BIND")) c.bind = *v;
  if (auto v = env("DATABASE_URL")) c.store = *v;
  if (auto v = env("CHATKIT_JWT_SECRET")) c.jwt_secret = *v;
  c.jwt_jwks_url = env("JWT_JWKS_URL");
  c.jwt_issuer = env("JWT_ISSUER");
  c.jwt_audience = env("JWT_AUDIENCE");
  if (auto v = env("CORS_ORIGINS")) c.cors_origins = comma_list(*v);
  if (auto v = env("CHATKIT_CORS_ORIGINS")) c.cors_origins = comma_list(*v);  // the name the examples share
  if (auto v = env("CHATKIT_DOMAIN_ALLOWLIST")) c.domain_allowlist = comma_list(*v);
  c.domain_key = env("CHATKIT_DOMAIN_KEY");
  c.openai_api_key = env("OPENAI_API_KEY");
  c.openai_base_url = env("OPENAI_BASE_URL");
  if (auto v = env("OPENAI_MODEL")) c.openai_model = *v;
  if (auto v = env("OPENAI_API")) c.openai_api = chatkit::agents::parse_openai_api(*v);
  if (auto v = env("MCP_STDIO")) c.mcp_stdio = separated(*v, ';');
  if (auto v = env("MCP_HTTP")) c.mcp_http = comma_list(*v);
  c.mcp_http_token = env("MCP_HTTP_TOKEN");
  if (auto v = env("METRICS")) c.metrics = *v != "0";
  c.metrics_token = env("METRICS_TOKEN");

  // The first flag of a list replaces the environment's list.
  bool mcp_stdio_flag = false, mcp_http_flag = false, cors_flag = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") throw std::invalid_argument("help");
    if (arg == "--demo") {
      c.demo = true;
      continue;
    }
    if (arg == "--demo-model") {
      c.demo_model = true;
      continue;
    }
    if (arg == "--metrics") {
      c.metrics = true;
      continue;
    }
    static constexpr std::string_view with_value[] = {"--port",
                                                      "--bind",
                                                      "--host",
                                                      "--store",
                                                      "--model",
                                                      "--threads",
                                                      "--heartbeat-seconds",
                                                      "--openai-api",
                                                      "--mcp-stdio",
                                                      "--mcp-http",
                                                      "--cors-origin"};
    if (std::find(std::begin(with_value), std::end(with_value), arg) == std::end(with_value))
      throw std::invalid_argument(std::string(arg) + ": unknown flag");
    if (i + 1 >= argc) throw std::invalid_argument(std::string(arg) + ": missing value");
    const std::string_view value = argv[++i];
    if (arg == "--port")
      c.port = static_cast<std::uint16_t>(number(value, "--port", 0, 65535));
    else if (arg == "--bind" || arg == "--host")
      c.bind = value;
    else if (arg == "--cors-origin") {
      if (!std::exchange(cors_flag, true)) c.cors_origins.clear();
      for (auto& origin : comma_list(value))
        c.cors_origins.push_back(std::move(origin));  // trimmed as CORS_ORIGINS
    } else if (arg == "--store")
      c.store = value;
    else if (arg == "--model")
      c.openai_model = value;
    else if (arg == "--openai-api")
      c.openai_api = chatkit::agents::parse_openai_api(value);
    else if (arg == "--heartbeat-seconds")
      c.heartbeat = std::chrono::seconds(number(value, "--heartbeat-seconds", 1, 3600));
    else if (arg == "--threads")
      c.threads = static_cast<unsigned>(number(value, "--threads", 1, 256));
    else if (arg == "--mcp-stdio")
      (std::exchange(mcp_stdio_flag, true) ? c.mcp_stdio : (c.mcp_stdio = {})).emplace_back(value);
    else if (arg == "--mcp-http")
      (std::exchange(mcp_http_flag, true) ? c.mcp_http : (c.mcp_http = {})).emplace_back(value);
    else
      throw std::invalid_argument(std::string(arg) + ": unknown flag");
  }
  if (!c.openai_api_key) c.demo_model = true;
  if (c.jwt_secret.empty() && !c.demo && !c.jwt_jwks_url)
    throw std::invalid_argument(
        "CHATKIT_JWT_SECRET is not set (set it, or JWT_JWKS_URL, or start with --demo for a local demo)");
  if (!(c.store == "memory" || c.store.starts_with("sqlite:") || c.store.starts_with("postgresql://") ||
        c.store.starts_with("postgres://")))
    throw std::invalid_argument("--store/DATABASE_URL: use sqlite:PATH, memory or postgresql://...");
  return c;
}

}  // namespace task_bot
