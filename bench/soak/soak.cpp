// Soak: mixed load with random disconnects against the echo server over 127.0.0.1 for a long time, to show
// that memory and file descriptors stay flat (docs/benchmarks.md, "Soak"). The server (chatkit::http::server,
// memory store, echo bot) runs in this process on its own worker threads; C client coroutines on the main
// thread each play one user: create threads (`stream N` answers), add messages, list threads and items, read
// a thread, delete their oldest thread (each user keeps at most a few, so the store stays bounded), and in
// about a third of the streams close the connection after a random number of bytes. Every interval it prints
// the process's RSS and open file descriptors; at the end a summary. Nothing is asserted.
//
//   bench_soak [--seconds S] [--clients C] [--interval S] [--threads T]    default: 1800 s, 32, 60 s, 1
#include "echo_bot.hpp"

#include <chatkit/http/auth.hpp>
#include <chatkit/http/server.hpp>
#include <chatkit/store/memory_store.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

namespace {

struct counters {
  std::size_t requests = 0;
  std::size_t events = 0;
  std::size_t disconnects = 0;  // connections the client closed early on purpose
  std::size_t failures = 0;     // connect/read errors and non-2xx answers the client did not cause
};

long rss_kb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

long open_fds() {
  std::error_code ec;
  long n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++n;
  return n;
}

std::string post(const std::string& body, const std::string& user) {
  return "POST /chatkit HTTP/1.1\r\nHost: 127.0.0.1\r\nX-User-Id: " + user +
         "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string input(const std::string& text) {
  return R"({"content":[{"type":"input_text","text":")" + text +
         R"("}],"attachments":[],"inference_options":{}})";
}

// One request on its own connection. Reads the whole answer, or only `cut` bytes when cut > 0 (then
// closes: a client going away; with `keep_id`, not before the new thread's id was read, so that the client
// can delete the thread later and the store stays bounded). Returns the answer read.
asio::awaitable<std::string> exchange(std::uint16_t port, const std::string& request, std::size_t cut,
                                      counters& c, bool keep_id = false) {
  tcp::socket socket(co_await asio::this_coro::executor);
  std::string out;
  boost::system::error_code ec;
  co_await socket.async_connect({asio::ip::make_address("127.0.0.1"), port},
                                asio::redirect_error(asio::use_awaitable, ec));
  if (!ec)
    co_await asio::async_write(socket, asio::buffer(request), asio::redirect_error(asio::use_awaitable, ec));
  char buf[8192];
  while (!ec) {
    const std::size_t n =
        co_await socket.async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
    out.append(buf, n);
    if (cut > 0 && out.size() >= cut && (!keep_id || out.find(R"("id":"thr_)") != std::string::npos)) break;
  }
  ++c.requests;
  for (auto at = out.find("data: "); at != std::string::npos; at = out.find("data: ", at + 6)) ++c.events;
  if (cut > 0 && !ec) {
    ++c.disconnects;
  } else if (ec != asio::error::eof || !out.starts_with("HTTP/1.1 200")) {
    ++c.failures;
  }
  boost::system::error_code ignored;
  socket.close(ignored);
  co_return out;
}

std::string thread_id_in(const std::string& answer) {
  const auto at = answer.find(R"("id":"thr_)");
  if (at == std::string::npos) return {};
  const auto end = answer.find('"', at + 6);
  return answer.substr(at + 6, end - at - 6);
}

asio::awaitable<void> client(std::uint16_t port, int index, clock_type::time_point until, counters& c) {
  std::mt19937 rng(static_cast<unsigned>(index) * 7919u + 1u);
  const std::string user = "soak-" + std::to_string(index);
  std::deque<std::string> threads;
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  while (clock_type::now() < until) {
    const int action = pick(10);
    const std::size_t cut = pick(3) == 0 ? 1 + static_cast<std::size_t>(pick(3000)) : 0;
    const std::string text = "stream " + std::to_string(1 + pick(200));
    if (action < 3 || threads.empty()) {
      auto answer = co_await exchange(
          port, post(R"({"type":"threads.create","params":{"input":)" + input(text) + "}}", user), cut, c,
          true);
      if (auto id = thread_id_in(answer); !id.empty()) threads.push_back(id);
    } else if (action < 6) {
      co_await exchange(port,
                        post(R"({"type":"threads.add_user_message","params":{"thread_id":")" +
                                 threads.back() + R"(","input":)" + input(text) + "}}",
                             user),
                        cut, c);
    } else if (action == 6) {
      co_await exchange(port, post(R"({"type":"threads.list","params":{"limit":20}})", user), 0, c);
    } else if (action == 7) {
      co_await exchange(
          port, post(R"({"type":"items.list","params":{"thread_id":")" + threads.front() + R"("}})", user), 0,
          c);
    } else {
      co_await exchange(
          port,
          post(R"({"type":"threads.get_by_id","params":{"thread_id":")" + threads.front() + R"("}})", user),
          0, c);
    }
    // Each user keeps at most four threads: the store stays bounded, so memory must too.
    while (threads.size() > 4) {
      co_await exchange(
          port,
          post(R"({"type":"threads.delete","params":{"thread_id":")" + threads.front() + R"("}})", user), 0,
          c);
      threads.pop_front();
    }
  }
}

