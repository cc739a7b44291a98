// libFuzzer target: the Chat Completions stream decoder (openai::chat_decoder, docs/fuzzing.md#chat_decoder):
// SSE framing, JSON, chunk parsing, tool-call fragments by index, lone surrogates held between chunks and
// the accumulator. Every input either decodes or raises openai::api_error; the outcome must not depend on
// how the bytes were split.
#include <chatkit/openai/chat_completions.hpp>
#include <chatkit/openai/error.hpp>

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
  std::size_t chunks = 0;
  int error = 0;                   // openai::errc of the failure, 0 when none
  std::vector<std::string> texts;  // per accumulated choice: content, refusal, reasoning, tool calls
  bool operator==(const outcome&) const = default;
};

outcome run(std::string_view input, std::size_t chunk) {
  co::chat_decoder d;
  outcome out;
  try {
    for (std::size_t at = 0; at < input.size() && !d.done(); at += chunk) {
      d.feed(input.substr(at, chunk));
      while (d.next()) ++out.chunks;
    }
    d.finish();
  } catch (const co::api_error& e) {
    out.error = static_cast<int>(e.kind());
  }
  for (const auto& c : d.accumulator().current().choices) {
    std::string s = std::to_string(c.index) + '|' + c.role + '|' + c.content + '|' + c.refusal + '|' +
                    c.reasoning + '|' + c.finish_reason;
    for (const auto& t : c.tool_calls) s += '|' + t.id + ',' + t.name + ',' + t.arguments;
    out.texts.push_back(std::move(s));
  }
  // The Responses view of every choice must be computable too.
  for (const auto& c : d.accumulator().current().choices)
    (void)co::to_response(d.accumulator().current(), c.index);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (input.empty()) return 0;
  const auto whole = run(input, input.size());
  const auto split = run(input, 5);
  if (!(whole == split)) {
    std::fprintf(stderr, "split input changed the outcome: %zu vs %zu chunks, error %d vs %d\n", whole.chunks,
                 split.chunks, whole.error, split.error);
    std::abort();
  }
  return 0;
}
