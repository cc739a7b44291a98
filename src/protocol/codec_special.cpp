// The non-generic parts of the protocol codec: paths and error messages, scalar readers with limits, and the
// types whose JSON depends on the audience or is not a plain struct (attachments, threads, widgets,
// summaries).
#include "detail/codec.hpp"
#include "detail/json_chars.hpp"

#include <chatkit/protocol/widget.hpp>

namespace chatkit::protocol::detail {

std::string render_path(const path_node& at) {
  std::vector<const path_node*> chain;
  for (const path_node* n = &at; n; n = n->parent) chain.push_back(n);
  std::string out;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    const path_node& n = **it;
    if (!n.parent) {
      out.append(n.prefix);
      continue;
    }
    if (n.is_index) {
      out.push_back('[');
      out.append(std::to_string(n.index));
      out.push_back(']');
    } else {
      if (!out.empty()) out.push_back('.');
      out.append(n.key);
    }
  }
  return out;
}

void fail(const path_node& at, std::string_view problem) {
  std::string path = render_path(at);
  std::string message = path.empty() ? std::string("(root)") : path;
  message.append(": ");
  message.append(problem);
  throw chatkit::error(errc::invalid_request, std::move(message), std::move(path));
}

std::string_view kind_name(const boost::json::value& v) noexcept {
  switch (v.kind()) {
    case boost::json::kind::null:
      return "null";
    case boost::json::kind::bool_:
      return "boolean";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
      return "integer";
    case boost::json::kind::double_:
      return "number";
    case boost::json::kind::string:
      return "string";
    case boost::json::kind::array:
      return "array";
    case boost::json::kind::object:
      return "object";
  }
  return "value";
}

void fail_kind(const path_node& at, std::string_view expected, const boost::json::value& got) {
  std::string problem = "expected ";
  problem.append(expected);
  problem.append(", got ");
  problem.append(kind_name(got));
  fail(at, problem);
}

std::string join_alternatives(const std::string_view* names, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) out.append(i + 1 == n ? " or " : ", ");
    out.append(names[i]);
  }
  return out;
}

namespace {

void check_string(std::string_view s, const path_node& at, const read_limits& limits) {
  if (s.size() > limits.max_string_bytes)
    fail(at, "string of " + std::to_string(s.size()) + " bytes exceeds the limit of " +
                 std::to_string(limits.max_string_bytes) + " bytes");
}

void check_free(const boost::json::value& v, const path_node& at, const read_limits& limits,
                std::size_t depth) {
  if (depth > limits.max_depth)
    fail(at, "nesting deeper than " + std::to_string(limits.max_depth) + " levels");
  switch (v.kind()) {
    case boost::json::kind::string:
      check_string(v.get_string(), at, limits);
      break;
    case boost::json::kind::array: {
      const auto& arr = v.get_array();
      if (arr.size() > limits.max_array_items)
        fail(at, "array has " + std::to_string(arr.size()) + " items; the limit is " +
                     std::to_string(limits.max_array_items));
      for (std::size_t i = 0; i < arr.size(); ++i)
        check_free(arr[i], path_node{&at, {}, i, true, {}}, limits, depth + 1);
      break;
    }
    case boost::json::kind::object:
      for (const auto& m : v.get_object()) {
        path_node child{&at, m.key(), 0, false, {}};
        check_string(m.key(), child, limits);
        check_free(m.value(), child, limits, depth + 1);
      }
      break;
    default:
      break;
  }
}

const boost::json::value* field(const boost::json::object& obj, std::string_view name) {
  return obj.if_contains(name);
}

template <class M>
void required(const boost::json::object& obj, std::string_view name, M& out, const path_node& at,
              const reader& r) {
  path_node child{&at, name, 0, false, {}};
  const auto* f = field(obj, name);
  if (!f) fail(child, "missing required field");
  read_value(*f, out, child, r);
}

template <class M>
void optional_field(const boost::json::object& obj, std::string_view name, M& out, const path_node& at,
                    const reader& r) {
  path_node child{&at, name, 0, false, {}};
  if (const auto* f = field(obj, name)) read_value(*f, out, child, r);
}

const boost::json::object& expect_object(const boost::json::value& v, const path_node& at) {
  if (!v.is_object()) fail_kind(at, "object", v);
  return v.get_object();
}

}  // namespace

void check_free_json(const boost::json::value& v, const path_node& at, const read_limits& limits) {
  check_free(v, at, limits, 0);
}

void read_value(const boost::json::value& v, std::string& out, const path_node& at, const reader& r) {
  if (!v.is_string()) fail_kind(at, "string", v);
  const auto& s = v.get_string();
  check_string(s, at, r.limits);
  out.assign(s.data(), s.size());
}

