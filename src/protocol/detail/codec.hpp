// Generic JSON reading and writing for the Boost.Describe-annotated protocol structs. Private to
// src/protocol: every protocol type is instantiated once (codec_*.cpp) so user code never compiles this.
//
// Conventions, read off each struct:
//   static constexpr std::string_view type_name   discriminator written as "type" (and matched on read)
//   static constexpr int type_position            where "type" goes among the members (0 first, -1 last)
//   static constexpr std::string_view defaulted_fields[]  members that may be missing on read
// Members of type std::optional<T> may be missing or null and are omitted when empty (an optional free JSON
// value holding null counts as empty).
#pragma once

#include <chatkit/error.hpp>
#include <chatkit/protocol/attachment.hpp>
#include <chatkit/protocol/events.hpp>
#include <chatkit/protocol/json_io.hpp>
#include <chatkit/protocol/json_writer.hpp>
#include <chatkit/protocol/requests.hpp>
#include <chatkit/protocol/thread.hpp>
#include <chatkit/protocol/timestamp.hpp>
#include <chatkit/protocol/widget.hpp>

#include <boost/describe/enum.hpp>
#include <boost/describe/enum_to_string.hpp>
#include <boost/describe/members.hpp>
#include <boost/json/value.hpp>
#include <boost/mp11/algorithm.hpp>

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace chatkit::protocol::detail {

// ---- JSON paths, built only when an error is reported -----------------------------------------------------

struct path_node {
  const path_node* parent = nullptr;
  std::string_view key;   // member name (when !is_index)
  std::size_t index = 0;  // array index (when is_index)
  bool is_index = false;
  std::string_view prefix;  // root only
};

std::string render_path(const path_node& at);
[[noreturn]] void fail(const path_node& at, std::string_view problem);
std::string_view kind_name(const boost::json::value& v) noexcept;
[[noreturn]] void fail_kind(const path_node& at, std::string_view expected, const boost::json::value& got);
// Checks strings, arrays and depth of arbitrary JSON kept as is (data, payloads, widgets) against the limits.
void check_free_json(const boost::json::value& v, const path_node& at, const read_limits& limits);
// "a, b or c"
std::string join_alternatives(const std::string_view* names, std::size_t n);

struct reader {
  const read_limits& limits;
};

// ---- traits
// ----------------------------------------------------------------------------------------------------

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
template <class T>
struct is_vector : std::false_type {};
template <class T>
struct is_vector<std::vector<T>> : std::true_type {};
template <class T>
struct is_map : std::false_type {};
template <class T, class C>
struct is_map<std::map<std::string, T, C>> : std::true_type {};
template <class T>
struct is_variant : std::false_type {};
template <class... T>
struct is_variant<std::variant<T...>> : std::true_type {};

template <class T>
concept discriminated = requires {
  { T::type_name } -> std::convertible_to<std::string_view>;
};

template <class T>
constexpr int type_position() {
  if constexpr (requires { T::type_position; })
    return T::type_position;
  else
    return 0;
}

template <class T>
constexpr bool is_defaulted(std::string_view name) {
  if constexpr (requires { T::defaulted_fields; }) {
    for (std::string_view f : T::defaulted_fields)
      if (f == name) return true;
  }
  return false;
}

template <class T>
concept described_struct = boost::describe::has_describe_members<T>::value && std::is_class_v<T>;
template <class T>
concept described_enum = boost::describe::has_describe_enumerators<T>::value;

// The noun used in "unknown <noun> "x"; expected ..." for each discriminated union.
template <class V>
constexpr std::string_view variant_noun = "type";
template <>
inline constexpr std::string_view variant_noun<user_content> = "content type";
template <>
inline constexpr std::string_view variant_noun<source> = "source type";
template <>
inline constexpr std::string_view variant_noun<task> = "task type";
template <>
inline constexpr std::string_view variant_noun<structured_question> = "input type";
template <>
inline constexpr std::string_view variant_noun<thread_item> = "item type";
template <>
inline constexpr std::string_view variant_noun<item_update> = "update type";
template <>
inline constexpr std::string_view variant_noun<stream_event> = "event type";
template <>
inline constexpr std::string_view variant_noun<request> = "request type";

// ---- hand-written codecs (defined in codec_special.cpp)
// ------------------------------------------------------

void write_value(json_writer& w, const attachment& v);
void write_value(json_writer& w, const thread_metadata& v);
void write_value(json_writer& w, const thread& v);
void write_value(json_writer& w, const widget_root& v);
void write_value(json_writer& w, const widget_component_updated& v);  // the component as a widget node
void write_value(json_writer& w, const workflow_summary& v);
void write_value(json_writer& w, timestamp v);
void read_value(const boost::json::value& v, attachment& out, const path_node& at, const reader& r);
void read_value(const boost::json::value& v, thread_metadata& out, const path_node& at, const reader& r);
void read_value(const boost::json::value& v, thread& out, const path_node& at, const reader& r);
void read_value(const boost::json::value& v, widget_root& out, const path_node& at, const reader& r);
void read_value(const boost::json::value& v, workflow_summary& out, const path_node& at, const reader& r);
void read_value(const boost::json::value& v, timestamp& out, const path_node& at, const reader& r);
void read_value(const boost::json::value& v, std::string& out, const path_node& at, const reader& r);
void read_value(const boost::json::value& v, bool& out, const path_node& at, const reader& r);
void read_value(const boost::json::value& v, boost::json::value& out, const path_node& at, const reader& r);
void read_value(const boost::json::value& v, boost::json::object& out, const path_node& at, const reader& r);

// ---- writing
// ---------------------------------------------------------------------------------------------------

inline void write_value(json_writer& w, const std::string& v) {
  w.string(v);
}
inline void write_value(json_writer& w, bool v) {
  w.boolean(v);
}
inline void write_value(json_writer& w, const boost::json::value& v) {
  w.value(v);
}
inline void write_value(json_writer& w, const boost::json::object& v) {
  w.object(v);
}

template <class T>
requires std::is_integral_v<T> &&(!std::is_same_v<T, bool>)void write_value(json_writer& w, T v) {
  w.integer(static_cast<std::int64_t>(v));
}
inline void write_value(json_writer& w, double v) {
  w.number(v);
}

template <described_enum E>
void write_value(json_writer& w, E v) {
  w.string(boost::describe::enum_to_string(v, ""));
}

template <class T>
void write_value(json_writer& w, const std::optional<T>& v);
template <class T>
void write_value(json_writer& w, const std::vector<T>& v);
template <class T, class C>
void write_value(json_writer& w, const std::map<std::string, T, C>& v);
template <class... T>
void write_value(json_writer& w, const std::variant<T...>& v);
template <class T>
void write_value(json_writer& w, const page<T>& v);
template <described_struct T>
void write_value(json_writer& w, const T& v);

template <class T>
void write_value(json_writer& w, const std::optional<T>& v) {
  if (v)
    write_value(w, *v);
  else
    w.null();
}

template <class T>
void write_value(json_writer& w, const std::vector<T>& v) {
  w.begin_array();
  for (const auto& e : v) write_value(w, e);
  w.end_array();
}

template <class T, class C>
void write_value(json_writer& w, const std::map<std::string, T, C>& v) {
  w.begin_object();
  for (const auto& [k, e] : v) {
    w.key_escaped(k);
    write_value(w, e);
  }
  w.end_object();
}

template <class... T>
void write_value(json_writer& w, const std::variant<T...>& v) {
  std::visit([&w](const auto& alt) { write_value(w, alt); }, v);
}

template <class T>
void write_value(json_writer& w, const page<T>& v) {
  w.begin_object();
  w.key("data");
  write_value(w, v.data);
  w.key("has_more");
  w.boolean(v.has_more);
  if (v.after) {
    w.key("after");
    w.string(*v.after);
  }
  w.end_object();
}

template <class M>
void write_member(json_writer& w, std::string_view name, const M& value) {
  if constexpr (is_optional<M>::value) {
    if (!value) return;
    // Optional free JSON holding null is read back as absent (read_value below): write it as absent too.
    if constexpr (std::is_same_v<typename M::value_type, boost::json::value>) {
      if (value->is_null()) return;
    }
    w.key(name);
    write_value(w, *value);
  } else {
    w.key(name);
    write_value(w, value);
  }
}

template <described_struct T>
void write_value(json_writer& w, const T& v) {
  using members =
      boost::describe::describe_members<T, boost::describe::mod_public | boost::describe::mod_inherited>;
  constexpr int position = type_position<T>();
  w.begin_object();
  if constexpr (discriminated<T> && position == 0) {
    w.key("type");
    w.string(T::type_name);
  }
  int index = 0;
  boost::mp11::mp_for_each<members>([&](auto d) {
    if constexpr (discriminated<T> && position > 0) {
      if (index == position) {
        w.key("type");
        w.string(T::type_name);
      }
    }
    ++index;
    write_member(w, d.name, v.*d.pointer);
  });
  if constexpr (discriminated<T> &&
                (position < 0 || position >= static_cast<int>(boost::mp11::mp_size<members>::value))) {
    if (position != 0) {
      w.key("type");
      w.string(T::type_name);
    }
  }
  w.end_object();
}

// ---- reading
// ---------------------------------------------------------------------------------------------------

template <class T>
requires std::is_integral_v<T> &&
    (!std::is_same_v<T, bool>)void read_value(const boost::json::value& v, T& out, const path_node& at,
                                              const reader&) {
  std::int64_t n = 0;
  if (v.is_int64()) {
    n = v.get_int64();
  } else if (v.is_uint64()) {
    if (v.get_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      fail(at, "integer out of range");
    n = static_cast<std::int64_t>(v.get_uint64());
  } else {
    fail_kind(at, "integer", v);
  }
  if (n < static_cast<std::int64_t>(std::numeric_limits<T>::min()) ||
      (n > 0 && static_cast<std::uint64_t>(n) > static_cast<std::uint64_t>(std::numeric_limits<T>::max())))
    fail(at, "integer out of range");
  out = static_cast<T>(n);
}

inline void read_value(const boost::json::value& v, double& out, const path_node& at, const reader&) {
  if (v.is_double())
    out = v.get_double();
  else if (v.is_int64())
    out = static_cast<double>(v.get_int64());
  else if (v.is_uint64())
    out = static_cast<double>(v.get_uint64());
  else
    fail_kind(at, "number", v);
}

template <described_enum E>
void read_value(const boost::json::value& v, E& out, const path_node& at, const reader&) {
  if (!v.is_string()) fail_kind(at, "string", v);
  const std::string_view s = v.get_string();
  bool found = false;
  boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto d) {
    if (!found && s == d.name) {
      out = d.value;
      found = true;
    }
  });
  if (found) return;
  using list = boost::describe::describe_enumerators<E>;
  std::string_view names[boost::mp11::mp_size<list>::value];
  std::size_t i = 0;
  boost::mp11::mp_for_each<list>([&](auto d) { names[i++] = d.name; });
  std::string problem = "invalid value \"";
  problem.append(s.substr(0, 64));
  problem.append("\"; expected ");
  problem.append(join_alternatives(names, i));
  fail(at, problem);
}

