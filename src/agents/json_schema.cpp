// Strict-schema normalisation, the argument validator and the non-template parts of decoding.
#include <chatkit/agents/json_schema.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <charconv>
#include <cmath>
#include <limits>
#include <utility>

namespace chatkit::agents {

namespace json = boost::json;

namespace {

// 2^63 and 2^64 as doubles: the first values that no longer fit int64 / uint64.
constexpr double two_pow_63 = 9223372036854775808.0;
constexpr double two_pow_64 = 18446744073709551616.0;

bool is_identifier(std::string_view key) noexcept {
  if (key.empty()) return false;
  for (std::size_t i = 0; i < key.size(); ++i) {
    const char c = key[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!(alpha || (digit && i > 0))) return false;
  }
  return true;
}

bool is_integral_double(double d) noexcept {
  return std::isfinite(d) && std::trunc(d) == d;
}

// Numbers as people write them: 3, -1, 0.5, 1e+300 (boost::json would print 1 as 1E0 when it is a double).
std::string format_number(const json::value& v) {
  if (v.is_int64()) return std::to_string(v.get_int64());
  if (v.is_uint64()) return std::to_string(v.get_uint64());
  const double d = v.get_double();
  if (is_integral_double(d) && std::fabs(d) < 1e15) return std::to_string(static_cast<std::int64_t>(d));
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  if (ec != std::errc{}) return json::serialize(v);
  return std::string(buf, end);
}

std::string display(const json::value& v) {
  return v.is_number() ? format_number(v) : json::serialize(v);
}

// JSON equality where 1 and 1.0 are the same number (enum/const comparisons).
bool json_equal(const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_double() || b.is_double()) return a.to_number<double>() == b.to_number<double>();
    if (a.is_int64() && b.is_int64()) return a.get_int64() == b.get_int64();
    if (a.is_uint64() && b.is_uint64()) return a.get_uint64() == b.get_uint64();
    const std::int64_t i = a.is_int64() ? a.get_int64() : b.get_int64();
    const std::uint64_t u = a.is_uint64() ? a.get_uint64() : b.get_uint64();
    return i >= 0 && static_cast<std::uint64_t>(i) == u;
  }
  if (a.is_array() && b.is_array()) {
    const auto& x = a.get_array();
    const auto& y = b.get_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!json_equal(x[i], y[i])) return false;
    }
    return true;
  }
  if (a.is_object() && b.is_object()) {
    const auto& x = a.get_object();
    const auto& y = b.get_object();
    if (x.size() != y.size()) return false;
    for (const auto& [k, xv] : x) {
      const json::value* yv = y.if_contains(k);
      if (yv == nullptr || !json_equal(xv, *yv)) return false;
    }
    return true;
  }
  return a == b;
}

std::size_t code_points(std::string_view s) noexcept {
  std::size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0U) != 0x80U) ++n;  // not a continuation byte
  }
  return n;
}

// --- to_strict_schema ---

json::object empty_object_schema() {
  return {{"type", "object"},
          {"properties", json::object{}},
          {"required", json::array{}},
          {"additionalProperties", false}};
}

bool declares_object(const json::object& s) {
  const json::value* t = s.if_contains("type");
  if (t == nullptr) return s.contains("properties");
  if (t->is_string()) return t->get_string() == "object";
  if (t->is_array()) {
    for (const auto& e : t->get_array()) {
      if (e.is_string() && e.get_string() == "object") return true;
    }
  }
  return false;
}

[[noreturn]] void strict_error(const std::string& path, std::string_view problem) {
  throw user_error("strict schema " + path + ": " + std::string(problem));
}

void strictify(json::object& s, const std::string& path);

void strictify_value(json::value& v, const std::string& path) {
  if (!v.is_object()) strict_error(path, "a schema must be a JSON object in strict mode");
  strictify(v.get_object(), path);
}

