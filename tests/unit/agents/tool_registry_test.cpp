#include <chatkit/agents/tool_registry.hpp>

#include <chatkit/agents/error.hpp>

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

using namespace chatkit::agents;
namespace json = boost::json;

namespace {

function_tool tool_named(std::string name, const char* schema = R"({"type":"object","properties":{}})") {
  function_tool t;
  t.name = std::move(name);
  t.description = "test tool";
  t.parameters = json::parse(schema).as_object();
  t.strict = false;
  t.invoke = [](tool_context&, json::object) -> boost::asio::awaitable<tool_output> { co_return "ok"; };
  return t;
}

}  // namespace

TEST_CASE("tool_registry: names are unique and lookups find what was added", "[tool_registry]") {
  tool_registry r;
  r.add(tool_named("a"));
  r.add(tool_named("b"));
  CHECK(r.size() == 2);
  REQUIRE(r.find("b") != nullptr);
  CHECK(r.find("b")->name == "b");
  CHECK(r.find("c") == nullptr);
  CHECK_THROWS_AS(r.add(tool_named("a")), user_error);
  CHECK(r.names() == std::vector<std::string_view>{"a", "b"});
  CHECK(r.remove("a"));
  CHECK_FALSE(r.remove("a"));
  CHECK(r.names() == std::vector<std::string_view>{"b"});
}

TEST_CASE("tool_registry: add_all is all or nothing; invalid tools are refused", "[tool_registry]") {
  tool_registry r;
  r.add(tool_named("a"));
  const auto before = r.version();
  CHECK_THROWS_AS(r.add_all({tool_named("x"), tool_named("a")}), user_error);
  CHECK(r.size() == 1);
  CHECK(r.version() == before);
  CHECK_THROWS_AS(r.add(tool_named("bad name")), user_error);
  CHECK(r.add_or_replace(tool_named("a")));
  CHECK_FALSE(r.add_or_replace(tool_named("z")));
  CHECK(r.version() > before);
}

TEST_CASE("tool_registry: bind wraps only the tools that have the bound parameter", "[tool_registry]") {
  tool_registry r;
  r.add(tool_named("mine", R"({"type":"object","properties":{"user_id":{"type":"string"},"q":{"type":"string"}},
                              "required":["user_id","q"]})"));
  r.add(tool_named("public", R"({"type":"object","properties":{"q":{"type":"string"}}})"));
  const tool_registry bound = r.bind({bind_user_id()});
  REQUIRE(bound.size() == 2);
  const function_tool* mine = bound.find("mine");
  REQUIRE(mine != nullptr);
  CHECK_FALSE(mine->parameters.at("properties").as_object().contains("user_id"));
  CHECK(mine->bound_parameters == std::vector<std::string>{"user_id"});
  CHECK(bound.find("public")->bound_parameters.empty());
  // The original registry is unchanged.
  CHECK(r.find("mine")->parameters.at("properties").as_object().contains("user_id"));
}
