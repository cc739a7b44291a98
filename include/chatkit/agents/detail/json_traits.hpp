// Type traits shared by the typed JSON mapping (json_schema.hpp): which C++ types map to which JSON
// schema shape. Private to the agents layer.
#pragma once

#include <boost/describe/enumerators.hpp>
#include <boost/describe/members.hpp>
#include <boost/describe/modifiers.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace chatkit::agents::detail {

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};

// The members the mapping sees: public ones, inherited ones included.
inline constexpr unsigned member_modifiers = boost::describe::mod_public | boost::describe::mod_inherited;

template <class T>
concept described_struct = std::is_class_v<T> && boost::describe::has_describe_members<T>::value;

template <class T>
concept described_enum = std::is_enum_v<T> && boost::describe::has_describe_enumerators<T>::value;

template <class T>
concept json_dom_type = std::is_same_v<T, boost::json::value> || std::is_same_v<T, boost::json::object> ||
    std::is_same_v<T, boost::json::array> || std::is_same_v<T, boost::json::string>;

// Character types are integers to C++ but almost never mean "a number" in an argument struct.
// (signed/unsigned char stay integers: they are std::int8_t / std::uint8_t.)
template <class T>
concept character_type = std::is_same_v<T, char> || std::is_same_v<T, wchar_t> ||
    std::is_same_v<T, char8_t> || std::is_same_v<T, char16_t> || std::is_same_v<T, char32_t>;

template <class T>
concept json_integer = std::is_integral_v<T> && !std::is_same_v<T, bool> && !character_type<T>;

template <class T>
concept has_field_docs = requires {
  T::field_docs;
};

// Always false, for static_asserts in discarded branches.
template <class T>
inline constexpr bool dependent_false = false;

}  // namespace chatkit::agents::detail