void strictify(json::object& s, const std::string& path) {
  if (const json::value* d = s.if_contains("default"); d != nullptr && d->is_null()) s.erase("default");

  if (declares_object(s)) {
    if (!s.contains("type")) s["type"] = "object";
    const json::value* extra = s.if_contains("additionalProperties");
    if (extra == nullptr) {
      s["additionalProperties"] = false;
    } else if (!(extra->is_bool() && !extra->get_bool())) {
      strict_error(path,
                   "additionalProperties must be false (an open object cannot be expressed in strict mode)");
    }
    json::value& props = s["properties"];
    if (props.is_null()) props = json::object{};
    if (!props.is_object()) strict_error(path, "\"properties\" must be an object");
    json::array required;
    for (auto& [key, sub] : props.get_object()) {
      required.emplace_back(key);
      std::string sub_path = path + ".properties";
      detail::append_path_key(sub_path, key);
      strictify_value(sub, sub_path);
    }
    s["required"] = std::move(required);
  }

  if (json::value* items = s.if_contains("items")) {
    if (items->is_array()) {
      std::size_t i = 0;
      for (auto& sub : items->get_array()) {
        std::string sub_path = path + ".items";
        detail::append_path_index(sub_path, i++);
        strictify_value(sub, sub_path);
      }
    } else {
      strictify_value(*items, path + ".items");
    }
  }
  for (const char* list : {"anyOf", "oneOf", "allOf"}) {
    json::value* branches = s.if_contains(list);
    if (branches == nullptr) continue;
    if (!branches->is_array()) strict_error(path, std::string("\"") + list + "\" must be an array");
    std::size_t i = 0;
    for (auto& sub : branches->get_array()) {
      std::string sub_path = path + "." + list;
      detail::append_path_index(sub_path, i++);
      strictify_value(sub, sub_path);
    }
  }
  for (const char* defs : {"$defs", "definitions"}) {
    json::value* d = s.if_contains(defs);
    if (d == nullptr) continue;
    if (!d->is_object()) strict_error(path, std::string("\"") + defs + "\" must be an object");
    for (auto& [key, sub] : d->get_object()) {
      std::string sub_path = path;
      detail::append_path_key(sub_path, defs);
      detail::append_path_key(sub_path, key);
      strictify_value(sub, sub_path);
    }
  }
}

// --- schema_violation ---

bool type_accepts(std::string_view type, const json::value& v) noexcept {
  if (type == "string") return v.is_string();
  if (type == "number") return v.is_number();
  if (type == "integer")
    return v.is_int64() || v.is_uint64() || (v.is_double() && is_integral_double(v.get_double()));
  if (type == "boolean") return v.is_bool();
  if (type == "null") return v.is_null();
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  return true;  // an unknown type name constrains nothing we understand
}

// The type names a schema's "type" lists (empty when it has none).
std::vector<std::string_view> type_names(const json::object& s) {
  std::vector<std::string_view> names;
  const json::value* t = s.if_contains("type");
  if (t == nullptr) return names;
  if (t->is_string()) {
    names.emplace_back(t->get_string());
  } else if (t->is_array()) {
    for (const auto& e : t->get_array()) {
      if (e.is_string()) names.emplace_back(e.get_string());
    }
  }
  return names;
}

std::string join_or(const std::vector<std::string_view>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += " or ";
    out += names[i];
  }
  return out;
}

std::optional<double> number_keyword(const json::object& s, std::string_view key) {
  const json::value* k = s.if_contains(key);
  if (k == nullptr || !k->is_number()) return std::nullopt;
  return k->to_number<double>();
}

std::optional<std::uint64_t> count_keyword(const json::object& s, std::string_view key) {
  const json::value* k = s.if_contains(key);
  if (k == nullptr) return std::nullopt;
  if (k->is_int64() && k->get_int64() >= 0) return static_cast<std::uint64_t>(k->get_int64());
  if (k->is_uint64()) return k->get_uint64();
  return std::nullopt;
}

class validator {
 public:
  explicit validator(const json::object& root) : root_(root) {}

  std::optional<std::string> check(const json::value& v, const json::object& s, std::string& path,
                                   int depth) const {
    if (depth > max_depth) return fail(path, "schema nesting is too deep (recursive $ref?)");

    if (const json::value* ref = s.if_contains("$ref"); ref != nullptr && ref->is_string()) {
      const json::object* target = resolve(ref->get_string());
      if (target == nullptr) return fail(path, "unresolvable schema reference " + json::serialize(*ref));
      if (auto r = check(v, *target, path, depth + 1)) return r;
    }

    if (auto r = check_type(v, s, path)) return r;
    if (auto r = check_enum_const(v, s, path)) return r;
    if (v.is_number()) {
      if (auto r = check_number(v, s, path)) return r;
    }
    if (v.is_string()) {
      if (auto r = check_string(v.get_string(), s, path)) return r;
    }
    if (v.is_array()) {
      if (auto r = check_array(v.get_array(), s, path, depth)) return r;
    }
    if (v.is_object()) {
      if (auto r = check_object(v.get_object(), s, path, depth)) return r;
    }
    return check_combinators(v, s, path, depth);
  }

 private:
  static constexpr int max_depth = 128;

  static std::optional<std::string> fail(const std::string& path, std::string_view problem) {
    return path + ": " + std::string(problem);
  }

