// libFuzzer target: the Responses stream decoder (openai::responses_decoder,
// docs/fuzzing.md#responses_decoder): SSE framing, JSON, event dispatch, sequence numbers and the
// accumulator. Every input either decodes or raises openai::api_error; the outcome must not depend on how the
// bytes were split.
#include <chatkit/openai/error.hpp>
#include <chatkit/openai/responses_decoder.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace co = chatkit::openai;

namespace {

struct outcome {
  std::vector<std::string> events;  // type and sequence number of every delivered event
  int error = 0;                    // openai::errc of the failure, 0 when none
  std::string text;                 // the accumulated output text
  bool operator==(const outcome&) const = default;
};

outcome run(std::string_view input, std::size_t chunk, bool lenient) {
  co::responses_decoder d({.lenient_sequence = lenient});
  outcome out;
  try {
    for (std::size_t at = 0; at < input.size() && !d.done(); at += chunk) {
      d.feed(input.substr(at, chunk));
      while (auto ev = d.next()) {
        std::string s(co::event_type(*ev));
        s += '#';
        s += std::to_string(co::event_common(*ev).sequence_number);
        out.events.push_back(std::move(s));
      }
    }
    d.finish();
  } catch (const co::api_error& e) {
    out.error = static_cast<int>(e.kind());
  }
  out.text = d.accumulator().current().output_text();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (input.empty()) return 0;
  for (bool lenient : {false, true}) {
    const auto whole = run(input, input.size(), lenient);
    const auto split = run(input, 7, lenient);
    if (!(whole == split)) {
      std::fprintf(stderr, "split input changed the outcome: %zu vs %zu events, error %d vs %d\n",
                   whole.events.size(), split.events.size(), whole.error, split.error);
      std::abort();
    }
  }
  return 0;
}
