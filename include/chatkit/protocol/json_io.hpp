// Conversion between protocol types and JSON.
//
//   std::string s = chatkit::protocol::to_json(event);                 // compact, wire-exact
//   auto item = chatkit::protocol::from_json<thread_item>(value);      // strict; throws chatkit::error
//   boost::json::value v = boost::json::value_from(item);              // Boost.JSON interop
//   auto again = boost::json::value_to<thread_item>(v);
//
// Every protocol type (each header marks its types with CHATKIT_PROTOCOL_TYPE) supports these. The
// implementations are compiled once in src/protocol, so including this header stays cheap.
#pragma once

#include <chatkit/protocol/json_writer.hpp>

#include <boost/json/conversion.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <string>
#include <type_traits>

namespace chatkit::protocol {

// Limits applied while reading untrusted JSON (documented in docs/protocol.md).
struct read_limits {
  std::size_t max_body_bytes = 8 * 1024 * 1024;  // whole request body
  std::size_t max_depth = 64;                    // nesting of arrays/objects
  std::size_t max_string_bytes = 1024 * 1024;    // any one string, keys included
  std::size_t max_array_items = 10'000;          // any one array
};

template <class T>
inline constexpr bool is_protocol_type = false;

#define CHATKIT_PROTOCOL_TYPE(T) \
  template <>                    \
  inline constexpr bool is_protocol_type<T> = true;

// Appends T as JSON. Defined (explicitly instantiated) in src/protocol for every protocol type.
template <class T>
void write_json(json_writer& w, const T& value);

// Reads T from a parsed JSON value; throws chatkit::error(errc::invalid_request) naming the JSON path
// (relative to `v`, prefixed with `path_prefix` when given) and the problem.
template <class T>
T read_json(const boost::json::value& v, const read_limits& limits = {}, std::string_view path_prefix = {});

template <class T>
std::string to_json(const T& value, audience who = audience::client) {
  std::string out;
  json_writer w(out, who);
  write_json(w, value);
  return out;
}

template <class T>
T from_json(const boost::json::value& v, const read_limits& limits = {}) {
  return read_json<T>(v, limits);
}

// Parses text (with the limits) and reads T. Malformed JSON, too deep, too large → chatkit::error.
boost::json::value parse_json_text(std::string_view text, const read_limits& limits = {});
// The same, allocating the tree from `storage` (e.g. a monotonic_resource for short-lived trees).
boost::json::value parse_json_text(std::string_view text, const read_limits& limits,
                                   boost::json::storage_ptr storage);

template <class T>
T from_json_text(std::string_view text, const read_limits& limits = {}) {
  // The tree is thrown away once read: an arena avoids one allocation per JSON node.
  boost::json::monotonic_resource arena;
  return read_json<T>(parse_json_text(text, limits, &arena), limits);
}

// Boost.JSON interop (found by ADL for every protocol type).
template <class T>
requires is_protocol_type<T>
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const T& t) {
  jv = parse_json_text(to_json(t, audience::storage));
}

template <class T>
requires is_protocol_type<T> T tag_invoke(boost::json::value_to_tag<T>, const boost::json::value& jv) {
  return read_json<T>(jv);
}

}  // namespace chatkit::protocol
