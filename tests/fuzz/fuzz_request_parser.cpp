// libFuzzer target: protocol::parse_request on untrusted request bodies (docs/fuzzing.md#request_parser).
// Any body either parses or throws chatkit::error; a body that parses must survive a round trip: its JSON
// (as the server would store or echo it) parses again to the same JSON.
#include <chatkit/error.hpp>
#include <chatkit/protocol/json_io.hpp>
#include <chatkit/protocol/requests.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace cp = chatkit::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  // Small limits, so that short inputs reach every limit check.
  cp::read_limits limits;
  limits.max_body_bytes = 64 * 1024;
  limits.max_depth = 16;
  limits.max_string_bytes = 512;
  limits.max_array_items = 32;
  std::string first;
  try {
    first = cp::to_json(cp::parse_request(body, limits));
  } catch (const chatkit::error&) {
    return 0;  // refused with a clear error: fine
  }
  // What parsed once must parse again (without the small limits: escaping may lengthen strings).
  std::string second;
  try {
    second = cp::to_json(cp::parse_request(first));
  } catch (const chatkit::error& e) {
    std::fprintf(stderr, "round trip refused: %s\n%s\n", e.what(), first.c_str());
    std::abort();
  }
  if (first != second) {
    std::fprintf(stderr, "round trip changed the request:\n%s\n%s\n", first.c_str(), second.c_str());
    std::abort();
  }
  return 0;
}
