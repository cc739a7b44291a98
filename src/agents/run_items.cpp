// Run items, run events and the model-visible tool error sentences (docs/agents.md#events, docs/tools.md#tool-errors-what-the-model-sees).
#include <chatkit/agents/runner.hpp>

namespace chatkit::agents {

namespace json = boost::json;

std::string_view to_string(run_item_type t) noexcept {
  switch (t) {
    case run_item_type::message_output: return "message_output_item";
    case run_item_type::reasoning: return "reasoning_item";
    case run_item_type::tool_call: return "tool_call_item";
    case run_item_type::tool_call_output: return "tool_call_output_item";
  }
  return "unknown";
}

std::string_view to_string(run_item_event_name n) noexcept {
  switch (n) {
    case run_item_event_name::message_output_created: return "message_output_created";
    case run_item_event_name::reasoning_item_created: return "reasoning_item_created";
    case run_item_event_name::tool_called: return "tool_called";
    case run_item_event_name::tool_output: return "tool_output";
  }
  return "unknown";
}

json::object run_item::to_input_item() const {
  if (type == run_item_type::tool_call_output) return input_item;
  // raw is the item as the API sent it, or for an item that only streamed, its .added snapshot brought up to
  // what the deltas built (docs/openai-client.md#responses-streaming).
  if (!item.raw.empty()) return item.raw;
  // No JSON at all (an item a custom model built by hand): rebuild the fields the API needs.
  json::object o{{"type", item.type}};
  if (!item.id.empty()) o["id"] = item.id;
  if (item.is_function_call()) {
    o["call_id"] = item.call_id;
    o["name"] = item.name;
    o["arguments"] = item.arguments;
  } else if (item.is_message()) {
    o["role"] = item.role.empty() ? "assistant" : item.role;
    json::array content;
    for (const auto& p : item.content) {
      json::object part{{"type", p.type}};
      if (p.type == "refusal")
        part["refusal"] = p.text;
      else
        part["text"] = p.text;
      if (p.type == "output_text") part["annotations"] = p.annotations;
      content.push_back(std::move(part));
    }
    o["content"] = std::move(content);
  } else if (item.is_reasoning()) {
    json::array summary;
    for (const auto& p : item.summary) summary.push_back(json::object{{"type", "summary_text"}, {"text", p.text}});
    o["summary"] = std::move(summary);
    if (!item.encrypted_content.empty()) o["encrypted_content"] = item.encrypted_content;
  }
  return o;
}

const std::string* text_delta(const run_event& e) noexcept {
  const auto* raw = std::get_if<raw_response_event>(&e);
  if (!raw) return nullptr;
  const auto* d = std::get_if<openai::output_text_delta>(&raw->event);
  return d ? &d->text : nullptr;
}

std::string default_tool_error_message(const tool_failure& f) {
  switch (f.kind) {
    case tool_failure_kind::invalid_json:
      return "Tool argument parsing failed; call the tool again with valid JSON. Error: " + std::string(f.message);
    case tool_failure_kind::invalid_arguments:
      return "Tool call failed; fix the arguments and try again. Error: invalid arguments for tool " +
             std::string(f.tool_name) + ": " + std::string(f.message);
    case tool_failure_kind::exception:
      return "Tool call failed; you may try again. Error: " + std::string(f.message);
    case tool_failure_kind::timeout:
      return "Tool '" + std::string(f.tool_name) + "' timed out after " + std::string(f.message) + " s.";
    case tool_failure_kind::not_found:
      return "Tool '" + std::string(f.tool_name) + "' not found.";
  }
  return std::string(f.message);
}

}  // namespace chatkit::agents
