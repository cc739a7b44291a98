#include <chatkit/openai/response_events.hpp>

#include "openai/detail/json_fields.hpp"

#include <type_traits>

namespace chatkit::openai {

using detail::get_int;
using detail::get_object;
using detail::get_string;
using detail::protocol_error;
using detail::require_int;
using detail::require_string;

namespace {

template <class T>
struct type_name;
#define CHATKIT_OPENAI_EVENT_NAME(T, name) \
  template <>                              \
  struct type_name<T> {                    \
    static constexpr std::string_view value = name; \
  };
CHATKIT_OPENAI_EVENT_NAME(response_queued, "response.queued")
CHATKIT_OPENAI_EVENT_NAME(response_created, "response.created")
CHATKIT_OPENAI_EVENT_NAME(response_in_progress, "response.in_progress")
CHATKIT_OPENAI_EVENT_NAME(response_completed, "response.completed")
CHATKIT_OPENAI_EVENT_NAME(response_incomplete, "response.incomplete")
CHATKIT_OPENAI_EVENT_NAME(response_failed, "response.failed")
CHATKIT_OPENAI_EVENT_NAME(output_item_added, "response.output_item.added")
CHATKIT_OPENAI_EVENT_NAME(output_item_done, "response.output_item.done")
CHATKIT_OPENAI_EVENT_NAME(content_part_added, "response.content_part.added")
CHATKIT_OPENAI_EVENT_NAME(content_part_done, "response.content_part.done")
CHATKIT_OPENAI_EVENT_NAME(output_text_delta, "response.output_text.delta")
CHATKIT_OPENAI_EVENT_NAME(output_text_done, "response.output_text.done")
CHATKIT_OPENAI_EVENT_NAME(output_text_annotation_added, "response.output_text.annotation.added")
CHATKIT_OPENAI_EVENT_NAME(refusal_delta, "response.refusal.delta")
CHATKIT_OPENAI_EVENT_NAME(refusal_done, "response.refusal.done")
CHATKIT_OPENAI_EVENT_NAME(function_call_arguments_delta, "response.function_call_arguments.delta")
CHATKIT_OPENAI_EVENT_NAME(function_call_arguments_done, "response.function_call_arguments.done")
CHATKIT_OPENAI_EVENT_NAME(reasoning_summary_part_added, "response.reasoning_summary_part.added")
CHATKIT_OPENAI_EVENT_NAME(reasoning_summary_part_done, "response.reasoning_summary_part.done")
CHATKIT_OPENAI_EVENT_NAME(reasoning_summary_text_delta, "response.reasoning_summary_text.delta")
CHATKIT_OPENAI_EVENT_NAME(reasoning_summary_text_done, "response.reasoning_summary_text.done")
CHATKIT_OPENAI_EVENT_NAME(reasoning_text_delta, "response.reasoning_text.delta")
CHATKIT_OPENAI_EVENT_NAME(reasoning_text_done, "response.reasoning_text.done")
CHATKIT_OPENAI_EVENT_NAME(error_event, "error")
#undef CHATKIT_OPENAI_EVENT_NAME

using result = boost::system::result<response_event>;

template <class T>
result lifecycle(std::int64_t seq, boost::json::object&& o) {
  T e;
  e.sequence_number = seq;
  const auto* r = get_object(o, "response");
  if (r == nullptr) return protocol_error();
  auto parsed = parse_response(*r);
  if (!parsed) return parsed.error();
  e.response = std::move(*parsed);
  detail::adopt(e.raw, std::move(o));
  return response_event(std::move(e));
}

template <class T>
result item_event(std::int64_t seq, boost::json::object&& o) {
  T e;
  e.sequence_number = seq;
  const auto* item = get_object(o, "item");
  if (item == nullptr || !require_int(o, "output_index", e.output_index)) return protocol_error();
  auto parsed = parse_output_item(*item);
  if (!parsed) return parsed.error();
  e.item = std::move(*parsed);
  detail::adopt(e.raw, std::move(o));
  return response_event(std::move(e));
}

template <class T>
result part_event(std::int64_t seq, boost::json::object&& o) {
  T e;
  e.sequence_number = seq;
  const auto* part = get_object(o, "part");
  if (part == nullptr || !require_string(o, "item_id", e.item_id) || !require_int(o, "output_index", e.output_index) ||
      !require_int(o, "content_index", e.content_index))
    return protocol_error();
  auto parsed = parse_content_part(*part);
  if (!parsed) return parsed.error();
  e.part = std::move(*parsed);
  detail::adopt(e.raw, std::move(o));
  return response_event(std::move(e));
}

template <class T>
result text_event(std::int64_t seq, boost::json::object&& o, std::string_view text_key) {
  T e;
  e.sequence_number = seq;
  if (!require_string(o, "item_id", e.item_id) || !require_int(o, "output_index", e.output_index) ||
      !require_int(o, "content_index", e.content_index) || !require_string(o, text_key, e.text))
    return protocol_error();
  detail::adopt(e.raw, std::move(o));
  return response_event(std::move(e));
}

template <class T>
result summary_part_event(std::int64_t seq, boost::json::object&& o) {
  T e;
  e.sequence_number = seq;
  const auto* part = get_object(o, "part");
  if (part == nullptr || !require_string(o, "item_id", e.item_id) || !require_int(o, "output_index", e.output_index) ||
      !require_int(o, "summary_index", e.summary_index))
    return protocol_error();
  auto parsed = parse_content_part(*part);
  if (!parsed) return parsed.error();
  e.part = std::move(*parsed);
  detail::adopt(e.raw, std::move(o));
  return response_event(std::move(e));
}

template <class T>
result summary_text_event(std::int64_t seq, boost::json::object&& o, std::string_view text_key) {
  T e;
  e.sequence_number = seq;
  if (!require_string(o, "item_id", e.item_id) || !require_int(o, "output_index", e.output_index) ||
      !require_int(o, "summary_index", e.summary_index) || !require_string(o, text_key, e.text))
    return protocol_error();
  detail::adopt(e.raw, std::move(o));
  return response_event(std::move(e));
}

}  // namespace

std::string_view event_type(const response_event& e) noexcept {
  return std::visit(
      [](const auto& ev) -> std::string_view {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, other_event>) {
          return ev.type;
        } else {
          return type_name<T>::value;
        }
      },
      e);
}

