#include <chatkit/protocol/widget.hpp>

#include <boost/json/string.hpp>

namespace chatkit::protocol {

std::string_view widget_root::type() const {
  const auto* t = tree.if_contains("type");
  return t && t->is_string() ? std::string_view(t->get_string()) : std::string_view{};
}

namespace widgets {
namespace {

boost::json::object component(std::string_view type) {
  boost::json::object o;
  o["type"] = type;
  return o;
}

boost::json::object text_like(std::string_view type, std::string_view value,
                              std::optional<std::string_view> id, std::optional<bool> streaming) {
  auto o = component(type);
  if (id) o["id"] = *id;
  o["value"] = value;
  if (streaming) o["streaming"] = *streaming;
  return o;
}

}  // namespace

boost::json::object action(std::string_view type, boost::json::value payload, std::string_view handler,
                           std::string_view loading_behavior, bool streaming) {
  boost::json::object o;
  o["type"] = type;
  o["payload"] = std::move(payload);
  o["handler"] = handler;
  o["loadingBehavior"] = loading_behavior;
  o["streaming"] = streaming;
  return o;
}

boost::json::object text(std::string_view value, std::optional<std::string_view> id,
                         std::optional<bool> streaming) {
  return text_like("Text", value, id, streaming);
}
boost::json::object markdown(std::string_view value, std::optional<std::string_view> id,
                             std::optional<bool> streaming) {
  return text_like("Markdown", value, id, streaming);
}
boost::json::object title(std::string_view value) {
  auto o = component("Title");
  o["value"] = value;
  return o;
}
boost::json::object caption(std::string_view value) {
  auto o = component("Caption");
  o["value"] = value;
  return o;
}
boost::json::object badge(std::string_view label) {
  auto o = component("Badge");
  o["label"] = label;
  return o;
}
boost::json::object button(std::string_view label, boost::json::object on_click_action) {
  auto o = component("Button");
  o["label"] = label;
  o["onClickAction"] = std::move(on_click_action);
  return o;
}
boost::json::object divider() {
  return component("Divider");
}
boost::json::object row(boost::json::array children) {
  auto o = component("Row");
  o["children"] = std::move(children);
  return o;
}
boost::json::object col(boost::json::array children) {
  auto o = component("Col");
  o["children"] = std::move(children);
  return o;
}
boost::json::object list_view_item(boost::json::array children, std::optional<boost::json::object> on_click) {
  auto o = component("ListViewItem");
  o["children"] = std::move(children);
  if (on_click) o["onClickAction"] = std::move(*on_click);
  return o;
}
widget_root card(boost::json::array children) {
  auto o = component("Card");
  o["children"] = std::move(children);
  return {std::move(o)};
}
widget_root list_view(boost::json::array items) {
  auto o = component("ListView");
  o["children"] = std::move(items);
  return {std::move(o)};
}

}  // namespace widgets
}  // namespace chatkit::protocol
