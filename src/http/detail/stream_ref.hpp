// A connection's stream as the endpoint's internals see it (private to the http layer): the server's own
// beast::tcp_stream, or a host's stream mounted through chatkit/http/beast_mount.hpp (TLS). A handle of two
// pointers, passed by value, that models Asio's AsyncReadStream and AsyncWriteStream: the tcp path calls
// the tcp_stream directly, a mounted stream goes through mounted_stream's virtual functions. Timeouts
// (expires_after) and closing always act on the TCP stream underneath.
#pragma once

#include <chatkit/http/beast_mount.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <chrono>
#include <cstddef>
#include <utility>

namespace chatkit::http::detail {

class stream_ref {
 public:
  using executor_type = boost::asio::any_io_executor;

  // Implicit: every function taking a stream_ref takes the server's tcp_stream as it did.
  stream_ref(boost::beast::tcp_stream& s) noexcept
      : tcp_(&s), lowest_(&s) {}  // NOLINT(google-explicit-constructor)
  explicit stream_ref(mounted_stream& m) noexcept : mounted_(&m), lowest_(&m.lowest_layer()) {}

  executor_type get_executor() const noexcept { return lowest_->get_executor(); }

  template <class MutableBufferSequence, class Token>
  auto async_read_some(const MutableBufferSequence& buffers, Token&& token) {
    if (tcp_) return tcp_->async_read_some(buffers, std::forward<Token>(token));
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [](auto handler, mounted_stream* m, boost::asio::mutable_buffer b) {
          const auto ex = m->lowest_layer().get_executor();
          m->async_read_some(b, mounted_stream::io_handler(std::move(handler), ex));
        },
        token, mounted_, first_buffer(buffers));
  }

  template <class ConstBufferSequence, class Token>
  auto async_write_some(const ConstBufferSequence& buffers, Token&& token) {
    if (tcp_) return tcp_->async_write_some(buffers, std::forward<Token>(token));
    mounted_stream::write_buffers list;
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers) && list.count < list.capacity; ++it) {
      boost::asio::const_buffer b(*it);
      if (b.size() > 0) list.items[list.count++] = b;
    }
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [](auto handler, mounted_stream* m, mounted_stream::write_buffers l) {
          const auto ex = m->lowest_layer().get_executor();
          m->async_write_some(l, mounted_stream::io_handler(std::move(handler), ex));
        },
        token, mounted_, list);
  }

  // Reads from the connection while a stream runs, to notice a disconnect: the raw socket for the server's
  // own connections (as before mounting existed), the host's layers (TLS records) for a mounted stream.
  template <class Token>
  auto async_watch_read(boost::asio::mutable_buffer b, Token&& token) {
    if (tcp_) return tcp_->socket().async_read_some(b, std::forward<Token>(token));
    return async_read_some(b, std::forward<Token>(token));
  }

  template <class Rep, class Period>
  void expires_after(std::chrono::duration<Rep, Period> d) {
    lowest_->expires_after(d);
  }
  void expires_never() { lowest_->expires_never(); }
  boost::asio::ip::tcp::socket& socket() noexcept { return lowest_->socket(); }
  boost::beast::tcp_stream& lowest_layer() noexcept { return *lowest_; }

 private:
  template <class MutableBufferSequence>
  static boost::asio::mutable_buffer first_buffer(const MutableBufferSequence& buffers) {
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers); ++it) {
      boost::asio::mutable_buffer b(*it);
      if (b.size() > 0) return b;
    }
    return {};
  }

  boost::beast::tcp_stream* tcp_ = nullptr;
  mounted_stream* mounted_ = nullptr;
  boost::beast::tcp_stream* lowest_ = nullptr;
};

}  // namespace chatkit::http::detail
