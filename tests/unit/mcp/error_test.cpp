#include <chatkit/mcp/error.hpp>

#include <catch2/catch.hpp>

using namespace chatkit::mcp;

TEST_CASE("mcp errors: codes, categories and the peer's error kept", "[mcp][error]") {
  boost::system::error_code ec = errc::timeout;
  CHECK(ec.category().name() == std::string("chatkit.mcp"));
  CHECK(ec.message() == "the request timed out");
  remote_error e(-32602, "Unknown tool: nope", boost::json::value{{"name", "nope"}});
  CHECK(e.code() == errc::remote_error);
  CHECK(e.rpc_code() == -32602);
  CHECK(std::string(e.what()) == "MCP error -32602: Unknown tool: nope");
  REQUIRE(e.data().has_value());
  CHECK(e.data()->at("name") == "nope");
}
