// Context binding (docs/tools.md#isolation-who-a-tool-acts-for): bound parameters are invisible to the model,
// refused or overwritten when the model sends them anyway (and reported), computed from the caller of each
// call, and a failing binder yields exactly "not authorized". Also the parameter builder, which binds through
// the same bind_context.
#include <catch2/catch.hpp>

#include <chatkit/agents/context_binding.hpp>
#include <chatkit/agents/tool_builder.hpp>
#include <chatkit/agents/typed_tool.hpp>

#include "tools_support.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/describe.hpp>
#include <boost/json.hpp>

#include "support/log_capture.hpp"

namespace {

namespace agents = chatkit::agents;
namespace json = boost::json;
namespace net = boost::asio;
using namespace tools_test;

chatkit::request_context user(std::string id) {
  chatkit::request_context c;
  c.user_id = std::move(id);
  return c;
}

// The get_orders example of docs/tools.md, echoing what the handler received.
agents::function_tool make_get_orders(int* calls = nullptr) {
  return agents::tool_builder("get_orders", "List the signed-in user's orders.")
      .param<std::string>("status", "Order status filter", agents::enum_of({"open", "shipped"}))
      .param<std::optional<int>>("limit", "Max results")
      .bind_user_id()
      .handler(
          [calls](const agents::tool_args& a, agents::tool_context&) -> net::awaitable<agents::tool_output> {
            if (calls != nullptr) ++*calls;
            const auto limit = a.get<std::optional<int>>("limit");
            co_return a.get<std::string>("user_id") + ":" + a.get<std::string>("status") + ":" +
                (limit ? std::to_string(*limit) : "all");
          });
}

struct recorded_violation {
  std::string tool;
  std::string parameter;
  bool overwritten;
  std::string user;
  bool operator==(const recorded_violation&) const = default;
};

void record_into(agents::run_context& run, std::vector<recorded_violation>& out) {
  run.on_binding_violation = [&out](const agents::binding_violation& v) {
    out.push_back({std::string(v.tool), std::string(v.parameter), v.overwritten, v.caller.user_id});
  };
}

struct order_query {
  std::string user_id;
  std::string status;
  std::optional<std::int64_t> tenant;
};
BOOST_DESCRIBE_STRUCT(order_query, (), (user_id, status, tenant))

}  // namespace

TEST_CASE("binding: the model-visible schema has no bound parameter", "[agents][binding]") {
  const auto tool = make_get_orders();
  CHECK(tool.parameters == json::parse(R"({"type":"object","additionalProperties":false,
      "properties":{"status":{"type":"string","enum":["open","shipped"],"description":"Order status filter"},
                    "limit":{"type":["integer","null"],"description":"Max results"}},
      "required":["status","limit"]})"));
  CHECK(json::serialize(tool.parameters).find("user_id") == std::string::npos);
  CHECK(json::serialize(tool.to_responses_tool()).find("user_id") == std::string::npos);
  CHECK(tool.bound_parameters == std::vector<std::string>{"user_id"});
  CHECK(tool.strict);
  CHECK(tool.name == "get_orders");
}

TEST_CASE("binding: the bound value comes from the caller of this call", "[agents][binding]") {
  const auto tool = make_get_orders();
  const auto alice = user("alice");
  const auto bob = user("bob");
  agents::run_context run_a(alice);
  agents::run_context run_b(bob);
  const std::string args = R"({"status":"open","limit":2})";
  CHECK(output_text(call_tool(tool, run_a, args)) == "alice:open:2");
  CHECK(output_text(call_tool(tool, run_b, args)) == "bob:open:2");
  CHECK(output_text(call_tool(tool, run_a, R"({"status":"shipped","limit":null})")) == "alice:shipped:all");
  CHECK(output_text(call_tool(tool, run_b, args)) == "bob:open:2");
}

TEST_CASE("binding: a model-supplied bound parameter is refused and reported", "[agents][binding]") {
  int calls = 0;
  const auto tool = make_get_orders(&calls);
  const auto alice = user("alice");
  agents::run_context run(alice);
  std::vector<recorded_violation> seen;
  record_into(run, seen);

  const auto r = call_tool(tool, run, R"({"status":"open","limit":null,"user_id":"bob"})");
  CHECK(r.error_of<agents::tool_argument_error>() ==
        R"(parameter "user_id" is set by the server and cannot be supplied)");
  CHECK(calls == 0);
  CHECK(seen == std::vector<recorded_violation>{{"get_orders", "user_id", false, "alice"}});

  // a normal call afterwards is unaffected
  CHECK(output_text(call_tool(tool, run, R"({"status":"open","limit":null})")) == "alice:open:all");
  CHECK(seen.size() == 1);
}

