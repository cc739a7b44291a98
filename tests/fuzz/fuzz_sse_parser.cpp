// libFuzzer target: the incremental SSE parser (openai::sse_parser, docs/fuzzing.md#sse_parser). The same
// bytes fed at once, byte by byte and in uneven chunks must give the same events, the same last event id
// and retry delay, and the same finish() result; a parser with a tiny event limit must not misbehave.
#include <chatkit/openai/sse_parser.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct outcome {
  std::vector<std::string> events;  // "event\x1f" + "data\x1f" + "id"
  bool failed = false;
  bool discarded = false;
  std::string last_id;
  std::optional<std::uint64_t> retry;
  bool operator==(const outcome&) const = default;
};

// Feeds `input` in chunks whose sizes cycle through `sizes` (empty: all at once).
outcome run(std::string_view input, const std::vector<std::size_t>& sizes, std::size_t max_event) {
  chatkit::openai::sse_parser p(max_event);
  outcome out;
  std::size_t at = 0, turn = 0;
  while (at < input.size() && !out.failed) {
    const std::size_t n = sizes.empty() ? input.size() : sizes[turn++ % sizes.size()];
    p.feed(input.substr(at, n));
    at += std::min(n, input.size() - at);
    boost::system::error_code ec;
    while (auto ev = p.next(ec)) {
      std::string s(ev->event);
      s += '\x1f';
      s += ev->data;
      s += '\x1f';
      s += ev->id;
      out.events.push_back(std::move(s));
    }
    if (ec) out.failed = true;
  }
  if (!out.failed) out.discarded = p.finish();
  out.last_id = p.last_event_id();
  out.retry = p.retry();
  return out;
}

void report(const char* what, const outcome& a, const outcome& b) {
  std::fprintf(stderr, "%s: %zu vs %zu events, failed %d vs %d, discarded %d vs %d, id '%s' vs '%s'\n", what,
               a.events.size(), b.events.size(), a.failed, b.failed, a.discarded, b.discarded,
               a.last_id.c_str(), b.last_id.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto whole = run(input, {}, chatkit::openai::sse_parser::default_max_event_size);
  const auto bytes = run(input, {1}, chatkit::openai::sse_parser::default_max_event_size);
  if (!(whole == bytes)) report("byte by byte", whole, bytes);
  const auto uneven = run(input, {3, 1, 7, 2, 13}, chatkit::openai::sse_parser::default_max_event_size);
  if (!(whole == uneven)) report("uneven chunks", whole, uneven);
  // A tiny limit: an error is allowed (where it is detected depends on the chunking), a crash is not.
  (void)run(input, {5}, 16);
  (void)run(input, {}, 16);
  return 0;
}
