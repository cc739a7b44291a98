// json_schema.hpp: schema generation from described types, strict normalisation, the validator's exact
// messages, decoding (with overflow checks) and encoding.
#include <catch2/catch.hpp>

#include <chatkit/agents/json_schema.hpp>

#include "tools_support.hpp"

#include <boost/describe.hpp>
#include <boost/json.hpp>

#include <cstdint>
#include <limits>

namespace {

namespace agents = chatkit::agents;
namespace json = boost::json;
using namespace tools_test;

struct doc_for_missing_field {
  int count = 0;
  static constexpr agents::field_doc field_docs[] = {{"cuont", "typo"}};
};
BOOST_DESCRIBE_STRUCT(doc_for_missing_field, (), (count))

struct doc_twice {
  int count = 0;
  static constexpr agents::field_doc field_docs[] = {{"count", "a"}, {"count", "b"}};
};
BOOST_DESCRIBE_STRUCT(doc_twice, (), (count))

struct base_args {
  std::string id;
};
BOOST_DESCRIBE_STRUCT(base_args, (), (id))
struct derived_args : base_args {
  std::uint8_t small = 0;
  float ratio = 0;
};
BOOST_DESCRIBE_STRUCT(derived_args, (base_args), (small, ratio))

json::object obj(std::string_view text) {
  return json::parse(text).as_object();
}

std::optional<std::string> violation(std::string_view value, std::string_view schema) {
  return agents::schema_violation(json::parse(value), obj(schema));
}

template <class T>
std::string decode_error(std::string_view text) {
  try {
    (void)agents::decode_arguments<T>(json::parse(text));
  } catch (const agents::tool_argument_error& e) {
    return e.what();
  }
  return "<decoded>";
}

}  // namespace

// The golden comparison of the full task_args schema lives in typed_tool_test.cpp (through typed_tool).
TEST_CASE("json_schema_for: scalars, optionals, vectors, enums", "[agents][json_schema]") {
  CHECK(agents::json_schema_for<std::string>() == obj(R"({"type":"string"})"));
  CHECK(agents::json_schema_for<bool>() == obj(R"({"type":"boolean"})"));
  CHECK(agents::json_schema_for<std::int64_t>() == obj(R"({"type":"integer"})"));
  CHECK(agents::json_schema_for<unsigned short>() == obj(R"({"type":"integer"})"));
  CHECK(agents::json_schema_for<float>() == obj(R"({"type":"number"})"));
  CHECK(agents::json_schema_for<std::optional<double>>() == obj(R"({"type":["number","null"]})"));
  CHECK(agents::json_schema_for<std::vector<std::optional<int>>>() ==
        obj(R"({"type":"array","items":{"type":["integer","null"]}})"));
  CHECK(agents::json_schema_for<std::optional<std::vector<int>>>() ==
        obj(R"({"anyOf":[{"type":"array","items":{"type":"integer"}},{"type":"null"}]})"));
  CHECK(agents::json_schema_for<task_status>() ==
        obj(R"({"type":"string","enum":["open","in_progress","done"]})"));
}

TEST_CASE("json_schema_for: inherited members come first, in declaration order", "[agents][json_schema]") {
  const json::object s = agents::json_schema_for<derived_args>();
  CHECK(s == obj(R"({"type":"object","properties":{"id":{"type":"string"},"small":{"type":"integer"},
                     "ratio":{"type":"number"}},"required":["id","small","ratio"],"additionalProperties":false})"));
  std::vector<std::string> keys;
  for (const auto& kv : s.at("properties").as_object()) keys.emplace_back(kv.key());
  CHECK(keys == std::vector<std::string>{"id", "small", "ratio"});
}

TEST_CASE("field_docs naming a missing field, or a field twice, is rejected at compile time",
          "[agents][json_schema]") {
  // json_schema_for<T> static_asserts this predicate; instantiating it for these types would not compile.
  STATIC_REQUIRE(agents::detail::field_docs_name_fields<task_args>());
  STATIC_REQUIRE(agents::detail::field_docs_name_fields<derived_args>());  // no field_docs at all
  STATIC_REQUIRE_FALSE(agents::detail::field_docs_name_fields<doc_for_missing_field>());
  STATIC_REQUIRE_FALSE(agents::detail::field_docs_name_fields<doc_twice>());
}

