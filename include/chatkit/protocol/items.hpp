// Thread items (docs/protocol-reference.md#thread-items): eleven types sharing id, thread_id and created_at.
#pragma once

#include <chatkit/protocol/attachment.hpp>
#include <chatkit/protocol/content.hpp>
#include <chatkit/protocol/structured_input.hpp>
#include <chatkit/protocol/task.hpp>
#include <chatkit/protocol/timestamp.hpp>
#include <chatkit/protocol/widget.hpp>

#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace chatkit::protocol {

struct item_base {
  std::string id;
  std::string thread_id;
  timestamp created_at;
};
BOOST_DESCRIBE_STRUCT(item_base, (), (id, thread_id, created_at))

// Items write `type` after the three common fields, as the reference does.
#define CHATKIT_ITEM_HEADER(name)                     \
  static constexpr std::string_view type_name = name; \
  static constexpr int type_position = 3;

struct user_message_item : item_base {
  CHATKIT_ITEM_HEADER("user_message")
  static constexpr std::string_view defaulted_fields[] = {"attachments", "inference_options"};
  std::vector<user_content> content;
  std::vector<attachment> attachments;
  std::optional<std::string> quoted_text;
  protocol::inference_options inference_options;
};
BOOST_DESCRIBE_STRUCT(user_message_item, (item_base), (content, attachments, quoted_text, inference_options))

struct assistant_message_item : item_base {
  CHATKIT_ITEM_HEADER("assistant_message")
  std::vector<assistant_content> content;
};
BOOST_DESCRIBE_STRUCT(assistant_message_item, (item_base), (content))

enum class client_tool_call_status { pending, completed };
BOOST_DESCRIBE_ENUM(client_tool_call_status, pending, completed)

struct client_tool_call_item : item_base {
  CHATKIT_ITEM_HEADER("client_tool_call")
  static constexpr std::string_view defaulted_fields[] = {"status"};
  client_tool_call_status status = client_tool_call_status::pending;
  std::string call_id;
  std::string name;
  boost::json::object arguments;
  std::optional<boost::json::value> output;  // null/omitted while pending
};
BOOST_DESCRIBE_STRUCT(client_tool_call_item, (item_base), (status, call_id, name, arguments, output))

struct widget_item : item_base {
  CHATKIT_ITEM_HEADER("widget")
  widget_root widget;
  std::optional<std::string> copy_text;
};
BOOST_DESCRIBE_STRUCT(widget_item, (item_base), (widget, copy_text))

struct generated_image {
  std::string id;
  std::string url;
};
BOOST_DESCRIBE_STRUCT(generated_image, (), (id, url))

struct generated_image_item : item_base {
  CHATKIT_ITEM_HEADER("generated_image")
  std::optional<generated_image> image;
};
BOOST_DESCRIBE_STRUCT(generated_image_item, (item_base), (image))

struct structured_input_item : item_base {
  CHATKIT_ITEM_HEADER("structured_input")
  static constexpr std::string_view defaulted_fields[] = {"status"};
  structured_input_status status = structured_input_status::pending;
  std::vector<structured_question> inputs;
};
BOOST_DESCRIBE_STRUCT(structured_input_item, (item_base), (status, inputs))

struct task_item : item_base {
  CHATKIT_ITEM_HEADER("task")
  protocol::task task;
};
BOOST_DESCRIBE_STRUCT(task_item, (item_base), (task))

struct workflow_item : item_base {
  CHATKIT_ITEM_HEADER("workflow")
  protocol::workflow workflow;
};
BOOST_DESCRIBE_STRUCT(workflow_item, (item_base), (workflow))

struct end_of_turn_item : item_base {
  CHATKIT_ITEM_HEADER("end_of_turn")
};
BOOST_DESCRIBE_STRUCT(end_of_turn_item, (item_base), ())

// Integration-owned hidden context: stored, given to the model, never sent to clients.
struct hidden_context_item : item_base {
  CHATKIT_ITEM_HEADER("hidden_context_item")
  boost::json::value content;
};
BOOST_DESCRIBE_STRUCT(hidden_context_item, (item_base), (content))

// Hidden context written by the SDK itself (e.g. the cancellation note).
struct sdk_hidden_context_item : item_base {
  CHATKIT_ITEM_HEADER("sdk_hidden_context")
  std::string content;
};
BOOST_DESCRIBE_STRUCT(sdk_hidden_context_item, (item_base), (content))

#undef CHATKIT_ITEM_HEADER

using thread_item =
    std::variant<user_message_item, assistant_message_item, client_tool_call_item, widget_item,
                 generated_image_item, structured_input_item, task_item, workflow_item, end_of_turn_item,
                 hidden_context_item, sdk_hidden_context_item>;

// Common fields of any item.
inline item_base& base(thread_item& item) noexcept {
  return std::visit([](auto& i) -> item_base& { return i; }, item);
}
inline const item_base& base(const thread_item& item) noexcept {
  return std::visit([](const auto& i) -> const item_base& { return i; }, item);
}
inline const std::string& item_id(const thread_item& item) noexcept {
  return base(item).id;
}
// The wire `type` of the item ("user_message", ...).
inline std::string_view item_type(const thread_item& item) noexcept {
  return std::visit([](const auto& i) { return std::remove_cvref_t<decltype(i)>::type_name; }, item);
}
// Hidden items are persisted but never sent to clients (docs/protocol-reference.md#thread-items).
inline bool is_hidden(const thread_item& item) noexcept {
  return std::holds_alternative<hidden_context_item>(item) ||
         std::holds_alternative<sdk_hidden_context_item>(item);
}

CHATKIT_PROTOCOL_TYPE(generated_image)
CHATKIT_PROTOCOL_TYPE(user_message_item)
CHATKIT_PROTOCOL_TYPE(assistant_message_item)
CHATKIT_PROTOCOL_TYPE(client_tool_call_item)
CHATKIT_PROTOCOL_TYPE(widget_item)
CHATKIT_PROTOCOL_TYPE(generated_image_item)
CHATKIT_PROTOCOL_TYPE(structured_input_item)
CHATKIT_PROTOCOL_TYPE(task_item)
CHATKIT_PROTOCOL_TYPE(workflow_item)
CHATKIT_PROTOCOL_TYPE(end_of_turn_item)
CHATKIT_PROTOCOL_TYPE(hidden_context_item)
CHATKIT_PROTOCOL_TYPE(sdk_hidden_context_item)
CHATKIT_PROTOCOL_TYPE(thread_item)

}  // namespace chatkit::protocol
