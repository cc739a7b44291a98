#include <chatkit/openai/response_accumulator.hpp>

#include <string_view>
#include <type_traits>
#include <vector>

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

// The parts of `parsed` as JSON: each starts from what the API sent for that part (`sent`, from the
// content_part / summary_part events), with the accumulated text and annotations written over it.
boost::json::array parts_json(const boost::json::value* sent, const std::vector<content_part>& parsed) {
  const boost::json::array* base = sent != nullptr && sent->is_array() ? &sent->get_array() : nullptr;
  boost::json::array out;
  out.reserve(parsed.size());
  for (std::size_t i = 0; i < parsed.size(); ++i) {
    const auto& p = parsed[i];
    if (p.type.empty()) continue;  // an index the stream skipped
    boost::json::object part;
    if (base != nullptr && i < base->size() && (*base)[i].is_object()) part = (*base)[i].get_object();
    part["type"] = p.type;
    part[p.type == "refusal" ? "refusal" : "text"] = p.text;
    if (p.type == "output_text") part["annotations"] = p.annotations;
    out.push_back(std::move(part));
  }
  return out;
}

// Stores the JSON of a part as the event carried it at raw[key][index], so its unmodelled fields survive.
void keep_part_json(boost::json::object& raw, std::string_view key, std::int64_t index,
                    const boost::json::object& event) {
  const auto* part = event.if_contains("part");
  if (part == nullptr || !part->is_object() || raw.empty() || index < 0 || index > 4096) return;
  auto& slot = raw[key];
  if (!slot.is_array()) slot = boost::json::array{};
  auto& parts = slot.get_array();
  const auto i = static_cast<std::size_t>(index);
  if (parts.size() <= i) parts.resize(i + 1, boost::json::object{});
  parts[i] = *part;
}

}  // namespace

void response_accumulator::mark_changed(const output_item* item) {
  const auto i = static_cast<std::size_t>(item - response_.output.data());  // item_at points into output
  if (changed_.size() <= i) changed_.resize(i + 1, false);
  changed_[i] = true;
}

void response_accumulator::refresh_raw(output_item& item) {
  auto& raw = item.raw;
  if (raw.empty()) return;  // nothing the API sent to start from
  if (item.is_function_call()) {
    raw["arguments"] = item.arguments;
    if (!item.name.empty()) raw["name"] = item.name;
  }
  if (!item.content.empty()) raw["content"] = parts_json(raw.if_contains("content"), item.content);
  if (!item.summary.empty()) raw["summary"] = parts_json(raw.if_contains("summary"), item.summary);
}

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

content_part* response_accumulator::summary_at(output_item& item, std::int64_t index) {
  if (index < 0 || index > 4096) return nullptr;
  const auto i = static_cast<std::size_t>(index);
  if (item.summary.size() <= i) item.summary.resize(i + 1);
  return &item.summary[i];
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
          if (response_.output.empty() && !seen.empty()) {
            // The items as streamed: one the API never sent complete (no output_item.done) still holds its
            // .added snapshot in raw; bring that up to what the deltas built.
            for (std::size_t i = 0; i < seen.size() && i < changed_.size(); ++i)
              if (changed_[i]) refresh_raw(seen[i]);
            response_.output = std::move(seen);
          }
          changed_.clear();
          finished_ = true;
        } else if constexpr (std::is_same_v<T, output_item_added> || std::is_same_v<T, output_item_done>) {
          if (e.output_index < 0 || e.output_index > 65536) return;
          auto& out = response_.output;
          const auto i = static_cast<std::size_t>(e.output_index);
          if (out.size() <= i) out.resize(i + 1);
          out[i] = e.item;
          if (i < changed_.size()) changed_[i] = false;  // raw is the item as just sent
        } else if constexpr (std::is_same_v<T, content_part_added> || std::is_same_v<T, content_part_done>) {
          if (auto* item = item_at(e.output_index, e.item_id)) {
            if (auto* part = part_at(*item, e.content_index, e.part.type)) {
              *part = e.part;
              keep_part_json(item->raw, "content", e.content_index, e.raw);
            }
            mark_changed(item);
          }
        } else if constexpr (std::is_same_v<T, output_text_delta> || std::is_same_v<T, refusal_delta> ||
                             std::is_same_v<T, reasoning_text_delta>) {
          constexpr std::string_view type = std::is_same_v<T, output_text_delta> ? "output_text"
                                            : std::is_same_v<T, refusal_delta>   ? "refusal"
                                                                                 : "reasoning_text";
          if (auto* item = item_at(e.output_index, e.item_id)) {
            if (auto* part = part_at(*item, e.content_index, type)) part->text += e.text;
            mark_changed(item);
          }
        } else if constexpr (std::is_same_v<T, output_text_done> || std::is_same_v<T, refusal_done> ||
                             std::is_same_v<T, reasoning_text_done>) {
          constexpr std::string_view type = std::is_same_v<T, output_text_done> ? "output_text"
                                            : std::is_same_v<T, refusal_done>   ? "refusal"
                                                                                : "reasoning_text";
          if (auto* item = item_at(e.output_index, e.item_id)) {
            if (auto* part = part_at(*item, e.content_index, type)) part->text = e.text;
            mark_changed(item);
          }
        } else if constexpr (std::is_same_v<T, output_text_annotation_added>) {
          if (!known_annotation(e.annotation)) return;  // null or unknown: skipped, not counted
          if (auto* item = item_at(e.output_index, e.item_id)) {
            if (auto* part = part_at(*item, e.content_index, "output_text"))
              part->annotations.push_back(e.annotation);
            mark_changed(item);
          }
        } else if constexpr (std::is_same_v<T, function_call_arguments_delta>) {
          if (auto* item = item_at(e.output_index, e.item_id)) {
            item->arguments += e.delta;
            mark_changed(item);
          }
        } else if constexpr (std::is_same_v<T, function_call_arguments_done>) {
          if (auto* item = item_at(e.output_index, e.item_id)) {
            item->arguments = e.arguments;
            if (!e.name.empty()) item->name = e.name;
            mark_changed(item);
          }
        } else if constexpr (std::is_same_v<T, reasoning_summary_part_added> ||
                             std::is_same_v<T, reasoning_summary_part_done>) {
          if (auto* item = item_at(e.output_index, e.item_id)) {
            if (auto* part = summary_at(*item, e.summary_index)) {
              *part = e.part;
              keep_part_json(item->raw, "summary", e.summary_index, e.raw);
            }
            mark_changed(item);
          }
        } else if constexpr (std::is_same_v<T, reasoning_summary_text_delta> ||
                             std::is_same_v<T, reasoning_summary_text_done>) {
          if (auto* item = item_at(e.output_index, e.item_id)) {
            if (auto* part = summary_at(*item, e.summary_index)) {
              if (part->type.empty()) part->type = "summary_text";
              if constexpr (std::is_same_v<T, reasoning_summary_text_delta>) {
                part->text += e.text;
              } else {
                part->text = e.text;
              }
            }
            mark_changed(item);
          }
        } else {
          // error_event and other_event do not change the response.
        }
      },
      event);
}

}  // namespace chatkit::openai