template <class T>
void read_value(const boost::json::value& v, std::optional<T>& out, const path_node& at, const reader& r);
template <class T>
void read_value(const boost::json::value& v, std::vector<T>& out, const path_node& at, const reader& r);
template <class T, class C>
void read_value(const boost::json::value& v, std::map<std::string, T, C>& out, const path_node& at,
                const reader& r);
template <class... T>
void read_value(const boost::json::value& v, std::variant<T...>& out, const path_node& at, const reader& r);
template <class T>
void read_value(const boost::json::value& v, page<T>& out, const path_node& at, const reader& r);
template <described_struct T>
void read_value(const boost::json::value& v, T& out, const path_node& at, const reader& r);

template <class T>
void read_value(const boost::json::value& v, std::optional<T>& out, const path_node& at, const reader& r) {
  if constexpr (std::is_same_v<T, boost::json::value>) {
    // Optional free JSON: null means absent.
    if (v.is_null()) {
      out.reset();
      return;
    }
  } else if (v.is_null()) {
    out.reset();
    return;
  }
  read_value(v, out.emplace(), at, r);
}

template <class T>
void read_value(const boost::json::value& v, std::vector<T>& out, const path_node& at, const reader& r) {
  if (!v.is_array()) fail_kind(at, "array", v);
  const auto& arr = v.get_array();
  if (arr.size() > r.limits.max_array_items)
    fail(at, "array has " + std::to_string(arr.size()) + " items; the limit is " +
                 std::to_string(r.limits.max_array_items));
  out.clear();
  out.reserve(arr.size());
  for (std::size_t i = 0; i < arr.size(); ++i) {
    path_node child{&at, {}, i, true, {}};
    read_value(arr[i], out.emplace_back(), child, r);
  }
}

