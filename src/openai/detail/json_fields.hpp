// Small accessors for reading API JSON leniently: a missing or null field is "absent", a field of the
// wrong type is an error. Private to the openai layer.
#pragma once

#include <chatkit/openai/error.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace chatkit::openai::detail {

// Strings: absent/null -> "" (ok), non-string -> false.
inline bool get_string(const boost::json::object& o, std::string_view key, std::string& out) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) {
    out.clear();
    return true;
  }
  if (!v->is_string()) return false;
  const auto& s = v->get_string();
  out.assign(s.data(), s.size());
  return true;
}

inline bool require_string(const boost::json::object& o, std::string_view key, std::string& out) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return false;
  const auto& s = v->get_string();
  out.assign(s.data(), s.size());
  return true;
}

// Integers: absent/null -> fallback (ok); a non-integral number -> false.
inline bool get_int(const boost::json::object& o, std::string_view key, std::int64_t& out,
                    std::int64_t fallback = 0) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) {
    out = fallback;
    return true;
  }
  if (v->is_int64()) {
    out = v->get_int64();
    return true;
  }
  if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    out = static_cast<std::int64_t>(v->get_uint64());
    return true;
  }
  return false;
}

inline bool require_int(const boost::json::object& o, std::string_view key, std::int64_t& out) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return false;
  return get_int(o, key, out);
}

inline const boost::json::object* get_object(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_object() ? &v->get_object() : nullptr;
}

inline const boost::json::array* get_array(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_array() ? &v->get_array() : nullptr;
}

// Moves `src` into `dst` keeping src's storage (arena): plain move-assignment between objects with
// different storages would copy every element.
inline void adopt(boost::json::object& dst, boost::json::object&& src) {
  std::destroy_at(&dst);
  std::construct_at(&dst, std::move(src));
}

// The fields of an API error object ({"message", "type", "code", "param"}) into `out`; a field that is
// absent or not a string is left empty.
inline void read_error_fields(const boost::json::object& o, error_details& out) {
  for (auto [key, field] : {std::pair{"message", &out.message}, std::pair{"type", &out.type},
                            std::pair{"code", &out.code}, std::pair{"param", &out.param}})
    if (!get_string(o, key, *field)) field->clear();
}

inline boost::system::error_code protocol_error() {
  return make_error_code(errc::stream_protocol_error);
}

}  // namespace chatkit::openai::detail