TEST_CASE("binding: the default logger is a warning through the SDK's log sink", "[agents][binding][log]") {
  chatkit::testing::log_capture cap;
  const auto tool = make_get_orders();
  const auto alice = user("alice");
  agents::run_context run(alice);
  const auto r = call_tool(tool, run, R"({"status":"open","limit":null,"user_id":"mallory"})");
  CHECK(r.error_is_argument_error());
  REQUIRE(cap.count("agents", "binding violation") == 1);
  const auto rec = *cap.find("agents", "binding violation");
  CHECK(rec.severity == chatkit::log::level::warn);
  CHECK(rec.field("tool") == "get_orders");
  CHECK(rec.field("parameter") == "user_id");
  CHECK(rec.field("action") == "refused");
  CHECK(rec.field("user_id") == "alice");
}

TEST_CASE("binding: the overwrite policy drops the model's value and reports it", "[agents][binding]") {
  auto inner = agents::typed_tool<order_query>("orders", "Orders.", [](order_query q) {
    return q.user_id + ":" + q.status + ":" + (q.tenant ? std::to_string(*q.tenant) : "-");
  });
  auto tool = agents::bind_context(inner, {agents::bind_user_id()}, agents::bound_argument_policy::overwrite);
  CHECK(tool.parameters == json::parse(R"({"type":"object","properties":{"status":{"type":"string"},
      "tenant":{"type":["integer","null"]}},"required":["status","tenant"],"additionalProperties":false})"));

  const auto alice = user("alice");
  agents::run_context run(alice);
  std::vector<recorded_violation> seen;
  record_into(run, seen);
  CHECK(output_text(call_tool(tool, run, R"({"user_id":"bob","status":"open","tenant":7})")) ==
        "alice:open:7");
  CHECK(seen == std::vector<recorded_violation>{{"orders", "user_id", true, "alice"}});
  CHECK(output_text(call_tool(tool, run, R"({"status":"open","tenant":null})")) == "alice:open:-");
  CHECK(seen.size() == 1);
}

TEST_CASE("binding: binder failures are exactly \"not authorized\"", "[agents][binding]") {
  int calls = 0;
  const auto tool = make_get_orders(&calls);
  const auto anonymous = user("");
  agents::run_context run(anonymous);
  const auto r = call_tool(tool, run, R"({"status":"open","limit":null})");
  CHECK_FALSE(r.error_is_argument_error());  // a tool failure, not the model's mistake
  CHECK(r.error_of<std::runtime_error>() == "not authorized");
  CHECK(calls == 0);

  // a binder whose exception names the caller: nothing of it reaches the model
  auto inner = agents::typed_tool<order_query>("orders", "", [](order_query) { return std::string("x"); });
  auto leaky = agents::bind_context(
      inner, {{"user_id", [](const agents::run_context& c) -> json::value {
                 throw std::runtime_error("user " + c.caller().user_id + " is suspended");
               }}});
  const auto alice = user("alice");
  agents::run_context run_a(alice);
  CHECK(call_tool(leaky, run_a, R"({"status":"open","tenant":null})").error_of<std::runtime_error>() ==
        "not authorized");
}

TEST_CASE("binding: claims and typed binders", "[agents][binding]") {
  auto inner = agents::typed_tool<order_query>("orders", "", [](order_query q) {
    return q.user_id + "@" + (q.tenant ? std::to_string(*q.tenant) : "-");
  });
  auto tool = agents::bind_context(inner, {agents::bind_user_id(), agents::bind_claim("tenant", "tid")});
  CHECK(tool.bound_parameters == std::vector<std::string>{"user_id", "tenant"});
  CHECK(tool.parameters.at("required") == json::array{"status"});

  auto with_claim = user("carol");
  with_claim.claims["tid"] = 42;
  agents::run_context run(with_claim);
  CHECK(output_text(call_tool(tool, run, R"({"status":"open"})")) == "carol@42");

  const auto no_claim = user("dave");
  agents::run_context run_d(no_claim);
  CHECK(call_tool(tool, run_d, R"({"status":"open"})").error_of<std::runtime_error>() == "not authorized");

  // a bound value that violates the inner schema is a server bug, caught by the inner validation
  auto wrong_claim = user("erin");
  wrong_claim.claims["tid"] = "not-a-number";
  agents::run_context run_e(wrong_claim);
  CHECK(call_tool(tool, run_e, R"({"status":"open"})").error_of<agents::tool_argument_error>() ==
        "$.tenant: expected integer or null, got string");
}