const event_base& event_common(const response_event& e) noexcept {
  return std::visit([](const auto& ev) -> const event_base& { return ev; }, e);
}

bool is_terminal(const response_event& e) noexcept {
  return std::holds_alternative<response_completed>(e) || std::holds_alternative<response_incomplete>(e) ||
         std::holds_alternative<response_failed>(e);
}

result parse_response_event(boost::json::object&& o) {
  // `t` views the object's own string; it is only used before `o` is moved into the event.
  const auto* type_value = o.if_contains("type");
  if (type_value == nullptr || !type_value->is_string()) return protocol_error();
  const std::string_view t = type_value->get_string();
  std::int64_t seq = -1;
  if (!get_int(o, "sequence_number", seq, -1)) return protocol_error();

  if (t.starts_with("response.")) {
    const std::string_view rest = t.substr(9);
    if (rest == "output_text.delta") return text_event<output_text_delta>(seq, std::move(o), "delta");
    if (rest == "function_call_arguments.delta") {
      function_call_arguments_delta e;
      e.sequence_number = seq;
      if (!require_string(o, "item_id", e.item_id) || !require_int(o, "output_index", e.output_index) ||
          !require_string(o, "delta", e.delta))
        return protocol_error();
      detail::adopt(e.raw, std::move(o));
      return response_event(std::move(e));
    }
    if (rest == "created") return lifecycle<response_created>(seq, std::move(o));
    if (rest == "in_progress") return lifecycle<response_in_progress>(seq, std::move(o));
    if (rest == "completed") return lifecycle<response_completed>(seq, std::move(o));
    if (rest == "incomplete") return lifecycle<response_incomplete>(seq, std::move(o));
    if (rest == "failed") return lifecycle<response_failed>(seq, std::move(o));
    if (rest == "queued") return lifecycle<response_queued>(seq, std::move(o));
    if (rest == "output_item.added") return item_event<output_item_added>(seq, std::move(o));
    if (rest == "output_item.done") return item_event<output_item_done>(seq, std::move(o));
    if (rest == "content_part.added") return part_event<content_part_added>(seq, std::move(o));
    if (rest == "content_part.done") return part_event<content_part_done>(seq, std::move(o));
    if (rest == "output_text.done") return text_event<output_text_done>(seq, std::move(o), "text");
    if (rest == "refusal.delta") return text_event<refusal_delta>(seq, std::move(o), "delta");
    if (rest == "refusal.done") return text_event<refusal_done>(seq, std::move(o), "refusal");
    if (rest == "reasoning_text.delta") return text_event<reasoning_text_delta>(seq, std::move(o), "delta");
    if (rest == "reasoning_text.done") return text_event<reasoning_text_done>(seq, std::move(o), "text");
    if (rest == "function_call_arguments.done") {
      function_call_arguments_done e;
      e.sequence_number = seq;
      if (!require_string(o, "item_id", e.item_id) || !require_int(o, "output_index", e.output_index) ||
          !require_string(o, "arguments", e.arguments) || !get_string(o, "name", e.name))
        return protocol_error();
      detail::adopt(e.raw, std::move(o));
      return response_event(std::move(e));
    }
    if (rest == "output_text.annotation.added") {
      output_text_annotation_added e;
      e.sequence_number = seq;
      if (!require_string(o, "item_id", e.item_id) || !require_int(o, "output_index", e.output_index) ||
          !require_int(o, "content_index", e.content_index) || !get_int(o, "annotation_index", e.annotation_index))
        return protocol_error();
      if (const auto* a = o.if_contains("annotation")) e.annotation = *a;
      detail::adopt(e.raw, std::move(o));
      return response_event(std::move(e));
    }
    if (rest == "reasoning_summary_part.added") return summary_part_event<reasoning_summary_part_added>(seq, std::move(o));
    if (rest == "reasoning_summary_part.done") return summary_part_event<reasoning_summary_part_done>(seq, std::move(o));
    if (rest == "reasoning_summary_text.delta")
      return summary_text_event<reasoning_summary_text_delta>(seq, std::move(o), "delta");
    if (rest == "reasoning_summary_text.done")
      return summary_text_event<reasoning_summary_text_done>(seq, std::move(o), "text");
  } else if (t == "error") {
    error_event e;
    e.sequence_number = seq;
    const boost::json::object* src = &o;
    if (!o.contains("message")) {
      if (const auto* nested = get_object(o, "error")) src = nested;
    }
    if (!get_string(*src, "code", e.code) || !get_string(*src, "message", e.message) ||
        !get_string(*src, "param", e.param) || !get_string(*src, "type", e.error_type))
      return protocol_error();
    if (src == &o) e.error_type.clear();  // the top-level `type` is "error" itself
    detail::adopt(e.raw, std::move(o));
    return response_event(std::move(e));
  }
  other_event e;
  e.sequence_number = seq;
  e.type = std::string(t);
  detail::adopt(e.raw, std::move(o));
  return response_event(std::move(e));
}

}  // namespace chatkit::openai