template <class T, class C>
void read_value(const boost::json::value& v, std::map<std::string, T, C>& out, const path_node& at,
                const reader& r) {
  if (!v.is_object()) fail_kind(at, "object", v);
  out.clear();
  for (const auto& m : v.get_object()) {
    path_node child{&at, m.key(), 0, false, {}};
    if (m.key().size() > r.limits.max_string_bytes) fail(child, "key longer than the limit");
    read_value(m.value(), out[std::string(m.key())], child, r);
  }
}

template <class... T>
void read_value(const boost::json::value& v, std::variant<T...>& out, const path_node& at, const reader& r) {
  static_assert((discriminated<T> && ...), "generic variants must be discriminated by `type`");
  if (!v.is_object()) fail_kind(at, "object", v);
  const auto& obj = v.get_object();
  path_node type_at{&at, "type", 0, false, {}};
  const auto* type = obj.if_contains("type");
  if (!type) fail(type_at, "missing required field");
  if (!type->is_string()) fail_kind(type_at, "string", *type);
  const std::string_view name = type->get_string();
  bool matched = false;
  (
      [&] {
        if (!matched && name == T::type_name) {
          matched = true;
          read_value(v, out.template emplace<T>(), at, r);
        }
      }(),
      ...);
  if (matched) return;
  static constexpr std::string_view names[] = {T::type_name...};
  std::string problem = "unknown ";
  problem.append(variant_noun<std::variant<T...>>);
  problem.append(" \"");
  problem.append(name.substr(0, 64));
  problem.append("\"; expected ");
  problem.append(join_alternatives(names, sizeof...(T)));
  fail(type_at, problem);
}