TEST_CASE("to_strict_schema normalises hand-written schemas", "[agents][json_schema]") {
  SECTION("empty schema becomes the empty object schema") {
    CHECK(agents::to_strict_schema({}) ==
          obj(R"({"type":"object","properties":{},"required":[],"additionalProperties":false})"));
  }
  SECTION("objects everywhere get additionalProperties:false and every property required") {
    const json::object in = obj(R"({
      "type":"object",
      "properties":{
        "a":{"type":"string","default":null},
        "b":{"type":"object","properties":{"x":{"type":"integer"},"y":{"type":"integer"}},"required":["x"]},
        "c":{"type":"array","items":{"type":"object","properties":{"z":{"type":"boolean"}}}},
        "d":{"anyOf":[{"$ref":"#/$defs/point"},{"type":"null"}]},
        "e":{"properties":{"k":{"type":"string"}}}
      },
      "$defs":{"point":{"type":"object","properties":{"lat":{"type":"number"}}}}
    })");
    const json::object expected = obj(R"({
      "type":"object",
      "properties":{
        "a":{"type":"string"},
        "b":{"type":"object","properties":{"x":{"type":"integer"},"y":{"type":"integer"}},"required":["x","y"],
             "additionalProperties":false},
        "c":{"type":"array","items":{"type":"object","properties":{"z":{"type":"boolean"}},"required":["z"],
             "additionalProperties":false}},
        "d":{"anyOf":[{"$ref":"#/$defs/point"},{"type":"null"}]},
        "e":{"type":"object","properties":{"k":{"type":"string"}},"required":["k"],"additionalProperties":false}
      },
      "required":["a","b","c","d","e"],
      "additionalProperties":false,
      "$defs":{"point":{"type":"object","properties":{"lat":{"type":"number"}},"required":["lat"],
               "additionalProperties":false}}
    })");
    const json::object out = agents::to_strict_schema(in);
    CHECK(out == expected);
    // required follows property order
    CHECK(out.at("required") == json::parse(R"(["a","b","c","d","e"])"));
  }
  SECTION("an object without properties gets empty ones") {
    CHECK(agents::to_strict_schema(obj(R"({"type":"object"})")) ==
          obj(R"({"type":"object","properties":{},"required":[],"additionalProperties":false})"));
  }
  SECTION("open objects are user errors") {
    CHECK_THROWS_MATCHES(
        agents::to_strict_schema(
            obj(R"({"type":"object","properties":{"m":{"type":"object","additionalProperties":true}}})")),
        agents::user_error,
        Catch::Message(
            "strict schema $.properties.m: additionalProperties must be false (an open object cannot be "
            "expressed in strict mode)"));
    CHECK_THROWS_AS(
        agents::to_strict_schema(obj(R"({"type":"object","additionalProperties":{"type":"string"}})")),
        agents::user_error);
  }
  SECTION("the root must be a plain object") {
    CHECK_THROWS_MATCHES(agents::to_strict_schema(obj(R"({"type":"string"})")), agents::user_error,
                         Catch::Message("strict schema $: the root must be a non-nullable object schema "
                                        "(\"type\": \"object\")"));
    CHECK_THROWS_AS(agents::to_strict_schema(obj(R"({"type":["object","null"],"properties":{}})")),
                    agents::user_error);
  }
  SECTION("a generated schema is already strict") {
    const json::object s = agents::json_schema_for<task_args>();
    CHECK(agents::to_strict_schema(s) == s);
  }
}

