// mcp_client — connects to an MCP server started as a child process, lists its tools and optionally calls one
// (docs/mcp.md#client).
//
//   mcp_client -- node server.js                         # the era, the server and its tools
//   mcp_client --call echo '{"message":"hi"}' -- node server.js stdio
//   mcp_client --http http://127.0.0.1:3001/mcp --call get-sum '{"a":1,"b":2}'
#include <chatkit/mcp/client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <iostream>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace json = boost::json;
namespace mcp = chatkit::mcp;

namespace {

// [list_and_call]
asio::awaitable<void> list_and_call(std::shared_ptr<mcp::client> server, std::string tool,
                                    json::object args) {
  std::cout << "era: " << (server->era() == mcp::era::modern ? "modern " : "legacy ")
            << server->protocol_version() << ", server: " << json::serialize(server->server_info()) << "\n";
  for (const mcp::tool_info& t : co_await server->list_tools())
    std::cout << "  " << t.name << ": " << t.description << "\n";
  if (!tool.empty()) {
    mcp::call_options options;
    options.timeout = std::chrono::seconds(30);
    options.on_progress = [](const mcp::progress_update& p) {
      std::cout << "  progress " << p.progress << "\n";
    };
    mcp::call_result r = co_await server->call_tool(tool, std::move(args), options);
    for (const mcp::content_block& b : r.content)
      std::cout << (r.is_error ? "error: " : "") << b.type << ": " << (b.type == "text" ? b.text : b.uri)
                << "\n";
    if (r.structured_content) std::cout << "structured: " << json::serialize(*r.structured_content) << "\n";
  }
  co_await server->close();  // stdio: close stdin, wait, SIGTERM, wait, SIGKILL
}
// [list_and_call]

}  // namespace

int main(int argc, char** argv) {
  std::string url, tool;
  json::object args;
  std::vector<std::string> command;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--http" && i + 1 < argc) {
      url = argv[++i];
    } else if (a == "--call" && i + 2 < argc) {
      tool = argv[++i];
      args = json::parse(argv[++i]).as_object();
    } else if (a == "--") {
      command.assign(argv + i + 1, argv + argc);
      break;
    } else {
      std::cerr << "usage: mcp_client [--call TOOL JSON] (--http URL | -- CMD ARGS...)\n";
      return 2;
    }
  }
  if (url.empty() == command.empty()) {
    std::cerr << "usage: mcp_client [--call TOOL JSON] (--http URL | -- CMD ARGS...)\n";
    return 2;
  }
  asio::io_context ioc;
  auto done = asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        mcp::client_options options;
        options.on_log = [](mcp::log_source, std::string_view line) {
          std::cerr << "[server] " << line << "\n";
        };
        auto server = url.empty() ? co_await mcp::client::connect(mcp::stdio_server(command), options)
                                  : co_await mcp::client::connect(mcp::http_server(url), options);
        co_await list_and_call(server, tool, args);
      }(),
      asio::use_future);
  ioc.run();
  try {
    done.get();
  } catch (const std::exception& e) {
    std::cerr << "mcp_client: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
