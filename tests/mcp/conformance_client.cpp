// The client the official MCP conformance runner drives (docs/mcp.md#client-conformance):
//   mcp_conformance_client <server-url>          (the runner appends the URL; MCP_CONFORMANCE_SCENARIO names the scenario)
// It connects over Streamable HTTP, lists the tools and calls them (add_numbers with 5 and 3, any other tool with
// no arguments), then closes. Exit status 0 when every step worked.
#include <chatkit/mcp/client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/serialize.hpp>

#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace asio = boost::asio;
namespace json = boost::json;
using namespace chatkit;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: mcp_conformance_client <server-url>\n";
    return 2;
  }
  const std::string url = argv[argc - 1];
  const char* scenario = std::getenv("MCP_CONFORMANCE_SCENARIO");
  std::cerr << "scenario " << (scenario ? scenario : "(none)") << " against " << url << "\n";
  asio::io_context ioc;
  auto done = asio::co_spawn(
      ioc,
      // Captureless: the coroutine outlives this full expression (and the lambda object with it), so what it
      // needs travels as parameters, which live in the coroutine frame.
      [](std::string url) -> asio::awaitable<void> {
        mcp::client_options o;
        o.client_name = "chatkit-cpp-conformance";
        o.request_timeout = std::chrono::seconds(20);
        o.on_log = [](mcp::log_source, std::string_view line) { std::cerr << "log: " << line << "\n"; };
        auto c = co_await mcp::client::connect(mcp::http_server(url), o);
        std::cerr << "era " << (c->era() == mcp::era::modern ? "modern" : "legacy") << " " << c->protocol_version()
                  << "\n";
        if (c->server_capabilities().contains("tools")) {
          for (const auto& t : co_await c->list_tools()) {
            json::object args;
            if (t.name == "add_numbers") args = {{"a", 5}, {"b", 3}};
            auto r = co_await c->call_tool(t.name, args);
            std::cout << t.name << " -> " << json::serialize(r.raw) << "\n";
          }
        }
        co_await c->close();
      }(url),
      asio::use_future);
  ioc.run();
  try {
    done.get();
  } catch (const std::exception& e) {
    std::cerr << "failed: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
