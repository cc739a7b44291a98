// Loopback load against the echo server: C concurrent clients, each repeatedly creating a thread with the
// text `stream 100` (one request per connection), then `threads.list` (limit 50). The server runs in this
// process on one worker thread; the clients run on the main thread. Prints requests/s, events/s,
// time-to-first-event p50/p99, the p99 gap between reads that delivered events, and the process's peak RSS.
// Nothing is asserted.
//
//   bench_http [clients...]        default: 1 100 1000
#include "echo_bot.hpp"

#include <chatkit/http/auth.hpp>
#include <chatkit/http/server.hpp>
#include <chatkit/store/memory_store.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

namespace {

struct stats {
  std::size_t requests = 0;
  std::size_t events = 0;
  std::size_t failures = 0;
  std::vector<double> first_event_ms;
  std::vector<double> gap_ms;
  std::vector<double> response_ms;
};

std::string post(const std::string& body, const std::string& user) {
  return "POST /chatkit HTTP/1.1\r\nHost: 127.0.0.1\r\nX-User-Id: " + user +
         "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

// One request on its own connection; counts "data: " markers as bytes arrive.
asio::awaitable<void> one_request(std::uint16_t port, const std::string& request, stats& s) {
  tcp::socket socket(co_await asio::this_coro::executor);
  const auto start = clock_type::now();
  try {
    co_await socket.async_connect({asio::ip::make_address("127.0.0.1"), port}, asio::use_awaitable);
    co_await asio::async_write(socket, asio::buffer(request), asio::use_awaitable);
    char buf[16384];
    std::string tail;
    auto last = start;
    bool first = true;
    for (;;) {
      boost::system::error_code ec;
      const std::size_t n =
          co_await socket.async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      std::string chunk = tail + std::string(buf, n);
      std::size_t found = 0;
      for (auto at = chunk.find("data: "); at != std::string::npos; at = chunk.find("data: ", at + 6))
        ++found;
      tail = chunk.size() > 5 ? chunk.substr(chunk.size() - 5) : chunk;
      if (found) {
        const auto now = clock_type::now();
        if (first) {
          s.first_event_ms.push_back(std::chrono::duration<double, std::milli>(now - start).count());
          first = false;
        } else {
          s.gap_ms.push_back(std::chrono::duration<double, std::milli>(now - last).count());
        }
        last = now;
        s.events += found;
      }
    }
    ++s.requests;
    s.response_ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - start).count());
  } catch (const std::exception&) {
    ++s.failures;
  }
}

asio::awaitable<void> client_loop(std::uint16_t port, std::string request, clock_type::time_point until,
                                  stats& s) {
  while (clock_type::now() < until) co_await one_request(port, request, s);
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

long peak_rss_kb() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return 0;
}

stats run(std::uint16_t port, std::size_t clients, const std::string& request, double seconds) {
  asio::io_context ioc(1);
  stats s;
  const auto until = clock_type::now() +
                     std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(seconds));
  for (std::size_t c = 0; c < clients; ++c)
    asio::co_spawn(ioc, client_loop(port, request, until, s), asio::detached);
  ioc.run();
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::size_t> levels;
  for (int i = 1; i < argc; ++i) levels.push_back(static_cast<std::size_t>(std::stoul(argv[i])));
  if (levels.empty()) levels = {1, 100, 1000};

  auto store = std::make_shared<chatkit::store::memory_store>();
  auto bot = std::make_shared<chatkit::examples::echo_bot>(store);
  chatkit::http::server_options options;
  options.threads = 1;
  options.endpoint.authenticate = chatkit::http::dev_header_auth("X-User-Id", true);
  options.endpoint.access_log = [](const auto&) {};
  options.endpoint.limits.max_streams_per_user = 0;
  // Up to 1000 clients from one address: the load caps would refuse most of them.
  options.max_connections_per_ip = 0;
  options.endpoint.limits.max_streams = 0;
  options.endpoint.limits.max_requests_in_flight = 0;
  chatkit::http::server server(bot, std::move(options));
  server.start();

  const std::string stream_request = post(
      R"({"type":"threads.create","params":{"input":{"content":[{"type":"input_text","text":"stream 100"}],"attachments":[],"inference_options":{}}}})",
      "bench");
  std::printf(
      "chatkit HTTP load benchmark: echo server (1 worker thread) and clients (1 thread) in one process\n");
  std::printf("%8s %10s %12s %10s %10s %10s %10s %8s\n", "clients", "req/s", "events/s", "ttfe p50",
              "ttfe p99", "gap p99", "resp p99", "errors");
  for (auto clients : levels) {
    const auto start = clock_type::now();
    const stats s = run(server.port(), clients, stream_request, 3.0);
    const double secs = std::chrono::duration<double>(clock_type::now() - start).count();
    std::printf("%8zu %10.0f %12.0f %8.2fms %8.2fms %8.2fms %8.2fms %8zu\n", clients,
                static_cast<double>(s.requests) / secs, static_cast<double>(s.events) / secs,
                percentile(s.first_event_ms, 0.5), percentile(s.first_event_ms, 0.99),
                percentile(s.gap_ms, 0.99), percentile(s.response_ms, 0.99), s.failures);
  }
  const std::string list_request = post(R"({"type":"threads.list","params":{"limit":50}})", "bench");
  const auto start = clock_type::now();
  const stats l = run(server.port(), 100, list_request, 3.0);
  const double secs = std::chrono::duration<double>(clock_type::now() - start).count();
  std::printf("threads.list (limit 50), 100 clients: %.0f req/s, p99 %.2f ms, errors %zu\n",
              static_cast<double>(l.requests) / secs, percentile(l.response_ms, 0.99), l.failures);
  std::printf("peak RSS of the process (server + clients): %ld MB\n", peak_rss_kb() / 1024);
  server.stop(std::chrono::milliseconds(1000));
  return 0;
}
