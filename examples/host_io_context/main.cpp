// The ChatKit HTTP server on the host's own io_context: the host runs one io_context with its own work (a
// heartbeat timer, signal handling) and the server adds its accept loop and connections to it, owning no
// thread. docs/http.md#on-your-own-io_context walks through it.
//
//   host_io_context              one request from a client on the same io_context, then a graceful stop
//                                (the test suite runs this: example_host_io_context); exits non-zero on
//                                failure
//   host_io_context --port 8000  serves the echo bot on 127.0.0.1:8000 until SIGINT or SIGTERM
#include "echo_bot.hpp"

#include <chatkit/http/server.hpp>
#include <chatkit/store/memory_store.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using namespace std::chrono_literals;

namespace {

// [host]
// The host's own work on its io_context: a heartbeat every 100 ms until `done`.
asio::awaitable<void> heartbeat(const bool& done, int& beats) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  while (!done) {
    t.expires_after(100ms);
    co_await t.async_wait(asio::use_awaitable);
    ++beats;
  }
}
// [host]

// A client on the same io_context: one threads.create, the event stream read to its end.
asio::awaitable<std::string> ask(std::uint16_t port, std::string text) {
  asio::ip::tcp::socket s(co_await asio::this_coro::executor);
  co_await s.async_connect({asio::ip::make_address("127.0.0.1"), port}, asio::use_awaitable);
  bhttp::request<bhttp::string_body> req{bhttp::verb::post, "/chatkit", 11};
  req.set(bhttp::field::host, "127.0.0.1");
  req.set(bhttp::field::content_type, "application/json");
  req.set("X-User-Id", "demo_user");
  req.body() = R"({"type":"threads.create","params":{"input":{"content":[{"type":"input_text","text":")" +
               text + R"("}],"attachments":[],"inference_options":{}}}})";
  req.prepare_payload();
  co_await bhttp::async_write(s, req, asio::use_awaitable);
  boost::beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  co_await bhttp::async_read(s, buffer, res, asio::use_awaitable);
  if (res.result_int() != 200 || res[bhttp::field::content_type] != "text/event-stream")
    throw std::runtime_error("unexpected answer: " + std::to_string(res.result_int()) + " " + res.body());
  co_return res.body();
}

}  // namespace

int main(int argc, char** argv) {
  const bool serve = argc == 3 && std::strcmp(argv[1], "--port") == 0;
  try {
    // [server]
    asio::io_context ioc;  // the host's: run by the host's thread(s) below

    auto bot =
        std::make_shared<chatkit::examples::echo_bot>(std::make_shared<chatkit::store::memory_store>());
    chatkit::http::server_options opts;
    opts.port = serve ? static_cast<std::uint16_t>(std::stoi(argv[2])) : 0;
    opts.endpoint.authenticate = chatkit::http::dev_header_auth("X-User-Id");
    opts.endpoint.access_log = [](const chatkit::http::access_log_entry&) {};
    chatkit::http::server srv(bot, opts, ioc.get_executor());  // on the host's executor: no thread of its own
    srv.start();                                               // binds, spawns the accept loop on ioc

    bool done = false;
    int beats = 0;
    asio::co_spawn(ioc, heartbeat(done, beats), asio::detached);

    // SIGINT/SIGTERM: a graceful stop on the same io_context (streams in flight get 10 s to finish).
    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code ec, int) {
      if (ec) return;
      done = true;
      asio::co_spawn(ioc, srv.async_stop(10s), asio::detached);
    });
    // [server]

    std::string events;
    if (serve) {
      std::printf("serving the echo bot on http://127.0.0.1:%u/chatkit (X-User-Id: any name)\n", srv.port());
      std::fflush(stdout);
    } else {
      asio::co_spawn(
          ioc,
          [&]() -> asio::awaitable<void> {
            events = co_await ask(srv.port(), "hello from the host");
            done = true;
            signals.cancel();
            co_await srv.async_stop(10s);  // returns once every connection has ended
          },
          [&](std::exception_ptr e) {
            done = true;
            signals.cancel();
            srv.stop(0ms);
            if (e) std::rethrow_exception(e);
          });
    }
    // [run]
    ioc.run();  // returns when the server has stopped and the host's own work is done
    // [run]
    if (serve) return 0;
    const bool echoed = events.find("You said: hello from the host") != std::string::npos;
    std::printf("%zu bytes of events, echo %s, %d heartbeat(s) while serving\n", events.size(),
                echoed ? "received" : "MISSING", beats);
    return echoed && srv.connections() == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "host_io_context: %s\n", e.what());
    return 1;
  }
}
