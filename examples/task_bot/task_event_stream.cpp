#include "task_event_stream.hpp"

#include <chatkit/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/write.hpp>

#include <array>
#include <deque>
#include <mutex>
#include <optional>
#include <variant>

namespace task_bot {
namespace asio = boost::asio;
namespace http = chatkit::http;
namespace bhttp = boost::beast::http;
using asio::awaitable;
using namespace boost::asio::experimental::awaitable_operators;

namespace {

constexpr std::chrono::seconds write_timeout{30};

// What one open stream shares with the publishers: queued frames and the timer that wakes the writer.
struct stream_state {
  explicit stream_state(asio::any_io_executor ex) : wake(std::move(ex)) {}
  std::mutex mutex;
  std::string pending;  // frames not yet written
  bool closed = false;
  asio::steady_timer wake;
};

void add_cors(bhttp::fields& f, const http::endpoint& ep, std::string_view origin) {
  if (const auto* cors = ep.cors())
    for (const auto& h : cors->response_headers(origin)) f.insert(h.name, h.value);
}

awaitable<bool> write_all(boost::beast::tcp_stream& stream, const std::string& bytes) {
  stream.expires_after(write_timeout);
  auto [ec, n] = co_await asio::async_write(stream, asio::buffer(bytes), asio::as_tuple(asio::use_awaitable));
  stream.expires_never();
  co_return !ec;
}

awaitable<bool> serve_events(http::request req, boost::beast::tcp_stream& stream, task_event_bus& bus,
                             const access_control& access, const http::endpoint& ep,
                             std::chrono::milliseconds heartbeat) {
  const std::string origin(req[bhttp::field::origin]);
  chatkit::request_context caller;
  std::optional<chatkit::error> refused;
  try {
    if (req.method() != bhttp::verb::get) throw chatkit::error(chatkit::errc::method_not_allowed, "use GET");
    caller = co_await access.authenticate(req, /*allow_query_token=*/true);
  } catch (const chatkit::error& e) {
    refused = e;
  }
  if (refused) {
    auto res =
        http::make_error_response(refused->code_value(), refused->message(), req.version(), req.keep_alive());
    add_cors(res.base(), ep, origin);
    stream.expires_after(write_timeout);
    auto [ec, n] = co_await bhttp::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
    stream.expires_never();
    co_return !ec && req.keep_alive();
  }

  const auto started = std::chrono::steady_clock::now();
  std::array<char, 512> client_bytes{};
  std::size_t events = 0;
  auto state = std::make_shared<stream_state>(stream.get_executor());
  auto subscription = bus.subscribe(caller.user_id, [state](const task_event* e) {
    {
      std::lock_guard lock(state->mutex);
      if (e)
        state->pending += to_sse_frame(*e);
      else
        state->closed = true;
    }
    asio::post(state->wake.get_executor(), [state] { state->wake.cancel(); });
  });

  // The body runs until the connection closes (no Content-Length): the simplest framing EventSource reads.
  std::string head =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
      "X-Accel-Buffering: no\r\nConnection: close\r\n";  // X-Accel-Buffering: proxies must not buffer it
  if (const auto* cors = ep.cors())
    for (const auto& h : cors->response_headers(origin)) head += h.name + ": " + h.value + "\r\n";
  head += "\r\nretry: 2000\n\n: connected\n\n";
  // Subscribed before ": connected": a client that saw it gets every later change.
  if (!co_await write_all(stream, head)) co_return false;

  for (;;) {
    std::string frames;
    bool closed = false;
    {
      std::lock_guard lock(state->mutex);
      frames.swap(state->pending);
      closed = state->closed;
    }
    if (!frames.empty() && !co_await write_all(stream, frames)) break;
    if (!frames.empty()) ++events;
    if (closed) break;
    if (!frames.empty()) continue;
    // Sleep until an event, the heartbeat, or the client going away (a read on the socket ends: the
    // subscription is dropped at once instead of at the next failed heartbeat).
    // The read's outcome is kept even when the wake-up wins the race: Asio reports a client's EOF once, so an
    // EOF read here and dropped would never be seen by the next read.
    state->wake.expires_after(heartbeat);
    bool client_gone = false;
    auto watch = [&]() -> asio::awaitable<void> {
      auto [ec, n] = co_await stream.socket().async_read_some(asio::buffer(client_bytes),
                                                              asio::as_tuple(asio::use_awaitable));
      (void)n;  // bytes the client sent are ignored
      if (ec && ec != asio::error::operation_aborted) client_gone = true;
    };
    auto woke = co_await (state->wake.async_wait(asio::as_tuple(asio::use_awaitable)) || watch());
    if (client_gone) break;
    if (woke.index() == 1) continue;  // the client sent something: keep streaming
    const auto [ec] = std::get<0>(woke);
    if (!ec && !co_await write_all(stream, ": ping\n\n")) break;  // timer expired: nothing happened
  }
  subscription.reset();
  http::access_log_entry entry;
  entry.method = "GET";
  entry.path = "/api/tasks/events";
  entry.status = 200;
  entry.user = caller.user_id;
  entry.duration =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
  entry.events = events;
  // The same access log as the ChatKit endpoint's requests (its options hold the configured sink).
  if (const auto& log = ep.options().access_log) log(entry);
  co_return false;
}

}  // namespace

void mount_task_events(http::server& server, std::shared_ptr<task_event_bus> bus,
                       std::shared_ptr<const access_control> access, std::chrono::milliseconds heartbeat) {
  const http::endpoint* ep = &server.chatkit_endpoint();
  server.add_stream_route(
      "/api/tasks/events",
      [bus, access, ep, heartbeat](http::request req, boost::beast::tcp_stream& stream) -> awaitable<bool> {
        co_return co_await serve_events(std::move(req), stream, *bus, *access, *ep, heartbeat);
      });
}

}  // namespace task_bot