asio::awaitable<void> reporter(clock_type::time_point start, clock_type::time_point until,
                               std::chrono::seconds interval, counters& c, std::vector<long>& rss,
                               std::vector<long>& fds) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (auto next = start + interval; next < until + interval; next += interval) {
    timer.expires_at(std::min(next, until));
    co_await timer.async_wait(asio::use_awaitable);
    rss.push_back(rss_kb());
    fds.push_back(open_fds());
    const double secs = std::chrono::duration<double>(clock_type::now() - start).count();
    std::printf(
        "%7.0f s  requests %9zu  events %11zu  disconnects %7zu  failures %5zu  RSS %6ld KiB  fds %4ld\n",
        secs, c.requests, c.events, c.disconnects, c.failures, rss.back(), fds.back());
    std::fflush(stdout);
    if (next >= until) break;
  }
}

}  // namespace

int main(int argc, char** argv) {
  long seconds = 1800, clients = 32, interval = 60, threads = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const long value = std::strtol(argv[i + 1], nullptr, 10);
    if (flag == "--seconds")
      seconds = value;
    else if (flag == "--clients")
      clients = value;
    else if (flag == "--interval")
      interval = value;
    else if (flag == "--threads")
      threads = value;
    else {
      std::fprintf(stderr, "usage: bench_soak [--seconds S] [--clients C] [--interval S] [--threads T]\n");
      return 2;
    }
  }
  if (seconds <= 0 || clients <= 0 || interval <= 0 || threads <= 0) {
    std::fprintf(stderr, "bench_soak: every value must be positive\n");
    return 2;
  }

  auto store = std::make_shared<chatkit::store::memory_store>();
  auto bot = std::make_shared<chatkit::examples::echo_bot>(store);
  chatkit::http::server_options options;
  options.threads = static_cast<unsigned>(threads);
  options.endpoint.authenticate = chatkit::http::dev_header_auth("X-User-Id", true);
  options.endpoint.access_log = [](const chatkit::http::access_log_entry&) {};
  chatkit::http::server server(bot, std::move(options));
  server.start();

  std::printf("soak: %ld s, %ld clients, server threads %ld; RSS and fds every %ld s\n", seconds, clients,
              threads, interval);
  const long rss_start = rss_kb(), fds_start = open_fds();
  std::printf(
      "      start                                                                    RSS %6ld KiB  fds "
      "%4ld\n",
      rss_start, fds_start);
  asio::io_context ioc;
  counters c;
  std::vector<long> rss, fds;
  const auto start = clock_type::now();
  const auto until = start + std::chrono::seconds(seconds);
  for (long i = 0; i < clients; ++i)
    asio::co_spawn(ioc, client(server.port(), static_cast<int>(i), until, c), asio::detached);
  asio::co_spawn(ioc, reporter(start, until, std::chrono::seconds(interval), c, rss, fds), asio::detached);
  ioc.run();
  server.stop(std::chrono::milliseconds(2000));

  const double secs = std::chrono::duration<double>(clock_type::now() - start).count();
  std::printf("\nsummary: %.0f s, %zu requests (%.0f/s), %zu events, %zu client disconnects, %zu failures\n",
              secs, c.requests, static_cast<double>(c.requests) / secs, c.events, c.disconnects, c.failures);
  if (!rss.empty()) {
    // The first interval warms up (allocator arenas, the store filling to its bound); flatness is judged
    // after.
    const auto from = rss.size() > 1 ? rss.begin() + 1 : rss.begin();
    std::printf(
        "RSS: start %ld KiB, after the first interval %ld KiB, min/max after it %ld/%ld KiB, end %ld KiB\n",
        rss_start, rss.front(), *std::min_element(from, rss.end()), *std::max_element(from, rss.end()),
        rss.back());
    std::printf("open fds: start %ld, max %ld, end %ld (after stop: %ld)\n", fds_start,
                *std::max_element(fds.begin(), fds.end()), fds.back(), open_fds());
  }
  return 0;
}
