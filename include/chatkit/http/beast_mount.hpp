// The ChatKit endpoint on a stream of the host's own Beast server: TLS (boost::asio::ssl::stream or
// boost::beast::ssl_stream over a beast::tcp_stream) or any other layered stream whose lowest layer is a
// beast::tcp_stream. The host accepts, does its handshake and reads the request head with its own code;
// `serve` answers the request on the host's stream (JSON, or an SSE stream written through the TLS layer).
// The endpoint's code is compiled once in the library: the stream reaches it type-erased (mounted_stream).
//
//   request_parser parser;
//   co_await beast::http::async_read_header(tls, buffer, parser, asio::use_awaitable);
//   if (ep.matches(parser.get())) keep_alive = co_await chatkit::http::serve(ep, parser, tls, buffer);
//
// docs/http.md#mounting-the-endpoint-on-a-tls-stream; the example is examples/tls_host.
#pragma once

#include <chatkit/http/endpoint.hpp>
#include <chatkit/http/message.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <array>
#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>

namespace chatkit::http {

// A host's stream as the endpoint sees it: reads and writes through the host's layers (TLS), and the TCP
// stream underneath for the write timeouts (its expiry) and for closing. Made by `serve`; implement it
// yourself only for a stream `mounted` does not fit.
class mounted_stream {
 public:
  // The completion handler of one read or write, type-erased: it keeps the original handler's executor
  // and cancellation slot, so the host's stream completes it where the endpoint's coroutine runs and a
  // cancelled coroutine cancels the operation.
  class io_handler {
   public:
    using executor_type = boost::asio::any_io_executor;
    using cancellation_slot_type = boost::asio::cancellation_slot;

    template <class Handler>
    io_handler(Handler&& h, const executor_type& fallback)
        : ex_(boost::asio::get_associated_executor(h, fallback)),
          slot_(boost::asio::get_associated_cancellation_slot(h)),
          fn_(std::make_unique<model<std::decay_t<Handler>>>(std::forward<Handler>(h))) {}

    executor_type get_executor() const noexcept { return ex_; }
    cancellation_slot_type get_cancellation_slot() const noexcept { return slot_; }
    void operator()(boost::system::error_code ec, std::size_t n) {
      auto fn = std::move(fn_);
      fn->call(ec, n);
    }

   private:
    struct callable {
      virtual ~callable() = default;
      virtual void call(boost::system::error_code ec, std::size_t n) = 0;
    };
    template <class H>
    struct model final : callable {
      explicit model(H&& x) : h(std::move(x)) {}
      void call(boost::system::error_code ec, std::size_t n) override { std::move(h)(ec, n); }
      H h;
    };
    executor_type ex_;
    cancellation_slot_type slot_;
    std::unique_ptr<callable> fn_;
  };

  // The buffers of one write_some, held by value (a ConstBufferSequence): the first `capacity` non-empty
  // buffers of what the endpoint writes (write_some may write less than it is given).
  struct write_buffers {
    static constexpr std::size_t capacity = 8;
    std::array<boost::asio::const_buffer, capacity> items{};
    std::size_t count = 0;
    const boost::asio::const_buffer* begin() const noexcept { return items.data(); }
    const boost::asio::const_buffer* end() const noexcept { return items.data() + count; }
  };

  virtual ~mounted_stream() = default;
  virtual void async_read_some(boost::asio::mutable_buffer buffer, io_handler handler) = 0;
  virtual void async_write_some(write_buffers buffers, io_handler handler) = 0;
  // The TCP stream under the host's layers (boost::beast::get_lowest_layer).
  virtual boost::beast::tcp_stream& lowest_layer() noexcept = 0;
};

// mounted_stream for a host stream type: AsyncStream's own async_read_some / async_write_some.
template <class AsyncStream>
class mounted final : public mounted_stream {
  static_assert(
      std::is_same_v<std::remove_cvref_t<boost::beast::lowest_layer_type<AsyncStream>>,
                     boost::beast::tcp_stream>,
      "chatkit::http::serve: the lowest layer of the host's stream must be a boost::beast::tcp_stream "
      "(e.g. boost::beast::ssl_stream<boost::beast::tcp_stream>): its expiry bounds the endpoint's writes");

 public:
  explicit mounted(AsyncStream& stream) noexcept : stream_(stream) {}
  void async_read_some(boost::asio::mutable_buffer buffer, io_handler handler) override {
    stream_.async_read_some(buffer, std::move(handler));
  }
  void async_write_some(write_buffers buffers, io_handler handler) override {
    stream_.async_write_some(buffers, std::move(handler));
  }
  boost::beast::tcp_stream& lowest_layer() noexcept override {
    return boost::beast::get_lowest_layer(stream_);
  }

 private:
  AsyncStream& stream_;
};

// endpoint::handle on the host's stream: `parser` has read the request head, not its body (the checks from
// the head, Expect: 100-continue, the body read within the endpoint's limits, then the answer). Returns
// whether the connection may serve another request; when false and !parser.is_done(), request bytes may
// still be in flight (see endpoint::handle). Bytes read past the request stay in `buffer`.
template <class AsyncStream>
boost::asio::awaitable<bool> serve(endpoint& ep, request_parser& parser, AsyncStream& stream,
                                   boost::beast::flat_buffer& buffer) {
  mounted<AsyncStream> m(stream);
  co_return co_await ep.handle(parser, static_cast<mounted_stream&>(m), buffer);
}

// The same for a request the host has read completely (its body read before authentication).
template <class AsyncStream>
boost::asio::awaitable<bool> serve(endpoint& ep, request req, AsyncStream& stream,
                                   boost::beast::flat_buffer& buffer) {
  mounted<AsyncStream> m(stream);
  co_return co_await ep.handle(std::move(req), static_cast<mounted_stream&>(m), buffer);
}

}  // namespace chatkit::http
