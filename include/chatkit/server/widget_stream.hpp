// Streaming widgets (docs/server.md#the-event-pipeline): successive widget roots become thread.item.added,
// then the smallest updates (streaming_text.value_delta where only streaming text grew, else one
// widget.root.updated), then thread.item.done with the final root.
#pragma once

#include <chatkit/protocol/events.hpp>
#include <chatkit/server/event_emitter.hpp>

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <vector>

namespace chatkit::server {

// The updates that turn `before` into `after`. Throws chatkit::error(chatkit::errc::internal) for an invalid
// stream (a streaming-text node whose new value does not extend the old one while nothing else changed is
// impossible by construction; a streaming-text id that appears without a full replace is an error).
std::vector<protocol::item_update> diff_widget(const protocol::widget_root& before,
                                               const protocol::widget_root& after);

class widget_stream {
 public:
  explicit widget_stream(event_emitter& out, std::optional<std::string> copy_text = std::nullopt);
  // First call: thread.item.added; later calls: the diff against the previous root.
  boost::asio::awaitable<void> update(protocol::widget_root root);
  // thread.item.done with the last root (which the pipeline persists).
  boost::asio::awaitable<void> finish();
  const std::string& item_id() const noexcept { return item_.id; }

 private:
  event_emitter& out_;
  protocol::widget_item item_;
  bool started_ = false;
};

}  // namespace chatkit::server