template <class T>
void read_value(const boost::json::value& v, page<T>& out, const path_node& at, const reader& r) {
  if (!v.is_object()) fail_kind(at, "object", v);
  const auto& obj = v.get_object();
  path_node data_at{&at, "data", 0, false, {}};
  const auto* data = obj.if_contains("data");
  if (!data) fail(data_at, "missing required field");
  read_value(*data, out.data, data_at, r);
  path_node more_at{&at, "has_more", 0, false, {}};
  const auto* more = obj.if_contains("has_more");
  if (!more) fail(more_at, "missing required field");
  read_value(*more, out.has_more, more_at, r);
  path_node after_at{&at, "after", 0, false, {}};
  out.after.reset();
  if (const auto* after = obj.if_contains("after")) read_value(*after, out.after, after_at, r);
}

template <class T, class M>
void read_member(const boost::json::object& obj, std::string_view name, M& member, const path_node& at,
                 const reader& r) {
  path_node child{&at, name, 0, false, {}};
  const auto* field = obj.if_contains(name);
  if (!field) {
    if constexpr (is_optional<M>::value) {
      member.reset();
      return;
    } else {
      if (is_defaulted<T>(name)) return;
      fail(child, "missing required field");
    }
  }
  read_value(*field, member, child, r);
}

template <described_struct T>
void read_value(const boost::json::value& v, T& out, const path_node& at, const reader& r) {
  if (!v.is_object()) fail_kind(at, "object", v);
  const auto& obj = v.get_object();
  if constexpr (discriminated<T>) {
    if (const auto* type = obj.if_contains("type")) {
      path_node type_at{&at, "type", 0, false, {}};
      if (!type->is_string()) fail_kind(type_at, "string", *type);
      if (type->get_string() != T::type_name)
        fail(type_at, "expected \"" + std::string(T::type_name) + "\", got \"" +
                          std::string(std::string_view(type->get_string()).substr(0, 64)) + "\"");
    }
  }
  using members =
      boost::describe::describe_members<T, boost::describe::mod_public | boost::describe::mod_inherited>;
  boost::mp11::mp_for_each<members>([&](auto d) { read_member<T>(obj, d.name, out.*d.pointer, at, r); });
}

// ---- entry points used by the explicit instantiations
// ----------------------------------------------------------

template <class T>
T read_root(const boost::json::value& v, const read_limits& limits, std::string_view prefix) {
  T out{};
  path_node root{nullptr, {}, 0, false, prefix};
  reader r{limits};
  read_value(v, out, root, r);
  return out;
}

}  // namespace chatkit::protocol::detail

namespace chatkit::protocol {

template <class T>
void write_json(json_writer& w, const T& value) {
  detail::write_value(w, value);
}

template <class T>
T read_json(const boost::json::value& v, const read_limits& limits, std::string_view path_prefix) {
  return detail::read_root<T>(v, limits, path_prefix);
}

}  // namespace chatkit::protocol

// Explicit instantiation of the public entry points for one protocol type.
#define CHATKIT_INSTANTIATE_CODEC(T)                                                         \
  template void chatkit::protocol::write_json<T>(chatkit::protocol::json_writer&, const T&); \
  template T chatkit::protocol::read_json<T>(const boost::json::value&,                      \
                                             const chatkit::protocol::read_limits&, std::string_view);