TEST_CASE("binding: values are computed on every call, never cached", "[agents][binding]") {
  int computed = 0;
  auto tool = agents::tool_builder("count", "")
                  .bind<std::int64_t>("n", [&computed](const agents::run_context&) { return ++computed; })
                  .handler([](const agents::tool_args& a) { return std::to_string(a.get<int>("n")); });
  CHECK(tool.parameters ==
        json::parse(R"({"type":"object","properties":{},"required":[],"additionalProperties":false})"));
  const auto alice = user("alice");
  agents::run_context run(alice);
  CHECK(output_text(call_tool(tool, run, "{}")) == "1");
  CHECK(output_text(call_tool(tool, run, "{}")) == "2");
  CHECK(computed == 2);
}

TEST_CASE("binding: wrapping a hand-written (MCP-style) schema", "[agents][binding]") {
  agents::function_tool raw;
  raw.name = "search";
  raw.description = "Search documents.";
  raw.strict = false;
  raw.parameters =
      json::parse(R"({"type":"object","properties":{"q":{"type":"string"},"account":{"type":"string"}},
                                   "required":["account","q"]})")
          .as_object();
  raw.invoke = [](agents::tool_context&, json::object args) -> net::awaitable<agents::tool_output> {
    co_return json::serialize(args);
  };
  raw.timeout = std::chrono::milliseconds(1500);
  auto tool = agents::bind_context(raw, {agents::bind_user_id("account")});
  CHECK(tool.parameters ==
        json::parse(R"({"type":"object","properties":{"q":{"type":"string"}},"required":["q"]})"));
  CHECK_FALSE(tool.strict);
  CHECK(tool.timeout == std::chrono::milliseconds(1500));
  CHECK(tool.description == "Search documents.");
  const auto alice = user("alice");
  agents::run_context run(alice);
  CHECK(output_text(call_tool(tool, run, R"({"q":"x"})")) == R"({"q":"x","account":"alice"})");
  // wrapping again keeps the earlier bound names
  auto inner2 = raw;
  inner2.parameters.at("properties").as_object()["tenant"] = json::object{{"type", "string"}};
  auto twice = agents::bind_context(agents::bind_context(inner2, {agents::bind_user_id("account")}),
                                    {agents::bind_claim("tenant", "tid")});
  CHECK(twice.bound_parameters == std::vector<std::string>{"account", "tenant"});
}

TEST_CASE("binding: registration errors", "[agents][binding]") {
  auto inner = agents::typed_tool<order_query>("orders", "", [](order_query) { return std::string(); });
  CHECK_THROWS_MATCHES(
      agents::bind_context(inner, {agents::bind_user_id("uid")}), agents::user_error,
      Catch::Message("bind_context(orders): \"uid\" is not a parameter of the tool's schema"));
  CHECK_THROWS_MATCHES(agents::bind_context(inner, {agents::bind_user_id(), agents::bind_user_id()}),
                       agents::user_error,
                       Catch::Message("bind_context(orders): parameter \"user_id\" is bound twice"));
  CHECK_THROWS_MATCHES(agents::bind_context(inner, {{"user_id", nullptr}}), agents::user_error,
                       Catch::Message("bind_context(orders): bound parameter \"user_id\" has no binder"));
  CHECK_THROWS_AS(agents::bind_context(inner, {}), agents::user_error);

  agents::function_tool nested = inner;
  nested.parameters = json::parse(R"({"type":"object","properties":{"user_id":{"type":"string"},
      "filter":{"type":"object","properties":{"user_id":{"type":"string"}}}}})")
                          .as_object();
  CHECK_THROWS_MATCHES(
      agents::bind_context(nested, {agents::bind_user_id()}), agents::user_error,
      Catch::Message("bind_context(orders): the schema still has a property named \"user_id\" at "
                     "$.properties.filter.properties.user_id; the model could supply it"));
}

