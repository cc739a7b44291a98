// A ready HTTP server for a ChatKit app: one ChatKit endpoint plus the host's own routes (REST API,
// static files) on a listening socket, served by a pool of worker threads. Keep-alive, request limits,
// idle/read/write timeouts and graceful shutdown included.
//
//   chatkit::http::server srv(processor, {.endpoint = {.authenticate = chatkit::http::dev_header_auth()}});
//   srv.start();            // binds and returns; srv.port() is the bound port
//   ...                     // wait for a signal
//   srv.stop(std::chrono::seconds(10));
//
// Or on the host's own io_context, owning no thread (docs/http.md#on-your-own-io_context):
//
//   chatkit::http::server srv(processor, opts, ioc.get_executor());
//   srv.start();            // binds and spawns the accept loop on ioc
//   ioc.run();              // returns once srv.stop() or co_await srv.async_stop() ended every connection
#pragma once

#include <chatkit/http/endpoint.hpp>
#include <chatkit/http/message.hpp>
#include <chatkit/http/operations.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace chatkit::http {

// Answers one request of an extra route. Throw chatkit::error for error statuses (the JSON error body
// and CORS headers are added); other exceptions become a 500.
using route_handler = std::function<boost::asio::awaitable<response>(request)>;

// Answers one request of a streaming route by writing to the connection itself (an SSE stream that stays
// open). Returns whether the connection may serve another request. CORS preflights of the route are
// answered by the server; the handler adds CORS headers to what it writes (endpoint::cors()). On stop()
// the handler gets the grace period to finish, then its socket is closed.
using stream_route_handler = std::function<boost::asio::awaitable<bool>(request, boost::beast::tcp_stream&)>;

enum class route_match { exact, prefix };

struct server_options {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: an ephemeral port, see server::port()
  unsigned threads = 1;    // worker threads of a server that owns them (ignored on a host's executor)
  endpoint_options endpoint;
  // Open client connections at once; one more is answered 503 with Retry-After and closed. 0: automatic,
  // three quarters of the process's open-file limit (RLIMIT_NOFILE) at start(), so that descriptors
  // remain for stores and logs.
  std::size_t max_connections = 0;
  // Open connections from one client address (IPv4-mapped IPv6 counts as IPv4); one more is answered 503
  // like the global cap. 0: unlimited. Behind a reverse proxy every connection comes from the proxy's
  // address: raise it to max_connections there, or set 0.
  std::size_t max_connections_per_ip = 256;
  // In-flight requests get this long to finish on stop() before they are cancelled.
  std::chrono::milliseconds shutdown_grace{std::chrono::seconds(10)};
  // GET /healthz and the Prometheus /metrics, added as routes when enabled (both off by default).
  operations_options operations;
};

class server {
 public:
  // A server that owns its io_context and options.threads worker threads.
  server(std::shared_ptr<chatkit::server::request_processor> processor, server_options options);
  // A server that runs on the host's executor (an io_context's, a thread_pool's...) and owns no thread:
  // start() binds and spawns the accept loop there, each connection runs on a strand of it, and stop()
  // never blocks. Keep the executor's context running until the shutdown has completed (async_stop()
  // returned, or run() ran out of work) before destroying the server or the context.
  server(std::shared_ptr<chatkit::server::request_processor> processor, server_options options,
         boost::asio::any_io_executor executor);
  // Owned threads: stops with a zero grace if still running. On a host's executor: starts a zero-grace
  // stop that completes on the executor (the server's state lives until its last connection ended).
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Adds a route beside the ChatKit path; call before start(). Exact routes win over prefix routes,
  // longer prefixes over shorter ones.
  void add_route(std::string path, route_handler handler, route_match match = route_match::exact);
  // The same for a route that streams its answer.
  void add_stream_route(std::string path, stream_route_handler handler,
                        route_match match = route_match::exact);

  // Binds, listens and starts the worker threads (on a host's executor: spawns the accept loop there). Throws
  // boost::system::system_error when it cannot bind, and std::invalid_argument for dev-header auth on a
  // non-loopback address (see dev_header_options).
  void start();
  // The bound port (after start()).
  std::uint16_t port() const noexcept;

  // Graceful shutdown: stops accepting, closes idle connections, lets in-flight requests finish within
  // `grace` (default: options.shutdown_grace), then cancels the rest (their streams see cancellation)
  // and joins the workers. Blocks; never call it from a worker thread. Idempotent.
  // On a host's executor it does not block: it starts the same shutdown and returns; the host's run()
  // returns once every connection has ended (if nothing else of the host keeps it busy).
  void stop();
  void stop(std::chrono::milliseconds grace);
  // On a host's executor: the same shutdown, completing once every connection has ended (in-flight
  // requests and streams finished within `grace`, the rest closed). May be awaited from any coroutine;
  // a second call waits for the first shutdown. Throws std::logic_error on a server owning its threads
  // (use stop() there).
  boost::asio::awaitable<void> async_stop();
  boost::asio::awaitable<void> async_stop(std::chrono::milliseconds grace);

  // Number of open client connections (refused ones not included).
  std::size_t connections() const noexcept;
  // The effective global connection cap (after start(): the automatic value when max_connections is 0).
  std::size_t max_connections() const noexcept;
  endpoint& chatkit_endpoint() noexcept;

 private:
  void mount_operations();  // /healthz and /metrics when server_options::operations asks for them
  struct impl;
  std::shared_ptr<impl> impl_;  // shared with the coroutines of a server on a host's executor
};

}  // namespace chatkit::http
