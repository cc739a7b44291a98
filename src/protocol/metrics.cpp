// The SDK's process-wide metrics: fixed arrays of relaxed atomics, rendered on demand
// (docs/guide-operations.md#metrics).
#include <chatkit/metrics.hpp>
#include <chatkit/protocol/requests.hpp>

#include <array>
#include <atomic>
#include <charconv>
#include <cstdio>
#include <utility>

namespace chatkit::metrics {

namespace {

static_assert(request_type_count == std::variant_size_v<protocol::request>,
              "metrics::request_type_count must match the protocol::request alternatives");

template <std::size_t... I>
constexpr std::array<std::string_view, sizeof...(I) + 1> make_type_names(std::index_sequence<I...>) {
  return {std::variant_alternative_t<I, protocol::request>::type_name..., "invalid"};
}
constexpr auto type_names = make_type_names(std::make_index_sequence<request_type_count>{});

// The statuses the SDK answers; any other is counted as "other".
constexpr std::array<int, 16> statuses = {200, 204, 400, 401, 403, 404, 405, 409,
                                          413, 415, 429, 431, 499, 500, 501, 503};
constexpr std::size_t status_slots = statuses.size() + 1;

std::size_t status_slot(int status) noexcept {
  for (std::size_t i = 0; i < statuses.size(); ++i)
    if (statuses[i] == status) return i;
  return statuses.size();
}

using counter = std::atomic<std::uint64_t>;

// Upper bounds in seconds, for model calls: from a fast local model to a long reasoning turn.
constexpr std::array<double, 12> latency_bounds = {0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120};

struct histogram {
  std::array<counter, latency_bounds.size() + 1> buckets{};  // per bucket (not cumulative); last: above all
  counter sum_us{0};

