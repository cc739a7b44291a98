// The single-pass request reader (detail/request_parser.hpp): a Boost.JSON basic_parser handler that fills
// the typed request as the parser reports each value.
//
// The typed side is described once per C++ type by a table of functions (`value_ops`), built at compile time
// from the Boost.Describe annotations the tree reader uses too (codec.hpp): which JSON values a field takes
// and where they go. Objects and arrays being read are kept on a stack of frames; free JSON (metadata, tag
// data, payloads, tool results) is built with a value_stack, as the tree reader's parser does; members nobody
// reads are skipped. The limits are checked on the same events as the tree reader's parser checks them.
#include "detail/request_parser.hpp"

#include "detail/codec.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>
#include <boost/mp11/algorithm.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <utility>

namespace chatkit::protocol::detail {

namespace {

class single_pass;

// Where one JSON value goes, by the kind of value. Each function returns false to hand the body back (the
// value does not fit: wrong type, unknown enum value, ...); the default for a kind is false.
struct value_ops {
  bool (*on_string)(void* target, std::string_view s, single_pass& h);
  bool (*on_int64)(void* target, std::int64_t i);
  bool (*on_uint64)(void* target, std::uint64_t u);
  bool (*on_double)(void* target, double d);
  bool (*on_bool)(void* target, bool b);
  bool (*on_null)(void* target);
  bool (*on_object)(void* target, single_pass& h);  // an object starts: push a frame or start free JSON
  bool (*on_array)(void* target, single_pass& h);
};

struct slot {
  void* target = nullptr;
  const value_ops* ops = nullptr;  // nullptr: the value is skipped (a member nobody reads)
};

// A described struct: its members by name (plus a pseudo member "type" for a discriminated one).
struct struct_ops {
  // The index of the member named `key` (members in declaration order, then "type" for a discriminated
  // struct), or -1 when there is none; `expected` is tried first.
  int (*find)(std::string_view key, int expected);
  slot (*member)(void* target, int index);
  std::uint64_t required;  // members that must be present
  int type_index;          // index of the "type" pseudo member, -1 when not discriminated
};

// A std::variant discriminated by "type": selects and constructs the alternative.
struct variant_ops {
  // The alternative named `name`, constructed in the variant; {nullptr, nullptr} when there is none.
  std::pair<void*, const struct_ops*> (*select)(void* target, std::string_view name);
};

// std::vector<T>: appends an element, the slot of the next value. std::map<std::string, T>: adds the member
// `key`, an empty slot when it is already there.
struct vector_ops {
  slot (*append)(void* target);
};
struct map_ops {
  slot (*insert)(void* target, std::string_view key);
};

// The tables of a type (defined below the handler).
template <class T>
const value_ops* ops_of();
template <class T>
const struct_ops* struct_ops_of();
template <class T>
const variant_ops* variant_ops_of();
template <class T>
const vector_ops* vector_ops_of();
template <class T>
const map_ops* map_ops_of();

// ---- the handler ------------------------------------------------------------------------------------------

class single_pass {
 public:
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);
  using ec_t = boost::system::error_code;
  using sv = boost::json::string_view;

  single_pass(const read_limits& limits, request& out, unsigned char* temp, std::size_t temp_size)
      : limits_(limits), free_({}, temp, temp_size) {
    next_ = slot{&out, ops_of<request>()};
  }

  bool declined() const noexcept { return declined_; }
  bool complete() const noexcept { return done_; }

  // ---- called by value_ops
  bool push_struct(void* target, const struct_ops* ops) {
    return frames_.push({frame::struct_, 0, target, ops, 0});
  }
  bool push_variant(void* target, const variant_ops* ops) {
    return frames_.push({frame::variant_, 0, target, ops, 0});
  }
  bool push_vector(void* target, const vector_ops* ops) {
    return frames_.push({frame::vector_, 0, target, ops, 0});
  }
  bool push_map(void* target, const map_ops* ops) { return frames_.push({frame::map_, 0, target, ops, 0}); }
  // Free JSON starts with an object or array: build it with the value_stack until it closes.
  void begin_free(void* target, bool object_only) {
    free_target_ = target;
    free_object_ = object_only;
    free_depth_ = 1;
    free_.reset();
  }
  // The value of "type", first member of a variant's object: becomes the alternative's struct frame.
  bool select_alternative(std::string_view name) {
    frame& f = frames_.back();
    const auto [alt, ops] = static_cast<const variant_ops*>(f.ops)->select(f.target, name);
    if (!alt) return false;
    f = frame{frame::struct_, 0, alt, ops, std::uint64_t{1} << ops->type_index};
    return true;
  }

