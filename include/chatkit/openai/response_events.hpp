// Typed Responses streaming events. Each event is a small struct with the
// fields the SDK models plus `raw`, the event's JSON object (for fields we do not model). Event types
// the SDK does not know arrive as `other_event`, never as a failure.
#pragma once

#include <chatkit/openai/response.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace chatkit::openai {

struct event_base {
  std::int64_t sequence_number = -1;  // -1 when absent (lenient gateways)
  boost::json::object raw;
};

// Lifecycle events carry a full Response object.
struct response_lifecycle_event : event_base {
  openai::response response;
};
struct response_queued : response_lifecycle_event {};
struct response_created : response_lifecycle_event {};
struct response_in_progress : response_lifecycle_event {};
struct response_completed : response_lifecycle_event {};   // terminal
struct response_incomplete : response_lifecycle_event {};  // terminal
struct response_failed : response_lifecycle_event {};      // terminal

struct output_item_event : event_base {
  std::int64_t output_index = 0;
  output_item item;
};
struct output_item_added : output_item_event {};
struct output_item_done : output_item_event {};

struct content_part_event : event_base {
  std::string item_id;
  std::int64_t output_index = 0;
  std::int64_t content_index = 0;
  content_part part;
};
struct content_part_added : content_part_event {};
struct content_part_done : content_part_event {};

// A text fragment (delta) or a complete text (done) of a content part.
struct content_text_event : event_base {
  std::string item_id;
  std::int64_t output_index = 0;
  std::int64_t content_index = 0;
  std::string text;  // `delta` for *.delta events, `text` / `refusal` for *.done events
};
struct output_text_delta : content_text_event {};
struct output_text_done : content_text_event {};
struct refusal_delta : content_text_event {};
struct refusal_done : content_text_event {};
struct reasoning_text_delta : content_text_event {};
struct reasoning_text_done : content_text_event {};

struct output_text_annotation_added : event_base {
  std::string item_id;
  std::int64_t output_index = 0;
  std::int64_t content_index = 0;
  std::int64_t annotation_index = 0;
  boost::json::value annotation;  // may be null or of an unknown type: skip such events
};

struct function_call_arguments_delta : event_base {
  std::string item_id;
  std::int64_t output_index = 0;
  std::string delta;
};
struct function_call_arguments_done : event_base {
  std::string item_id;
  std::int64_t output_index = 0;
  std::string arguments;
  std::string name;  // empty when an older server omitted it
};

struct reasoning_summary_part_event : event_base {
  std::string item_id;
  std::int64_t output_index = 0;
  std::int64_t summary_index = 0;
  content_part part;
};
struct reasoning_summary_part_added : reasoning_summary_part_event {};
struct reasoning_summary_part_done : reasoning_summary_part_event {};

struct reasoning_summary_text_event : event_base {
  std::string item_id;
  std::int64_t output_index = 0;
  std::int64_t summary_index = 0;
  std::string text;  // `delta` or `text`
};
struct reasoning_summary_text_delta : reasoning_summary_text_event {};
struct reasoning_summary_text_done : reasoning_summary_text_event {};

// The `error` event: top-level code/message/param, or the same nested under `error` (both are seen).
struct error_event : event_base {
  std::string code;
  std::string message;
  std::string param;
  std::string error_type;  // nested shape only
};

// Any other event type (audio, hosted tools, MCP, ...): kept as JSON.
struct other_event : event_base {
  std::string type;
};

using response_event =
    std::variant<response_queued, response_created, response_in_progress, response_completed,
                 response_incomplete, response_failed, output_item_added, output_item_done,
                 content_part_added, content_part_done, output_text_delta, output_text_done,
                 output_text_annotation_added, refusal_delta, refusal_done, function_call_arguments_delta,
                 function_call_arguments_done, reasoning_summary_part_added, reasoning_summary_part_done,
                 reasoning_summary_text_delta, reasoning_summary_text_done, reasoning_text_delta,
                 reasoning_text_done, error_event, other_event>;

// The event's wire `type` (e.g. "response.output_text.delta").
std::string_view event_type(const response_event& e) noexcept;
const event_base& event_common(const response_event& e) noexcept;
// True for response.completed / .incomplete / .failed.
bool is_terminal(const response_event& e) noexcept;

// Builds a typed event from a decoded JSON object (takes ownership). Missing required fields or wrong
// types give stream_protocol_error.
boost::system::result<response_event> parse_response_event(boost::json::object&& o);

}  // namespace chatkit::openai
