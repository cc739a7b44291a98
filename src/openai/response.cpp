#include <chatkit/openai/response.hpp>

#include "openai/detail/json_fields.hpp"

namespace chatkit::openai {

using detail::get_array;
using detail::get_int;
using detail::get_object;
using detail::get_string;
using detail::protocol_error;

std::string response::output_text() const {
  std::string out;
  for (const auto& item : output) {
    if (!item.is_message()) continue;
    for (const auto& part : item.content)
      if (part.type == "output_text") out += part.text;
  }
  return out;
}

std::vector<const output_item*> response::function_calls() const {
  std::vector<const output_item*> out;
  for (const auto& item : output)
    if (item.is_function_call()) out.push_back(&item);
  return out;
}

boost::system::result<openai::usage> parse_usage(const boost::json::object& o) {
  openai::usage u;
  bool ok = get_int(o, "input_tokens", u.input_tokens) && get_int(o, "output_tokens", u.output_tokens) &&
            get_int(o, "total_tokens", u.total_tokens);
  if (const auto* in = get_object(o, "input_tokens_details")) {
    ok = ok && get_int(*in, "cached_tokens", u.cached_tokens) && get_int(*in, "cache_write_tokens", u.cache_write_tokens);
  }
  if (const auto* out = get_object(o, "output_tokens_details")) ok = ok && get_int(*out, "reasoning_tokens", u.reasoning_tokens);
  if (!ok) return protocol_error();
  return u;
}

boost::system::result<content_part> parse_content_part(const boost::json::object& o) {
  content_part p;
  if (!get_string(o, "type", p.type)) return protocol_error();
  const char* text_key = p.type == "refusal" ? "refusal" : "text";
  if (!get_string(o, text_key, p.text)) return protocol_error();
  if (const auto* a = get_array(o, "annotations")) p.annotations = *a;
  return p;
}

namespace {

bool parse_parts(const boost::json::object& o, std::string_view key, std::vector<content_part>& out) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return true;
  if (!v->is_array()) return false;
  for (const auto& e : v->get_array()) {
    if (!e.is_object()) return false;
    auto part = parse_content_part(e.get_object());
    if (!part) return false;
    out.push_back(std::move(*part));
  }
  return true;
}

}  // namespace

boost::system::result<output_item> parse_output_item(const boost::json::object& o) {
  output_item item;
  if (!detail::require_string(o, "type", item.type) || !get_string(o, "id", item.id) ||
      !get_string(o, "status", item.status))
    return protocol_error();
  bool ok = true;
  if (item.is_message()) {
    ok = get_string(o, "role", item.role) && get_string(o, "phase", item.phase) && parse_parts(o, "content", item.content);
  } else if (item.is_function_call()) {
    ok = get_string(o, "call_id", item.call_id) && get_string(o, "name", item.name) &&
         get_string(o, "arguments", item.arguments);
  } else if (item.is_reasoning()) {
    ok = parse_parts(o, "summary", item.summary) && parse_parts(o, "content", item.content) &&
         get_string(o, "encrypted_content", item.encrypted_content);
  }
  if (!ok) return protocol_error();
  item.raw = o;
  return item;
}

boost::system::result<response> parse_response(const boost::json::object& o) {
  response r;
  if (!get_string(o, "id", r.id) || !get_string(o, "status", r.status) || !get_string(o, "model", r.model) ||
      !get_int(o, "created_at", r.created_at))
    return protocol_error();
  if (const auto* v = o.if_contains("output"); v != nullptr && !v->is_null()) {
    if (!v->is_array()) return protocol_error();
    for (const auto& e : v->get_array()) {
      if (!e.is_object()) return protocol_error();
      auto item = parse_output_item(e.get_object());
      if (!item) return item.error();
      r.output.push_back(std::move(*item));
    }
  }
  if (const auto* u = get_object(o, "usage")) {
    auto parsed = parse_usage(*u);
    if (!parsed) return parsed.error();
    r.usage = *parsed;
  }
  if (const auto* e = get_object(o, "error")) {
    if (!get_string(*e, "code", r.error_code) || !get_string(*e, "message", r.error_message)) return protocol_error();
  }
  if (const auto* d = get_object(o, "incomplete_details")) {
    if (!get_string(*d, "reason", r.incomplete_reason)) return protocol_error();
  }
  r.raw = o;
  return r;
}

}  // namespace chatkit::openai
