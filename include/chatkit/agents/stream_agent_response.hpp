// stream_agent_response (docs/agents.md#chatkit-stream_agent_response): turns a streamed agent run into
// ChatKit thread events on an event_emitter — an assistant message per model message (Responses ids,
// content parts, text deltas, annotations), reasoning summaries as a reasoning workflow, generated images,
// the events tools enqueue through agent_context, and a pending client_tool_call item when a tool asked for
// one. The emitter's pipeline persists every finished item.
#pragma once

#include <chatkit/agents/agent_context.hpp>
#include <chatkit/agents/runner.hpp>
#include <chatkit/server/event_emitter.hpp>

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <string>
#include <string_view>

namespace chatkit::agents {

struct stream_agent_response_options {
  // Turns a base64 image into the URL stored on generated_image items (default: a data: URL).
  std::function<std::string(std::string_view b64)> image_url;
  // Expected partial images per generation, for the progress of generated_image.updated (0 = unknown).
  int partial_images = 0;
};
using bridge_options [[deprecated("use stream_agent_response_options")]] = stream_agent_response_options;

// Consumes `run` to its end, forwarding tool-enqueued events from `ctx` in arrival order. The run's error,
// if any, is rethrown after every event queued before it was delivered. Cancelling the awaiting coroutine
// (or a failing emitter: the client went away) cancels the run — its model call and running tools.
boost::asio::awaitable<void> stream_agent_response(agent_context& ctx, run_stream& run,
                                                   server::event_emitter& out,
                                                   stream_agent_response_options options = {});

}  // namespace chatkit::agents
