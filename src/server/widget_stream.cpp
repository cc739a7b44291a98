#include <chatkit/error.hpp>
#include <chatkit/server/widget_stream.hpp>

#include <map>

namespace chatkit::server {

namespace cp = chatkit::protocol;
namespace json = boost::json;

namespace {

bool is_streaming_text(const json::object& node) {
  const auto* type = node.if_contains("type");
  const auto* value = node.if_contains("value");
  return type && value && value->is_string() && (*type == "Text" || *type == "Markdown");
}

const json::value* member(const json::object& o, std::string_view key) {
  return o.if_contains(key);
}

bool same_member(const json::object& a, const json::object& b, std::string_view key) {
  const auto* x = member(a, key);
  const auto* y = member(b, key);
  const bool x_null = !x || x->is_null();
  const bool y_null = !y || y->is_null();
  if (x_null || y_null) return x_null == y_null;
  return *x == *y;
}

bool needs_full_replace(const json::value& before, const json::value& after);

bool node_differs(const json::object& before, const json::object& after) {
  if (!same_member(before, after, "type") || !same_member(before, after, "id") ||
      !same_member(before, after, "key"))
    return true;
  const bool streaming_text = is_streaming_text(before) && is_streaming_text(after);
  auto differs = [&](std::string_view key) {
    if (key == "type" || key == "id" || key == "key") return false;
    if (streaming_text && key == "value") {
      const std::string_view old_value = before.at("value").get_string();
      const std::string_view new_value = after.at("value").get_string();
      return !new_value.starts_with(old_value);
    }
    const auto* x = member(before, key);
    const auto* y = member(after, key);
    const json::value null_value;
    return needs_full_replace(x ? *x : null_value, y ? *y : null_value);
  };
  for (const auto& m : before)
    if (differs(m.key())) return true;
  for (const auto& m : after)
    if (!before.contains(m.key()) && differs(m.key())) return true;
  return false;
}

bool needs_full_replace(const json::value& before, const json::value& after) {
  if (before.is_object() && after.is_object()) return node_differs(before.get_object(), after.get_object());
  if (before.is_array() && after.is_array()) {
    const auto& a = before.get_array();
    const auto& b = after.get_array();
    if (a.size() != b.size()) return true;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (needs_full_replace(a[i], b[i])) return true;
    return false;
  }
  return before != after;
}

struct text_node {
  std::string_view value;
  bool streaming;
};

void collect_streaming_text(const json::object& o, std::map<std::string_view, text_node>& out);

void collect_streaming_text(const json::value& v, std::map<std::string_view, text_node>& out) {
  if (v.is_array()) {
    for (const auto& e : v.get_array()) collect_streaming_text(e, out);
  } else if (v.is_object()) {
    collect_streaming_text(v.get_object(), out);
  }
}

// The map holds views into `o`: it must outlive the map.
void collect_streaming_text(const json::object& o, std::map<std::string_view, text_node>& out) {
  if (is_streaming_text(o)) {
    if (const auto* id = o.if_contains("id"); id && id->is_string()) {
      const auto* streaming = o.if_contains("streaming");
      out[id->get_string()] = {o.at("value").get_string(),
                               streaming && streaming->is_bool() && streaming->get_bool()};
    }
  }
  for (const auto& m : o) collect_streaming_text(m.value(), out);
}

}  // namespace

std::vector<cp::item_update> diff_widget(const cp::widget_root& before, const cp::widget_root& after) {
  if (node_differs(before.tree, after.tree)) return {cp::widget_root_updated{after}};
  std::map<std::string_view, text_node> old_nodes, new_nodes;
  collect_streaming_text(before.tree, old_nodes);
  collect_streaming_text(after.tree, new_nodes);
  std::vector<cp::item_update> updates;
  for (const auto& [id, node] : new_nodes) {
    const auto it = old_nodes.find(id);
    if (it == old_nodes.end())
      throw chatkit::error(chatkit::errc::internal,
                           "widget stream: streaming text '" + std::string(id) + "' appeared");
    if (!node.value.starts_with(it->second.value))
      throw chatkit::error(chatkit::errc::internal,
                           "widget stream: text '" + std::string(id) + "' did not grow by appending");
    if (node.value.size() == it->second.value.size()) continue;
    updates.push_back(cp::widget_streaming_text_value_delta{
        std::string(id), std::string(node.value.substr(it->second.value.size())), !node.streaming});
  }
  return updates;
}

widget_stream::widget_stream(event_emitter& out, std::optional<std::string> copy_text) : out_(out) {
  item_.id = out.new_item_id(store::id_kind::message);
  item_.thread_id = out.thread().id;
  item_.created_at = cp::timestamp::now();
  item_.copy_text = std::move(copy_text);
}

boost::asio::awaitable<void> widget_stream::update(cp::widget_root root) {
  if (!started_) {
    started_ = true;
    item_.widget = std::move(root);
    co_await out_.emit(cp::item_added_event{item_});
    co_return;
  }
  auto updates = diff_widget(item_.widget, root);
  item_.widget = std::move(root);
  for (auto& u : updates) co_await out_.emit(cp::item_updated_event{item_.id, std::move(u)});
}

boost::asio::awaitable<void> widget_stream::finish() {
  co_await out_.emit(cp::item_done_event{item_});
}

}  // namespace chatkit::server