TEST_CASE("schema_violation: exact messages", "[agents][json_schema][validator]") {
  const std::string task = json::serialize(agents::json_schema_for<task_args>());
  const std::string ok_task = R"({"title":"t","status":"open","estimate_minutes":null,"tags":["a"],"due":null,
      "reminders":[],"urgent":false,"weight":1.5,"previous_status":null})";
  CHECK(violation(ok_task, task) == std::nullopt);

  SECTION("enum") {
    CHECK(violation(
              R"({"status":"closed"})",
              R"({"type":"object","properties":{"status":{"type":"string","enum":["open","shipped"]}}})") ==
          R"($.status: expected one of "open", "shipped")");
  }
  SECTION("required and additional properties") {
    CHECK(
        violation(
            R"({"x":1})",
            R"({"type":"object","properties":{"title":{"type":"string"},"x":{}},"required":["title","x"]})") ==
        R"($: missing required property "title")");
    CHECK(violation(
              R"({"title":"a","user_id":"u"})",
              R"({"type":"object","properties":{"title":{"type":"string"}},"additionalProperties":false})") ==
          R"($: unexpected property "user_id")");
    CHECK(
        violation(
            R"({"a":{"b":1,"weird key":2}})",
            R"({"type":"object","properties":{"a":{"type":"object","properties":{"b":{}},"additionalProperties":false}}})") ==
        R"($.a: unexpected property "weird key")");
    CHECK(violation(R"({"n":1,"extra":"x"})",
                    R"({"type":"object","properties":{"n":{}},"additionalProperties":{"type":"integer"}})") ==
          R"($.extra: expected integer, got string)");
    CHECK(violation(R"({"weird key":"x"})",
                    R"({"type":"object","properties":{"weird key":{"type":"integer"}}})") ==
          R"($["weird key"]: expected integer, got string)");
  }
  SECTION("types") {
    CHECK(violation(R"({"limit":"10"})",
                    R"({"type":"object","properties":{"limit":{"type":["integer","null"]}}})") ==
          "$.limit: expected integer or null, got string");
    CHECK(
        violation(R"({"tags":["a","b",3]})",
                  R"({"type":"object","properties":{"tags":{"type":"array","items":{"type":"string"}}}})") ==
        "$.tags[2]: expected string, got number");
    CHECK(violation("1.5", R"({"type":"integer"})") == "$: expected integer, got number");
    CHECK(violation("2.0", R"({"type":"integer"})") == std::nullopt);  // integral doubles are integers
    CHECK(violation("18446744073709551615", R"({"type":"integer"})") == std::nullopt);
    CHECK(violation("true", R"({"type":"number"})") == "$: expected number, got boolean");
    CHECK(violation("null", R"({"type":"object"})") == "$: expected object, got null");
    CHECK(violation("{}", R"({"type":"array"})") == "$: expected array, got object");
    CHECK(violation("[]", R"({"type":"boolean"})") == "$: expected boolean, got array");
  }
  SECTION("const and numeric enum") {
    CHECK(violation(R"("b")", R"({"const":"a"})") == R"($: expected "a")");
    CHECK(violation("3", R"({"enum":[1,2.5,"x",null]})") == R"($: expected one of 1, 2.5, "x", null)");
    CHECK(violation("1.0", R"({"enum":[1,2]})") == std::nullopt);  // 1.0 and 1 are the same number
  }
  SECTION("numeric bounds") {
    const char* s = R"({"type":"object","properties":{"n":{"type":"number","minimum":1,"maximum":10},
                       "x":{"type":"number","exclusiveMinimum":0,"exclusiveMaximum":0.5}}})";
    CHECK(violation(R"({"n":0})", s) == "$.n: must be >= 1");
    CHECK(violation(R"({"n":10.5})", s) == "$.n: must be <= 10");
    CHECK(violation(R"({"n":10,"x":0})", s) == "$.x: must be > 0");
    CHECK(violation(R"({"n":1,"x":0.5})", s) == "$.x: must be < 0.5");
    CHECK(violation(R"({"n":1,"x":0.25})", s) == std::nullopt);
  }
  SECTION("string length counts code points") {
    const char* s = R"({"type":"string","minLength":2,"maxLength":3})";
    CHECK(violation(R"("é")", s) == "$: must be at least 2 characters long");  // 2 bytes, 1 code point
    CHECK(violation(R"("ééé")", s) == std::nullopt);                           // 6 bytes, 3 code points
    CHECK(violation(R"("abcd")", s) == "$: must be at most 3 characters long");
  }
  SECTION("array sizes") {
    const char* s = R"({"type":"array","minItems":1,"maxItems":2})";
    CHECK(violation("[]", s) == "$: must have at least 1 items");
    CHECK(violation("[1,2,3]", s) == "$: must have at most 2 items");
  }
  SECTION("anyOf blames the branch of the value's type") {
    const std::string due = json::serialize(agents::json_schema_for<std::optional<due_date>>());
    CHECK(violation(R"({"year":2026,"month":"May","day":1})", due) ==
          "$.month: expected integer, got string");
    CHECK(violation(R"("tomorrow")", due) == "$: expected object or null, got string");
    CHECK(violation("null", due) == std::nullopt);
    const std::string prev = json::serialize(agents::json_schema_for<std::optional<task_status>>());
    CHECK(violation(R"("closed")", prev) == R"($: expected one of "open", "in_progress", "done")");
    CHECK(violation(R"(1)", R"({"anyOf":[{"type":"string"},{"minimum":5}]})") ==
          "$: must be >= 5");  // only the untyped branch can take a number
    CHECK(violation(R"(1)", R"({"anyOf":[{"type":"integer","minimum":3},{"type":"number","minimum":5}]})") ==
          "$: does not match any of the allowed schemas (anyOf)");
  }
  SECTION("oneOf") {
    const char* s = R"({"oneOf":[{"type":"integer"},{"type":"number"}]})";
    CHECK(violation("1.5", s) == std::nullopt);
    CHECK(violation("1", s) == "$: matches more than one of the schemas in oneOf");
    CHECK(violation(R"("x")", s) == "$: expected integer or number, got string");
  }
  SECTION("allOf and local $ref") {
    const char* s = R"({"type":"object","properties":{"p":{"$ref":"#/$defs/pos"}},
                       "$defs":{"pos":{"allOf":[{"type":"integer"},{"minimum":0}]}}})";
    CHECK(violation(R"({"p":3})", s) == std::nullopt);
    CHECK(violation(R"({"p":-1})", s) == "$.p: must be >= 0");
    CHECK(violation(R"({"p":1})", R"({"properties":{"p":{"$ref":"#/nope"}}})") ==
          R"($.p: unresolvable schema reference "#/nope")");
    CHECK(violation("1", R"({"$ref":"#"})") == "$: schema nesting is too deep (recursive $ref?)");
  }
  SECTION("object checks: missing, then unexpected, then values in schema order") {
    const char* s = R"({"type":"object","properties":{"a":{"type":"string"},"b":{"type":"string"}},
                       "required":["a","b"],"additionalProperties":false})";
    CHECK(violation(R"({"b":1,"z":1})", s) == R"($: missing required property "a")");
    CHECK(violation(R"({"b":1,"a":1,"z":1})", s) == R"($: unexpected property "z")");
    CHECK(violation(R"({"b":1,"a":2})", s) == "$.a: expected string, got number");
  }
  SECTION("pattern and format are ignored (documented)") {
    CHECK(violation(R"("abc")", R"({"type":"string","pattern":"^[0-9]+$","format":"date"})") == std::nullopt);
  }
  SECTION("nested path inside arrays of objects") {
    CHECK(violation(R"({"title":"t","status":"open","estimate_minutes":null,"tags":[],"due":null,
          "reminders":[{"year":2026,"month":1,"day":1},{"year":2026,"month":2}],"urgent":false,"weight":1,
          "previous_status":null})",
                    task) == R"($.reminders[1]: missing required property "day")");
  }
}

