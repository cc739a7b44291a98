// Folds a Responses event stream into the Response it describes (docs/openai-client.md#responses-streaming):
// text and argument deltas are appended (amortized O(1) per delta, never rebuilt), `*.done` events and
// `output_item.done` replace what was accumulated, and the terminal event's `response.output` is
// authoritative unless it is empty while items were seen (some compatible backends send it empty). In that
// case the streamed items are kept, and the `raw` of each one the API never sent whole (no output_item.done)
// is brought up to date when the terminal event arrives: the `.added` snapshot, fields unknown to the SDK
// included, with the accumulated arguments, content parts and summary parts written over it.
#pragma once

#include <chatkit/openai/response.hpp>
#include <chatkit/openai/response_events.hpp>

#include <vector>

namespace chatkit::openai {

class response_accumulator {
 public:
  void apply(const response_event& e);

  // The response so far (after a terminal event: the final response).
  const openai::response& current() const noexcept { return response_; }
  openai::response& current() noexcept { return response_; }
  // True once response.completed / .incomplete / .failed was applied.
  bool finished() const noexcept { return finished_; }

 private:
  output_item* item_at(std::int64_t output_index, std::string_view item_id);
  content_part* part_at(output_item& item, std::int64_t index, std::string_view type);
  content_part* summary_at(output_item& item, std::int64_t index);
  void mark_changed(const output_item* item);
  static void refresh_raw(output_item& item);

  openai::response response_;
  std::vector<bool> changed_;  // by output index: changed by deltas since the API last sent the whole item
  bool finished_ = false;
};

}  // namespace chatkit::openai