  const json::object* resolve(std::string_view ref) const {
    if (ref.empty() || ref.front() != '#') return nullptr;  // only references into this schema
    ref.remove_prefix(1);
    const json::value* cur = nullptr;
    const json::object* obj = &root_;
    while (!ref.empty()) {
      if (ref.front() != '/') return nullptr;
      ref.remove_prefix(1);
      const std::size_t slash = ref.find('/');
      std::string token(ref.substr(0, slash));
      ref = slash == std::string_view::npos ? std::string_view{} : ref.substr(slash);
      // JSON pointer escapes: ~1 is '/', ~0 is '~' (in that order).
      for (std::size_t p = 0; (p = token.find("~1", p)) != std::string::npos;) token.replace(p, 2, "/");
      for (std::size_t p = 0; (p = token.find("~0", p)) != std::string::npos;) token.replace(p, 2, "~");
      if (obj != nullptr) {
        cur = obj->if_contains(token);
      } else if (cur != nullptr && cur->is_array()) {
        std::size_t index = 0;
        auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), index);
        if (ec != std::errc{} || end != token.data() + token.size() || index >= cur->get_array().size()) {
          return nullptr;
        }
        cur = &cur->get_array()[index];
      } else {
        return nullptr;
      }
      if (cur == nullptr) return nullptr;
      obj = cur->is_object() ? &cur->get_object() : nullptr;
    }
    return obj;
  }

  static std::optional<std::string> check_type(const json::value& v, const json::object& s,
                                               const std::string& path) {
    const std::vector<std::string_view> types = type_names(s);
    if (types.empty()) return std::nullopt;
    for (std::string_view t : types) {
      if (type_accepts(t, v)) return std::nullopt;
    }
    return fail(path, "expected " + join_or(types) + ", got " + std::string(detail::json_type_name(v)));
  }

  static std::optional<std::string> check_enum_const(const json::value& v, const json::object& s,
                                                     const std::string& path) {
    if (const json::value* e = s.if_contains("enum"); e != nullptr && e->is_array()) {
      bool found = false;
      std::string listed;
      for (const auto& allowed : e->get_array()) {
        if (json_equal(v, allowed)) found = true;
        if (!listed.empty()) listed += ", ";
        listed += display(allowed);
      }
      if (!found) return fail(path, "expected one of " + listed);
    }
    if (const json::value* c = s.if_contains("const"); c != nullptr && !json_equal(v, *c)) {
      return fail(path, "expected " + display(*c));
    }
    return std::nullopt;
  }

  static std::optional<std::string> check_number(const json::value& v, const json::object& s,
                                                 const std::string& path) {
    const double d = v.to_number<double>();
    struct bound {
      const char* keyword;
      const char* op;
      bool (*ok)(double, double);
    };
    static constexpr bound bounds[] = {
        {"minimum", ">=", [](double x, double b) { return x >= b; }},
        {"maximum", "<=", [](double x, double b) { return x <= b; }},
        {"exclusiveMinimum", ">", [](double x, double b) { return x > b; }},
        {"exclusiveMaximum", "<", [](double x, double b) { return x < b; }},
    };
    for (const bound& b : bounds) {
      const std::optional<double> limit = number_keyword(s, b.keyword);
      if (limit && !b.ok(d, *limit)) {
        return fail(path, std::string("must be ") + b.op + " " + format_number(s.at(b.keyword)));
      }
    }
    return std::nullopt;
  }

  static std::optional<std::string> check_string(std::string_view str, const json::object& s,
                                                 const std::string& path) {
    const std::size_t n = code_points(str);
    if (auto min = count_keyword(s, "minLength"); min && n < *min) {
      return fail(path, "must be at least " + std::to_string(*min) + " characters long");
    }
    if (auto max = count_keyword(s, "maxLength"); max && n > *max) {
      return fail(path, "must be at most " + std::to_string(*max) + " characters long");
    }
    return std::nullopt;
  }

  std::optional<std::string> check_array(const json::array& a, const json::object& s, std::string& path,
                                         int depth) const {
    if (auto min = count_keyword(s, "minItems"); min && a.size() < *min) {
      return fail(path, "must have at least " + std::to_string(*min) + " items");
    }
    if (auto max = count_keyword(s, "maxItems"); max && a.size() > *max) {
      return fail(path, "must have at most " + std::to_string(*max) + " items");
    }
    if (const json::value* items = s.if_contains("items"); items != nullptr && items->is_object()) {
      const std::size_t base = path.size();
      for (std::size_t i = 0; i < a.size(); ++i) {
        detail::append_path_index(path, i);
        auto r = check(a[i], items->get_object(), path, depth + 1);
        path.resize(base);
        if (r) return r;
      }
    }
    return std::nullopt;
  }

  std::optional<std::string> check_object(const json::object& o, const json::object& s, std::string& path,
                                          int depth) const {
    const json::value* props_v = s.if_contains("properties");
    const json::object* props = props_v != nullptr && props_v->is_object() ? &props_v->get_object() : nullptr;

    if (const json::value* req = s.if_contains("required"); req != nullptr && req->is_array()) {
      for (const auto& name : req->get_array()) {
        if (name.is_string() && !o.contains(name.get_string())) {
          return fail(path, "missing required property " + json::serialize(name));
        }
      }
    }

    const json::value* extra = s.if_contains("additionalProperties");
    for (const auto& [key, value] : o) {
      if (props != nullptr && props->contains(key)) continue;
      if (extra == nullptr) continue;
      if (extra->is_bool()) {
        if (!extra->get_bool())
          return fail(path, "unexpected property " + json::serialize(json::string(key)));
        continue;
      }
      if (extra->is_object()) {
        const std::size_t base = path.size();
        detail::append_path_key(path, key);
        auto r = check(value, extra->get_object(), path, depth + 1);
        path.resize(base);
        if (r) return r;
      }
    }

    if (props != nullptr) {
      for (const auto& [key, sub] : *props) {
        const json::value* value = o.if_contains(key);
        if (value == nullptr || !sub.is_object()) continue;
        const std::size_t base = path.size();
        detail::append_path_key(path, key);
        auto r = check(*value, sub.get_object(), path, depth + 1);
        path.resize(base);
        if (r) return r;
      }
    }
    return std::nullopt;
  }

  // anyOf / oneOf that nothing matched: blame the one branch whose type fits the value (its message is the
  // precise one, e.g. a nested field of an optional object), otherwise list the types the branches allow.
  std::optional<std::string> no_branch_matched(const json::value& v, const json::array& branches,
                                               std::string& path, int depth, std::string_view keyword) const {
    const json::object* candidate = nullptr;
    std::size_t candidates = 0;
    std::vector<std::string_view> all_types;
    bool every_branch_typed = true;
    for (const auto& b : branches) {
      if (!b.is_object()) continue;
      const std::vector<std::string_view> types = type_names(b.get_object());
      if (types.empty()) every_branch_typed = false;
      bool fits = types.empty();
      for (std::string_view t : types) {
        if (type_accepts(t, v) || (t == "integer" && v.is_number())) fits = true;
        bool seen = false;
        for (std::string_view a : all_types) seen = seen || a == t;
        if (!seen) all_types.push_back(t);
      }
      if (fits) {
        candidate = &b.get_object();
        ++candidates;
      }
    }
    if (candidates == 1) return check(v, *candidate, path, depth + 1);
    if (candidates == 0 && every_branch_typed && !all_types.empty()) {
      return fail(path, "expected " + join_or(all_types) + ", got " + std::string(detail::json_type_name(v)));
    }
    return fail(path, "does not match any of the allowed schemas (" + std::string(keyword) + ")");
  }

  std::optional<std::string> check_combinators(const json::value& v, const json::object& s, std::string& path,
                                               int depth) const {
    if (const json::value* all = s.if_contains("allOf"); all != nullptr && all->is_array()) {
      for (const auto& b : all->get_array()) {
        if (!b.is_object()) continue;
        if (auto r = check(v, b.get_object(), path, depth + 1)) return r;
      }
    }
    if (const json::value* any = s.if_contains("anyOf"); any != nullptr && any->is_array()) {
      bool matched = false;
      for (const auto& b : any->get_array()) {
        if (b.is_object() && !check(v, b.get_object(), path, depth + 1)) {
          matched = true;
          break;
        }
      }
      if (!matched) return no_branch_matched(v, any->get_array(), path, depth, "anyOf");
    }
    if (const json::value* one = s.if_contains("oneOf"); one != nullptr && one->is_array()) {
      std::size_t matches = 0;
      for (const auto& b : one->get_array()) {
        if (b.is_object() && !check(v, b.get_object(), path, depth + 1)) ++matches;
      }
      if (matches == 0) return no_branch_matched(v, one->get_array(), path, depth, "oneOf");
      if (matches > 1) return fail(path, "matches more than one of the schemas in oneOf");
    }
    return std::nullopt;
  }

  const json::object& root_;
};

}  // namespace