TEST_CASE("decode_arguments builds the C++ value", "[agents][json_schema][decode]") {
  const task_args a = agents::decode_arguments<task_args>(json::parse(R"({
      "title":"Ship it","status":"in_progress","estimate_minutes":30,"tags":["x","y"],
      "due":{"year":2026,"month":12,"day":1},"reminders":[{"year":2026,"month":11,"day":30}],
      "urgent":true,"weight":2,"previous_status":"open"})"));
  CHECK(a.title == "Ship it");
  CHECK(a.status == task_status::in_progress);
  CHECK(a.estimate_minutes == 30);
  CHECK(a.tags == std::vector<std::string>{"x", "y"});
  REQUIRE(a.due);
  CHECK(a.due->month == 12);
  REQUIRE(a.reminders.size() == 1);
  CHECK(a.reminders[0].day == 30);
  CHECK(a.urgent);
  CHECK(a.weight == 2.0);
  CHECK(a.previous_status == task_status::open);

  // encode_value is the inverse
  const json::value round = agents::encode_value(a);
  CHECK(agents::schema_violation(round, agents::json_schema_for<task_args>()) == std::nullopt);
  CHECK(round.at("status") == "in_progress");
  CHECK(round.at("due").at("year") == 2026);
  CHECK(agents::encode_value(task_args{}).at("due").is_null());
}