void read_value(const boost::json::value& v, bool& out, const path_node& at, const reader&) {
  if (!v.is_bool()) fail_kind(at, "boolean", v);
  out = v.get_bool();
}

void read_value(const boost::json::value& v, boost::json::value& out, const path_node& at, const reader& r) {
  check_free_json(v, at, r.limits);
  out = v;
}

void read_value(const boost::json::value& v, boost::json::object& out, const path_node& at, const reader& r) {
  if (!v.is_object()) fail_kind(at, "object", v);
  check_free_json(v, at, r.limits);
  out = v.get_object();
}

void read_value(const boost::json::value& v, timestamp& out, const path_node& at, const reader&) {
  if (!v.is_string()) fail_kind(at, "string", v);
  auto t = parse_timestamp(v.get_string());
  if (!t)
    fail(at, "invalid ISO-8601 date-time \"" + std::string(std::string_view(v.get_string()).substr(0, 64)) +
                 "\"");
  out = *t;
}

void write_value(json_writer& w, timestamp v) {
  // Timestamps never need escaping: format straight into the output.
  w.raw("\"");
  std::string& out = w.buffer();
  append_timestamp(out, v);
  out.push_back('"');
}

// ---- attachments
// -------------------------------------------------------------------------------------------

void write_value(json_writer& w, const attachment& v) {
  w.begin_object();
  w.key("id");
  w.string(v.id);
  w.key("name");
  w.string(v.name);
  w.key("mime_type");
  w.string(v.mime_type);
  w.key("type");
  write_value(w, v.type);
  write_member(w, "upload_descriptor", v.upload_descriptor);
  write_member(w, "thread_id", v.thread_id);
  write_member(w, "preview_url", v.preview_url);
  if (w.who() == audience::storage) {
    w.key("metadata");
    write_value(w, v.metadata);
  }
  w.end_object();
}

void read_value(const boost::json::value& v, attachment& out, const path_node& at, const reader& r) {
  const auto& obj = expect_object(v, at);
  required(obj, "id", out.id, at, r);
  required(obj, "name", out.name, at, r);
  required(obj, "mime_type", out.mime_type, at, r);
  required(obj, "type", out.type, at, r);
  out.upload_descriptor.reset();
  out.thread_id.reset();
  out.preview_url.reset();
  out.metadata.clear();
  optional_field(obj, "upload_descriptor", out.upload_descriptor, at, r);
  optional_field(obj, "thread_id", out.thread_id, at, r);
  optional_field(obj, "preview_url", out.preview_url, at, r);
  optional_field(obj, "metadata", out.metadata, at, r);
  if (out.type == attachment_type::image && !out.preview_url)
    fail(path_node{&at, "preview_url", 0, false, {}},
         "missing required field (image attachments need a preview_url)");
}

// ---- threads
// -----------------------------------------------------------------------------------------------

namespace {

// A status without a reason as one literal, for write_plain_client_thread.
std::string_view plain_status_json(thread_status_type type) {
  switch (type) {
    case thread_status_type::active:
      return R"({"type":"active"})";
    case thread_status_type::locked:
      return R"({"type":"locked"})";
    case thread_status_type::closed:
      return R"({"type":"closed"})";
  }
  return {};
}
static_assert(boost::mp11::mp_size<
                  boost::describe::describe_members<thread_status, boost::describe::mod_public>>::value == 2,
              "thread_status gained a member: plain_status_json must write it too");

void write_thread_fields(json_writer& w, const thread_metadata& v) {
  write_member(w, "title", v.title);
  w.key("id");
  w.string(v.id);
  w.key("created_at");
  write_value(w, v.created_at);
  w.key("status");
  write_value(w, v.status);
  write_member(w, "allowed_image_domains", v.allowed_image_domains);
  w.key("metadata");
  // The stored metadata is never copied into responses (docs/protocol-reference.md#serialisation-rules).
  if (w.who() == audience::storage)
    write_value(w, v.metadata);
  else
    w.raw("{}");
}

void read_thread_fields(const boost::json::object& obj, thread_metadata& out, const path_node& at,
                        const reader& r) {
  required(obj, "id", out.id, at, r);
  required(obj, "created_at", out.created_at, at, r);
  out.title.reset();
  optional_field(obj, "title", out.title, at, r);
  out.status = {};
  optional_field(obj, "status", out.status, at, r);
  out.allowed_image_domains.reset();
  optional_field(obj, "allowed_image_domains", out.allowed_image_domains, at, r);
  out.metadata.clear();
  optional_field(obj, "metadata", out.metadata, at, r);
}

// The common thread as a client sees it (a reasonless status, no image domains) with one size check and raw
// pointers: a threads.list page is 50 of these, and the member-by-member writer spent most of the request's
// user time on them. Returns false, having written nothing, for the others. Same bytes as the general path
// (tests/unit/protocol/thread_json_test.cpp).
bool write_plain_client_thread(json_writer& w, const thread_metadata& v) {
  const std::string_view status = v.status.reason ? std::string_view{} : plain_status_json(v.status.type);
  if (status.empty() || v.allowed_image_domains) return false;
  static constexpr char tail[] = R"(,"metadata":{},"items":{"data":[],"has_more":false}})";
  const std::size_t room = 64 + sizeof tail + (v.title ? detail::json_string_room(v.title->size()) : 0) +
                           detail::json_string_room(v.id.size()) + detail::timestamp_room + status.size();
  w.value_with(room, [&](char* p) {
    using namespace detail;
    *p++ = '{';
    if (v.title) {
      p = put_literal(p, R"("title":)");
      p = put_json_string(p, *v.title);
      *p++ = ',';
    }
    p = put_literal(p, R"("id":)");
    p = put_json_string(p, v.id);
    p = put_literal(p, R"(,"created_at":")");
    p = put_timestamp(p, v.created_at);
    p = put_literal(p, R"(","status":)");
    p = put_text(p, status);
    return put_literal(p, tail);
  });
  return true;
}

}  // namespace

