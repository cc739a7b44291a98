// Process-wide operational metrics of the SDK, rendered in the Prometheus text format
// (docs/guide-operations.md#metrics). The layers record as they work: the server core counts requests by
// ChatKit type and outcome, open streams and events sent; the http layer counts responses by status; agents
// count tool calls by tool name and time model calls. Recording is a relaxed atomic add: no lock, no
// allocation. chatkit::http::server serves render_prometheus() at /metrics when asked to
// (server_options::operations); a host with its own HTTP stack serves the string itself.
//
// Labels are bounded: ChatKit request types and HTTP statuses are fixed lists, tool names are those of the
// tools that ran (at most max_tool_labels, then "_other"). User ids are never labels.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace chatkit::metrics {

// ---- recording (the SDK calls these; a host with its own transport may too) ----

// One request handled by a request processor: `type_index` is the protocol::request alternative
// (request.index()), or request_type_count for a body that did not parse; `status` the HTTP status its
// outcome maps to (200 for an answer or an opened stream).
inline constexpr std::size_t request_type_count = 16;
void count_request(std::size_t type_index, int status) noexcept;
// One response written by the HTTP layer (ChatKit path and extra routes), by status.
void count_http_response(int status) noexcept;
// An event stream started running / ended (gauge chatkit_open_streams).
void stream_opened() noexcept;
void stream_closed() noexcept;
// Frames sent by event streams.
void add_events_sent(std::uint64_t n) noexcept;
// One tool call by the agents layer (or the MCP tool server), by tool name and whether it succeeded.
inline constexpr std::size_t max_tool_labels = 128;
void count_tool_call(std::string_view tool, bool ok) noexcept;
// One model call: the time to its first stream event (when there was one) and its total duration.
void observe_model_call(std::chrono::nanoseconds total, const std::chrono::nanoseconds* first_event,
                        bool ok) noexcept;

// ---- reading ----

// Every metric in the Prometheus text exposition format (version 0.0.4): HELP and TYPE lines, counters
// ending in _total, histograms as cumulative _bucket{le="..."} lines ending with +Inf, _sum and _count.
std::string render_prometheus();
// The Content-Type of render_prometheus()'s text.
inline constexpr std::string_view prometheus_content_type = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace chatkit::metrics
