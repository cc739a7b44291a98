// GCC 12 at -O3 misreports Asio's recycled coroutine-frame allocator (operator new paired with its own
// aligned free) as -Wmismatched-new-delete; the pairing is correct.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <chatkit/http/server.hpp>
#include <chatkit/log.hpp>

#include "http/detail/connection_limiter.hpp"
#include "http/detail/exchange.hpp"
#include "http/detail/lingering_close.hpp"
#include "http/detail/request_reader.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <list>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace chatkit::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

struct connection {
  connection(tcp::socket s, std::size_t buffer_limit, detail::connection_limiter::slot sl)
      : stream(std::move(s)), buffer(buffer_limit), slot(std::move(sl)) {}
  beast::tcp_stream stream;
  beast::flat_buffer buffer;  // capped: see detail::read_buffer_limit
  detail::connection_limiter::slot slot;
  bool busy = false;  // a request is being read or answered (touched only on the connection's strand)
};

// Refused connections being answered at once; past this many, further ones are closed without an answer
// (each holds a descriptor for up to a second).
constexpr std::size_t max_refusing = 64;

struct route_entry {
  std::string path;
  route_match match;
  route_handler handler;
  stream_route_handler stream_handler;  // set instead of `handler` for a streaming route
};

}  // namespace

struct server::impl : std::enable_shared_from_this<server::impl> {
  server_options opts;
  endpoint ep;
  std::vector<route_entry> routes;
  // Declared before the io_context: connections destroyed with it give their slots back here.
  std::unique_ptr<detail::connection_limiter> limiter;
  std::atomic<std::size_t> refusing{0};
  // Set when the server runs on the host's executor (docs/http.md#on-your-own-io_context); empty when it
  // owns `ioc` and its worker threads.
  std::optional<asio::any_io_executor> host;
  asio::io_context ioc;
  // The acceptor, the accept loop and the close posted by stop() run on one strand: of the host's executor,
  // or of `ioc` when several of our threads run it (without it, a thread could close the acceptor while
  // another resumes the accept loop and starts the next accept on it).
  tcp::acceptor acceptor{host               ? asio::any_io_executor(asio::make_strand(*host))
                         : opts.threads > 1 ? asio::any_io_executor(asio::make_strand(ioc))
                                            : asio::any_io_executor(ioc.get_executor())};
  std::vector<std::thread> threads;
  std::uint16_t bound_port = 0;
  std::atomic<bool> stopping{false};
  bool started = false;
  bool stopped = false;

  mutable std::mutex mu;
  std::condition_variable cv;
  std::list<std::shared_ptr<connection>> conns;

  // Shutdown on a host's executor (touched only on the acceptor's strand): the waiters of async_stop(),
  // woken when the last connection ends, and the deadline after which the rest are closed.
  std::vector<asio::steady_timer*> drain_waiters;
  std::chrono::steady_clock::time_point drain_deadline;
  bool force_closed = false;

  impl(std::shared_ptr<chatkit::server::request_processor> p, server_options o,
       std::optional<asio::any_io_executor> h = std::nullopt)
      : opts(std::move(o)), ep(std::move(p), opts.endpoint), host(std::move(h)) {}

  // What the coroutines of a server on a host's executor hold, so that the state outlives the server object
  // until the last of them ends. Null for a server owning its threads: its stop() joins them.
  std::shared_ptr<impl> pin() { return host ? shared_from_this() : nullptr; }

  const route_entry* find_route(std::string_view path) const {
    const route_entry* best = nullptr;
    for (const auto& r : routes) {
      if (r.match == route_match::exact && r.path == path) return &r;
      if (r.match == route_match::prefix && path.substr(0, r.path.size()) == r.path &&
          (!best || r.path.size() > best->path.size()))
        best = &r;
    }
    return best;
  }

  // The executor of a new connection: a strand serialises its handlers when several threads run the
  // io_context; with one thread they are serial already, and the strand would only add its queue and lock to
  // every completion. A host's executor may be run by any number of threads: its connections always get one.
  asio::any_io_executor connection_executor() {
    if (host) return asio::make_strand(*host);
    if (opts.threads <= 1) return ioc.get_executor();
    return asio::make_strand(ioc);
  }

