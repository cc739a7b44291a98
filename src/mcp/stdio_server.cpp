// The MCP stdio transport, server side (docs/mcp.md#serving-over-stdio).
#include <chatkit/log.hpp>
#include <chatkit/mcp/stdio_server.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <exception>
#include <string>
#include <thread>

#include <unistd.h>

namespace chatkit::mcp {

namespace asio = boost::asio;

namespace {

// Everything below runs on the one thread of the io_context, so the writer needs no lock: each message is
// written whole before the next.
struct stdio_connection {
  tool_server& server;
  request_context caller;
  stdio_options opts;
  asio::io_context ioc{1};
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(ioc);
  server_session session;
  std::size_t running = 0;
  bool input_ended = false;
  bool write_failed = false;

  stdio_connection(tool_server& s, request_context c, stdio_options o)
      : server(s), caller(std::move(c)), opts(o) {}

  void write_line(std::string line) {
    if (write_failed) return;
    line.push_back('\n');
    std::string_view rest = line;
    while (!rest.empty()) {
      const ssize_t n = ::write(opts.output_fd, rest.data(), rest.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        write_failed = true;
        chatkit::log::error("mcp", "stdio server cannot write to its output",
                            {{"error", std::strerror(errno)}});
        return;
      }
      rest.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  void maybe_finish() {
    if (input_ended && running == 0) work.reset();
  }

  asio::awaitable<void> serve_line(std::string line) {
    notification_sink sink = [this](rpc_notification n) -> asio::awaitable<void> {
      write_line(serialize(n));
      co_return;
    };
    auto reply = co_await server.handle_text(session, line, caller, sink);
    if (reply) write_line(std::move(*reply));
  }

  // Called on the io thread for every complete line.
  void on_line(std::string line) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) return;
    ++running;
    asio::co_spawn(ioc, serve_line(std::move(line)), [this](std::exception_ptr e) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          chatkit::log::error("mcp", "stdio request failed", {{"error", ex.what()}});
        } catch (...) {
        }
      }
      --running;
      maybe_finish();
    });
  }

  void on_oversized() {
    write_line(serialize(rpc_error_response{
        std::nullopt,
        rpc_error{rpc_code::invalid_request,
                  "message too large: the limit is " + std::to_string(opts.max_line_bytes) + " bytes",
                  std::nullopt}}));
  }

  // The reader thread: blocking reads, complete lines posted to the io thread.
  void read_input() {
    std::string pending;
    bool discarding = false;
    char buf[64 * 1024];
    for (;;) {
      const ssize_t n = ::read(opts.input_fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      std::string_view chunk(buf, static_cast<std::size_t>(n));
      while (!chunk.empty()) {
        const auto nl = chunk.find('\n');
        const std::string_view part = chunk.substr(0, nl);
        if (!discarding) {
          if (pending.size() + part.size() > opts.max_line_bytes) {
            discarding = true;
            pending.clear();
            pending.shrink_to_fit();
          } else {
            pending.append(part);
          }
        }
        if (nl == std::string_view::npos) break;
        if (discarding) {
          asio::post(ioc, [this] { on_oversized(); });
        } else {
          asio::post(ioc, [this, line = std::move(pending)]() mutable { on_line(std::move(line)); });
        }
        pending = {};
        discarding = false;
        chunk.remove_prefix(nl + 1);
      }
    }
    if (!pending.empty() && !discarding)
      asio::post(ioc, [this, line = std::move(pending)]() mutable { on_line(std::move(line)); });
    asio::post(ioc, [this] {
      input_ended = true;
      maybe_finish();
    });
  }
};

}  // namespace

int serve_stdio(tool_server& server, request_context caller, stdio_options options) {
  // A client that closed its end must not kill the process with SIGPIPE: the write fails instead.
  std::signal(SIGPIPE, SIG_IGN);
  stdio_connection c(server, std::move(caller), options);
  std::thread reader([&c] { c.read_input(); });
  c.ioc.run();
  reader.join();
  return c.write_failed ? 1 : 0;
}

}  // namespace chatkit::mcp
