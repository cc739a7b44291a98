// The typed JSON mapping of tool arguments (docs/tools.md#from-a-described-struct-typed_tool): strict-mode JSON schemas generated
// from C++ types described with Boost.Describe, a normaliser for schemas written by hand, a validator
// that names the first violation with a JSON path, and decode/encode between JSON and the C++ types.
//
//   struct task_args {
//     std::string title;
//     std::optional<int> priority;
//     static constexpr chatkit::agents::field_doc field_docs[] = {{"title", "The task title"}};
//   };
//   BOOST_DESCRIBE_STRUCT(task_args, (), (title, priority))
//
//   json_schema_for<task_args>() ==
//     {"type":"object","properties":{"title":{"type":"string","description":"The task title"},
//                                    "priority":{"type":["integer","null"]}},
//      "required":["title","priority"],"additionalProperties":false}
//
// Type mapping: std::string → string; bool → boolean; integers → integer; floating point → number;
// std::optional<T> → T or null (still required: strict mode requires every property); std::vector<T> →
// array of T; a BOOST_DESCRIBE_ENUM enum → string with the enumerator names; a described struct → an
// inline object (nested structs too; no $ref). JSON DOM types (boost::json::value/object/array) are
// rejected at compile time: an open object cannot be expressed in strict mode.
#pragma once

#include <chatkit/agents/detail/json_traits.hpp>
#include <chatkit/agents/error.hpp>

#include <boost/describe/enum_from_string.hpp>
#include <boost/describe/enum_to_string.hpp>
#include <boost/describe/enumerators.hpp>
#include <boost/describe/members.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/mp11/algorithm.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chatkit::agents {

// One entry of a described struct's optional `static constexpr field_doc field_docs[]` member: the
// "description" of the property `name`. A doc naming a field the struct does not describe (or naming one
// twice) is a compile-time error in json_schema_for.
struct field_doc {
  std::string_view name;
  std::string_view description;
};

// Normalises a schema written by hand to strict form: every object schema gets
// "additionalProperties": false, "properties" (empty when absent) and "required" = all property names in
// property order; a null "default" is dropped; the empty schema becomes the empty object schema. Recurses
// into properties, items, anyOf, oneOf, allOf, $defs and definitions. Throws user_error when an object
// allows additional properties (true or a schema) or the root is not an object schema.
boost::json::object to_strict_schema(boost::json::object schema);

// The first way `v` violates `schema`, as "<json path>: <problem>" (e.g. `$.tags[2]: expected string, got
// number`), or nullopt when it conforms. Supported keywords: type (a name or a list; "integer" accepts a
// number with an integral value), enum, const, minimum, maximum, exclusiveMinimum, exclusiveMaximum,
// minLength/maxLength (counted in code points), minItems, maxItems, items, properties, required,
// additionalProperties (false or a schema), anyOf, oneOf, allOf and local $ref ("#/..."). Other keywords
// are ignored — notably "pattern" and "format", which would need a regex engine with JSON Schema's
// dialect. Objects are checked in this order: missing required properties (in "required" order),
// unexpected properties (in the value's order), then each property's value (in "properties" order).
std::optional<std::string> schema_violation(const boost::json::value& v, const boost::json::object& schema);

namespace detail {

// "$" + `.key` for identifier-like keys, `["key"]` (JSON-escaped) otherwise.
void append_path_key(std::string& path, std::string_view key);
void append_path_index(std::string& path, std::size_t index);
// "string", "number", "boolean", "null", "object" or "array".
std::string_view json_type_name(const boost::json::value& v) noexcept;

[[noreturn]] void throw_argument_error(const std::string& path, std::string_view problem);
[[noreturn]] void throw_type_mismatch(const std::string& path, std::string_view expected,
                                      const boost::json::value& got);

// Range-checked integer extraction: accepts int64, uint64 and doubles with an integral value, throws
// tool_argument_error (never converts with overflow) when the value does not fit [min, max].
std::int64_t decode_signed(const boost::json::value& v, const std::string& path, std::int64_t min,
                           std::int64_t max);
std::uint64_t decode_unsigned(const boost::json::value& v, const std::string& path, std::uint64_t max);
double decode_double(const boost::json::value& v, const std::string& path, double max_magnitude);

// Makes `schema` also accept null: "type": [T, "null"] for scalar schemas, {"anyOf": [schema, {"type":
// "null"}]} for objects, arrays and enums.
boost::json::object make_nullable(boost::json::object schema);
std::string quoted_list(const std::vector<std::string_view>& names);

template <class E>
std::vector<std::string_view> enumerator_names() {
  std::vector<std::string_view> names;
  boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>(
      [&](auto d) { names.emplace_back(decltype(d)::name); });
  return names;
}

// True when every field_docs entry names a described member, each at most once.
template <class T>
consteval bool field_docs_name_fields() {
  if constexpr (!has_field_docs<T>) {
    return true;
  } else {
    using members = boost::describe::describe_members<T, member_modifiers>;
    for (const auto& doc : T::field_docs) {
      int matches = 0;
      boost::mp11::mp_for_each<members>([&](auto d) {
        if (std::string_view(decltype(d)::name) == doc.name) ++matches;
      });
      if (matches != 1) return false;
      int mentions = 0;
      for (const auto& other : T::field_docs) {
        if (other.name == doc.name) ++mentions;
      }
      if (mentions != 1) return false;
    }
    return true;
  }
}

template <class T>
std::string_view field_description(std::string_view field) {
  if constexpr (has_field_docs<T>) {
    for (const auto& doc : T::field_docs) {
      if (doc.name == field) return doc.description;
    }
  }
  return {};
}

template <class T>
T decode_at(const boost::json::value& v, std::string& path);

}  // namespace detail

