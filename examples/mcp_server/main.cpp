// mcp_server — a few tools served over MCP (docs/mcp.md#server).
//
//   mcp_server [--user NAME]                       # stdio: the client spawns it
//   mcp_server --http [--port N] [--user NAME]     # Streamable HTTP on 127.0.0.1:N/mcp
//
// The caller is NAME (default "local-user"): over stdio the identity comes from the process's configuration,
// over HTTP this example trusts every loopback client as NAME (a real server passes jwt_bearer_auth, see
// docs/mcp.md#authentication-and-binding). In HTTP mode it prints "MCP_SERVER_LISTENING 127.0.0.1:PORT" on
// stdout once it accepts connections, and stops on SIGINT/SIGTERM.
#include "example_tools.hpp"
#include "serve_flags.hpp"

#include <chatkit/http/server.hpp>
#include <chatkit/mcp/stdio_server.hpp>
#include <chatkit/mcp/streamable_http.hpp>
#include <chatkit/mcp/tool_server.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

namespace {

// /chatkit of this server has nothing to serve.
struct no_chatkit : chatkit::server::request_processor {
  boost::asio::awaitable<chatkit::server::process_result> process(std::string,
                                                                  chatkit::request_context) override {
    throw chatkit::error(chatkit::errc::not_found, "this server only speaks MCP at /mcp");
    co_return chatkit::server::json_response{};
  }
};

int usage() {
  std::fprintf(stderr, "usage: mcp_server [--http] [--port N] [--user NAME]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  bool http = false;
  unsigned port = 0;
  std::string user = "local-user";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--http") {
      http = true;
    } else if (arg == "--port" && i + 1 < argc) {
      port = static_cast<unsigned>(std::strtoul(argv[++i], nullptr, 10));
    } else if (arg == "--user" && i + 1 < argc) {
      user = argv[++i];
    } else {
      return usage();
    }
  }

  // [tool_server]
  chatkit::mcp::tool_server_options options;
  options.info = {"chatkit-mcp-example", "1.0.0", "chatkit-cpp MCP example", "Tools for trying MCP clients."};
  // example_tools() returns the registry bound with {agents::bind_user_id()}: whoami's user_id is the
  // caller's.
  auto tools = std::make_shared<chatkit::mcp::tool_server>(mcp_example::example_tools(), options);
  // [tool_server]

  if (!http) {
    // [stdio]
    // Over stdio the identity is the process's configuration, never something the client sends.
    chatkit::request_context caller{user, {}, {}};
    std::fprintf(stderr, "mcp_server: serving on stdio for %s\n", user.c_str());  // stdout carries only MCP
    return chatkit::mcp::serve_stdio(*tools, caller);                             // returns at end of input
    // [stdio]
  }

  chatkit::examples::stop_signals signals;
  // [http]
  chatkit::http::server_options so;
  so.port = static_cast<std::uint16_t>(port);  // so.address is 127.0.0.1 by default
  // The example trusts every loopback client as `user`; a real server passes jwt_bearer_auth(verifier).
  so.endpoint.authenticate = [user](const chatkit::http::request&) {
    return chatkit::request_context{user, {}, {}};
  };
  so.endpoint.access_log = [](const chatkit::http::access_log_entry&) {};
  chatkit::http::server server(std::make_shared<no_chatkit>(), so);
  // POST /mcp, authenticated like /chatkit; Origin and Host checked (loopback names by default).
  chatkit::mcp::mount(server, tools, {.path = "/mcp"});
  server.start();
  // [http]
  std::printf("MCP_SERVER_LISTENING 127.0.0.1:%u\n", static_cast<unsigned>(server.port()));
  std::fflush(stdout);
  signals.wait();
  server.stop(std::chrono::seconds(2));
  return 0;
}
