// GCC 12 at -O3 misreports Asio's recycled coroutine-frame allocator (operator new paired with its own
// aligned free) as -Wmismatched-new-delete; the pairing is correct.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include "http/detail/lingering_close.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <array>

namespace chatkit::http::detail {
namespace asio = boost::asio;

asio::awaitable<void> lingering_close(boost::beast::tcp_stream& stream, std::size_t max_bytes,
                                      std::chrono::milliseconds max_time) {
  boost::system::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  if (stream.socket().is_open() && max_bytes > 0 && max_time.count() > 0) {
    std::array<char, 16 * 1024> scratch;
    std::size_t drained = 0;
    stream.expires_after(max_time);
    while (drained < max_bytes) {
      // Ends with the client's FIN (eof), a reset, the deadline (the stream closes the socket) or stop().
      auto [ec, n] =
          co_await stream.async_read_some(asio::buffer(scratch), asio::as_tuple(asio::use_awaitable));
      if (ec) break;
      drained += n;
    }
    stream.expires_never();
  }
  stream.socket().close(ignored);
}

}  // namespace chatkit::http::detail