// The strict-mode JSON schema of T (see the type mapping above).
template <class T>
boost::json::object json_schema_for() {
  using U = std::remove_cv_t<T>;
  if constexpr (detail::json_dom_type<U>) {
    static_assert(detail::dependent_false<U>,
                  "boost::json DOM types cannot be tool argument types: an open object has no strict-mode "
                  "schema. Describe a struct with the fields instead.");
    return {};
  } else if constexpr (std::is_same_v<U, std::string>) {
    return {{"type", "string"}};
  } else if constexpr (std::is_same_v<U, bool>) {
    return {{"type", "boolean"}};
  } else if constexpr (detail::json_integer<U>) {
    return {{"type", "integer"}};
  } else if constexpr (std::is_floating_point_v<U>) {
    return {{"type", "number"}};
  } else if constexpr (detail::is_optional<U>::value) {
    static_assert(!detail::is_optional<typename U::value_type>::value,
                  "std::optional<std::optional<T>> has no JSON meaning; use one optional");
    return detail::make_nullable(json_schema_for<typename U::value_type>());
  } else if constexpr (detail::is_vector<U>::value) {
    return {{"type", "array"}, {"items", json_schema_for<typename U::value_type>()}};
  } else if constexpr (detail::described_enum<U>) {
    boost::json::array names;
    for (std::string_view n : detail::enumerator_names<U>()) names.emplace_back(n);
    return {{"type", "string"}, {"enum", std::move(names)}};
  } else if constexpr (detail::described_struct<U>) {
    static_assert(detail::field_docs_name_fields<U>(),
                  "field_docs names a field the struct does not describe, or names a field twice");
    boost::json::object properties;
    boost::json::array required;
    boost::mp11::mp_for_each<boost::describe::describe_members<U, detail::member_modifiers>>([&](auto d) {
      using member_type = std::remove_cvref_t<decltype(std::declval<U&>().*d.pointer)>;
      boost::json::object property = json_schema_for<member_type>();
      std::string_view doc = detail::field_description<U>(d.name);
      if (!doc.empty()) property["description"] = doc;
      properties[d.name] = std::move(property);
      required.emplace_back(d.name);
    });
    return {{"type", "object"},
            {"properties", std::move(properties)},
            {"required", std::move(required)},
            {"additionalProperties", false}};
  } else {
    static_assert(detail::dependent_false<U>,
                  "unsupported tool argument type: use std::string, bool, an integer, a floating-point type, "
                  "std::optional, std::vector, a BOOST_DESCRIBE_ENUM enum or a BOOST_DESCRIBE_STRUCT struct");
    return {};
  }
}

// Decodes a (validated) JSON value into T. Throws tool_argument_error with a path message on any mismatch:
// a wrong type, an unknown enumerator, a missing required member, a number that does not fit T.
template <class T>
T decode_arguments(const boost::json::value& v) {
  std::string path = "$";
  return detail::decode_at<T>(v, path);
}

