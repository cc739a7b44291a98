// MCP tools as function_tools (docs/mcp.md#importing-tools).
#include <chatkit/mcp/tool_import.hpp>

#include <chatkit/agents/error.hpp>

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstdio>
#include <set>

namespace chatkit::mcp {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

std::uint32_t fnv1a(std::string_view s) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : s) h = (h ^ c) * 16777619u;
  return h;
}

std::size_t decoded_size(const std::string& base64) {
  std::size_t n = base64.size() / 4 * 3;
  if (base64.size() >= 1 && base64.back() == '=') --n;
  if (base64.size() >= 2 && base64[base64.size() - 2] == '=') --n;
  return n;
}

// Cuts `text` to at most `max` bytes without splitting a UTF-8 sequence.
void cut_utf8(std::string& text, std::size_t max) {
  if (text.size() <= max) return;
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  const std::size_t total = text.size();
  text.resize(end);
  text += "\n[output truncated: " + std::to_string(total) + " bytes in all]";
}

std::string placeholder(std::string_view what, const content_block& b) {
  std::string s = "[" + std::string(what);
  if (!b.uri.empty()) s += " " + b.uri;
  if (!b.mime_type.empty()) s += ", " + b.mime_type;
  s += ", " + std::to_string(decoded_size(b.data)) + " bytes]";
  return s;
}

bool listed(const std::vector<std::string>& list, const std::string& name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

}  // namespace

std::string sdk_tool_name(std::string_view alias, std::string_view mcp_tool_name,
                          std::string_view separator) {
  std::string full = alias.empty() ? std::string(mcp_tool_name)
                                   : std::string(alias) + std::string(separator) + std::string(mcp_tool_name);
  std::string out;
  out.reserve(full.size());
  for (char c : full) out.push_back(name_char(c) ? c : '_');
  if (out.empty()) out = "tool";
  if (out.size() > 64) {
    char suffix[10];
    std::snprintf(suffix, sizeof suffix, "_%08x", fnv1a(full));
    out.resize(64 - 9);
    out += suffix;
  }
  return out;
}

agents::tool_output to_tool_output(const call_result& result, const import_options& options) {
  json::array parts;
  std::string text;  // the text gathered since the last image part
  std::size_t budget = options.max_output_bytes;
  bool any_text = false, any_image = false;
  auto add_text = [&](std::string t) {
    if (!text.empty()) text += "\n";
    text += t;
  };
  auto flush = [&] {
    if (text.empty()) return;
    cut_utf8(text, budget);
    budget -= std::min(budget, text.size());
    parts.push_back(json::object{{"type", "input_text"}, {"text", text}});
    text.clear();
  };
  for (const auto& b : result.content) {
    if (b.type == "text") {
      add_text(b.text);
      any_text = true;
    } else if (b.type == "image") {
      const std::string url =
          "data:" + (b.mime_type.empty() ? std::string("image/png") : b.mime_type) + ";base64," + b.data;
      if (options.images_as_input && url.size() <= budget) {
        flush();
        budget -= url.size();
        parts.push_back(json::object{{"type", "input_image"}, {"image_url", url}, {"detail", "auto"}});
        any_image = true;
      } else {
        add_text(placeholder("image", b));
      }
    } else if (b.type == "audio") {
      add_text(placeholder("audio", b));
    } else if (b.type == "resource_link") {
      std::string s = "[resource link: " + (b.name.empty() ? std::string("(unnamed)") : b.name) + " " + b.uri;
      if (!b.description.empty()) s += " — " + b.description;
      add_text(s + "]");
    } else if (b.type == "resource") {
      if (!b.data.empty() || b.text.empty())
        add_text(placeholder("resource", b));
      else {
        add_text(b.text);
        any_text = true;
      }
    } else {
      add_text("[" + (b.type.empty() ? std::string("unknown") : b.type) + " content]");
    }
  }
  if (!any_text && result.structured_content) add_text(json::serialize(*result.structured_content));
  if (!any_image) {
    cut_utf8(text, budget);
    return agents::tool_output(std::move(text));
  }
  flush();
  return agents::tool_output::content(std::move(parts));
}

