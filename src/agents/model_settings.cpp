#include <chatkit/agents/model_settings.hpp>

#include <algorithm>

namespace chatkit::agents {

namespace json = boost::json;

namespace {

template <class T>
void take(std::optional<T>& into, const std::optional<T>& from) {
  if (from) into = from;
}

}  // namespace

model_settings model_settings::merged_with(const model_settings& over) const {
  model_settings out = *this;
  take(out.temperature, over.temperature);
  take(out.top_p, over.top_p);
  take(out.tool_choice, over.tool_choice);
  take(out.parallel_tool_calls, over.parallel_tool_calls);
  take(out.max_output_tokens, over.max_output_tokens);
  take(out.reasoning_effort, over.reasoning_effort);
  take(out.reasoning_summary, over.reasoning_summary);
  take(out.verbosity, over.verbosity);
  take(out.truncation, over.truncation);
  take(out.store, over.store);
  take(out.metadata, over.metadata);
  take(out.top_logprobs, over.top_logprobs);
  for (const auto& inc : over.include)
    if (std::find(out.include.begin(), out.include.end(), inc) == out.include.end()) out.include.push_back(inc);
  for (const auto& [k, v] : over.extra_body) out.extra_body[k] = v;
  return out;
}

void model_settings::apply_to(json::object& request, bool has_tools) const {
  if (temperature) request["temperature"] = *temperature;
  if (top_p) request["top_p"] = *top_p;
  if (tool_choice) {
    const auto& c = *tool_choice;
    if (c == "auto" || c == "required" || c == "none")
      request["tool_choice"] = c;
    else
      request["tool_choice"] = json::object{{"type", "function"}, {"name", c}};
  }
  if (parallel_tool_calls && has_tools) request["parallel_tool_calls"] = *parallel_tool_calls;
  if (max_output_tokens) request["max_output_tokens"] = *max_output_tokens;
  if (reasoning_effort || reasoning_summary) {
    json::object r;
    if (reasoning_effort) r["effort"] = *reasoning_effort;
    if (reasoning_summary) r["summary"] = *reasoning_summary;
    request["reasoning"] = std::move(r);
  }
  if (verbosity) {
    auto& text = request["text"];
    if (!text.is_object()) text = json::object{};
    text.as_object()["verbosity"] = *verbosity;
  }
  if (truncation) request["truncation"] = *truncation;
  if (store) request["store"] = *store;
  if (metadata) request["metadata"] = *metadata;
  if (top_logprobs) request["top_logprobs"] = *top_logprobs;
  if (!include.empty()) {
    json::array inc;
    if (auto* existing = request.if_contains("include"); existing && existing->is_array()) inc = existing->as_array();
    for (const auto& i : include)
      if (std::find(inc.begin(), inc.end(), json::value(i)) == inc.end()) inc.emplace_back(i);
    request["include"] = std::move(inc);
  }
  for (const auto& [k, v] : extra_body) request[k] = v;
}

}  // namespace chatkit::agents
