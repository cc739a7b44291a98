// GCC 12 at -O3 misreports Asio's recycled coroutine-frame allocator (operator new paired with its own
// aligned free) as -Wmismatched-new-delete; the pairing is correct.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include "http/detail/request_reader.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>

#include <algorithm>
#include <cstdint>
#include <string_view>

namespace chatkit::http::detail {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

std::size_t read_buffer_limit(const limits_options& limits) noexcept {
  return std::max<std::size_t>(limits.max_header_bytes, 1024);
}

asio::mutable_buffer prepare_up_to(beast::flat_buffer& buffer, std::size_t want) {
  const std::size_t room = buffer.max_size() - std::min(buffer.size(), buffer.max_size());
  if (room == 0) return {};
  return buffer.prepare(std::min(want, room));
}

void apply_limits(request_parser& parser, const limits_options& limits) {
  parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(limits.max_header_bytes, UINT32_MAX)));
  parser.body_limit(limits.max_body_bytes);
}

asio::awaitable<beast::error_code> read_body(stream_ref stream, beast::flat_buffer& buffer,
                                             request_parser& parser) {
  if (parser.is_done()) co_return beast::error_code{};
  if (parser.get()[bhttp::field::expect] == "100-continue") {
    // curl and others wait for this before sending a body larger than 1 KiB.
    static constexpr std::string_view cont = "HTTP/1.1 100 Continue\r\n\r\n";
    auto [ec, n] =
        co_await asio::async_write(stream, asio::buffer(cont), asio::as_tuple(asio::use_awaitable));
    if (ec) co_return ec;
  }
  auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
  co_return ec;
}

bool skip_buffered_body(request_parser& parser, beast::flat_buffer& buffer) {
  if (parser.is_done()) return true;
  if (parser.chunked()) return false;
  const auto length = parser.content_length();
  if (!length || *length > buffer.size()) return false;
  buffer.consume(static_cast<std::size_t>(*length));
  return true;
}

std::optional<failure> read_failure(const beast::error_code& ec) {
  if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::eof ||
      ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
      ec == asio::error::broken_pipe)
    return std::nullopt;
  if (ec == bhttp::error::header_limit) return failure{errc::headers_too_large, "request headers too large"};
  if (ec == bhttp::error::body_limit) return failure{errc::payload_too_large, "request body too large"};
  // The read buffer is full: a chunk-size line (with its extensions) or trailers longer than the head limit.
  if (ec == bhttp::error::buffer_overflow)
    return failure{errc::payload_too_large, "chunk header or trailers too large"};
  return failure{errc::invalid_request, "malformed HTTP request"};
}

asio::awaitable<void> answer_read_error(const endpoint_options& options, stream_ref stream,
                                        const request& partial, const beast::error_code& ec) {
  stream.expires_never();
  auto f = read_failure(ec);
  if (!f) {
    beast::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    stream.socket().close(ignored);
    co_return;
  }
  exchange x(options, nullptr, stream, partial);
  x.version = 11;
  x.keep_alive = false;
  co_await x.send_error(f->code, f->message);
}

}  // namespace chatkit::http::detail
