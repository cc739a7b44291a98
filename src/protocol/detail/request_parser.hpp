// The two readers behind protocol::parse_request (docs/protocol.md#parsing-untrusted-requests). Private to
// src/protocol and its tests.
//
// The single-pass reader builds the typed request straight from the JSON parser's events: no tree, no
// second walk for the limits, strings moved once into their fields. It accepts only what the tree reader
// accepts and gives the same request; anything else it hands back (std::nullopt), and parse_request then runs
// the tree reader, which names the problem. The tree reader is the reference the tests and the fuzz target
// compare the single pass with.
#pragma once

#include <chatkit/protocol/requests.hpp>

#include <optional>
#include <string_view>

namespace chatkit::protocol::detail {

// What every reader checks first: the body's size (413 past max_body_bytes) and that it is not empty (400).
void check_body_size(std::string_view body, const read_limits& limits);

// One pass from the parser to the request. std::nullopt when the body is not a request the pass takes as is:
// any wrong type, missing field, unknown `type`, limit reached, a `type` member that is not the first of its
// object, a member given twice. Malformed JSON (which the tree reader would report the same way, with the
// same byte offset) throws chatkit::error(errc::invalid_request) here.
std::optional<request> read_request_single_pass(std::string_view body, const read_limits& limits);

// The tree reader: parses the body under the limits into a Boost.JSON value (an arena), then reads the value.
// Every error of parse_request comes from here. Defined in codec_requests.cpp.
request read_request_tree(std::string_view body, const read_limits& limits);

}  // namespace chatkit::protocol::detail
