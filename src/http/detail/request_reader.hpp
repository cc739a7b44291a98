// Reading requests within the limits (private to the http layer), shared by the server and the endpoint.
// A connection buffers three things, each bounded by limits_options (docs/http.md#limits):
//   * the read buffer: at most max_header_bytes of unparsed bytes — the head, then a chunk-size line with
//     its extensions or the trailers (past it: 413), or the start of a pipelined request;
//   * the head, parsed: max_header_bytes (past it: 431);
//   * the body: max_body_bytes, checked from Content-Length before reading and per chunk (past it: 413).
#pragma once

#include "http/detail/exchange.hpp"
#include "http/detail/stream_ref.hpp"

#include <chatkit/http/endpoint.hpp>
#include <chatkit/http/message.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <cstddef>
#include <optional>

namespace chatkit::http::detail {

// The size cap of a connection's read buffer.
std::size_t read_buffer_limit(const limits_options& limits) noexcept;

// Room to read up to `want` more bytes into `buffer` without passing its cap (an empty buffer sequence
// when it is full).
boost::asio::mutable_buffer prepare_up_to(boost::beast::flat_buffer& buffer, std::size_t want);

// Sets the head and body limits of a parser that has not read anything yet.
void apply_limits(request_parser& parser, const limits_options& limits);

// Reads the rest of a request whose head `parser` has read; first answers `Expect: 100-continue`.
// The stream's current expiry bounds the whole read.
boost::asio::awaitable<boost::beast::error_code> read_body(stream_ref stream,
                                                           boost::beast::flat_buffer& buffer,
                                                           request_parser& parser);

// For a request refused from its head: whether its body is already complete in `buffer` (or there is
// none); then the body is skipped there and the connection can serve the next request. Never reads the
// socket nor stores the body.
bool skip_buffered_body(request_parser& parser, boost::beast::flat_buffer& buffer);

// The answer to a read error: the status and message when the request itself is at fault (400, 413,
// 431), nothing when the client went away or stalled (end of stream, reset, timeout).
std::optional<failure> read_failure(const boost::beast::error_code& ec);

// Answers a request that could not be read — without CORS headers, and closing, as the rest of the byte
// stream cannot be trusted — or, when the client went away or stalled, closes the socket at once so that
// no lingering close waits on it. The connection cannot serve another request.
boost::asio::awaitable<void> answer_read_error(const endpoint_options& options, stream_ref stream,
                                               const request& partial, const boost::beast::error_code& ec);

}  // namespace chatkit::http::detail