  // ---- basic_parser handler
  bool on_document_begin(ec_t&) { return true; }
  bool on_document_end(ec_t&) { return true; }

  bool on_object_begin(ec_t& ec) {
    if (free_depth_) {
      ++free_depth_;
      return true;
    }
    if (skip_depth_) {
      ++skip_depth_;
      return true;
    }
    const slot s = take_slot();
    if (!s.ops) {
      skip_depth_ = 1;
      return true;
    }
    return s.ops->on_object(s.target, *this) || decline(ec);
  }

  bool on_object_end(std::size_t n, ec_t& ec) {
    if (free_depth_) {
      free_.push_object(n);
      return --free_depth_ ? true : end_free();
    }
    if (skip_depth_) return --skip_depth_ ? true : value_done();
    const frame& f = frames_.back();
    if (f.kind == frame::map_) {
      frames_.pop();
      return value_done();
    }
    if (f.kind != frame::struct_) return decline(ec);  // a variant's object without "type"
    const auto* ops = static_cast<const struct_ops*>(f.ops);
    if ((f.seen & ops->required) != ops->required) return decline(ec);
    frames_.pop();
    return value_done();
  }

  bool on_array_begin(ec_t& ec) {
    if (free_depth_) {
      ++free_depth_;
      return true;
    }
    if (skip_depth_) {
      ++skip_depth_;
      return true;
    }
    const slot s = take_slot();
    if (!s.ops) {
      skip_depth_ = 1;
      return true;
    }
    return s.ops->on_array(s.target, *this) || decline(ec);
  }

  bool on_array_end(std::size_t n, ec_t& ec) {
    if (n > limits_.max_array_items) return decline(ec);
    if (free_depth_) {
      free_.push_array(n);
      return --free_depth_ ? true : end_free();
    }
    if (skip_depth_) return --skip_depth_ ? true : value_done();
    frames_.pop();
    return value_done();
  }

  bool on_key_part(sv s, std::size_t n, ec_t& ec) { return text_part(s, n, key_, ec); }
  bool on_key(sv s, std::size_t n, ec_t& ec) {
    return text(
        s, n, key_, ec, [this](sv k) { free_.push_key(k); },
        [this](std::string_view key) { return on_member(key); });
  }

  bool on_string_part(sv s, std::size_t n, ec_t& ec) { return text_part(s, n, string_, ec); }
  bool on_string(sv s, std::size_t n, ec_t& ec) {
    return text(
        s, n, string_, ec, [this](sv v) { free_.push_string(v); },
        [this](std::string_view str) {
          const slot t = take_slot();
          return (!t.ops || t.ops->on_string(t.target, str, *this)) && value_done();
        });
  }

  bool on_number_part(sv, ec_t&) { return true; }
  bool on_int64(std::int64_t i, sv, ec_t& ec) {
    if (free_depth_) {
      free_.push_int64(i);
      return true;
    }
    return scalar(ec, [i](const slot& t) { return t.ops->on_int64(t.target, i); });
  }
  bool on_uint64(std::uint64_t u, sv, ec_t& ec) {
    if (free_depth_) {
      free_.push_uint64(u);
      return true;
    }
    return scalar(ec, [u](const slot& t) { return t.ops->on_uint64(t.target, u); });
  }
  bool on_double(double d, sv, ec_t& ec) {
    if (free_depth_) {
      free_.push_double(d);
      return true;
    }
    return scalar(ec, [d](const slot& t) { return t.ops->on_double(t.target, d); });
  }
  bool on_bool(bool b, ec_t& ec) {
    if (free_depth_) {
      free_.push_bool(b);
      return true;
    }
    return scalar(ec, [b](const slot& t) { return t.ops->on_bool(t.target, b); });
  }
  bool on_null(ec_t& ec) {
    if (free_depth_) {
      free_.push_null();
      return true;
    }
    return scalar(ec, [](const slot& t) { return t.ops->on_null(t.target); });
  }
  bool on_comment_part(sv, ec_t&) { return true; }
  bool on_comment(sv, ec_t&) { return true; }

