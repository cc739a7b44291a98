// GCC 12 at -O3 misreports Asio's recycled coroutine-frame allocator (operator new paired with its own
// aligned free) as -Wmismatched-new-delete; the pairing is correct.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <chatkit/http/endpoint.hpp>
#include <chatkit/log.hpp>

#include "http/detail/content_type.hpp"
#include "http/detail/exchange.hpp"
#include "http/detail/request_reader.hpp"
#include "http/detail/sse_sink.hpp"
#include "http/detail/stream_limiter.hpp"
#include "http/detail/stream_ref.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <cstdio>
#include <stdexcept>
#include <string_view>

namespace chatkit::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

struct endpoint::impl {
  std::shared_ptr<server::request_processor> processor;
  endpoint_options opts;
  std::optional<cors_policy> cors;
  detail::stream_limiter limiter;

  impl(std::shared_ptr<server::request_processor> p, endpoint_options o)
      : processor(std::move(p)),
        opts(std::move(o)),
        limiter({.streams_per_user = opts.limits.max_streams_per_user,
                 .streams = opts.limits.max_streams,
                 .requests = opts.limits.max_requests_in_flight}) {}

  // The checks a POST passes on its head alone, before its body is read: the declared body size, the
  // Content-Type (check_head), then the caller's identity (`ctx` on success): nothing about the request is
  // processed for an unknown caller. Each returns the error answer (exchange::send settles its version and
  // keep-alive), or none. `gone` is set (and nothing answered) when the client disconnected while an
  // asynchronous hook ran.
  std::optional<response> check_head(const request& head, std::optional<std::uint64_t> body_size) const;
  // The identity check alone; a synchronous hook runs in place, an asynchronous one under the
  // disconnect watch and auth_timeout.
  std::optional<response> authenticate_sync(const request& head, std::optional<request_context>& ctx) const;
  asio::awaitable<std::optional<response>> authenticate_async(const request& head,
                                                              std::optional<request_context>& ctx,
                                                              beast::tcp_stream& stream, bool& gone) const;

  // endpoint::handle on the server's own stream or a host's mounted one.
  asio::awaitable<bool> handle_head(request_parser& parser, detail::stream_ref stream,
                                    beast::flat_buffer& buffer);
  asio::awaitable<bool> handle_request(request req, detail::stream_ref stream, beast::flat_buffer& buffer);

  // Processes an admitted request and writes its answer (JSON or an event stream).
  asio::awaitable<bool> serve(std::string body, request_context ctx, detail::exchange& x,
                              detail::stream_ref stream, beast::flat_buffer& buffer);
};

