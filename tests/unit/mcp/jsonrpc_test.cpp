#include <chatkit/mcp/jsonrpc.hpp>
#include <chatkit/mcp/protocol_version.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace chatkit::mcp;

namespace {

rpc_message parsed(std::string_view text) {
  auto r = parse_message(text);
  if (auto* f = std::get_if<parse_failure>(&r)) FAIL("unexpected failure: " << f->error.message);
  return std::get<rpc_message>(r);
}

parse_failure failed(std::string_view text, const parse_limits& limits = {}) {
  auto r = parse_message(text, limits);
  REQUIRE(std::holds_alternative<parse_failure>(r));
  return std::get<parse_failure>(r);
}

}  // namespace

TEST_CASE("jsonrpc: the four message kinds parse and serialise back", "[mcp][jsonrpc]") {
  auto req = parsed(R"({"jsonrpc":"2.0","id":0,"method":"tools/list","params":{"cursor":"c"},"extra":1})");
  REQUIRE(std::holds_alternative<rpc_request>(req));
  CHECK(std::get<rpc_request>(req).id == request_id{std::int64_t{0}});  // 0 is an ordinary id
  CHECK(serialize(req) == R"({"jsonrpc":"2.0","id":0,"method":"tools/list","params":{"cursor":"c"}})");

  auto note = parsed(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  REQUIRE(std::holds_alternative<rpc_notification>(note));
  CHECK(method_of(note) == "notifications/initialized");
  CHECK(serialize(note) == R"({"jsonrpc":"2.0","method":"notifications/initialized"})");

  auto res = parsed(R"({"jsonrpc":"2.0","id":"a-1","result":{"tools":[]}})");
  REQUIRE(std::holds_alternative<rpc_response>(res));
  CHECK(to_string(std::get<rpc_response>(res).id) == "\"a-1\"");

  auto err = parsed(R"({"jsonrpc":"2.0","id":null,"error":{"code":-32601,"message":"nope","data":{"x":1}}})");
  REQUIRE(std::holds_alternative<rpc_error_response>(err));
  const auto& e = std::get<rpc_error_response>(err);
  CHECK_FALSE(e.id.has_value());
  CHECK(e.error.code == rpc_code::method_not_found);
  CHECK(serialize(err) ==
        R"({"jsonrpc":"2.0","id":null,"error":{"code":-32601,"message":"nope","data":{"x":1}}})");
}

TEST_CASE("jsonrpc: bad input is classified with the id kept when usable", "[mcp][jsonrpc]") {
  CHECK(failed("{not json").error.code == rpc_code::parse_error);
  CHECK(failed(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])").error.code == rpc_code::invalid_request);
  CHECK(failed(R"("text")").error.code == rpc_code::invalid_request);
  auto wrong_version = failed(R"({"jsonrpc":"1.0","id":7,"method":"ping"})");
  CHECK(wrong_version.error.code == rpc_code::invalid_request);
  CHECK(wrong_version.id == std::optional<request_id>{std::int64_t{7}});
  CHECK(failed(R"({"jsonrpc":"2.0","id":1.5,"method":"ping"})").error.code == rpc_code::invalid_request);
  CHECK(failed(R"({"jsonrpc":"2.0","id":null,"method":"ping"})").error.code == rpc_code::invalid_request);
  CHECK(failed(R"({"jsonrpc":"2.0","id":1,"method":"x","params":[1]})").id.has_value());
  CHECK(failed(R"({"jsonrpc":"2.0","id":1})").error.code == rpc_code::invalid_request);
  CHECK(failed(R"({"jsonrpc":"2.0","id":1,"result":{},"error":{"code":1,"message":"m"}})").error.code ==
        rpc_code::invalid_request);
  CHECK(failed(R"({"jsonrpc":"2.0","id":1,"error":{"code":"x","message":"m"}})").error.code ==
        rpc_code::invalid_request);
  CHECK(failed(R"({"jsonrpc":"2.0","id":1,"method":"ping"})", {.max_bytes = 10}).error.code ==
        rpc_code::invalid_request);
  CHECK(failed(std::string(100, '[') + std::string(100, ']'), {.max_depth = 64}).error.code ==
        rpc_code::parse_error);
}

TEST_CASE("jsonrpc: serialised messages never contain a raw newline", "[mcp][jsonrpc]") {
  rpc_request r{request_id{std::string("x")}, "tools/call", boost::json::object{{"text", "a\nb\r\nc"}}};
  const std::string line = serialize(r);
  CHECK(line.find('\n') == std::string::npos);
  CHECK(line.find('\r') == std::string::npos);
}

TEST_CASE("protocol revisions: negotiation and eras", "[mcp][revision]") {
  CHECK(negotiate_legacy_revision("2025-06-18") == "2025-06-18");
  CHECK(negotiate_legacy_revision("1999-01-01") == latest_legacy_revision);
  CHECK(negotiate_legacy_revision("2026-07-28") == latest_legacy_revision);
  CHECK(era_of("2026-07-28") == era::modern);
  CHECK(era_of("2025-03-26") == era::legacy);
  CHECK_FALSE(era_of("2024-11-05").has_value());
}