 private:
  struct frame {
    enum kind_t : std::uint8_t { struct_, variant_, vector_, map_ } kind;
    int hint;  // struct: the member expected next (clients send them in declaration order)
    void* target;
    const void* ops;     // struct_ops, variant_ops, vector_ops or map_ops
    std::uint64_t seen;  // struct: the members read so far
  };

  // The typed objects and arrays open: their nesting is bounded by the request types (free JSON and skipped
  // members take no frame), so a fixed array does; deeper, the body is handed back.
  class frame_stack {
   public:
    bool push(const frame& f) noexcept {
      if (size_ == capacity) return false;
      frames_[size_++] = f;
      return true;
    }
    void pop() noexcept { --size_; }
    frame& back() noexcept { return frames_[size_ - 1]; }
    bool empty() const noexcept { return size_ == 0; }

   private:
    static constexpr std::size_t capacity = 24;
    frame frames_[capacity];
    std::size_t size_ = 0;
  };

  bool decline(ec_t& ec) {
    declined_ = true;
    ec = boost::json::error::exception;
    return false;
  }

  // The slot the next value goes to: the member named by the last key, the next element of an array, or the
  // request itself at the root.
  slot take_slot() {
    if (!frames_.empty() && frames_.back().kind == frame::vector_) {
      const frame& f = frames_.back();
      return static_cast<const vector_ops*>(f.ops)->append(f.target);
    }
    return next_;
  }

  // A key or a string value arrives in parts when the parser's input splits it: the parts are gathered in
  // `buffer` (free JSON takes them as they come; a skipped member drops them).
  BOOST_FORCEINLINE bool text_part(sv s, std::size_t n, std::string& buffer, ec_t& ec) {
    if (n > limits_.max_string_bytes) return decline(ec);
    if (free_depth_)
      free_.push_chars(s);
    else if (!skip_depth_)
      buffer.append(s.data(), s.size());
    return true;
  }

  // The last part of a key or a string value: the whole text goes to free JSON (`push_free`) or, in a typed
  // object, to `use` (false hands the body back).
  template <class PushFree, class Use>
  BOOST_FORCEINLINE bool text(sv s, std::size_t n, std::string& buffer, ec_t& ec, PushFree&& push_free,
                              Use&& use) {
    if (n > limits_.max_string_bytes) return decline(ec);
    if (free_depth_) {
      push_free(s);
      return true;
    }
    if (skip_depth_) return true;
    std::string_view whole(s.data(), s.size());
    if (!buffer.empty()) {
      buffer.append(s.data(), s.size());
      whole = buffer;
    }
    const bool ok = use(whole);
    buffer.clear();
    return ok || decline(ec);
  }

  template <class F>
  bool scalar(ec_t& ec, F&& apply) {
    if (skip_depth_) return true;
    const slot t = take_slot();
    return ((!t.ops || apply(t)) && value_done()) || decline(ec);
  }

  // A value (scalar, or a closed object or array) is complete.
  bool value_done() noexcept {
    if (frames_.empty() && !skip_depth_ && !free_depth_) done_ = true;
    next_ = slot{};
    return true;
  }

  bool end_free() {
    boost::json::value v = free_.release();
    if (free_object_)
      *static_cast<boost::json::object*>(free_target_) = std::move(v.get_object());
    else
      *static_cast<boost::json::value*>(free_target_) = std::move(v);
    return value_done();
  }

  // A member name in a typed object: where its value goes.
  bool on_member(std::string_view key) {
    frame& f = frames_.back();
    switch (f.kind) {
      case frame::struct_: {
        const auto* ops = static_cast<const struct_ops*>(f.ops);
        const int i = ops->find(key, f.hint);
        if (i < 0) {
          next_ = slot{};  // unknown: skipped (the limits still apply)
          return true;
        }
        f.hint = i + 1;
        const std::uint64_t bit = std::uint64_t{1} << i;
        if (f.seen & bit) return false;  // given twice: the tree reader decides which one counts
        f.seen |= bit;
        next_ = ops->member(f.target, i);
        return true;
      }
      case frame::variant_:
        if (key != "type") return false;
        next_ = slot{nullptr, variant_type_ops()};
        return true;
      case frame::map_: {
        next_ = static_cast<const map_ops*>(f.ops)->insert(f.target, key);
        return next_.ops != nullptr;
      }
      case frame::vector_:
        break;
    }
    return false;
  }

