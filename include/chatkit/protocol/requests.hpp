// The 16 ChatKit requests (docs/protocol-reference.md#requests) and the strict parser for untrusted request bodies.
#pragma once

#include <chatkit/protocol/content.hpp>
#include <chatkit/protocol/structured_input.hpp>
#include <chatkit/protocol/thread.hpp>

#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace chatkit::protocol {

struct user_message_input {
  std::vector<user_content> content;
  std::vector<std::string> attachments;  // attachment ids
  std::optional<std::string> quoted_text;
  protocol::inference_options inference_options;
};
BOOST_DESCRIBE_STRUCT(user_message_input, (), (content, attachments, quoted_text, inference_options))

struct action {
  std::string type;
  std::optional<boost::json::value> payload;  // any JSON; null when absent
};
BOOST_DESCRIBE_STRUCT(action, (), (type, payload))

enum class feedback_kind { positive, negative };
BOOST_DESCRIBE_ENUM(feedback_kind, positive, negative)

// ---- params
// ---------------------------------------------------------------------------------------------------

struct threads_create_params {
  user_message_input input;
};
BOOST_DESCRIBE_STRUCT(threads_create_params, (), (input))

struct threads_add_user_message_params {
  std::string thread_id;
  user_message_input input;
};
BOOST_DESCRIBE_STRUCT(threads_add_user_message_params, (), (thread_id, input))

struct threads_add_client_tool_output_params {
  std::string thread_id;
  boost::json::value result;  // required key; null allowed
};
BOOST_DESCRIBE_STRUCT(threads_add_client_tool_output_params, (), (thread_id, result))

struct threads_add_structured_input_params {
  std::string thread_id;
  std::string item_id;
  structured_input_submission input;
};
BOOST_DESCRIBE_STRUCT(threads_add_structured_input_params, (), (thread_id, item_id, input))

struct threads_custom_action_params {
  std::string thread_id;
  std::optional<std::string> item_id;
  protocol::action action;
};
BOOST_DESCRIBE_STRUCT(threads_custom_action_params, (), (thread_id, item_id, action))

struct threads_retry_after_item_params {
  std::string thread_id;
  std::string item_id;
};
BOOST_DESCRIBE_STRUCT(threads_retry_after_item_params, (), (thread_id, item_id))

struct threads_get_by_id_params {
  std::string thread_id;
};
BOOST_DESCRIBE_STRUCT(threads_get_by_id_params, (), (thread_id))

// limit: null or 0 mean the default page size (20); negative limits are rejected.
struct list_params {
  std::optional<std::int64_t> limit;
  std::optional<sort_order> order;
  std::optional<std::string> after;
};
BOOST_DESCRIBE_STRUCT(list_params, (), (limit, order, after))

struct threads_update_params {
  std::string thread_id;
  std::string title;
};
BOOST_DESCRIBE_STRUCT(threads_update_params, (), (thread_id, title))

struct threads_delete_params {
  std::string thread_id;
};
BOOST_DESCRIBE_STRUCT(threads_delete_params, (), (thread_id))

struct items_list_params {
  std::string thread_id;
  std::optional<std::int64_t> limit;
  std::optional<sort_order> order;
  std::optional<std::string> after;
};
BOOST_DESCRIBE_STRUCT(items_list_params, (), (thread_id, limit, order, after))

struct items_feedback_params {
  std::string thread_id;
  std::vector<std::string> item_ids;
  feedback_kind kind = feedback_kind::positive;
};
BOOST_DESCRIBE_STRUCT(items_feedback_params, (), (thread_id, item_ids, kind))

struct attachments_create_params {
  std::string name;
  std::int64_t size = 0;
  std::string mime_type;
};
BOOST_DESCRIBE_STRUCT(attachments_create_params, (), (name, size, mime_type))

struct attachments_delete_params {
  std::string attachment_id;
};
BOOST_DESCRIBE_STRUCT(attachments_delete_params, (), (attachment_id))

