// Widgets (docs/protocol.md#widgets): carried as a JSON tree of components. A widget_root keeps the tree as
// given and writes it with null-valued props omitted at every depth (a `children` key is kept even when
// null), except inside an action `payload`, which is written exactly as given; unknown components and props
// pass through. Small builders cover the common components.
#pragma once

#include <chatkit/protocol/json_io.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace chatkit::protocol {

struct widget_root {
  boost::json::object tree;  // {"type":"Card", ...}

  std::string_view type() const;  // the root component name ("" if absent)
  friend bool operator==(const widget_root&, const widget_root&) = default;
};

CHATKIT_PROTOCOL_TYPE(widget_root)

// ---- builders: each returns a component as JSON; set more props on the result as needed -------------------
namespace widgets {

// ActionConfig with every field filled in, as the Python reference writes it.
boost::json::object action(std::string_view type, boost::json::value payload = nullptr,
                           std::string_view handler = "server", std::string_view loading_behavior = "auto",
                           bool streaming = true);

boost::json::object text(std::string_view value, std::optional<std::string_view> id = {},
                         std::optional<bool> streaming = {});
boost::json::object markdown(std::string_view value, std::optional<std::string_view> id = {},
                             std::optional<bool> streaming = {});
boost::json::object title(std::string_view value);
boost::json::object caption(std::string_view value);
boost::json::object badge(std::string_view label);
boost::json::object button(std::string_view label, boost::json::object on_click_action);
boost::json::object divider();
boost::json::object row(boost::json::array children);
boost::json::object col(boost::json::array children);
boost::json::object list_view_item(boost::json::array children,
                                   std::optional<boost::json::object> on_click = {});

widget_root card(boost::json::array children);
widget_root list_view(boost::json::array items);

}  // namespace widgets
}  // namespace chatkit::protocol