TEST_CASE("tool_builder: registration errors", "[agents][builder]") {
  CHECK_THROWS_MATCHES(agents::tool_builder("get orders", ""), agents::user_error,
                       Catch::Message("invalid tool name \"get orders\": it must match [A-Za-z0-9_-]{1,64}"));
  CHECK_THROWS_MATCHES(agents::tool_builder("t", "").param<int>("a", "").param<std::string>("a", ""),
                       agents::user_error, Catch::Message("tool \"t\": duplicate parameter \"a\""));
  CHECK_THROWS_MATCHES(
      agents::tool_builder("t", "").param<std::string>("user_id", "").bind_user_id(), agents::user_error,
      Catch::Message("tool \"t\": bound parameter \"user_id\" collides with a model parameter"));
  CHECK_THROWS_MATCHES(
      agents::tool_builder("t", "").bind_user_id().param<std::string>("user_id", ""), agents::user_error,
      Catch::Message("tool \"t\": parameter \"user_id\" is already bound to the run context"));
  CHECK_THROWS_MATCHES(agents::tool_builder("t", "").bind("tenant", nullptr), agents::user_error,
                       Catch::Message("tool \"t\": bound parameter \"tenant\" has no binder"));
  CHECK_THROWS_MATCHES(agents::tool_builder("t", "").bind_user_id().bind_user_id(), agents::user_error,
                       Catch::Message("tool \"t\": parameter \"user_id\" is bound twice"));
  CHECK_THROWS_AS(agents::tool_builder("t", "").param<int>("", ""), agents::user_error);
  CHECK_THROWS_AS(agents::tool_builder("t", "").param<int>("n", "", agents::enum_of({"a"})),
                  agents::user_error);
}

TEST_CASE("tool_builder: options, validation and tool_args", "[agents][builder]") {
  auto tool =
      agents::tool_builder("page", "Fetch a page.")
          .param<std::optional<std::string>>("sort", "", agents::enum_of({"asc", "desc"}))
          .param<int>("size", "Page size", agents::schema_keywords({{"minimum", 1}, {"maximum", 100}}))
          .param<std::vector<std::string>>("fields", "")
          .handler([](const agents::tool_args& a) {
            return json::object{
                {"sort", json::value_from(a.get<std::optional<std::string>>("sort").value_or("-"))},
                {"size", a.get<std::int64_t>("size")},
                {"fields", a.get<std::vector<std::string>>("fields").size()},
                {"raw", a.get<json::value>("fields")}};
          });
  CHECK(tool.parameters.at("properties") == json::parse(R"({
      "sort":{"type":["string","null"],"enum":["asc","desc",null]},
      "size":{"type":"integer","minimum":1,"maximum":100,"description":"Page size"},
      "fields":{"type":"array","items":{"type":"string"}}})"));
  CHECK(tool.bound_parameters.empty());
  const auto alice = user("alice");
  agents::run_context run(alice);
  CHECK(output_text(call_tool(tool, run, R"({"sort":null,"size":10,"fields":["a"]})")) ==
        R"({"sort":"-","size":10,"fields":1,"raw":["a"]})");
  CHECK(call_tool(tool, run, R"({"sort":"up","size":10,"fields":[]})")
            .error_of<agents::tool_argument_error>() == R"($.sort: expected one of "asc", "desc", null)");
  CHECK(call_tool(tool, run, R"({"sort":"asc","size":0,"fields":[]})")
            .error_of<agents::tool_argument_error>() == "$.size: must be >= 1");

  agents::tool_args args(json::parse(R"({"big":3000000000,"s":"x"})").as_object());
  CHECK_THROWS_MATCHES(args.get<int>("big"), agents::tool_argument_error,
                       Catch::Message("$.big: 3000000000 is out of range [-2147483648, 2147483647]"));
  CHECK_THROWS_MATCHES(args.get<int>("missing"), agents::tool_argument_error,
                       Catch::Message("$: missing required property \"missing\""));
  CHECK(args.get<std::optional<int>>("missing") == std::nullopt);
  CHECK(args.get<std::string>("s") == "x");
  CHECK(args.contains("s"));
}
