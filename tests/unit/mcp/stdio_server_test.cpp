// serve_stdio over real pipes: one line per message, the lifecycle, an oversized line answered without losing
// the connection, blank lines and CRLF, return at end of input once running calls have answered.
#include <chatkit/agents/context_binding.hpp>
#include <chatkit/agents/tool.hpp>
#include <chatkit/agents/tool_registry.hpp>
#include <chatkit/mcp/stdio_server.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <catch2/catch.hpp>

#include <map>
#include <sstream>
#include <string>
#include <thread>

#include <unistd.h>

namespace asio = boost::asio;
namespace json = boost::json;
namespace agents = chatkit::agents;
namespace mcp = chatkit::mcp;

namespace {

agents::tool_registry tools() {
  agents::tool_registry r;
  r.add(
      agents::make_tool("whoami", "Who calls",
                        json::object{{"type", "object"},
                                     {"properties", {{"user_id", {{"type", "string"}}}}},
                                     {"required", json::array{"user_id"}},
                                     {"additionalProperties", false}},
                        [](agents::tool_context&, json::object args) -> asio::awaitable<agents::tool_output> {
                          co_return agents::tool_output(std::string(args.at("user_id").as_string()));
                        }));
  r.add(agents::make_tool("wait", "Answers after a short pause", json::object{{"type", "object"}},
                          [](agents::tool_context&, json::object) -> asio::awaitable<agents::tool_output> {
                            asio::steady_timer t(co_await asio::this_coro::executor,
                                                 std::chrono::milliseconds(50));
                            co_await t.async_wait(asio::use_awaitable);
                            co_return agents::tool_output("done");
                          }));
  return r.bind({agents::bind_user_id()});
}

// Feeds `input` to serve_stdio through a pipe, closes it, and returns what the server wrote and its result.
std::pair<std::string, int> serve(const std::string& input, std::size_t max_line = 1024) {
  int in[2], out[2];
  REQUIRE(::pipe(in) == 0);
  REQUIRE(::pipe(out) == 0);
  mcp::tool_server server(tools());
  int rc = -1;
  std::thread t([&] {
    rc = mcp::serve_stdio(server, {"carol", {}, {}},
                          {.input_fd = in[0], .output_fd = out[1], .max_line_bytes = max_line});
  });
  std::string written;
  std::thread reader([&] {
    char buf[4096];
    for (;;) {
      const ssize_t n = ::read(out[0], buf, sizeof buf);
      if (n <= 0) break;
      written.append(buf, static_cast<std::size_t>(n));
    }
  });
  REQUIRE(::write(in[1], input.data(), input.size()) == static_cast<ssize_t>(input.size()));
  ::close(in[1]);
  t.join();
  ::close(out[1]);
  reader.join();
  ::close(in[0]);
  ::close(out[0]);
  return {written, rc};
}

std::vector<json::value> lines(const std::string& text) {
  std::vector<json::value> out;
  std::istringstream s(text);
  for (std::string line; std::getline(s, line);) out.push_back(json::parse(line));
  return out;
}

}  // namespace

TEST_CASE("serve_stdio: a legacy session over pipes, then end of input", "[mcp][stdio]") {
  const std::string input =
      R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25"}})"
      "\n"
      R"({"jsonrpc":"2.0","method":"notifications/initialized"})"
      "\r\n\n   \n" +
      std::string(2000, 'x') + "\n" +
      R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"wait"}})"
      "\n"
      R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"whoami"}})"
      "\n"
      "{not json\n"
      R"({"jsonrpc":"2.0","id":3,"method":"ping"})";  // no final newline: still a message
  auto [written, rc] = serve(input);
  CHECK(rc == 0);
  auto replies = lines(written);
  REQUIRE(replies.size() == 6);  // initialize, oversized, wait, whoami, parse error, ping
  std::map<std::string, json::value> by_id;
  int null_ids = 0;
  for (const auto& r : replies) {
    if (r.at("id").is_null()) {
      ++null_ids;
      const auto code = r.at("error").at("code").as_int64();
      CHECK((code == -32600 || code == -32700));
    } else {
      by_id[json::serialize(r.at("id"))] = r;
    }
  }
  CHECK(null_ids == 2);
  CHECK(by_id.at("0").at("result").at("protocolVersion") == "2025-11-25");
  CHECK(by_id.at("1").at("result").at("content").at(0).at("text") == "done");  // answered before exiting
  CHECK(by_id.at("2").at("result").at("content").at(0).at("text") == "carol");
  CHECK(by_id.at("3").at("result") == json::object{});
}

TEST_CASE("serve_stdio: requests before initialize are refused", "[mcp][stdio]") {
  auto [written, rc] = serve(R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})"
                             "\n");
  CHECK(rc == 0);
  auto replies = lines(written);
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].at("error").at("code") == -32600);
  CHECK(replies[0].at("error").at("message") == "not initialized");
}