namespace {

std::string sse_head(unsigned version, bool keep_alive, const std::vector<header_field>& extra) {
  std::string h = version == 10 ? "HTTP/1.0 200 OK\r\n" : "HTTP/1.1 200 OK\r\n";
  h += "Content-Type: text/event-stream\r\nCache-Control: no-cache\r\n";
  // Tells nginx not to buffer this response (other proxies need their own setting, see docs/deployment.md).
  h += "X-Accel-Buffering: no\r\n";
  if (version != 10) h += "Transfer-Encoding: chunked\r\n";
  if (!keep_alive) h += "Connection: close\r\n";
  for (const auto& f : extra) {
    h += f.name;
    h += ": ";
    h += f.value;
    h += "\r\n";
  }
  h += "\r\n";
  return h;
}

// Watches the socket while a stream runs: the only way to learn that a client went away while the bot is
// thinking and nothing is being written. Bytes that do arrive (a pipelined request) are kept for later.
// `read_ended` is set when the watch's read ends in EOF or an error: Asio reports an EOF only once (a later
// read waits for a readiness edge that never comes), so when the stream wins the race against a watch that
// had already seen EOF, the connection must not go back to waiting for a next request.
asio::awaitable<void> watch_disconnect(detail::stream_ref stream, beast::flat_buffer& buffer,
                                       bool& read_ended) {
  // A buffer already full of pipelined bytes takes no more: the watch then waits for EOF only (a byte read
  // elsewhere would be lost). Otherwise it waits for the socket to become readable before it gives the buffer
  // any room: an idle stream holds no read buffer (docs/http.md#limits).
  if (buffer.size() < buffer.max_size()) {
    auto [wec] = co_await stream.socket().async_wait(asio::socket_base::wait_read,
                                                     asio::as_tuple(asio::use_awaitable));
    if (wec) co_return;
    auto [ec, n] = co_await stream.async_watch_read(detail::prepare_up_to(buffer, 4096),
                                                    asio::as_tuple(asio::use_awaitable));
    if (ec) {  // EOF, reset, or closed by shutdown: the client is gone
      read_ended = true;
      co_return;
    }
    buffer.commit(n);
  } else {
    auto [ec] = co_await stream.socket().async_wait(asio::socket_base::wait_error,
                                                    asio::as_tuple(asio::use_awaitable));
    if (ec != asio::error::operation_aborted) co_return;
  }
  asio::steady_timer forever(co_await asio::this_coro::executor, asio::steady_timer::time_point::max());
  co_await forever.async_wait(asio::use_awaitable);  // until the stream ends and cancels us
}

asio::awaitable<void> produce(server::event_stream& s, detail::sse_sink& sink) {
  std::exception_ptr error;
  try {
    co_await s.run(sink);
  } catch (...) {
    error = std::current_exception();
  }
  sink.finish(error);
}

// Completes when the client is gone (EOF, reset) while an asynchronous authenticate hook runs. It reads
// nothing: the body of a request not yet authenticated stays unread. Once body bytes are waiting, the
// client is alive and there is nothing more to learn: it then waits until cancelled.
asio::awaitable<void> watch_client_gone(beast::tcp_stream& stream) {
  auto& sock = stream.socket();
  auto [ec] = co_await sock.async_wait(asio::socket_base::wait_read, asio::as_tuple(asio::use_awaitable));
  if (ec == asio::error::operation_aborted) co_return;  // cancelled: the hook finished first
  if (!ec) {
    char byte = 0;
    boost::system::error_code peek_ec, ignored;
    // Non-blocking, so that a spurious readiness never blocks the thread; the async reads do not care.
    const bool was_non_blocking = sock.non_blocking();
    sock.non_blocking(true, ignored);
    const auto n = sock.receive(asio::buffer(&byte, 1), asio::socket_base::message_peek, peek_ec);
    sock.non_blocking(was_non_blocking, ignored);
    if (peek_ec == asio::error::would_block || (!peek_ec && n > 0)) {
      asio::steady_timer forever(sock.get_executor(), asio::steady_timer::time_point::max());
      co_await forever.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }
}

// A 503 of a load cap: the client may retry after `retry_after`.
asio::awaitable<bool> send_busy(detail::exchange& x, std::string_view message,
                                std::chrono::seconds retry_after) {
  response res = make_error_response(errc::unavailable, message, x.version, x.keep_alive);
  res.set(bhttp::field::retry_after, std::to_string(retry_after.count()));
  co_return co_await x.send(std::move(res));
}

}  // namespace

endpoint::endpoint(std::shared_ptr<server::request_processor> processor, endpoint_options options) {
  if (!processor) throw std::invalid_argument("endpoint: null request processor");
  if (!options.authenticate) throw std::invalid_argument("endpoint: no authenticate function");
  if (options.path.empty() || options.path.front() != '/')
    throw std::invalid_argument("endpoint: path must start with '/'");
  if (!options.access_log) options.access_log = structured_access_log();
  impl_ = std::make_shared<impl>(std::move(processor), std::move(options));
  if (impl_->opts.cors) impl_->cors.emplace(*impl_->opts.cors);
}

endpoint::~endpoint() = default;

bool endpoint::matches(const request& req) const noexcept {
  std::string_view t(req.target().data(), req.target().size());
  return target_path(t) == impl_->opts.path;
}

const endpoint_options& endpoint::options() const noexcept {
  return impl_->opts;
}
const cors_policy* endpoint::cors() const noexcept {
  return impl_->cors ? &*impl_->cors : nullptr;
}
std::size_t endpoint::active_streams() const noexcept {
  return impl_->limiter.total();
}
std::size_t endpoint::active_requests() const noexcept {
  return impl_->limiter.requests();
}

std::optional<response> endpoint::impl::check_head(const request& head,
                                                   std::optional<std::uint64_t> body_size) const {
  if (body_size && *body_size > opts.limits.max_body_bytes)
    return make_error_response(errc::payload_too_large, "request body too large");
  const auto type = head[bhttp::field::content_type];
  if (!detail::content_type_accepted(std::string_view(type.data(), type.size()), opts.accepted_content_types))
    return make_error_response(bhttp::status::unsupported_media_type, "unsupported_media_type",
                               type.empty() ? "Content-Type missing: send application/json"
                                            : "unsupported Content-Type: send application/json");
  return std::nullopt;
}

std::optional<response> endpoint::impl::authenticate_sync(const request& head,
                                                          std::optional<request_context>& ctx) const {
  try {
    ctx = (*opts.authenticate.sync_function())(head);
    if (ctx->user_id.empty()) throw error(errc::unauthorized, "no user id");
  } catch (...) {
    ctx.reset();
    auto f = detail::classify(std::current_exception());
    return make_error_response(f.code, f.message);
  }
  return std::nullopt;
}

asio::awaitable<std::optional<response>> endpoint::impl::authenticate_async(
    const request& head, std::optional<request_context>& ctx, beast::tcp_stream& stream, bool& gone) const {
  using namespace asio::experimental::awaitable_operators;
  std::exception_ptr failed;
  auto run = [&]() -> asio::awaitable<void> {
    try {
      ctx = co_await opts.authenticate(head);
    } catch (...) {
      failed = std::current_exception();
    }
  };
  asio::steady_timer deadline(stream.get_executor(), opts.limits.auth_timeout);
  auto r = co_await (run() || watch_client_gone(stream) ||
                     deadline.async_wait(asio::as_tuple(asio::use_awaitable)));
  if (r.index() == 1) {
    ctx.reset();
    gone = true;
    co_return std::nullopt;
  }
  if (r.index() == 2) {
    ctx.reset();
    log::warn("http", "authentication refused: the authenticate hook took too long",
              {{"timeout_ms", static_cast<std::int64_t>(opts.limits.auth_timeout.count())}});
    auto res = make_error_response(errc::unavailable, "authentication timed out");
    res.set(bhttp::field::retry_after, std::to_string(opts.limits.retry_after.count()));
    co_return res;
  }
  try {
    if (failed) std::rethrow_exception(failed);
    if (!ctx || ctx->user_id.empty()) throw error(errc::unauthorized, "no user id");
  } catch (...) {
    ctx.reset();
    auto f = detail::classify(std::current_exception());
    co_return make_error_response(f.code, f.message);
  }
  co_return std::nullopt;
}

asio::awaitable<bool> endpoint::handle(request_parser& parser, beast::tcp_stream& stream,
                                       beast::flat_buffer& buffer) {
  auto self = impl_;  // the endpoint may be destroyed by its owner while a request is in flight
  co_return co_await self->handle_head(parser, stream, buffer);
}

asio::awaitable<bool> endpoint::handle(request req, beast::tcp_stream& stream, beast::flat_buffer& buffer) {
  auto self = impl_;
  co_return co_await self->handle_request(std::move(req), stream, buffer);
}

asio::awaitable<bool> endpoint::handle(request_parser& parser, mounted_stream& stream,
                                       beast::flat_buffer& buffer) {
  auto self = impl_;
  co_return co_await self->handle_head(parser, detail::stream_ref(stream), buffer);
}

asio::awaitable<bool> endpoint::handle(request req, mounted_stream& stream, beast::flat_buffer& buffer) {
  auto self = impl_;
  co_return co_await self->handle_request(std::move(req), detail::stream_ref(stream), buffer);
}

// Callers hold a reference to this impl for as long as the coroutine runs (endpoint::handle's `self`).
asio::awaitable<bool> endpoint::impl::handle_head(request_parser& parser, detail::stream_ref stream,
                                                  beast::flat_buffer& buffer) {
  auto* self = this;
  const auto* cors_ptr = cors ? &*cors : nullptr;
  const auto& lim = self->opts.limits;
  parser.body_limit(lim.max_body_bytes);
  if (parser.get().method() != bhttp::verb::post) {
    // Preflights and wrong methods are answered as before, once their (bounded) body is read.
    auto ec = co_await detail::read_body(stream, buffer, parser);
    if (ec) {
      co_await detail::answer_read_error(self->opts, stream, parser.get(), ec);
      co_return false;
    }
    stream.expires_never();
    co_return co_await handle_request(parser.release(), stream, buffer);
  }

  detail::exchange x(self->opts, cors_ptr, stream, parser.get());
  // A refusal from the head keeps the connection only when the body is already complete in the buffer;
  // otherwise it closes (lingering) without reading or inviting the body.
  std::optional<request_context> ctx;
  const auto length = parser.content_length();
  bool gone = false;
  auto refused =
      self->check_head(parser.get(), length ? std::optional<std::uint64_t>(*length) : std::nullopt);
  if (!refused && self->opts.authenticate.is_async())
    refused = co_await self->authenticate_async(parser.get(), ctx, stream.lowest_layer(), gone);
  else if (!refused)
    refused = self->authenticate_sync(parser.get(), ctx);
  if (refused) {
    x.keep_alive = x.keep_alive && detail::skip_buffered_body(parser, buffer);
    co_return co_await x.send(std::move(*refused));
  }
  if (gone) {
    x.log(499, 0, true);
    co_return false;
  }
  x.user = ctx->user_id;
  auto admitted = self->limiter.try_admit();
  if (!admitted) {
    x.keep_alive = x.keep_alive && detail::skip_buffered_body(parser, buffer);
    co_return co_await send_busy(x, "server busy: too many requests in flight", lim.retry_after);
  }

  auto ec = co_await detail::read_body(stream, buffer, parser);
  if (ec) {
    co_await detail::answer_read_error(self->opts, stream, parser.get(), ec);
    co_return false;
  }
  stream.expires_never();
  // Only the body goes on: the head's fields are freed here, not kept for as long as a stream runs.
  std::string body = std::move(parser.release().body());
  co_return co_await self->serve(std::move(body), std::move(*ctx), x, stream, buffer);
}

asio::awaitable<bool> endpoint::impl::handle_request(request req, detail::stream_ref stream,
                                                     beast::flat_buffer& buffer) {
  auto* self = this;
  detail::exchange x(self->opts, cors ? &*cors : nullptr, stream, req);

  if (req.method() == bhttp::verb::options) {
    if (auto pre = x.preflight(req)) co_return co_await x.send(std::move(*pre));
    response res{bhttp::status::no_content, x.version};
    res.set(bhttp::field::allow, "POST, OPTIONS");
    x.cors_headers.clear();
    co_return co_await x.send(std::move(res));
  }
  if (req.method() != bhttp::verb::post) {
    response res = make_error_response(errc::method_not_allowed, "use POST", x.version, x.keep_alive);
    res.set(bhttp::field::allow, "POST, OPTIONS");
    co_return co_await x.send(std::move(res));
  }

  std::optional<request_context> ctx;
  bool gone = false;
  auto refused = self->check_head(req, req.body().size());
  if (!refused && self->opts.authenticate.is_async())
    refused = co_await self->authenticate_async(req, ctx, stream.lowest_layer(), gone);
  else if (!refused)
    refused = self->authenticate_sync(req, ctx);
  if (refused) {
    if (refused->result() == bhttp::status::payload_too_large) x.keep_alive = false;
    co_return co_await x.send(std::move(*refused));
  }
  if (gone) {
    x.log(499, 0, true);
    co_return false;
  }
  x.user = ctx->user_id;
  auto admitted = self->limiter.try_admit();
  if (!admitted)
    co_return co_await send_busy(x, "server busy: too many requests in flight",
                                 self->opts.limits.retry_after);
  co_return co_await self->serve(std::move(req.body()), std::move(*ctx), x, stream, buffer);
}

asio::awaitable<bool> endpoint::impl::serve(std::string body, request_context ctx, detail::exchange& x,
                                            detail::stream_ref stream, beast::flat_buffer& buffer) {
  using namespace asio::experimental::awaitable_operators;
  const auto& lim = opts.limits;
  std::exception_ptr failed;
  std::optional<server::process_result> result;
  try {
    result = co_await processor->process(std::move(body), std::move(ctx));
  } catch (...) {
    failed = std::current_exception();
  }
  if (failed) co_return co_await x.send_failure(failed);

  if (auto* json = std::get_if<server::json_response>(&*result))
    co_return co_await x.send_json(std::move(json->body));

  auto& es = std::get<server::event_stream>(*result);
  detail::stream_limiter::refusal why{};
  auto lease = limiter.try_acquire(x.user, why);
  // The processor counts a stream when it runs, or under the status answered instead (event_stream::refused).
  const auto refuse = [&es](int status) {
    if (es.refused) es.refused(status);
  };
  if (!lease) {
    if (why == detail::stream_limiter::refusal::user_streams) {
      refuse(429);
      co_return co_await x.send_error(errc::too_many_requests, "too many concurrent streams for this user");
    }
    refuse(503);
    co_return co_await send_busy(x, "server busy: too many concurrent streams", lim.retry_after);
  }
  if (!es.run) {
    refuse(500);
    co_return co_await x.send_error(errc::internal, "empty event stream");
  }

  // The read buffer's room (up to 16 KB, kept between requests) is given back for the stream's lifetime: a
  // stream may stay open for hours, and watch_disconnect takes room only when bytes arrive.
  if (buffer.size() == 0) buffer.shrink_to_fit();
  // HTTP/1.0 has no chunked encoding: the body then ends with the connection.
  const bool chunked = x.version != 10;
  const bool keep = x.keep_alive && chunked;
  detail::sse_sink sink(stream, sse_head(x.version, keep, x.cors_headers), chunked, lim.write_timeout,
                        lim.stream_buffer_bytes);
  bool client_gone = false;
  bool read_ended = false;
  try {
    auto r = co_await ((produce(es, sink) && sink.writer()) || watch_disconnect(stream, buffer, read_ended));
    client_gone = r.index() == 1;
  } catch (const boost::system::system_error&) {
    client_gone = true;  // a write failed or timed out
  }
  lease.reset();  // before logging: whoever reads the log may start the user's next stream
  if (client_gone) {
    x.log(sink.started() ? 200 : 499, sink.events(), true);
    co_return false;
  }
  if (sink.error() && !sink.started()) {
    x.keep_alive = x.keep_alive && !read_ended;  // the error answer then says Connection: close
    co_return co_await x.send_failure(sink.error());
  }
  x.log(200, sink.events(), false);
  co_return keep && !read_ended;
}

}  // namespace chatkit::http
