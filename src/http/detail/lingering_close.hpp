// Lingering close (private to the http layer): how a connection ends after the server answered a request
// it had not read to the end (an early 400, 401, 413, 415 or 503). Closing at once with unread bytes in
// the kernel makes TCP send a reset, and a client still busy writing its body then loses the answer.
// Instead: stop sending (FIN), read and discard what still arrives — at most `max_bytes`, for at most
// `max_time`, into a small fixed scratch buffer — then close. See docs/http.md#limits.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <chrono>
#include <cstddef>

namespace chatkit::http::detail {

boost::asio::awaitable<void> lingering_close(boost::beast::tcp_stream& stream, std::size_t max_bytes,
                                             std::chrono::milliseconds max_time);

}  // namespace chatkit::http::detail