  // The value of a variant's "type" member (defined below).
  static const value_ops* variant_type_ops();

  const read_limits& limits_;
  frame_stack frames_;
  slot next_;
  std::size_t skip_depth_ = 0;  // > 0 inside an object or array nobody reads
  std::size_t free_depth_ = 0;  // > 0 inside free JSON
  void* free_target_ = nullptr;
  bool free_object_ = false;
  boost::json::value_stack free_;
  std::string key_;     // a member name given in parts
  std::string string_;  // a string given in parts
  bool declined_ = false;
  bool done_ = false;
};

// ---- value_ops for each kind of field
// ----------------------------------------------------------------------

constexpr bool no_string(void*, std::string_view, single_pass&) {
  return false;
}
constexpr bool no_int64(void*, std::int64_t) {
  return false;
}
constexpr bool no_uint64(void*, std::uint64_t) {
  return false;
}
constexpr bool no_double(void*, double) {
  return false;
}
constexpr bool no_bool(void*, bool) {
  return false;
}
constexpr bool no_null(void*) {
  return false;
}
constexpr bool no_container(void*, single_pass&) {
  return false;
}

constexpr value_ops nothing_ops = {no_string, no_int64, no_uint64,    no_double,
                                   no_bool,   no_null,  no_container, no_container};

const value_ops* single_pass::variant_type_ops() {
  static constexpr value_ops ops = [] {
    value_ops o = nothing_ops;
    o.on_string = [](void*, std::string_view s, single_pass& h) { return h.select_alternative(s); };
    return o;
  }();
  return &ops;
}

template <class T>
T& as(void* p) {
  return *static_cast<T*>(p);
}

template <class I>
bool fits(std::int64_t n) {
  return n >= static_cast<std::int64_t>(std::numeric_limits<I>::min()) &&
         (n <= 0 ||
          static_cast<std::uint64_t>(n) <= static_cast<std::uint64_t>(std::numeric_limits<I>::max()));
}

template <class T>
constexpr value_ops make_ops() {
  value_ops ops = nothing_ops;
  if constexpr (std::is_same_v<T, std::string>) {
    ops.on_string = [](void* t, std::string_view s, single_pass&) {
      as<std::string>(t).assign(s.data(), s.size());
      return true;
    };
  } else if constexpr (std::is_same_v<T, bool>) {
    ops.on_bool = [](void* t, bool b) {
      as<bool>(t) = b;
      return true;
    };
  } else if constexpr (std::is_integral_v<T>) {
    ops.on_int64 = [](void* t, std::int64_t i) {
      if (!fits<T>(i)) return false;
      as<T>(t) = static_cast<T>(i);
      return true;
    };
    ops.on_uint64 = [](void* t, std::uint64_t u) {
      if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return false;
      const auto i = static_cast<std::int64_t>(u);
      if (!fits<T>(i)) return false;
      as<T>(t) = static_cast<T>(i);
      return true;
    };
  } else if constexpr (std::is_same_v<T, double>) {
    ops.on_double = [](void* t, double d) {
      as<double>(t) = d;
      return true;
    };
    ops.on_int64 = [](void* t, std::int64_t i) {
      as<double>(t) = static_cast<double>(i);
      return true;
    };
    ops.on_uint64 = [](void* t, std::uint64_t u) {
      as<double>(t) = static_cast<double>(u);
      return true;
    };
  } else if constexpr (described_enum<T>) {
    ops.on_string = [](void* t, std::string_view s, single_pass&) {
      bool found = false;
      boost::mp11::mp_for_each<boost::describe::describe_enumerators<T>>([&](auto d) {
        if (!found && s == d.name) {
          as<T>(t) = d.value;
          found = true;
        }
      });
      return found;
    };
  } else if constexpr (std::is_same_v<T, boost::json::value>) {
    ops.on_string = [](void* t, std::string_view s, single_pass&) {
      as<boost::json::value>(t) = boost::json::string_view(s.data(), s.size());
      return true;
    };
    ops.on_int64 = [](void* t, std::int64_t i) {
      as<boost::json::value>(t) = i;
      return true;
    };
    ops.on_uint64 = [](void* t, std::uint64_t u) {
      as<boost::json::value>(t) = u;
      return true;
    };
    ops.on_double = [](void* t, double d) {
      as<boost::json::value>(t) = d;
      return true;
    };
    ops.on_bool = [](void* t, bool b) {
      as<boost::json::value>(t) = b;
      return true;
    };
    ops.on_null = [](void* t) {
      as<boost::json::value>(t) = nullptr;
      return true;
    };
    ops.on_object = [](void* t, single_pass& h) {
      h.begin_free(t, false);
      return true;
    };
    ops.on_array = ops.on_object;
  } else if constexpr (std::is_same_v<T, boost::json::object>) {
    ops.on_object = [](void* t, single_pass& h) {
      h.begin_free(t, true);
      return true;
    };
  } else if constexpr (is_optional<T>::value) {
    using U = typename T::value_type;
    // null: absent (for free JSON too: an optional free value holding null counts as absent).
    ops.on_null = [](void* t) {
      as<T>(t).reset();
      return true;
    };
    ops.on_string = [](void* t, std::string_view s, single_pass& h) {
      return ops_of<U>()->on_string(&as<T>(t).emplace(), s, h);
    };
    ops.on_int64 = [](void* t, std::int64_t i) { return ops_of<U>()->on_int64(&as<T>(t).emplace(), i); };
    ops.on_uint64 = [](void* t, std::uint64_t u) { return ops_of<U>()->on_uint64(&as<T>(t).emplace(), u); };
    ops.on_double = [](void* t, double d) { return ops_of<U>()->on_double(&as<T>(t).emplace(), d); };
    ops.on_bool = [](void* t, bool b) { return ops_of<U>()->on_bool(&as<T>(t).emplace(), b); };
    ops.on_object = [](void* t, single_pass& h) { return ops_of<U>()->on_object(&as<T>(t).emplace(), h); };
    ops.on_array = [](void* t, single_pass& h) { return ops_of<U>()->on_array(&as<T>(t).emplace(), h); };
  } else if constexpr (is_vector<T>::value) {
    ops.on_array = [](void* t, single_pass& h) { return h.push_vector(t, vector_ops_of<T>()); };
  } else if constexpr (is_map<T>::value) {
    ops.on_object = [](void* t, single_pass& h) { return h.push_map(t, map_ops_of<T>()); };
  } else if constexpr (is_variant<T>::value) {
    ops.on_object = [](void* t, single_pass& h) { return h.push_variant(t, variant_ops_of<T>()); };
  } else if constexpr (described_struct<T>) {
    ops.on_object = [](void* t, single_pass& h) { return h.push_struct(t, struct_ops_of<T>()); };
  }
  return ops;
}

template <class T>
const value_ops* ops_of() {
  static constexpr value_ops ops = make_ops<T>();
  return &ops;
}

template <class T>
const vector_ops* vector_ops_of() {
  static constexpr vector_ops ops = {[](void* t) {
    return slot{&as<T>(t).emplace_back(), ops_of<typename T::value_type>()};
  }};
  return &ops;
}

template <class T>
const map_ops* map_ops_of() {
  static constexpr map_ops ops = {[](void* t, std::string_view key) {
    auto [it, added] = as<T>(t).try_emplace(std::string(key));
    return added ? slot{&it->second, ops_of<typename T::mapped_type>()} : slot{};
  }};
  return &ops;
}

// A variant's alternatives, each a discriminated struct, selected by name.
template <class... A>
std::pair<void*, const struct_ops*> select_of(std::variant<A...>& v, std::string_view name) {
  std::pair<void*, const struct_ops*> out{nullptr, nullptr};
  (void)((name == A::type_name ? (out = {&v.template emplace<A>(), struct_ops_of<A>()}, true) : false) ||
         ...);
  return out;
}

template <class T>
const variant_ops* variant_ops_of() {
  static constexpr variant_ops ops = {
      [](void* t, std::string_view name) { return select_of(as<T>(t), name); }};
  return &ops;
}

// ---- struct_ops from Boost.Describe
// ------------------------------------------------------------------------

// The "type" member of a discriminated struct read outside a variant: must name the struct.
template <class T>
constexpr value_ops type_check_ops = [] {
  value_ops ops = nothing_ops;
  ops.on_string = [](void*, std::string_view s, single_pass&) { return s == T::type_name; };
  return ops;
}();

template <class T>
using members_of =
    boost::describe::describe_members<T, boost::describe::mod_public | boost::describe::mod_inherited>;

template <class T>
constexpr std::uint64_t required_members() {
  std::uint64_t mask = 0;
  int i = 0;
  boost::mp11::mp_for_each<members_of<T>>([&](auto d) {
    using M = std::remove_cvref_t<decltype(std::declval<T&>().*d.pointer)>;
    if (!is_optional<M>::value && !is_defaulted<T>(d.name)) mask |= std::uint64_t{1} << i;
    ++i;
  });
  return mask;
}

template <class T>
const struct_ops* struct_ops_of() {
  using members = members_of<T>;
  constexpr int count = static_cast<int>(boost::mp11::mp_size<members>::value);
  static_assert(count < 63, "one bit per member");
  static constexpr struct_ops ops = {
      [](std::string_view key, int expected) {
        // Names compared one by one with constants (inlined, no call to memcmp); the expected one first.
        if (expected < count) {
          bool hit = false;
          boost::mp11::mp_with_index<static_cast<std::size_t>(count)>(
              static_cast<std::size_t>(expected), [&](auto i) {
                hit = key == std::string_view(boost::mp11::mp_at_c<members, decltype(i)::value>::name);
              });
          if (hit) return expected;
        }
        int found = -1, i = 0;
        boost::mp11::mp_for_each<members>([&](auto d) {
          if (found < 0 && key == std::string_view(d.name)) found = i;
          ++i;
        });
        if constexpr (discriminated<T>) {
          if (found < 0 && key == "type") found = count;
        }
        return found;
      },
      [](void* t, int index) {
        slot s{};
        if (index == count) {
          if constexpr (discriminated<T>) s = slot{t, &type_check_ops<T>};
          return s;
        }
        boost::mp11::mp_with_index<static_cast<std::size_t>(count)>(
            static_cast<std::size_t>(index), [&](auto i) {
              using D = boost::mp11::mp_at_c<members, decltype(i)::value>;
              auto& member = as<T>(t).*D::pointer;
              s = slot{&member, ops_of<std::remove_cvref_t<decltype(member)>>()};
            });
        return s;
      },
      required_members<T>(),
      discriminated<T> ? count : -1,
  };
  return &ops;
}

}  // namespace

