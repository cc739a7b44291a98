// The task bot's settings: flags over environment, defaults, and the refusals (no secret outside demo mode,
// unknown flags, bad values).
#include "task_bot_config.hpp"
#include "mcp_imports.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <string>

TEST_CASE("config: flags and environment", "[task_bot][config]") {
  std::map<std::string, std::string> env{{"PORT", "9001"},
                                         {"CORS_ORIGINS", "https://a.example, https://b.example/"}};
  auto get = [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  const char* demo[] = {"task_bot", "--demo", "--store", "memory", "--bind", "0.0.0.0"};
  auto c = task_bot::parse_config(6, demo, get);
  CHECK(c.port == 9001);
  CHECK(c.bind == "0.0.0.0");
  CHECK(c.store == "memory");
  CHECK(c.demo);
  CHECK(c.demo_model);  // no OPENAI_API_KEY
  CHECK(c.cors_origins == std::vector<std::string>{"https://a.example", "https://b.example"});

  const char* plain[] = {"task_bot"};
  CHECK_THROWS_WITH(task_bot::parse_config(1, plain, get), Catch::Contains("CHATKIT_JWT_SECRET is not set"));
  env["CHATKIT_JWT_SECRET"] = "s";
  env["OPENAI_API_KEY"] = "sk-test";
  c = task_bot::parse_config(1, plain, get);
  CHECK_FALSE(c.demo_model);
  CHECK(c.openai_model == "gpt-4.1-mini");
  CHECK(c.openai_api == chatkit::agents::openai_api::responses);
  env["OPENAI_API"] = "chat";
  CHECK(task_bot::parse_config(1, plain, get).openai_api == chatkit::agents::openai_api::chat);
  const char* by_flag[] = {"task_bot", "--openai-api", "responses"};
  CHECK(task_bot::parse_config(3, by_flag, get).openai_api == chatkit::agents::openai_api::responses);
  const char* bad_api[] = {"task_bot", "--openai-api", "grpc"};
  CHECK_THROWS_WITH(task_bot::parse_config(3, bad_api, get), Catch::Contains("chat or responses"));
  env.erase("OPENAI_API");
  CHECK(c.store == "sqlite:./task_bot.db");
  const char* bad_port[] = {"task_bot", "--port", "99999"};
  CHECK_THROWS_WITH(task_bot::parse_config(3, bad_port, get), Catch::Contains("--port"));
  const char* unknown[] = {"task_bot", "--verbose"};
  CHECK_THROWS_WITH(task_bot::parse_config(2, unknown, get), "--verbose: unknown flag");
  const char* missing[] = {"task_bot", "--port"};
  CHECK_THROWS_WITH(task_bot::parse_config(2, missing, get), "--port: missing value");
  const char* bad_store[] = {"task_bot", "--store", "mysql://x"};
  CHECK_THROWS_WITH(task_bot::parse_config(3, bad_store, get), Catch::Contains("--store"));
}

TEST_CASE("config: --host and --cors-origin, CHATKIT_CORS_ORIGINS over CORS_ORIGINS", "[task_bot][config]") {
  std::map<std::string, std::string> env{{"CHATKIT_JWT_SECRET", "s"},
                                         {"CORS_ORIGINS", "https://old.example"}};
  auto get = [&](const char* n) -> const char* {
    auto it = env.find(n);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  const char* none[] = {"task_bot"};
  CHECK(task_bot::parse_config(1, none, get).cors_origins == std::vector<std::string>{"https://old.example"});
  env["CHATKIT_CORS_ORIGINS"] = "https://a.example,http://localhost:5173/";
  CHECK(task_bot::parse_config(1, none, get).cors_origins ==
        std::vector<std::string>{"https://a.example", "http://localhost:5173"});
  // The first --cors-origin replaces the environment's list; more add to it.
  const char* flags[] = {
      "task_bot",          "--host", "::1", "--cors-origin", "https://x.example", "--cors-origin",
      "https://y.example/"};
  auto c = task_bot::parse_config(7, flags, get);
  CHECK(c.bind == "::1");
  CHECK(c.cors_origins == std::vector<std::string>{"https://x.example", "https://y.example"});
}

TEST_CASE("config: MCP servers from flags (repeatable) and the environment", "[task_bot][config][mcp]") {
  std::map<std::string, std::string> env{{"CHATKIT_JWT_SECRET", "s"},
                                         {"MCP_STDIO", "node a.js; python3 b.py --x"},
                                         {"MCP_HTTP", "http://127.0.0.1:9/mcp"},
                                         {"MCP_HTTP_TOKEN", "tok"}};
  auto get = [&](const char* n) -> const char* {
    auto it = env.find(n);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  const char* none[] = {"task_bot"};
  auto c = task_bot::parse_config(1, none, get);
  CHECK(c.mcp_stdio == std::vector<std::string>{"node a.js", "python3 b.py --x"});
  CHECK(c.mcp_http == std::vector<std::string>{"http://127.0.0.1:9/mcp"});
  CHECK(c.mcp_http_token == "tok");
  const char* flags[] = {"task_bot", "--mcp-stdio", "srv one",      "--mcp-stdio",
                         "srv two",  "--mcp-http",  "https://x/mcp"};
  c = task_bot::parse_config(7, flags, get);  // flags replace the environment's lists
  CHECK(c.mcp_stdio == std::vector<std::string>{"srv one", "srv two"});
  CHECK(c.mcp_http == std::vector<std::string>{"https://x/mcp"});
  CHECK(task_bot::split_command(R"(node "my server.js" --port 3)") ==
        std::vector<std::string>{"node", "my server.js", "--port", "3"});
  CHECK_THROWS(task_bot::split_command(R"(node "open)"));
}

TEST_CASE("config: /metrics from --metrics or METRICS, its token from METRICS_TOKEN",
          "[task_bot][config][metrics]") {
  std::map<std::string, std::string> env{{"CHATKIT_JWT_SECRET", "s"}};
  auto get = [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  const char* plain[] = {"task_bot"};
  auto c = task_bot::parse_config(1, plain, get);
  CHECK_FALSE(c.metrics);
  CHECK_FALSE(c.metrics_token);
  const char* flag[] = {"task_bot", "--metrics"};
  CHECK(task_bot::parse_config(2, flag, get).metrics);
  env["METRICS"] = "1";
  env["METRICS_TOKEN"] = "t0ken";
  c = task_bot::parse_config(1, plain, get);
  CHECK(c.metrics);
  CHECK(c.metrics_token == "t0ken");
  env["METRICS"] = "0";
  CHECK_FALSE(task_bot::parse_config(1, plain, get).metrics);
}