boost::json::object to_strict_schema(boost::json::object schema) {
  if (schema.empty()) return empty_object_schema();
  strictify(schema, "$");
  const std::vector<std::string_view> types = type_names(schema);
  if (types.size() != 1 || types.front() != "object") {
    strict_error("$", "the root must be a non-nullable object schema (\"type\": \"object\")");
  }
  return schema;
}

std::optional<std::string> schema_violation(const boost::json::value& v, const boost::json::object& schema) {
  std::string path = "$";
  return validator(schema).check(v, schema, path, 0);
}

namespace detail {

void append_path_key(std::string& path, std::string_view key) {
  if (is_identifier(key)) {
    path += '.';
    path += key;
  } else {
    path += '[';
    path += json::serialize(json::string(key));
    path += ']';
  }
}

void append_path_index(std::string& path, std::size_t index) {
  path += '[';
  path += std::to_string(index);
  path += ']';
}

std::string_view json_type_name(const boost::json::value& v) noexcept {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return "number";
    case json::kind::string:
      return "string";
    case json::kind::array:
      return "array";
    case json::kind::object:
      return "object";
  }
  return "unknown";
}

void throw_argument_error(const std::string& path, std::string_view problem) {
  throw tool_argument_error(path + ": " + std::string(problem));
}

void throw_type_mismatch(const std::string& path, std::string_view expected, const boost::json::value& got) {
  throw_argument_error(path,
                       "expected " + std::string(expected) + ", got " + std::string(json_type_name(got)));
}