void write_value(json_writer& w, const thread_metadata& v) {
  if (w.who() == audience::client && write_plain_client_thread(w, v)) return;
  w.begin_object();
  write_thread_fields(w, v);
  if (w.who() == audience::client) {
    w.key("items");
    w.raw(R"({"data":[],"has_more":false})");
  }
  w.end_object();
}

void read_value(const boost::json::value& v, thread_metadata& out, const path_node& at, const reader& r) {
  read_thread_fields(expect_object(v, at), out, at, r);
}

void write_value(json_writer& w, const thread& v) {
  w.begin_object();
  write_thread_fields(w, v);
  w.key("items");
  write_value(w, v.items);
  w.end_object();
}

void read_value(const boost::json::value& v, thread& out, const path_node& at, const reader& r) {
  const auto& obj = expect_object(v, at);
  read_thread_fields(obj, out, at, r);
  out.items = {};
  optional_field(obj, "items", out.items, at, r);
}

// ---- widgets and workflow summaries ----------------------------------------------------------------------

namespace {

void write_widget_value(json_writer& w, const boost::json::value& v);

// A component, or an object inside its props (docs/protocol.md#widgets): null members are left out, except
// `children`; an action `payload` is free JSON and is written exactly as given, nulls included.
void write_widget_object(json_writer& w, const boost::json::object& o) {
  w.begin_object();
  for (const auto& m : o) {
    if (m.value().is_null() && m.key() != "children") continue;
    w.key_escaped(m.key());
    if (m.key() == "payload")
      w.value(m.value());
    else
      write_widget_value(w, m.value());
  }
  w.end_object();
}

void write_widget_value(json_writer& w, const boost::json::value& v) {
  if (v.is_object()) {
    write_widget_object(w, v.get_object());
  } else if (v.is_array()) {
    w.begin_array();
    for (const auto& e : v.get_array()) write_widget_value(w, e);
    w.end_array();
  } else {
    w.value(v);
  }
}

}  // namespace

void write_value(json_writer& w, const widget_root& v) {
  write_widget_object(w, v.tree);
}

void write_value(json_writer& w, const widget_component_updated& v) {
  w.begin_object();
  w.key("type");
  w.string(widget_component_updated::type_name);
  w.key("component_id");
  w.string(v.component_id);
  w.key("component");
  write_widget_object(w, v.component);
  w.end_object();
}

void read_value(const boost::json::value& v, widget_root& out, const path_node& at, const reader& r) {
  const auto& obj = expect_object(v, at);
  path_node type_at{&at, "type", 0, false, {}};
  const auto* type = obj.if_contains("type");
  if (!type) fail(type_at, "missing required field (a widget component needs a type)");
  if (!type->is_string()) fail_kind(type_at, "string", *type);
  check_free_json(v, at, r.limits);
  out.tree = obj;
}

void write_value(json_writer& w, const workflow_summary& v) {
  std::visit([&w](const auto& s) { write_value(w, s); }, v);
}

void read_value(const boost::json::value& v, workflow_summary& out, const path_node& at, const reader& r) {
  const auto& obj = expect_object(v, at);
  if (obj.contains("duration")) {
    read_value(v, out.emplace<duration_summary>(), at, r);
  } else if (obj.contains("title")) {
    read_value(v, out.emplace<custom_summary>(), at, r);
  } else {
    fail(at, "expected a summary with \"title\" or \"duration\"");
  }
}

}  // namespace chatkit::protocol::detail
