// model_settings — the per-request knobs of a model call (docs/agents.md#the-agent). Every field is
// optional: unset fields are omitted from the request, and run-level settings override the agent's field
// by field (a set field wins).
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace chatkit::agents {

struct model_settings {
  std::optional<double> temperature;
  std::optional<double> top_p;
  // "auto", "required", "none", or the name of one function tool (sent as {"type":"function","name":...}).
  std::optional<std::string> tool_choice;
  std::optional<bool> parallel_tool_calls;  // sent only when the request has tools
  std::optional<std::int64_t> max_output_tokens;
  std::optional<std::string> reasoning_effort;   // reasoning.effort: "minimal", "low", "medium", "high"
  std::optional<std::string> reasoning_summary;  // reasoning.summary: "auto", "concise", "detailed"
  std::optional<std::string> verbosity;          // text.verbosity
  std::optional<std::string> truncation;         // "auto" | "disabled"
  std::optional<bool> store;
  std::optional<boost::json::object> metadata;
  std::optional<std::int64_t> top_logprobs;
  std::vector<std::string> include;  // unioned
  boost::json::object extra_body;    // merged into the request last (keys override)

  // This merged with `over`: every field set in `over` wins; include lists are unioned, extra_body merged.
  model_settings merged_with(const model_settings& over) const;

  // Writes the set fields into a Responses request body. `has_tools` gates parallel_tool_calls.
  void apply_to(boost::json::object& request, bool has_tools) const;
};

}  // namespace chatkit::agents