// The JSON form of a value of a mapped type (the inverse of decode_arguments); boost::json values pass
// through unchanged. Used to send described structs returned by typed tools to the model.
template <class T>
boost::json::value encode_value(const T& x) {
  using U = std::remove_cv_t<T>;
  if constexpr (std::is_same_v<U, bool>) {
    return boost::json::value(x);
  } else if constexpr (std::is_same_v<U, std::string>) {
    return boost::json::value(boost::json::string_view(x.data(), x.size()));
  } else if constexpr (detail::json_integer<U>) {
    if constexpr (std::is_signed_v<U>) {
      return boost::json::value(static_cast<std::int64_t>(x));
    } else {
      return boost::json::value(static_cast<std::uint64_t>(x));
    }
  } else if constexpr (std::is_floating_point_v<U>) {
    return boost::json::value(static_cast<double>(x));
  } else if constexpr (detail::is_optional<U>::value) {
    if (!x) return nullptr;
    return encode_value(*x);
  } else if constexpr (detail::is_vector<U>::value) {
    boost::json::array out;
    out.reserve(x.size());
    for (const auto& e : x) out.push_back(encode_value(e));
    return out;
  } else if constexpr (detail::described_enum<U>) {
    const char* name = boost::describe::enum_to_string(x, nullptr);
    if (name == nullptr) return boost::json::value(static_cast<std::int64_t>(x));  // not an enumerator
    return boost::json::value(name);
  } else if constexpr (detail::described_struct<U>) {
    boost::json::object out;
    boost::mp11::mp_for_each<boost::describe::describe_members<U, detail::member_modifiers>>(
        [&](auto d) { out[d.name] = encode_value(x.*d.pointer); });
    return out;
  } else if constexpr (std::is_convertible_v<const U&, boost::json::value>) {
    return boost::json::value(x);  // strings, const char*, boost::json DOM types
  } else {
    static_assert(detail::dependent_false<U>, "encode_value: unsupported type");
    return nullptr;
  }
}

namespace detail {

template <class T>
T decode_at(const boost::json::value& v, std::string& path) {
  using U = std::remove_cv_t<T>;
  if constexpr (std::is_same_v<U, boost::json::value>) {
    return v;  // the builder's untyped access (tool_args::get<boost::json::value>)
  } else if constexpr (std::is_same_v<U, boost::json::object>) {
    if (!v.is_object()) throw_type_mismatch(path, "object", v);
    return v.get_object();
  } else if constexpr (std::is_same_v<U, boost::json::array>) {
    if (!v.is_array()) throw_type_mismatch(path, "array", v);
    return v.get_array();
  } else if constexpr (std::is_same_v<U, std::string>) {
    if (!v.is_string()) throw_type_mismatch(path, "string", v);
    return std::string(v.get_string());
  } else if constexpr (std::is_same_v<U, bool>) {
    if (!v.is_bool()) throw_type_mismatch(path, "boolean", v);
    return v.get_bool();
  } else if constexpr (json_integer<U>) {
    if constexpr (std::is_signed_v<U>) {
      return static_cast<U>(
          decode_signed(v, path, std::numeric_limits<U>::min(), std::numeric_limits<U>::max()));
    } else {
      return static_cast<U>(decode_unsigned(v, path, std::numeric_limits<U>::max()));
    }
  } else if constexpr (std::is_floating_point_v<U>) {
    // float is range-checked against its own limit; double and long double take any finite double.
    constexpr double limit = std::is_same_v<U, float> ? static_cast<double>(std::numeric_limits<float>::max())
                                                      : std::numeric_limits<double>::max();
    return static_cast<U>(decode_double(v, path, limit));
  } else if constexpr (is_optional<U>::value) {
    if (v.is_null()) return U{};
    return U{decode_at<typename U::value_type>(v, path)};
  } else if constexpr (is_vector<U>::value) {
    if (!v.is_array()) throw_type_mismatch(path, "array", v);
    U out;
    const auto& a = v.get_array();
    out.reserve(a.size());
    const std::size_t base = path.size();
    for (std::size_t i = 0; i < a.size(); ++i) {
      append_path_index(path, i);
      out.push_back(decode_at<typename U::value_type>(a[i], path));
      path.resize(base);
    }
    return out;
  } else if constexpr (described_enum<U>) {
    U out{};
    if (!v.is_string() || !boost::describe::enum_from_string(v.get_string().c_str(), out)) {
      throw_argument_error(path, "expected one of " + quoted_list(enumerator_names<U>()));
    }
    return out;
  } else if constexpr (described_struct<U>) {
    static_assert(std::is_default_constructible_v<U>,
                  "a described argument struct must be default-constructible");
    if (!v.is_object()) throw_type_mismatch(path, "object", v);
    const auto& o = v.get_object();
    U out{};
    boost::mp11::mp_for_each<boost::describe::describe_members<U, member_modifiers>>([&](auto d) {
      using member_type = std::remove_cvref_t<decltype(out.*d.pointer)>;
      const boost::json::value* field = o.if_contains(d.name);
      if (field == nullptr) {
        // Strict schemas require every property; a missing optional is still read as "absent" so that
        // decode_arguments also accepts the output of a lenient (non-strict) producer.
        if constexpr (!is_optional<member_type>::value) {
          throw_argument_error(path, std::string("missing required property \"") + d.name + "\"");
        }
        return;
      }
      const std::size_t base = path.size();
      append_path_key(path, d.name);
      out.*d.pointer = decode_at<member_type>(*field, path);
      path.resize(base);
    });
    return out;
  } else {
    static_assert(dependent_false<U>, "decode_arguments: unsupported type");
    return U{};
  }
}

}  // namespace detail

}  // namespace chatkit::agents