namespace {

[[noreturn]] void throw_out_of_range(const std::string& path, const json::value& v, const std::string& min,
                                     const std::string& max) {
  throw_argument_error(path, format_number(v) + " is out of range [" + min + ", " + max + "]");
}

}  // namespace

std::int64_t decode_signed(const boost::json::value& v, const std::string& path, std::int64_t min,
                           std::int64_t max) {
  std::int64_t i = 0;
  bool fits = false;
  if (v.is_int64()) {
    i = v.get_int64();
    fits = true;
  } else if (v.is_uint64()) {
    fits = v.get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (fits) i = static_cast<std::int64_t>(v.get_uint64());
  } else if (v.is_double()) {
    const double d = v.get_double();
    if (!is_integral_double(d)) throw_type_mismatch(path, "integer", v);
    fits = d >= -two_pow_63 && d < two_pow_63;  // checked before the cast: out-of-range casts are UB
    if (fits) i = static_cast<std::int64_t>(d);
  } else {
    throw_type_mismatch(path, "integer", v);
  }
  if (!fits || i < min || i > max) throw_out_of_range(path, v, std::to_string(min), std::to_string(max));
  return i;
}

std::uint64_t decode_unsigned(const boost::json::value& v, const std::string& path, std::uint64_t max) {
  std::uint64_t u = 0;
  bool fits = false;
  if (v.is_int64()) {
    fits = v.get_int64() >= 0;
    if (fits) u = static_cast<std::uint64_t>(v.get_int64());
  } else if (v.is_uint64()) {
    u = v.get_uint64();
    fits = true;
  } else if (v.is_double()) {
    const double d = v.get_double();
    if (!is_integral_double(d)) throw_type_mismatch(path, "integer", v);
    fits = d >= 0 && d < two_pow_64;
    if (fits) u = static_cast<std::uint64_t>(d);
  } else {
    throw_type_mismatch(path, "integer", v);
  }
  if (!fits || u > max) throw_out_of_range(path, v, "0", std::to_string(max));
  return u;
}

double decode_double(const boost::json::value& v, const std::string& path, double max_magnitude) {
  if (!v.is_number()) throw_type_mismatch(path, "number", v);
  const double d = v.to_number<double>();
  if (!(std::fabs(d) <= max_magnitude)) {
    throw_argument_error(path, format_number(v) + " is out of range for a " +
                                   (max_magnitude < std::numeric_limits<double>::max() ? "float" : "double"));
  }
  return d;
}

boost::json::object make_nullable(boost::json::object schema) {
  const json::value* t = schema.if_contains("type");
  const bool scalar = t != nullptr && t->is_string() && t->get_string() != "object" &&
                      t->get_string() != "array" && !schema.contains("enum") && !schema.contains("anyOf");
  if (scalar) {
    json::value type = *t;
    schema["type"] = json::array{std::move(type), "null"};
    return schema;
  }
  return {{"anyOf", json::array{std::move(schema), json::object{{"type", "null"}}}}};
}

std::string quoted_list(const std::vector<std::string_view>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ", ";
    out += json::serialize(json::string(names[i]));
  }
  return out;
}

}  // namespace detail

}  // namespace chatkit::agents
