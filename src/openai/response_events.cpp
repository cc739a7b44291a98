#include <chatkit/openai/response_events.hpp>

#include "openai/detail/json_fields.hpp"

#include <algorithm>
#include <array>
#include <type_traits>
#include <utility>

namespace chatkit::openai {

using boost::json::object;
using detail::get_int;
using detail::get_object;
using detail::get_string;
using detail::protocol_error;
using detail::require_int;
using detail::require_string;

namespace {

using result = boost::system::result<response_event>;

// The wire `type` of every alternative of response_event, in the variant's order; other_event, the last
// alternative, has none (it keeps the type it was sent with).
constexpr std::array<std::string_view, std::variant_size_v<response_event> - 1> wire_types = {
    "response.queued",
    "response.created",
    "response.in_progress",
    "response.completed",
    "response.incomplete",
    "response.failed",
    "response.output_item.added",
    "response.output_item.done",
    "response.content_part.added",
    "response.content_part.done",
    "response.output_text.delta",
    "response.output_text.done",
    "response.output_text.annotation.added",
    "response.refusal.delta",
    "response.refusal.done",
    "response.function_call_arguments.delta",
    "response.function_call_arguments.done",
    "response.reasoning_summary_part.added",
    "response.reasoning_summary_part.done",
    "response.reasoning_summary_text.delta",
    "response.reasoning_summary_text.done",
    "response.reasoning_text.delta",
    "response.reasoning_text.done",
    "error",
};
static_assert(std::is_same_v<std::variant_alternative_t<wire_types.size(), response_event>, other_event>);

// The field that carries the text of a text event: `delta` for *.delta, `refusal` for refusal.done,
// `text` for the other *.done events.
constexpr std::string_view text_key(std::string_view type) noexcept {
  if (type.ends_with(".delta")) return "delta";
  return type == "response.refusal.done" ? "refusal" : "text";
}

// Where a fragment belongs: the item's id and its index in the response output.
bool read_item_ref(const object& o, std::string& item_id, std::int64_t& output_index) {
  return require_string(o, "item_id", item_id) && require_int(o, "output_index", output_index);
}

// A required nested object parsed by `parse` into `out`.
template <class T, class Parse>
bool read_nested(const object& o, std::string_view key, T& out, Parse parse) {
  const auto* nested = get_object(o, key);
  if (nested == nullptr) return false;
  auto parsed = parse(*nested);
  if (!parsed) return false;
  out = std::move(*parsed);
  return true;
}

// One reader per event family: false when a required field is missing or a field has the wrong type.
bool read(const object& o, response_lifecycle_event& e, std::string_view) {
  return read_nested(o, "response", e.response, parse_response);
}
bool read(const object& o, output_item_event& e, std::string_view) {
  return require_int(o, "output_index", e.output_index) && read_nested(o, "item", e.item, parse_output_item);
}
bool read(const object& o, content_part_event& e, std::string_view) {
  return read_item_ref(o, e.item_id, e.output_index) && require_int(o, "content_index", e.content_index) &&
         read_nested(o, "part", e.part, parse_content_part);
}
bool read(const object& o, content_text_event& e, std::string_view key) {
  return read_item_ref(o, e.item_id, e.output_index) && require_int(o, "content_index", e.content_index) &&
         require_string(o, key, e.text);
}
bool read(const object& o, output_text_annotation_added& e, std::string_view) {
  if (!read_item_ref(o, e.item_id, e.output_index) || !require_int(o, "content_index", e.content_index) ||
      !get_int(o, "annotation_index", e.annotation_index))
    return false;
  if (const auto* a = o.if_contains("annotation")) e.annotation = *a;
  return true;
}
bool read(const object& o, function_call_arguments_delta& e, std::string_view) {
  return read_item_ref(o, e.item_id, e.output_index) && require_string(o, "delta", e.delta);
}
bool read(const object& o, function_call_arguments_done& e, std::string_view) {
  return read_item_ref(o, e.item_id, e.output_index) && require_string(o, "arguments", e.arguments) &&
         get_string(o, "name", e.name);
}
bool read(const object& o, reasoning_summary_part_event& e, std::string_view) {
  return read_item_ref(o, e.item_id, e.output_index) && require_int(o, "summary_index", e.summary_index) &&
         read_nested(o, "part", e.part, parse_content_part);
}
bool read(const object& o, reasoning_summary_text_event& e, std::string_view key) {
  return read_item_ref(o, e.item_id, e.output_index) && require_int(o, "summary_index", e.summary_index) &&
         require_string(o, key, e.text);
}
// The fields sit at the top level or nested under `error`; both shapes are sent.
bool read(const object& o, error_event& e, std::string_view) {
  const object* src = &o;
  if (!o.contains("message"))
    if (const auto* nested = get_object(o, "error")) src = nested;
  if (!get_string(*src, "code", e.code) || !get_string(*src, "message", e.message) ||
      !get_string(*src, "param", e.param) || !get_string(*src, "type", e.error_type))
    return false;
  if (src == &o) e.error_type.clear();  // the top-level `type` is "error" itself
  return true;
}
bool read(const object&, other_event&, std::string_view) {
  return true;
}

// Builds the event of type T from `o` (`type` views o's own `type` string: used before o is moved).
template <class T>
result make_event(std::int64_t seq, object&& o, std::string_view type) {
  T e;
  e.sequence_number = seq;
  if constexpr (std::is_same_v<T, other_event>) e.type = std::string(type);
  if (!read(o, e, text_key(type))) return protocol_error();
  detail::adopt(e.raw, std::move(o));
  return response_event(std::move(e));
}

using event_maker = result (*)(std::int64_t, object&&, std::string_view);

template <std::size_t... I>
constexpr std::array<event_maker, sizeof...(I)> event_makers(std::index_sequence<I...>) {
  return {&make_event<std::variant_alternative_t<I, response_event>>...};
}

// make_event for each alternative of response_event, by variant index.
constexpr auto make_by_index = event_makers(std::make_index_sequence<std::variant_size_v<response_event>>{});

}  // namespace

std::string_view event_type(const response_event& e) noexcept {
  if (const auto* other = std::get_if<other_event>(&e)) return other->type;
  return wire_types[e.index()];
}

const event_base& event_common(const response_event& e) noexcept {
  return std::visit([](const auto& ev) -> const event_base& { return ev; }, e);
}

bool is_terminal(const response_event& e) noexcept {
  return std::holds_alternative<response_completed>(e) || std::holds_alternative<response_incomplete>(e) ||
         std::holds_alternative<response_failed>(e);
}

result parse_response_event(object&& o) {
  const auto* type_value = o.if_contains("type");
  if (type_value == nullptr || !type_value->is_string()) return protocol_error();
  const std::string_view type = type_value->get_string();
  std::int64_t seq = -1;
  if (!get_int(o, "sequence_number", seq, -1)) return protocol_error();
  // Unknown types become other_event, the alternative after the last wire type.
  const auto index =
      static_cast<std::size_t>(std::find(wire_types.begin(), wire_types.end(), type) - wire_types.begin());
  return make_by_index[index](seq, std::move(o), type);
}

}  // namespace chatkit::openai
