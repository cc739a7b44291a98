#include "mcp/detail/call_result.hpp"

#include <boost/json/serialize.hpp>

#include <string_view>

namespace chatkit::mcp::detail {

namespace json = boost::json;

namespace {

json::object text_block(std::string_view text) {
  return {{"type", "text"}, {"text", text}};
}

bool is_mcp_block(std::string_view type) {
  return type == "text" || type == "image" || type == "audio" || type == "resource" ||
         type == "resource_link";
}

// "data:<mime>;base64,<data>" → mime and data; false when `url` is not a base64 data URL.
bool split_data_url(std::string_view url, std::string_view& mime, std::string_view& data) {
  if (!url.starts_with("data:")) return false;
  const auto comma = url.find(',');
  if (comma == std::string_view::npos) return false;
  std::string_view head = url.substr(5, comma - 5);
  if (!head.ends_with(";base64")) return false;
  mime = head.substr(0, head.size() - 7);
  data = url.substr(comma + 1);
  return true;
}

std::string_view string_at(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

json::object block_of(const json::value& part) {
  if (!part.is_object()) return text_block(json::serialize(part));
  const auto& o = part.get_object();
  const std::string_view type = string_at(o, "type");
  if (is_mcp_block(type)) return o;
  if (type == "input_text") return text_block(string_at(o, "text"));
  if (type == "input_image") {
    const std::string_view url = string_at(o, "image_url");
    std::string_view mime, data;
    if (split_data_url(url, mime, data))
      return {{"type", "image"}, {"data", data}, {"mimeType", mime.empty() ? "image/png" : mime}};
    if (!url.empty()) return {{"type", "resource_link"}, {"uri", url}, {"name", "image"}};
    return text_block("[image " + std::string(string_at(o, "file_id")) + "]");
  }
  if (type == "input_file") {
    std::string_view name = string_at(o, "filename");
    if (name.empty()) name = "file";
    std::string_view mime, data;
    if (split_data_url(string_at(o, "file_data"), mime, data)) {
      return {{"type", "resource"},
              {"resource",
               {{"uri", "file:///" + std::string(name)},
                {"mimeType", mime.empty() ? "application/octet-stream" : mime},
                {"blob", data}}}};
    }
    const std::string_view url = string_at(o, "file_url");
    if (!url.empty()) return {{"type", "resource_link"}, {"uri", url}, {"name", name}};
    return text_block("[file " + std::string(name) + "]");
  }
  return text_block(json::serialize(part));
}

bool accepts_null(const json::value& schema) {
  if (!schema.is_object()) return false;
  const auto& o = schema.get_object();
  if (const json::value* t = o.if_contains("type")) {
    if (t->is_string() && t->get_string() == "null") return true;
    if (t->is_array())
      for (const auto& e : t->get_array())
        if (e.is_string() && e.get_string() == "null") return true;
  }
  for (std::string_view key : {"anyOf", "oneOf"}) {
    if (const json::value* alts = o.if_contains(key); alts != nullptr && alts->is_array())
      for (const auto& a : alts->get_array())
        if (accepts_null(a)) return true;
  }
  return false;
}

const json::object* properties_of(const json::object& schema) {
  const json::value* p = schema.if_contains("properties");
  return p != nullptr && p->is_object() ? &p->get_object() : nullptr;
}

}  // namespace

json::object call_result(const agents::tool_output& out, era e) {
  json::array content;
  json::object result;
  if (out.is_content && out.value.is_array()) {
    for (const auto& part : out.value.get_array()) content.push_back(block_of(part));
  } else if (out.value.is_string()) {
    content.push_back(text_block(out.value.get_string()));
  } else {
    content.push_back(text_block(json::serialize(out.value)));
    if (out.value.is_object() || e == era::modern) result["structuredContent"] = out.value;
  }
  result["content"] = std::move(content);
  return result;
}

json::object error_result(std::string message) {
  return {{"content", json::array{text_block(message)}}, {"isError", true}};
}

json::object listed_schema(const json::object& parameters) {
  json::object schema = parameters;
  const json::object* props = properties_of(parameters);
  json::value* req = schema.if_contains("required");
  if (props == nullptr || req == nullptr || !req->is_array()) return schema;
  json::array kept;
  for (const auto& r : req->get_array()) {
    const json::value* p = r.is_string() ? props->if_contains(r.get_string()) : nullptr;
    if (p == nullptr || !accepts_null(*p)) kept.push_back(r);
  }
  *req = std::move(kept);
  return schema;
}

void fill_omitted_nullable(json::object& args, const json::object& parameters) {
  const json::object* props = properties_of(parameters);
  const json::value* req = parameters.if_contains("required");
  if (props == nullptr || req == nullptr || !req->is_array()) return;
  for (const auto& r : req->get_array()) {
    if (!r.is_string() || args.contains(r.get_string())) continue;
    const json::value* p = props->if_contains(r.get_string());
    if (p != nullptr && accepts_null(*p)) args[r.get_string()] = nullptr;
  }
}

}  // namespace chatkit::mcp::detail