TEST_CASE("decode_arguments: mismatches and overflow are errors with paths", "[agents][json_schema][decode]") {
  CHECK(decode_error<int>("3000000000") == "$: 3000000000 is out of range [-2147483648, 2147483647]");
  CHECK(decode_error<int>("-3000000000") == "$: -3000000000 is out of range [-2147483648, 2147483647]");
  CHECK(decode_error<std::int64_t>("18446744073709551615") ==
        "$: 18446744073709551615 is out of range [-9223372036854775808, 9223372036854775807]");
  CHECK(decode_error<std::int64_t>("1e19") ==
        "$: 1e+19 is out of range [-9223372036854775808, 9223372036854775807]");
  CHECK(decode_error<std::uint8_t>("256") == "$: 256 is out of range [0, 255]");
  CHECK(decode_error<unsigned>("-1") == "$: -1 is out of range [0, 4294967295]");
  CHECK(decode_error<std::uint64_t>("1e30") == "$: 1e+30 is out of range [0, 18446744073709551615]");
  CHECK(decode_error<int>("1.5") == "$: expected integer, got number");
  CHECK(decode_error<int>("\"1\"") == "$: expected integer, got string");
  CHECK(decode_error<float>("1e300") == "$: 1e+300 is out of range for a float");
  CHECK(decode_error<double>("true") == "$: expected number, got boolean");
  CHECK(decode_error<std::vector<std::int16_t>>("[1, 2, 40000]") ==
        "$[2]: 40000 is out of range [-32768, 32767]");
  CHECK(decode_error<task_status>("\"closed\"") == R"($: expected one of "open", "in_progress", "done")");
  CHECK(decode_error<task_status>("1") == R"($: expected one of "open", "in_progress", "done")");
  CHECK(decode_error<due_date>(R"({"year":2026,"month":1})") == R"($: missing required property "day")");
  CHECK(decode_error<task_args>(
            R"({"title":"t","status":"open","tags":[],"reminders":[{"year":1,"month":2,"day":2.5}],
                                   "urgent":false,"weight":0})") ==
        "$.reminders[0].day: expected integer, got number");
  CHECK(decode_error<derived_args>(R"({"id":"a","small":-1,"ratio":0})") ==
        "$.small: -1 is out of range [0, 255]");

  // in range: the edges and integral doubles decode
  CHECK(agents::decode_arguments<int>(json::parse("-2147483648")) == std::numeric_limits<int>::min());
  CHECK(agents::decode_arguments<std::uint64_t>(json::parse("18446744073709551615")) ==
        std::numeric_limits<std::uint64_t>::max());
  CHECK(agents::decode_arguments<int>(json::parse("7.0")) == 7);
  CHECK(agents::decode_arguments<long double>(json::parse("1e300")) == static_cast<long double>(1e300));
  CHECK(agents::decode_arguments<float>(json::parse("2")) == 2.0F);
  CHECK(agents::decode_arguments<std::optional<int>>(json::parse("null")) == std::nullopt);
  // a missing optional member reads as absent
  CHECK_FALSE(agents::decode_arguments<task_args>(json::parse(R"({"title":"t","status":"done","tags":[],
      "reminders":[],"urgent":false,"weight":0})"))
                  .estimate_minutes.has_value());
}
