#include <chatkit/openai/response_accumulator.hpp>

#include <type_traits>

namespace chatkit::openai {

namespace {

bool known_annotation(const boost::json::value& a) {
  if (!a.is_object()) return false;
  const auto* t = a.get_object().if_contains("type");
  if (t == nullptr || !t->is_string()) return false;
  const auto& s = t->get_string();
  return s == "url_citation" || s == "file_citation" || s == "container_file_citation" || s == "file_path";
}

// Keeps the accumulated output of the in-progress response when a lifecycle event carries a snapshot.
void adopt_header(openai::response& into, const openai::response& from) {
  into.id = from.id;
  into.status = from.status;
  into.model = from.model;
  into.created_at = from.created_at;
  into.usage = from.usage;
  into.error_code = from.error_code;
  into.error_message = from.error_message;
  into.incomplete_reason = from.incomplete_reason;
  into.raw = from.raw;
}

}  // namespace

output_item* response_accumulator::item_at(std::int64_t output_index, std::string_view item_id) {
  auto& out = response_.output;
  if (output_index >= 0 && static_cast<std::size_t>(output_index) < out.size()) {
    auto& item = out[static_cast<std::size_t>(output_index)];
    if (item_id.empty() || item.id == item_id) return &item;
  }
  for (auto& item : out)  // a server that numbers differently: fall back to the id
    if (!item_id.empty() && item.id == item_id) return &item;
  return nullptr;
}

content_part* response_accumulator::part_at(output_item& item, std::int64_t index, std::string_view type) {
  if (index < 0 || index > 4096) return nullptr;  // a bogus index must not make us allocate wildly
  const auto i = static_cast<std::size_t>(index);
  if (item.content.size() <= i) item.content.resize(i + 1);
  auto& part = item.content[i];
  if (part.type.empty()) part.type = std::string(type);
  return &part;
}

content_part* response_accumulator::summary_at(std::int64_t output_index, std::string_view item_id,
                                               std::int64_t index) {
  if (index < 0 || index > 4096) return nullptr;
  auto* item = item_at(output_index, item_id);
  if (item == nullptr) return nullptr;
  const auto i = static_cast<std::size_t>(index);
  if (item->summary.size() <= i) item->summary.resize(i + 1);
  return &item->summary[i];
}

void response_accumulator::apply(const response_event& event) {
  std::visit(
      [this](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, response_created> || std::is_same_v<T, response_in_progress> ||
                      std::is_same_v<T, response_queued>) {
          adopt_header(response_, e.response);
        } else if constexpr (std::is_same_v<T, response_completed> ||
                             std::is_same_v<T, response_incomplete> || std::is_same_v<T, response_failed>) {
          auto seen = std::move(response_.output);
          auto request_id = std::move(response_.request_id);
          response_ = e.response;
          response_.request_id = std::move(request_id);
          if (response_.output.empty() && !seen.empty()) response_.output = std::move(seen);
          finished_ = true;
        } else if constexpr (std::is_same_v<T, output_item_added> || std::is_same_v<T, output_item_done>) {
          if (e.output_index < 0 || e.output_index > 65536) return;
          auto& out = response_.output;
          const auto i = static_cast<std::size_t>(e.output_index);
          if (out.size() <= i) out.resize(i + 1);
          out[i] = e.item;
        } else if constexpr (std::is_same_v<T, content_part_added> || std::is_same_v<T, content_part_done>) {
          if (auto* item = item_at(e.output_index, e.item_id))
            if (auto* part = part_at(*item, e.content_index, e.part.type)) *part = e.part;
        } else if constexpr (std::is_same_v<T, output_text_delta> || std::is_same_v<T, refusal_delta> ||
                             std::is_same_v<T, reasoning_text_delta>) {
          constexpr std::string_view type = std::is_same_v<T, output_text_delta> ? "output_text"
                                            : std::is_same_v<T, refusal_delta>   ? "refusal"
                                                                                 : "reasoning_text";
          if (auto* item = item_at(e.output_index, e.item_id))
            if (auto* part = part_at(*item, e.content_index, type)) part->text += e.text;
        } else if constexpr (std::is_same_v<T, output_text_done> || std::is_same_v<T, refusal_done> ||
                             std::is_same_v<T, reasoning_text_done>) {
          constexpr std::string_view type = std::is_same_v<T, output_text_done> ? "output_text"
                                            : std::is_same_v<T, refusal_done>   ? "refusal"
                                                                                : "reasoning_text";
          if (auto* item = item_at(e.output_index, e.item_id))
            if (auto* part = part_at(*item, e.content_index, type)) part->text = e.text;
        } else if constexpr (std::is_same_v<T, output_text_annotation_added>) {
          if (!known_annotation(e.annotation)) return;  // null or unknown: skipped, not counted
          if (auto* item = item_at(e.output_index, e.item_id))
            if (auto* part = part_at(*item, e.content_index, "output_text"))
              part->annotations.push_back(e.annotation);
        } else if constexpr (std::is_same_v<T, function_call_arguments_delta>) {
          if (auto* item = item_at(e.output_index, e.item_id)) item->arguments += e.delta;
        } else if constexpr (std::is_same_v<T, function_call_arguments_done>) {
          if (auto* item = item_at(e.output_index, e.item_id)) {
            item->arguments = e.arguments;
            if (!e.name.empty()) item->name = e.name;
          }
        } else if constexpr (std::is_same_v<T, reasoning_summary_part_added> ||
                             std::is_same_v<T, reasoning_summary_part_done>) {
          if (auto* part = summary_at(e.output_index, e.item_id, e.summary_index)) *part = e.part;
        } else if constexpr (std::is_same_v<T, reasoning_summary_text_delta> ||
                             std::is_same_v<T, reasoning_summary_text_done>) {
          if (auto* part = summary_at(e.output_index, e.item_id, e.summary_index)) {
            if (part->type.empty()) part->type = "summary_text";
            if constexpr (std::is_same_v<T, reasoning_summary_text_delta>) {
              part->text += e.text;
            } else {
              part->text = e.text;
            }
          }
        } else {
          // error_event and other_event do not change the response.
        }
      },
      event);
}

}  // namespace chatkit::openai
