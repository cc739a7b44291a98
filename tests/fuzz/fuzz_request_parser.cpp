// libFuzzer target: protocol::parse_request on untrusted request bodies (docs/fuzzing.md#request_parser).
// Any body either parses or throws chatkit::error; a body that parses must survive a round trip: its JSON
// (as the server would store or echo it) parses again to the same JSON. Numbers are compared within a
// relative 1e-14: Boost.JSON 1.81 does not round every decimal correctly, so a double written in shortest
// form may read back one unit in the last place away (docs/fuzzing.md#request_parser).
// parse_request reads a body in one pass (detail/request_parser.hpp); the tree reader it falls back on is the
// reference: wherever the single pass answers itself, its request or its error must be the tree reader's.
#include "protocol/detail/request_parser.hpp"

#include <chatkit/error.hpp>
#include <chatkit/protocol/json_io.hpp>
#include <chatkit/protocol/requests.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cmath>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace cp = chatkit::protocol;

namespace {

bool same(const boost::json::value& a, const boost::json::value& b) {
  if (a.is_double() || b.is_double()) {
    if (!a.is_number() || !b.is_number()) return false;
    const double x = a.to_number<double>(), y = b.to_number<double>();
    return x == y || std::fabs(x - y) <= 1e-14 * std::max(std::fabs(x), std::fabs(y));
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const auto &p = a.get_array(), &q = b.get_array();
    if (p.size() != q.size()) return false;
    for (std::size_t i = 0; i < p.size(); ++i)
      if (!same(p[i], q[i])) return false;
    return true;
  }
  if (a.is_object()) {
    const auto &p = a.get_object(), &q = b.get_object();
    if (p.size() != q.size()) return false;
    for (const auto& kv : p) {
      const auto* v = q.if_contains(kv.key());
      if (v == nullptr || !same(kv.value(), *v)) return false;
    }
    return true;
  }
  return a == b;
}

// A reader's answer: the request with every field written, or the error.
struct outcome {
  bool parsed = false;
  std::string text;
  bool operator==(const outcome&) const = default;
};

outcome from_error(const chatkit::error& e) {
  return {false, std::to_string(e.code().value()) + " [" + e.path() + "] " + e.message()};
}

void cross_check(std::string_view body, const cp::read_limits& limits) {
  outcome reference;
  try {
    reference = {true, cp::to_json(cp::detail::read_request_tree(body, limits), cp::audience::storage)};
  } catch (const chatkit::error& e) {
    reference = from_error(e);
  }
  outcome fast;
  try {
    auto r = cp::detail::read_request_single_pass(body, limits);
    if (!r) return;  // handed back: parse_request answers with the tree reader
    fast = {true, cp::to_json(*r, cp::audience::storage)};
  } catch (const chatkit::error& e) {
    fast = from_error(e);
  }
  if (!(fast == reference)) {
    std::fprintf(stderr, "the single pass and the tree reader disagree:\n%s\n%s\n", fast.text.c_str(),
                 reference.text.c_str());
    std::abort();
  }
}

boost::json::value parse(const std::string& text) {
  boost::json::parse_options opts;
  opts.max_depth = 1024;
  return boost::json::parse(text, {}, opts);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  // Small limits, so that short inputs reach every limit check.
  cp::read_limits limits;
  limits.max_body_bytes = 64 * 1024;
  limits.max_depth = 16;
  limits.max_string_bytes = 512;
  limits.max_array_items = 32;
  cross_check(body, limits);
  cross_check(body, cp::read_limits{});
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
  if (first != second && !same(parse(first), parse(second))) {
    std::fprintf(stderr, "round trip changed the request:\n%s\n%s\n", first.c_str(), second.c_str());
    std::abort();
  }
  return 0;
}
