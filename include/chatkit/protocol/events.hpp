// Stream events and item updates (docs/protocol-reference.md#stream-events).
#pragma once

#include <chatkit/protocol/thread.hpp>

#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

namespace chatkit::protocol {

// ---- item updates
// ------------------------------------------------------------------------------------------

struct content_part_added {
  static constexpr std::string_view type_name = "assistant_message.content_part.added";
  std::int64_t content_index = 0;
  assistant_content content;
};
BOOST_DESCRIBE_STRUCT(content_part_added, (), (content_index, content))

struct content_part_text_delta {
  static constexpr std::string_view type_name = "assistant_message.content_part.text_delta";
  std::int64_t content_index = 0;
  std::string delta;
};
BOOST_DESCRIBE_STRUCT(content_part_text_delta, (), (content_index, delta))

struct content_part_annotation_added {
  static constexpr std::string_view type_name = "assistant_message.content_part.annotation_added";
  std::int64_t content_index = 0;
  std::int64_t annotation_index = 0;
  protocol::annotation annotation;
};
BOOST_DESCRIBE_STRUCT(content_part_annotation_added, (), (content_index, annotation_index, annotation))

struct content_part_done {
  static constexpr std::string_view type_name = "assistant_message.content_part.done";
  std::int64_t content_index = 0;
  assistant_content content;
};
BOOST_DESCRIBE_STRUCT(content_part_done, (), (content_index, content))

struct widget_streaming_text_value_delta {
  static constexpr std::string_view type_name = "widget.streaming_text.value_delta";
  std::string component_id;
  std::string delta;
  bool done = false;
};
BOOST_DESCRIBE_STRUCT(widget_streaming_text_value_delta, (), (component_id, delta, done))

struct widget_root_updated {
  static constexpr std::string_view type_name = "widget.root.updated";
  widget_root widget;
};
BOOST_DESCRIBE_STRUCT(widget_root_updated, (), (widget))

struct widget_component_updated {
  static constexpr std::string_view type_name = "widget.component.updated";
  std::string component_id;
  boost::json::object component;
};
BOOST_DESCRIBE_STRUCT(widget_component_updated, (), (component_id, component))

struct workflow_task_added {
  static constexpr std::string_view type_name = "workflow.task.added";
  std::int64_t task_index = 0;
  protocol::task task;
};
BOOST_DESCRIBE_STRUCT(workflow_task_added, (), (task_index, task))

struct workflow_task_updated {
  static constexpr std::string_view type_name = "workflow.task.updated";
  std::int64_t task_index = 0;
  protocol::task task;
};
BOOST_DESCRIBE_STRUCT(workflow_task_updated, (), (task_index, task))

struct generated_image_updated {
  static constexpr std::string_view type_name = "generated_image.updated";
  generated_image image;
  std::optional<double> progress;
};
BOOST_DESCRIBE_STRUCT(generated_image_updated, (), (image, progress))

using item_update = std::variant<content_part_added, content_part_text_delta, content_part_annotation_added,
                                 content_part_done, widget_streaming_text_value_delta, widget_root_updated,
                                 widget_component_updated, workflow_task_added, workflow_task_updated,
                                 generated_image_updated>;

// ---- stream events ----------------------------------------------------------------------------------------

// Events that carry a thread write it with an empty items page.
struct thread_created_event {
  static constexpr std::string_view type_name = "thread.created";
  thread_metadata thread;
};
BOOST_DESCRIBE_STRUCT(thread_created_event, (), (thread))

struct thread_updated_event {
  static constexpr std::string_view type_name = "thread.updated";
  thread_metadata thread;
};
BOOST_DESCRIBE_STRUCT(thread_updated_event, (), (thread))

struct item_added_event {
  static constexpr std::string_view type_name = "thread.item.added";
  thread_item item;
};
BOOST_DESCRIBE_STRUCT(item_added_event, (), (item))

struct item_updated_event {
  static constexpr std::string_view type_name = "thread.item.updated";
  std::string item_id;
  item_update update;
};
BOOST_DESCRIBE_STRUCT(item_updated_event, (), (item_id, update))

struct item_done_event {
  static constexpr std::string_view type_name = "thread.item.done";
  thread_item item;
};
BOOST_DESCRIBE_STRUCT(item_done_event, (), (item))

struct item_removed_event {
  static constexpr std::string_view type_name = "thread.item.removed";
  std::string item_id;
};
BOOST_DESCRIBE_STRUCT(item_removed_event, (), (item_id))

struct item_replaced_event {
  static constexpr std::string_view type_name = "thread.item.replaced";
  thread_item item;
};
BOOST_DESCRIBE_STRUCT(item_replaced_event, (), (item))

struct stream_options {
  static constexpr std::string_view defaulted_fields[] = {"allow_cancel"};
  bool allow_cancel = true;
};
BOOST_DESCRIBE_STRUCT(stream_options, (), (allow_cancel))

struct stream_options_event {
  static constexpr std::string_view type_name = "stream_options";
  protocol::stream_options stream_options;
};
BOOST_DESCRIBE_STRUCT(stream_options_event, (), (stream_options))

struct progress_update_event {
  static constexpr std::string_view type_name = "progress_update";
  std::optional<std::string> icon;
  std::string text;
};
BOOST_DESCRIBE_STRUCT(progress_update_event, (), (icon, text))

// Codes: "stream.error" (predefined) or "custom"; the set is open.
struct error_event {
  static constexpr std::string_view type_name = "error";
  static constexpr std::string_view defaulted_fields[] = {"code", "allow_retry"};
  std::string code = "custom";
  std::optional<std::string> message;
  bool allow_retry = false;
};
BOOST_DESCRIBE_STRUCT(error_event, (), (code, message, allow_retry))

enum class notice_level { info, warning, danger };
BOOST_DESCRIBE_ENUM(notice_level, info, warning, danger)

struct notice_event {
  static constexpr std::string_view type_name = "notice";
  notice_level level = notice_level::info;
  std::string message;  // markdown
  std::optional<std::string> title;
};
BOOST_DESCRIBE_STRUCT(notice_event, (), (level, message, title))

struct client_effect_event {
  static constexpr std::string_view type_name = "client_effect";
  static constexpr std::string_view defaulted_fields[] = {"data"};
  std::string name;
  boost::json::object data;
};
BOOST_DESCRIBE_STRUCT(client_effect_event, (), (name, data))

using stream_event =
    std::variant<thread_created_event, thread_updated_event, item_added_event, item_updated_event,
                 item_done_event, item_removed_event, item_replaced_event, stream_options_event,
                 progress_update_event, error_event, notice_event, client_effect_event>;

// The event's wire `type`.
inline std::string_view event_type(const stream_event& e) noexcept {
  return std::visit([](const auto& x) { return std::remove_cvref_t<decltype(x)>::type_name; }, e);
}

// Appends one SSE frame: `data: <compact JSON>\n\n`.
void append_sse_frame(std::string& out, const stream_event& e);

CHATKIT_PROTOCOL_TYPE(item_update)
CHATKIT_PROTOCOL_TYPE(stream_options)
CHATKIT_PROTOCOL_TYPE(stream_event)

}  // namespace chatkit::protocol