void check_body_size(std::string_view body, const read_limits& limits) {
  if (body.size() > limits.max_body_bytes)
    throw chatkit::error(errc::payload_too_large, "(root): body of " + std::to_string(body.size()) +
                                                      " bytes exceeds the limit of " +
                                                      std::to_string(limits.max_body_bytes) + " bytes");
  if (body.empty()) throw chatkit::error(errc::invalid_request, "(root): empty body");
}

std::optional<request> read_request_single_pass(std::string_view body, const read_limits& limits) {
  check_body_size(body, limits);
  std::optional<request> out(std::in_place);
  boost::json::parse_options options;
  options.max_depth = limits.max_depth;
  unsigned char temp[1024];  // the value_stack's first bytes for free JSON
  boost::json::basic_parser<single_pass> parser(options, limits, *out, temp, sizeof temp);
  boost::system::error_code ec;
  const std::size_t consumed = parser.write_some(false, body.data(), body.size(), ec);
  if (parser.handler().declined()) return std::nullopt;
  if (!ec && consumed < body.size()) ec = boost::json::error::extra_data;
  if (ec) {
    // The tree reader's parser stops on the same byte with the same error: no limit was reached before it
    // (the pass would have handed the body back).
    std::string message = "(root): ";
    if (ec == boost::json::error::too_deep)
      message += "nesting deeper than " + std::to_string(limits.max_depth) + " levels";
    else
      message += "malformed JSON (" + ec.message() + ") at byte " + std::to_string(consumed);
    throw chatkit::error(errc::invalid_request, std::move(message));
  }
  if (!parser.handler().complete()) return std::nullopt;
  return out;
}

}  // namespace chatkit::protocol::detail