namespace {

// The text of an isError result, for the model.
std::string error_text(const call_result& r) {
  std::string s;
  for (const auto& b : r.content)
    if (b.type == "text" && !b.text.empty()) s += (s.empty() ? "" : "\n") + b.text;
  if (s.empty() && r.structured_content) s = json::serialize(*r.structured_content);
  if (s.empty()) s = "the tool reported an error";
  return s;
}

agents::function_tool make_mcp_tool(std::shared_ptr<client> server, const tool_info& info,
                                    std::string sdk_name, const import_options& options) {
  agents::function_tool t;
  t.name = std::move(sdk_name);
  t.description = info.description.empty() ? info.title : info.description;
  t.parameters = info.input_schema;
  t.parameters.erase("$schema");
  if (!t.parameters.contains("type")) t.parameters["type"] = "object";
  if (!t.parameters.contains("properties")) t.parameters["properties"] = json::object{};
  t.strict = false;
  t.on_failure = options.on_transport_failure;
  struct call_settings {
    std::string mcp_name;
    std::optional<std::chrono::milliseconds> timeout;
    import_options output;
  };
  auto settings = std::make_shared<call_settings>();
  settings->mcp_name = info.name;
  settings->timeout = options.timeout;
  settings->output.max_output_bytes = options.max_output_bytes;
  settings->output.images_as_input = options.images_as_input;
  t.invoke = [server, settings](agents::tool_context&,
                                json::object args) -> asio::awaitable<agents::tool_output> {
    call_options co;
    co.timeout = settings->timeout;
    call_result r;
    try {
      r = co_await server->call_tool(settings->mcp_name, std::move(args), std::move(co));
    } catch (const remote_error& e) {
      // The server refused the call (unknown tool, invalid params): the model's to fix.
      throw agents::tool_argument_error(e.rpc_message());
    }
    if (r.is_error) throw agents::tool_argument_error(error_text(r));
    co_return to_tool_output(r, settings->output);
  };
  return t;
}

}  // namespace

imported_tools import_tools(std::shared_ptr<client> server, const std::vector<tool_info>& tools,
                            const import_options& options) {
  if (!server) throw agents::user_error("import_tools: no MCP client");
  imported_tools out;
  std::set<std::string> taken;
  for (const auto& info : tools) {
    if (info.name.empty()) {
      out.skipped.push_back("(unnamed): the server listed a tool without a name");
      continue;
    }
    if (listed(options.deny, info.name) || (!options.allow.empty() && !listed(options.allow, info.name))) {
      out.skipped.push_back(info.name + ": excluded by the allow/deny lists");
      continue;
    }
    std::string name = sdk_tool_name(options.alias, info.name, options.separator);
    if (!taken.insert(name).second)
      throw agents::user_error("MCP tools '" + out.mcp_name[name] + "' and '" + info.name +
                               "' both become the tool name '" + name + "'");
    agents::function_tool tool = make_mcp_tool(server, info, name, options);

    std::vector<agents::context_binding> applicable;
    const json::object* props = nullptr;
    if (auto* p = tool.parameters.if_contains("properties"); p && p->is_object()) props = &p->as_object();
    for (const auto& b : options.bindings)
      if (props && props->contains(b.name)) applicable.push_back(b);
    if (!applicable.empty()) {
      try {
        tool = agents::bind_context(std::move(tool), std::move(applicable), options.policy);
      } catch (const agents::user_error& e) {
        // E.g. the bound name also appears nested, where the model could supply it: never import such a tool.
        taken.erase(name);
        out.skipped.push_back(info.name + ": cannot be bound (" + e.what() + ")");
        continue;
      }
    }
    out.mcp_name[name] = info.name;
    out.tools.push_back(std::move(tool));
  }
  return out;
}

asio::awaitable<imported_tools> import_tools(std::shared_ptr<client> server, import_options options) {
  if (!server) throw agents::user_error("import_tools: no MCP client");
  auto tools = co_await server->list_tools();
  co_return import_tools(std::move(server), tools, options);
}

asio::awaitable<imported_tools> register_tools(agents::tool_registry& registry,
                                               std::shared_ptr<client> server, import_options options) {
  auto imported = co_await import_tools(std::move(server), std::move(options));
  registry.add_all(imported.tools);
  co_return imported;
}

}  // namespace chatkit::mcp