  asio::awaitable<void> accept_loop() {
    bool reported = false;
    for (;;) {
      auto [ec, sock] =
          co_await acceptor.async_accept(connection_executor(), asio::as_tuple(asio::use_awaitable));
      if (stopping || ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      if (ec) {
        // Out of descriptors (EMFILE, ENFILE) and the like: the connection stays in the backlog; back off
        // briefly instead of spinning, and retry.
        if (!reported) log::error("http", "accept failed; retrying", {{"error", ec.message()}});
        reported = true;
        asio::steady_timer t(acceptor.get_executor(), std::chrono::milliseconds(50));
        co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }
      reported = false;
      sock.set_option(tcp::no_delay(true), ec);  // we coalesce frames ourselves; Nagle would only add latency
      auto peer = sock.remote_endpoint(ec);
      if (ec) continue;  // already gone
      auto slot = limiter->try_acquire(peer.address());
      if (!slot) {
        if (refusing.fetch_add(1) < max_refusing) {
          auto ex = sock.get_executor();
          asio::co_spawn(ex, refuse(std::move(sock)),
                         [this, keep = pin()](std::exception_ptr) { --refusing; });
        } else {
          --refusing;
        }
        continue;
      }
      auto c = std::make_shared<connection>(std::move(sock), detail::read_buffer_limit(opts.endpoint.limits),
                                            std::move(slot));
      std::list<std::shared_ptr<connection>>::iterator it;
      {
        std::lock_guard lock(mu);
        it = conns.insert(conns.end(), c);
      }
      auto ex = c->stream.get_executor();
      asio::co_spawn(ex, session(c), [this, it, keep = pin()](std::exception_ptr) {
        std::lock_guard lock(mu);
        conns.erase(it);
        cv.notify_all();
        if (host && conns.empty())
          asio::post(acceptor.get_executor(), [this, keep] { wake_drain_waiters(); });
      });
    }
  }

  // A connection over a cap: 503 with Retry-After, then a short lingering close (the client may already be
  // sending its request; closing at once would reset the connection and lose the answer).
  asio::awaitable<void> refuse(tcp::socket sock) {
    const auto& lim = opts.endpoint.limits;
    beast::tcp_stream stream(std::move(sock));
    response res = make_error_response(errc::unavailable, "server busy: too many connections", 11, false);
    res.set(bhttp::field::retry_after, std::to_string(lim.retry_after.count()));
    stream.expires_after(std::min<std::chrono::milliseconds>(lim.write_timeout, std::chrono::seconds(1)));
    auto [ec, n] = co_await bhttp::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
    stream.expires_never();
    if (!ec)
      co_await detail::lingering_close(
          stream, std::min<std::size_t>(lim.linger_bytes, 64 * 1024),
          std::min<std::chrono::milliseconds>(lim.linger_timeout, std::chrono::seconds(1)));
  }

  asio::awaitable<void> session(std::shared_ptr<connection> c) {
    const auto& lim = opts.endpoint.limits;
    bool linger = false;  // the last answer left request bytes unread
    for (;;) {
      c->busy = false;
      if (stopping) break;
      if (c->buffer.size() == 0) {
        // Idle keep-alive wait for the next request's first byte.
        c->stream.expires_after(lim.idle_timeout);
        auto [ec, n] = co_await c->stream.async_read_some(detail::prepare_up_to(c->buffer, 16 * 1024),
                                                          asio::as_tuple(asio::use_awaitable));
        if (ec) break;
        c->buffer.commit(n);
      }
      c->busy = true;
      c->stream.expires_after(lim.read_timeout);
      request_parser parser;
      detail::apply_limits(parser, lim);
      auto [ec, n] = co_await bhttp::async_read_header(c->stream, c->buffer, parser,
                                                       asio::as_tuple(asio::use_awaitable));
      if (ec) {
        // A half-received request on a dead or stalled connection gets no answer; protocol errors get one
        // and the connection is closed, as the rest of the byte stream cannot be trusted.
        co_await detail::answer_read_error(opts.endpoint, c->stream, parser.get(), ec);
        linger = true;
        break;
      }
      // The ChatKit path checks the head before it reads the body (see endpoint::handle).
      const bool keep = ep.matches(parser.get()) ? co_await ep.handle(parser, c->stream, c->buffer)
                                                 : co_await dispatch(parser, *c);
      if (!keep) {
        linger = !parser.is_done();
        break;
      }
    }
    c->busy = false;
    if (linger && !stopping) {
      co_await detail::lingering_close(c->stream, lim.linger_bytes, lim.linger_timeout);
    } else {
      beast::error_code ignored;
      c->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
      c->stream.socket().close(ignored);
    }
  }

  asio::awaitable<bool> dispatch(request_parser& parser, connection& c) {
    auto ec = co_await detail::read_body(c.stream, c.buffer, parser);
    if (ec) {
      co_await detail::answer_read_error(opts.endpoint, c.stream, parser.get(), ec);
      co_return false;
    }
    c.stream.expires_never();
    request req = parser.release();
    detail::exchange x(ep.options(), ep.cors(), c.stream, req);
    const route_entry* route = find_route(x.path);
    if (!route) co_return co_await x.send_error(errc::not_found, "no such path");
    if (auto pre = x.preflight(req)) co_return co_await x.send(std::move(*pre));
    // A streaming route writes its own response (an event stream) and says whether the connection lives on.
    if (route->stream_handler) co_return co_await route->stream_handler(std::move(req), c.stream);
    std::optional<response> res;
    std::exception_ptr failed;
    try {
      res = co_await route->handler(std::move(req));
    } catch (...) {
      failed = std::current_exception();
    }
    if (failed) co_return co_await x.send_failure(failed);
    co_return co_await x.send(std::move(*res));
  }

  // Shutdown on a host's executor, without blocking: the steps of server::stop(grace) up to the wait, which
  // drain() does on the acceptor's strand.
  void begin_host_stop(std::chrono::milliseconds grace) {
    stopped = true;
    stopping = true;
    drain_deadline = std::chrono::steady_clock::now() + grace;
    asio::post(acceptor.get_executor(), [this, keep = pin()] {
      beast::error_code ignored;
      acceptor.close(ignored);
    });
    for_each_connection([](connection& c) {
      beast::error_code ignored;
      if (!c.busy) c.stream.socket().cancel(ignored);
    });
    asio::co_spawn(acceptor.get_executor(), drain(), [keep = pin()](std::exception_ptr) {});
  }

  void wake_drain_waiters() {
    for (auto* t : drain_waiters) t->cancel();
  }

  // Runs on the acceptor's strand: waits until no connection is left; past the deadline, closes the
  // sockets of the remaining ones (their streams see cancellation) and waits for them to end.
  asio::awaitable<void> drain() {
    asio::steady_timer t(acceptor.get_executor());
    drain_waiters.push_back(&t);
    struct unregister {
      impl& m;
      asio::steady_timer* t;
      ~unregister() { std::erase(m.drain_waiters, t); }
    } guard{*this, &t};
    for (;;) {
      {
        std::lock_guard lock(mu);
        if (conns.empty()) co_return;
      }
      const bool past = std::chrono::steady_clock::now() >= drain_deadline;
      if (past && !force_closed) {
        force_closed = true;
        for_each_connection([](connection& c) {
          beast::error_code ignored;
          c.stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
          c.stream.socket().close(ignored);
        });
      }
      t.expires_at(past ? asio::steady_timer::time_point::max() : drain_deadline);
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
      // A wake-up is a cancel() too: only the awaiting coroutine's own cancellation ends the wait early.
      if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none)
        throw boost::system::system_error(asio::error::operation_aborted);
    }
  }