  void observe(std::chrono::nanoseconds d) noexcept {
    const double s = std::chrono::duration<double>(d).count();
    std::size_t i = 0;
    while (i < latency_bounds.size() && s > latency_bounds[i]) ++i;
    buckets[i].fetch_add(1, std::memory_order_relaxed);
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    sum_us.fetch_add(us > 0 ? static_cast<std::uint64_t>(us) : 0, std::memory_order_relaxed);
  }
};

// Tool names become labels: a fixed table filled on first use (lock-free: a slot's name is published once
// with a compare-exchange and never changes). Names past the table share the "_other" slot.
struct tool_slot {
  std::atomic<const std::string*> name{nullptr};
  counter ok{0};
  counter failed{0};
};

struct registry {
  std::array<std::array<counter, status_slots>, request_type_count + 1> requests{};
  std::array<counter, status_slots> http_responses{};
  std::atomic<std::int64_t> open_streams{0};
  counter streams{0};
  counter events{0};
  std::array<tool_slot, max_tool_labels> tools{};
  tool_slot other_tools;
  std::array<counter, 2> model_calls{};  // ok, error
  histogram first_event;
  histogram model_duration;
};

registry& reg() {
  static registry r;
  return r;
}

tool_slot& slot_for(std::string_view tool) noexcept {
  auto& r = reg();
  const std::size_t start = std::hash<std::string_view>{}(tool) % max_tool_labels;
  std::string* mine = nullptr;
  for (std::size_t k = 0; k < max_tool_labels; ++k) {
    auto& s = r.tools[(start + k) % max_tool_labels];
    const std::string* name = s.name.load(std::memory_order_acquire);
    if (!name) {
      if (!mine) {
        try {
          mine = new std::string(tool);  // owned by the table for the life of the process
        } catch (...) {
          return r.other_tools;
        }
      }
      const std::string* expected = nullptr;
      if (s.name.compare_exchange_strong(expected, mine, std::memory_order_acq_rel)) return s;
      name = expected;  // another thread took the slot first
    }
    if (*name == tool) {
      delete mine;
      return s;
    }
  }
  delete mine;
  return r.other_tools;
}

// Prometheus label values escape backslash, double quote and newline.
void append_label_value(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out.push_back(c);
  }
}

void append_uint(std::string& out, std::uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void append_double(std::string& out, double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void head(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void render_histogram(std::string& out, std::string_view name, std::string_view help, const histogram& h) {
  head(out, name, "histogram", help);
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= latency_bounds.size(); ++i) {
    cumulative += h.buckets[i].load(std::memory_order_relaxed);
    out += name;
    out += "_bucket{le=\"";
    if (i < latency_bounds.size())
      append_double(out, latency_bounds[i]);
    else
      out += "+Inf";
    out += "\"} ";
    append_uint(out, cumulative);
    out += '\n';
  }
  out += name;
  out += "_sum ";
  append_double(out, static_cast<double>(h.sum_us.load(std::memory_order_relaxed)) / 1e6);
  out += '\n';
  // The count is the +Inf bucket as rendered, so the two agree even while other threads observe.
  out += name;
  out += "_count ";
  append_uint(out, cumulative);
  out += '\n';
}

std::string status_label(std::size_t slot) {
  return slot < statuses.size() ? std::to_string(statuses[slot]) : std::string("other");
}

}  // namespace

void count_request(std::size_t type_index, int status) noexcept {
  if (type_index > request_type_count) type_index = request_type_count;
  reg().requests[type_index][status_slot(status)].fetch_add(1, std::memory_order_relaxed);
}

void count_http_response(int status) noexcept {
  reg().http_responses[status_slot(status)].fetch_add(1, std::memory_order_relaxed);
}

void stream_opened() noexcept {
  reg().open_streams.fetch_add(1, std::memory_order_relaxed);
  reg().streams.fetch_add(1, std::memory_order_relaxed);
}

void stream_closed() noexcept {
  reg().open_streams.fetch_sub(1, std::memory_order_relaxed);
}

void add_events_sent(std::uint64_t n) noexcept {
  reg().events.fetch_add(n, std::memory_order_relaxed);
}

void count_tool_call(std::string_view tool, bool ok) noexcept {
  auto& s = slot_for(tool);
  (ok ? s.ok : s.failed).fetch_add(1, std::memory_order_relaxed);
}

void observe_model_call(std::chrono::nanoseconds total, const std::chrono::nanoseconds* first_event,
                        bool ok) noexcept {
  auto& r = reg();
  r.model_calls[ok ? 0 : 1].fetch_add(1, std::memory_order_relaxed);
  r.model_duration.observe(total);
  if (first_event) r.first_event.observe(*first_event);
}

std::string render_prometheus() {
  auto& r = reg();
  std::string out;
  out.reserve(8192);

  head(out, "chatkit_requests_total", "counter",
       "ChatKit requests handled by the server core, by request type and HTTP status of the outcome.");
  for (std::size_t t = 0; t <= request_type_count; ++t)
    for (std::size_t s = 0; s < status_slots; ++s) {
      const auto n = r.requests[t][s].load(std::memory_order_relaxed);
      if (n == 0) continue;
      out += "chatkit_requests_total{type=\"";
      append_label_value(out, type_names[t]);
      out += "\",status=\"";
      out += status_label(s);
      out += "\"} ";
      append_uint(out, n);
      out += '\n';
    }

  head(out, "chatkit_http_responses_total", "counter",
       "HTTP responses written by chatkit::http (ChatKit path and extra routes), by status.");
  for (std::size_t s = 0; s < status_slots; ++s) {
    const auto n = r.http_responses[s].load(std::memory_order_relaxed);
    if (n == 0) continue;
    out += "chatkit_http_responses_total{status=\"";
    out += status_label(s);
    out += "\"} ";
    append_uint(out, n);
    out += '\n';
  }

  head(out, "chatkit_open_streams", "gauge", "Event streams running now.");
  out += "chatkit_open_streams ";
  out += std::to_string(r.open_streams.load(std::memory_order_relaxed));
  out += '\n';

  head(out, "chatkit_streams_total", "counter", "Event streams started.");
  out += "chatkit_streams_total ";
  append_uint(out, r.streams.load(std::memory_order_relaxed));
  out += '\n';

  head(out, "chatkit_events_sent_total", "counter", "Server-sent event frames written by event streams.");
  out += "chatkit_events_sent_total ";
  append_uint(out, r.events.load(std::memory_order_relaxed));
  out += '\n';

  head(out, "chatkit_tool_calls_total", "counter", "Tool calls run by agents, by tool name and outcome.");
  const auto tool_line = [&](std::string_view name, std::string_view outcome, std::uint64_t n) {
    if (n == 0) return;
    out += "chatkit_tool_calls_total{tool=\"";
    append_label_value(out, name);
    out += "\",outcome=\"";
    out += outcome;
    out += "\"} ";
    append_uint(out, n);
    out += '\n';
  };
  for (const auto& s : r.tools) {
    const std::string* name = s.name.load(std::memory_order_acquire);
    if (!name) continue;
    tool_line(*name, "ok", s.ok.load(std::memory_order_relaxed));
    tool_line(*name, "error", s.failed.load(std::memory_order_relaxed));
  }
  tool_line("_other", "ok", r.other_tools.ok.load(std::memory_order_relaxed));
  tool_line("_other", "error", r.other_tools.failed.load(std::memory_order_relaxed));

  head(out, "chatkit_model_calls_total", "counter", "Model calls made by agents, by outcome.");
  out += "chatkit_model_calls_total{outcome=\"ok\"} ";
  append_uint(out, r.model_calls[0].load(std::memory_order_relaxed));
  out += "\nchatkit_model_calls_total{outcome=\"error\"} ";
  append_uint(out, r.model_calls[1].load(std::memory_order_relaxed));
  out += '\n';

  render_histogram(out, "chatkit_model_first_event_seconds",
                   "Time from the start of a model call to its first stream event.", r.first_event);
  render_histogram(out, "chatkit_model_duration_seconds",
                   "Duration of model calls, to the end of their stream.", r.model_duration);
  return out;
}

}  // namespace chatkit::metrics