struct input_transcribe_params {
  std::string audio_base64;
  std::string mime_type;
};
BOOST_DESCRIBE_STRUCT(input_transcribe_params, (), (audio_base64, mime_type))

// ---- requests
// ------------------------------------------------------------------------------------------------

#define CHATKIT_REQUEST(cpp_name, wire_name, params_type, streams)       \
  struct cpp_name {                                                      \
    static constexpr std::string_view type_name = wire_name;             \
    static constexpr bool streaming = streams;                           \
    static constexpr std::string_view defaulted_fields[] = {"metadata"}; \
    params_type params;                                                  \
    boost::json::object metadata;                                        \
  };                                                                     \
  BOOST_DESCRIBE_STRUCT(cpp_name, (), (params, metadata))                \
  CHATKIT_PROTOCOL_TYPE(cpp_name)

CHATKIT_REQUEST(threads_create, "threads.create", threads_create_params, true)
CHATKIT_REQUEST(threads_add_user_message, "threads.add_user_message", threads_add_user_message_params, true)
CHATKIT_REQUEST(threads_add_client_tool_output, "threads.add_client_tool_output",
                threads_add_client_tool_output_params, true)
CHATKIT_REQUEST(threads_add_structured_input, "threads.add_structured_input",
                threads_add_structured_input_params, true)
CHATKIT_REQUEST(threads_custom_action, "threads.custom_action", threads_custom_action_params, true)
CHATKIT_REQUEST(threads_retry_after_item, "threads.retry_after_item", threads_retry_after_item_params, true)
CHATKIT_REQUEST(threads_sync_custom_action, "threads.sync_custom_action", threads_custom_action_params, false)
CHATKIT_REQUEST(threads_get_by_id, "threads.get_by_id", threads_get_by_id_params, false)
CHATKIT_REQUEST(threads_list, "threads.list", list_params, false)
CHATKIT_REQUEST(threads_update, "threads.update", threads_update_params, false)
CHATKIT_REQUEST(threads_delete, "threads.delete", threads_delete_params, false)
CHATKIT_REQUEST(items_list, "items.list", items_list_params, false)
CHATKIT_REQUEST(items_feedback, "items.feedback", items_feedback_params, false)
CHATKIT_REQUEST(attachments_create, "attachments.create", attachments_create_params, false)
CHATKIT_REQUEST(attachments_delete, "attachments.delete", attachments_delete_params, false)
CHATKIT_REQUEST(input_transcribe, "input.transcribe", input_transcribe_params, false)

#undef CHATKIT_REQUEST

using request =
    std::variant<threads_create, threads_add_user_message, threads_add_client_tool_output,
                 threads_add_structured_input, threads_custom_action, threads_retry_after_item,
                 threads_sync_custom_action, threads_get_by_id, threads_list, threads_update, threads_delete,
                 items_list, items_feedback, attachments_create, attachments_delete, input_transcribe>;

inline std::string_view request_type(const request& r) noexcept {
  return std::visit([](const auto& x) { return std::remove_cvref_t<decltype(x)>::type_name; }, r);
}
inline bool is_streaming(const request& r) noexcept {
  return std::visit([](const auto& x) { return std::remove_cvref_t<decltype(x)>::streaming; }, r);
}

// Parses an untrusted request body. Throws chatkit::error(errc::invalid_request) whose message is
// "<json path>: <problem>", e.g. `params.input.content[0].type: unknown content type "foo"; expected
// input_text or input_tag`; errc::payload_too_large when the body exceeds limits.max_body_bytes.
request parse_request(std::string_view body, const read_limits& limits = {});

CHATKIT_PROTOCOL_TYPE(user_message_input)
CHATKIT_PROTOCOL_TYPE(action)
CHATKIT_PROTOCOL_TYPE(request)

}  // namespace chatkit::protocol