  // Runs `f(connection&)` on every open connection's strand.
  template <class F>
  void for_each_connection(F f) {
    std::lock_guard lock(mu);
    for (auto& c : conns) asio::post(c->stream.get_executor(), [c, f] { f(*c); });
  }
};

server::server(std::shared_ptr<chatkit::server::request_processor> processor, server_options options)
    : impl_(std::make_shared<impl>(std::move(processor), std::move(options))) {
  mount_operations();
}

server::server(std::shared_ptr<chatkit::server::request_processor> processor, server_options options,
               asio::any_io_executor executor)
    : impl_(std::make_shared<impl>(std::move(processor), std::move(options), std::move(executor))) {
  mount_operations();
}

// docs/guide-operations.md#health-and-metrics
void server::mount_operations() {
  const auto& ops = impl_->opts.operations;
  if (ops.healthz) add_route(ops.healthz_path, healthz_handler());
  if (ops.metrics) add_route(ops.metrics_path, metrics_handler(ops.metrics_token));
}

server::~server() {
  stop(std::chrono::milliseconds(0));
}

void server::add_route(std::string path, route_handler handler, route_match match) {
  if (impl_->started) throw std::logic_error("server::add_route after start()");
  if (!handler) throw std::invalid_argument("server::add_route: empty handler");
  impl_->routes.push_back({std::move(path), match, std::move(handler), {}});
}

