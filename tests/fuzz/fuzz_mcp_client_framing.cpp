// libFuzzer target: what the MCP client does with the bytes a server sends
// (docs/fuzzing.md#mcp_client_framing). The client's transports read inline on their sockets and pipes, so
// this target replays their framing on the input the way they do it: the stdio transport's lines
// ('\n'-terminated, a '\r' before it dropped, empty lines skipped, a line above the message limit refused),
// the Streamable HTTP transport's event stream (openai::sse_parser with the message limit, each non-empty
// `data` one message) and its JSON reply (the whole body one message). Every message goes through
// mcp::parse_message with small limits, and a result through the client's result mapping
// (mcp::parse_call_result, mcp::to_tool_output, mcp::parse_tool_info for each listed tool). Oracles: nothing
// throws; a parsed message written back with mcp::serialize is one line that parses again to the same message
// (same kind, same JSON; numbers within a relative 1e-14, as in fuzz_request_parser).
#include <chatkit/mcp/client.hpp>
#include <chatkit/mcp/jsonrpc.hpp>
#include <chatkit/mcp/tool_import.hpp>
#include <chatkit/openai/sse_parser.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

namespace mcp = chatkit::mcp;

namespace {

constexpr std::size_t max_message = 8192;

[[noreturn]] void fail(const char* what, std::string_view text) {
  std::fprintf(stderr, "fuzz_mcp_client_framing: %s: %.*s\n", what, static_cast<int>(text.size()),
               text.data());
  std::abort();
}

// Equal JSON, doubles within a relative 1e-14: Boost.JSON 1.81 does not round every decimal to the nearest
// double, so a number written in shortest form may read back one unit in the last place away
// (docs/fuzzing.md#request_parser).
bool same(const boost::json::value& a, const boost::json::value& b) {
  if (a.is_double() || b.is_double()) {
    if (!a.is_number() || !b.is_number()) return false;
    const double x = a.to_number<double>(), y = b.to_number<double>();
    return x == y || std::fabs(x - y) <= 1e-14 * std::max(std::fabs(x), std::fabs(y));
  }
  if (a.kind() != b.kind()) return false;
  if (const auto* p = a.if_array()) {
    const auto& q = b.get_array();
    if (p->size() != q.size()) return false;
    for (std::size_t i = 0; i < p->size(); ++i)
      if (!same((*p)[i], q[i])) return false;
    return true;
  }
  if (const auto* p = a.if_object()) {
    const auto& q = b.get_object();
    if (p->size() != q.size()) return false;
    for (const auto& [key, value] : *p) {
      const auto* other = q.if_contains(key);
      if (other == nullptr || !same(value, *other)) return false;
    }
    return true;
  }
  return a == b;
}

void map_result(const boost::json::object& result) {
  const auto call = mcp::parse_call_result(result);
  if (const auto* c = result.if_contains("content"); c != nullptr && c->is_array()) {
    if (call.content.size() > c->as_array().size()) fail("more content blocks than the result holds", "");
  } else if (!call.content.empty()) {
    fail("content blocks from a result without content", "");
  }
  mcp::import_options small;
  small.max_output_bytes = 256;
  (void)mcp::to_tool_output(call, small);
  small.images_as_input = false;
  (void)mcp::to_tool_output(call, small);
  if (const auto* tools = result.if_contains("tools"); tools != nullptr && tools->is_array())
    for (const auto& t : tools->as_array())
      if (t.is_object()) {
        const auto info = mcp::parse_tool_info(t.as_object());
        if (info.input_schema.empty()) fail("a listed tool without an input schema", "");
      }
}

void message(std::string_view text) {
  mcp::parse_limits limits;
  limits.max_bytes = max_message;
  limits.max_depth = 16;
  auto parsed = mcp::parse_message(text, limits);
  auto* m = std::get_if<mcp::rpc_message>(&parsed);
  if (m == nullptr) return;  // the client logs it and fails the request it names, if any
  const std::string once = mcp::serialize(*m);
  if (once.find('\n') != std::string::npos) fail("a serialised message holds a raw newline", once);
  auto again = mcp::parse_message(once);
  auto* m2 = std::get_if<mcp::rpc_message>(&again);
  if (m2 == nullptr) fail("a serialised message does not parse", once);
  if (m2->index() != m->index()) fail("a serialised message parses as another kind", once);
  if (!same(mcp::to_json(*m2), mcp::to_json(*m))) fail("a serialised message changes when read again", once);
  if (auto* r = std::get_if<mcp::rpc_response>(m)) map_result(r->result);
}

void stdio_lines(std::string_view input) {
  std::size_t start = 0;
  for (;;) {
    const auto nl = input.find('\n', start);
    if (nl == std::string_view::npos) return;  // an unterminated rest waits for more bytes
    std::string_view line = input.substr(start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > max_message) return;  // the transport stops the server: a protocol failure
    if (!line.empty()) message(line);
    start = nl + 1;
  }
}

void sse_stream(std::string_view input) {
  chatkit::openai::sse_parser events(max_message);
  // Fed in uneven chunks, as socket reads deliver it.
  std::size_t pos = 0, step = 1;
  while (pos < input.size()) {
    const auto n = std::min(step, input.size() - pos);
    events.feed(input.substr(pos, n));
    pos += n;
    step = step * 3 % 17 + 1;
    boost::system::error_code ec;
    while (auto ev = events.next(ec))
      if (!ev->data.empty()) message(ev->data);
    if (ec) return;  // larger than the message limit: the transport fails the request
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  stdio_lines(input);
  sse_stream(input);
  if (input.size() <= max_message) message(input);
  return 0;
}
