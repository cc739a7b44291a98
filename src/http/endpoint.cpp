// GCC 12 at -O3 misreports Asio's recycled coroutine-frame allocator (operator new paired with its own
// aligned free) as -Wmismatched-new-delete; the pairing is correct.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <chatkit/http/endpoint.hpp>

#include "http/detail/exchange.hpp"
#include "http/detail/sse_sink.hpp"
#include "http/detail/stream_limiter.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <stdexcept>

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
      : processor(std::move(p)), opts(std::move(o)), limiter(opts.limits.max_streams_per_user) {}
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
asio::awaitable<void> watch_disconnect(beast::tcp_stream& stream, beast::flat_buffer& buffer) {
  auto [ec, n] =
      co_await stream.socket().async_read_some(buffer.prepare(4096), asio::as_tuple(asio::use_awaitable));
  if (ec) co_return;  // EOF, reset, or closed by shutdown: the client is gone
  buffer.commit(n);
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

}  // namespace

endpoint::endpoint(std::shared_ptr<server::request_processor> processor, endpoint_options options) {
  if (!processor) throw std::invalid_argument("endpoint: null request processor");
  if (!options.authenticate) throw std::invalid_argument("endpoint: no authenticate function");
  if (options.path.empty() || options.path.front() != '/')
    throw std::invalid_argument("endpoint: path must start with '/'");
  if (!options.access_log) options.access_log = stderr_access_log();
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

asio::awaitable<bool> endpoint::handle(request req, beast::tcp_stream& stream, beast::flat_buffer& buffer) {
  using namespace asio::experimental::awaitable_operators;
  auto self = impl_;  // the endpoint may be destroyed by its owner while a request is in flight
  const auto& lim = self->opts.limits;
  detail::exchange x(self->opts, cors(), stream, req);

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
  if (req.body().size() > lim.max_body_bytes) {
    x.keep_alive = false;
    co_return co_await x.send_error(errc::payload_too_large, "request body too large");
  }

  // Identity first: nothing about the request is processed for an unknown caller.
  std::optional<request_context> ctx;
  std::exception_ptr failed;
  try {
    ctx = self->opts.authenticate(req);
    if (ctx->user_id.empty()) throw error(errc::unauthorized, "no user id");
  } catch (...) {
    failed = std::current_exception();
  }
  if (failed) co_return co_await x.send_failure(failed);
  x.user = ctx->user_id;

  std::optional<server::process_result> result;
  try {
    result = co_await self->processor->process(std::move(req.body()), *ctx);
  } catch (...) {
    failed = std::current_exception();
  }
  if (failed) co_return co_await x.send_failure(failed);

  if (auto* json = std::get_if<server::json_response>(&*result))
    co_return co_await x.send(make_json_response(std::move(json->body), x.version, x.keep_alive));

  auto& es = std::get<server::event_stream>(*result);
  auto lease = self->limiter.try_acquire(x.user);
  if (!lease)
    co_return co_await x.send_error(errc::too_many_requests, "too many concurrent streams for this user");
  if (!es.run) co_return co_await x.send_error(errc::internal, "empty event stream");

  // HTTP/1.0 has no chunked encoding: the body then ends with the connection.
  const bool chunked = x.version != 10;
  const bool keep = x.keep_alive && chunked;
  detail::sse_sink sink(stream, sse_head(x.version, keep, x.cors_headers), chunked, lim.write_timeout,
                        lim.stream_buffer_bytes);
  bool client_gone = false;
  try {
    auto r = co_await ((produce(es, sink) && sink.writer()) || watch_disconnect(stream, buffer));
    client_gone = r.index() == 1;
  } catch (const boost::system::system_error&) {
    client_gone = true;  // a write failed or timed out
  }
  lease.reset();  // before logging: whoever reads the log may start the user's next stream
  if (client_gone) {
    x.log(sink.started() ? 200 : 499, sink.events(), true);
    co_return false;
  }
  if (sink.error() && !sink.started()) co_return co_await x.send_failure(sink.error());
  x.log(200, sink.events(), false);
  co_return keep;
}

}  // namespace chatkit::http