void server::add_stream_route(std::string path, stream_route_handler handler, route_match match) {
  if (impl_->started) throw std::logic_error("server::add_stream_route after start()");
  if (!handler) throw std::invalid_argument("server::add_stream_route: empty handler");
  impl_->routes.push_back({std::move(path), match, {}, std::move(handler)});
}

void server::start() {
  auto& m = *impl_;
  if (m.started) throw std::logic_error("server::start called twice");
  const tcp::endpoint listen_address(asio::ip::make_address(m.opts.address), m.opts.port);
  // Dev-header auth lets any caller pick its user id: never on a reachable address by accident.
  if (dev_header_auth_needs_loopback(m.opts.endpoint.authenticate) && !listen_address.address().is_loopback())
    throw std::invalid_argument("server: dev-header authentication refuses to listen on " + m.opts.address +
                                ", which is not a loopback address: anyone reaching it could act as any "
                                "user. Use JWT auth, or set dev_header_options::allow_non_loopback behind "
                                "a gateway that sets the header");
  m.acceptor.open(listen_address.protocol());
  m.acceptor.set_option(asio::socket_base::reuse_address(true));
  m.acceptor.bind(listen_address);
  m.acceptor.listen(asio::socket_base::max_listen_connections);
  m.bound_port = m.acceptor.local_endpoint().port();
  m.limiter = std::make_unique<detail::connection_limiter>(
      m.opts.max_connections != 0 ? m.opts.max_connections
                                  : detail::connection_limiter::automatic_max_total(),
      m.opts.max_connections_per_ip);
  m.started = true;
  asio::co_spawn(m.acceptor.get_executor(), m.accept_loop(), [keep = m.pin()](std::exception_ptr) {});
  if (m.host) return;  // the host runs its executor
  unsigned n = std::max(1u, m.opts.threads);
  for (unsigned i = 0; i < n; ++i) m.threads.emplace_back([&m] { m.ioc.run(); });
}

std::uint16_t server::port() const noexcept {
  return impl_->bound_port;
}

std::size_t server::connections() const noexcept {
  std::lock_guard lock(impl_->mu);
  return impl_->conns.size();
}

std::size_t server::max_connections() const noexcept {
  if (impl_->limiter) return impl_->limiter->max_total();
  return impl_->opts.max_connections;
}

endpoint& server::chatkit_endpoint() noexcept {
  return impl_->ep;
}

void server::stop() {
  stop(impl_->opts.shutdown_grace);
}

void server::stop(std::chrono::milliseconds grace) {
  auto& m = *impl_;
  if (!m.started || m.stopped) return;
  if (m.host) return m.begin_host_stop(grace);
  m.stopped = true;
  m.stopping = true;
  asio::post(m.acceptor.get_executor(), [&m] {
    beast::error_code ignored;
    m.acceptor.close(ignored);
  });
  // Idle connections go now; busy ones notice `stopping` once their current response is complete.
  m.for_each_connection([](connection& c) {
    beast::error_code ignored;
    if (!c.busy) c.stream.socket().cancel(ignored);
  });
  std::unique_lock lock(m.mu);
  if (!m.cv.wait_for(lock, grace, [&] { return m.conns.empty(); })) {
    lock.unlock();
    // The deadline passed: closing the sockets cancels what still runs (streams observe cancellation).
    m.for_each_connection([](connection& c) {
      beast::error_code ignored;
      c.stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
      c.stream.socket().close(ignored);
    });
    lock.lock();
    m.cv.wait_for(lock, std::chrono::seconds(5), [&] { return m.conns.empty(); });
  }
  lock.unlock();
  m.ioc.stop();
  for (auto& t : m.threads) t.join();
  m.threads.clear();
}

asio::awaitable<void> server::async_stop() {
  return async_stop(impl_->opts.shutdown_grace);
}

asio::awaitable<void> server::async_stop(std::chrono::milliseconds grace) {
  auto m = impl_;  // the server object may be destroyed while this waits
  if (!m->host) throw std::logic_error("server::async_stop on a server owning its threads: use stop()");
  if (!m->started) co_return;
  if (!m->stopped) m->begin_host_stop(grace);
  co_await asio::co_spawn(m->acceptor.get_executor(), m->drain(), asio::use_awaitable);
}

}  // namespace chatkit::http
