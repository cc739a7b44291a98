#include <chatkit/error.hpp>
#include <chatkit/server/widget_stream.hpp>

#include <string_view>
#include <unordered_map>
#include <vector>

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

// Arrays differ when their lengths do, or when `differs` says so of two elements at one position.
template <class Differs>
bool elements_differ(const json::array& a, const json::array& b, Differs differs) {
  if (a.size() != b.size()) return true;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (differs(a[i], b[i])) return true;
  return false;
}

// Widgets are compared as they are written (docs/protocol.md#widgets): a null member is the same as an absent
// one, except inside an action `payload`, which is free JSON and compared exactly.
bool value_differs(const json::value& before, const json::value& after);

bool member_differs(const json::object& before, const json::object& after, std::string_view key) {
  if (key == "payload") return !same_member(before, after, key);
  const auto* x = member(before, key);
  const auto* y = member(after, key);
  const json::value null_value;
  return value_differs(x ? *x : null_value, y ? *y : null_value);
}

bool value_differs(const json::value& before, const json::value& after) {
  if (before.is_object() && after.is_object()) {
    const auto& a = before.get_object();
    const auto& b = after.get_object();
    for (const auto& m : a)
      if (member_differs(a, b, m.key())) return true;
    for (const auto& m : b)
      if (!a.contains(m.key()) && member_differs(a, b, m.key())) return true;
    return false;
  }
  if (before.is_array() && after.is_array())
    return elements_differ(before.get_array(), after.get_array(), value_differs);
  return before != after;
}

bool node_differs(const json::object& before, const json::object& after);

// `children`: a list of nodes, or one node (Transition). Only nodes reached this way are components; a
// Text-shaped object anywhere else is an ordinary prop value.
bool children_differ(const json::value& before, const json::value& after) {
  if (before.is_object() && after.is_object()) return node_differs(before.get_object(), after.get_object());
  if (before.is_array() && after.is_array())
    return elements_differ(before.get_array(), after.get_array(), children_differ);
  return value_differs(before, after);
}

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
    if (key == "children") {
      const auto* x = member(before, key);
      const auto* y = member(after, key);
      const json::value null_value;
      return children_differ(x ? *x : null_value, y ? *y : null_value);
    }
    return member_differs(before, after, key);
  };
  for (const auto& m : before)
    if (differs(m.key())) return true;
  for (const auto& m : after)
    if (!before.contains(m.key()) && differs(m.key())) return true;
  return false;
}

struct text_node {
  std::string_view id;
  std::string_view value;
  bool streaming;
};

// The streaming-text nodes that have an id, in document order: a depth-first walk from the root through
// `children` (docs/protocol.md#widgets). Views into the tree: it must outlive the result. An id seen
// twice keeps its first place and takes the later node.
class text_nodes {
 public:
  explicit text_nodes(const json::object& root) { walk(root); }
  const std::vector<text_node>& in_order() const noexcept { return nodes_; }
  const text_node* find(std::string_view id) const {
    const auto it = index_.find(id);
    return it == index_.end() ? nullptr : &nodes_[it->second];
  }

 private:
  void walk(const json::object& node) {
    if (is_streaming_text(node)) {
      if (const auto* id = node.if_contains("id"); id && id->is_string()) {
        const auto* streaming = node.if_contains("streaming");
        const text_node t{id->get_string(), node.at("value").get_string(),
                          streaming && streaming->is_bool() && streaming->get_bool()};
        const auto [it, added] = index_.try_emplace(t.id, nodes_.size());
        if (added)
          nodes_.push_back(t);
        else
          nodes_[it->second] = t;
      }
    }
    const auto* children = node.if_contains("children");
    if (!children) return;
    if (children->is_object()) {
      walk(children->get_object());
    } else if (children->is_array()) {
      for (const auto& child : children->get_array())
        if (child.is_object()) walk(child.get_object());
    }
  }

  std::vector<text_node> nodes_;
  std::unordered_map<std::string_view, std::size_t> index_;
};

}  // namespace

std::vector<cp::item_update> diff_widget(const cp::widget_root& before, const cp::widget_root& after) {
  if (node_differs(before.tree, after.tree)) return {cp::widget_root_updated{after}};
  const text_nodes old_nodes(before.tree);
  const text_nodes new_nodes(after.tree);
  std::vector<cp::item_update> updates;
  for (const auto& node : new_nodes.in_order()) {
    const auto* old = old_nodes.find(node.id);
    if (!old)
      throw chatkit::error(chatkit::errc::internal,
                           "widget stream: streaming text '" + std::string(node.id) + "' appeared");
    if (!node.value.starts_with(old->value))
      throw chatkit::error(chatkit::errc::internal,
                           "widget stream: text '" + std::string(node.id) + "' did not grow by appending");
    if (node.value.size() == old->value.size()) continue;
    updates.push_back(cp::widget_streaming_text_value_delta{
        std::string(node.id), std::string(node.value.substr(old->value.size())), !node.streaming});
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
