// Idle and active event streams over real sockets. The server (chatkit::http::server, one worker thread,
// memory store, the echo bot plus two bench commands) runs in a child process pinned to one core, so that its
// resident memory can be read alone from /proc; the clients run in this process on the other core. Three
// phases:
//
//  1. idle: `idle_streams` streams (default 10,000) open at once; each gets its first events, then the bot
//  waits
//     (the `idle` command) and the stream stays open. Prints the server's RSS before and with them open, and
//     the RSS per idle stream.
//  2. active: `active_streams` streams (default 1,000) at once, each a message of `active_deltas` deltas sent
//     every `interval_ms` (the `slow N MS` command). Prints p50/p99 of the gap between the reads that
//     delivered events (the bot's interval is the floor) and of the lateness past the interval.
//  3. load: keep-alive clients (100, then 1,000) each sending `stream 100` (users spread over 1,000) for a
//  few
//     seconds. Prints requests/s, events/s and the response time p50/p99 (request written to last byte).
//
// Every response is checked (status 200, the expected number of events, the terminating chunk); the figures
// are printed with the failure count. Nothing is asserted. The server's load caps are raised for the bench
// (max_streams, max_connections_per_ip and the per-user cap would refuse most of these streams by default):
// see "Idle and active streams" in docs/benchmarks.md. The open-file limit is raised to its hard limit;
// 10,000 streams need about 10,100 descriptors in each process.
//
//   bench_streams [idle_streams] [active_streams] [interval_ms] [active_deltas] [load_seconds]
#include "echo_bot.hpp"

#include <chatkit/http/auth.hpp>
#include <chatkit/http/server.hpp>
#include <chatkit/store/memory_store.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace cp = chatkit::protocol;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

namespace {

// The echo bot plus the two commands of this bench:
//   `idle`        one assistant message announced, then nothing until the client goes away (an idle stream);
//   `slow N MS`   one assistant message of N deltas "tok ", one every MS milliseconds.
// The two commands are small coroutines of their own: a coroutine frame keeps a slot for the temporaries of
// every co_await in it, and an idle stream holds its frames for as long as it stays open.
class streams_bot : public chatkit::examples::echo_bot {
 public:
  using echo_bot::echo_bot;

 protected:
  asio::awaitable<void> respond(chatkit::server::respond_args args,
                                chatkit::server::event_emitter& out) override {
    std::string text;
    if (args.user_message)
      for (const auto& part : args.user_message->content)
        if (const auto* t = std::get_if<cp::input_text>(&part)) text += t->text;
    unsigned n = 0, ms = 0;
    if (text == "idle") {
      if (!args.thread.title)
        args.thread.title = text;  // as the echo bot: thread.updated after the first event
      co_await idle(out);
    } else if (std::sscanf(text.c_str(), "slow %u %u", &n, &ms) == 2) {
      if (!args.thread.title) args.thread.title = text;
      co_await slow(out, n, ms);
    } else {
      co_await echo_bot::respond(std::move(args), out);
    }
  }

 private:
  static asio::awaitable<void> idle(chatkit::server::event_emitter& out) {
    co_await announce(out);
    asio::steady_timer wait(co_await asio::this_coro::executor, std::chrono::hours(1));
    co_await wait.async_wait(asio::use_awaitable);  // cancelled when the client disconnects
  }

  static asio::awaitable<void> slow(chatkit::server::event_emitter& out, unsigned n, unsigned ms) {
    const std::string id = co_await announce(out);
    asio::steady_timer pace(co_await asio::this_coro::executor);
    auto next = clock_type::now();
    for (unsigned i = 0; i < n; ++i) {
      next += std::chrono::milliseconds(ms);
      pace.expires_at(next);
      co_await pace.async_wait(asio::use_awaitable);
      co_await out.emit(cp::item_updated_event{id, cp::content_part_text_delta{0, "tok "}});
    }
    auto done = new_message(out, id);
    std::string text;
    for (unsigned i = 0; i < n; ++i) text += "tok ";
    done.content.push_back(cp::output_text{{}, std::move(text)});
    co_await out.emit(cp::item_done_event{std::move(done)});
  }

  // thread.item.added of a new assistant message; returns its id.
  static asio::awaitable<std::string> announce(chatkit::server::event_emitter& out) {
    auto msg = new_message(out, out.new_item_id(chatkit::store::id_kind::message));
    std::string id = msg.id;
    co_await out.emit(cp::item_added_event{std::move(msg)});
    co_return id;
  }

  static cp::assistant_message_item new_message(chatkit::server::event_emitter& out, std::string id) {
    cp::assistant_message_item msg;
    msg.id = std::move(id);
    msg.thread_id = out.thread().id;
    msg.created_at = cp::timestamp::now();
    return msg;
  }
};

void pin_to_cpu(int cpu) {
  if (std::thread::hardware_concurrency() < 2) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  sched_setaffinity(0, sizeof set, &set);
}

void raise_fd_limit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

std::size_t fd_limit() {
  rlimit r{};
  getrlimit(RLIMIT_NOFILE, &r);
  return r.rlim_cur;
}

// A memory figure of /proc/PID/status in KB: VmRSS (resident now) or VmHWM (peak).
long status_kb(pid_t pid, std::string_view key = "VmRSS:") {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.starts_with(key)) return std::stol(line.substr(key.size()));
  return 0;
}

// Waits (up to 30 s) until the process used no CPU for 300 ms.
void wait_until_quiet(pid_t pid) {
  auto cpu_ticks = [pid] {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string field;
    long ticks = 0;
    for (int i = 1; i <= 15 && stat >> field; ++i)
      if (i == 14 || i == 15) ticks += std::stol(field);  // utime, stime
    return ticks;
  };
  long last = cpu_ticks();
  for (int i = 0; i < 100; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const long now = cpu_ticks();
    if (now == last) return;
    last = now;
  }
}

// The server process: serves until its parent closes the pipe. Writes its port to `port_fd`.
[[noreturn]] void serve(int port_fd, int stop_fd) {
  pin_to_cpu(0);
  auto bot = std::make_shared<streams_bot>(std::make_shared<chatkit::store::memory_store>());
  chatkit::http::server_options options;
  options.threads = 1;
  options.endpoint.authenticate = chatkit::http::dev_header_auth("X-User-Id", true);
  options.endpoint.access_log = [](const auto&) {};
  // The caps that would refuse this load (docs/http.md#limits): all open streams come from 127.0.0.1.
  options.endpoint.limits.max_streams = 0;
  options.endpoint.limits.max_streams_per_user = 0;
  options.endpoint.limits.max_requests_in_flight = 0;
  options.max_connections_per_ip = 0;
  options.max_connections = 0;  // three quarters of the descriptor limit
  chatkit::http::server server(bot, std::move(options));
  server.start();
  const std::uint16_t port = server.port();
  (void)!write(port_fd, &port, sizeof port);
  char c;
  (void)!read(stop_fd, &c, 1);  // EOF when the parent is done
  server.stop(std::chrono::milliseconds(2000));
  std::_Exit(0);
}

std::string post(const std::string& text, const std::string& user) {
  const std::string body =
      R"({"type":"threads.create","params":{"input":{"content":[{"type":"input_text","text":")" + text +
      R"("}],"attachments":[],"inference_options":{}}}})";
  return "POST /chatkit HTTP/1.1\r\nHost: 127.0.0.1\r\nX-User-Id: " + user +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
         body;
}

std::size_t count_events(std::string_view s) {
  std::size_t n = 0;
  for (auto at = s.find("data: "); at != std::string_view::npos; at = s.find("data: ", at + 6)) ++n;
  return n;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

struct client_stats {
  std::size_t started = 0;   // streams that delivered their first events
  std::size_t finished = 0;  // responses read to their terminating chunk
  std::size_t failures = 0;
  std::size_t events = 0;
  std::vector<double> gaps_ms;
  std::vector<double> response_ms;
};

constexpr std::string_view terminator = "\r\n0\r\n\r\n";

// Reads one chunked event-stream response. Returns the events counted, or 0 on failure. With `hold`, returns
// after the first events while the socket stays open (idle streams); `gaps` receives the time between the
// reads that delivered events.
asio::awaitable<std::size_t> read_stream(tcp::socket& s, std::string& buf, std::vector<double>* gaps) {
  buf.clear();
  char chunk[4096];
  std::size_t events = 0;
  auto last = clock_type::now();
  bool first = true;
  for (;;) {
    auto [ec, n] = co_await s.async_read_some(asio::buffer(chunk), asio::as_tuple(asio::use_awaitable));
    if (ec) co_return 0;
    const std::size_t before = buf.size();
    buf.append(chunk, n);
    // Count events in the new bytes (a marker may straddle two reads: look back 5 bytes).
    const std::size_t from = before >= 5 ? before - 5 : 0;
    const std::size_t found = count_events(std::string_view(buf).substr(from)) -
                              count_events(std::string_view(buf).substr(from, before - from));
    if (found) {
      const auto now = clock_type::now();
      if (!first && gaps) gaps->push_back(std::chrono::duration<double, std::milli>(now - last).count());
      first = false;
      last = now;
      events += found;
    }
    if (buf.size() >= terminator.size() && std::string_view(buf).ends_with(terminator)) break;
  }
  if (!buf.starts_with("HTTP/1.1 200")) co_return 0;
  co_return events;
}

// Connects `s` to the server and sends `request`; false (counted as a failure) when either fails.
asio::awaitable<bool> send_request(tcp::socket& s, std::uint16_t port, const std::string& request,
                                   client_stats& st) {
  auto [ec] = co_await s.async_connect({asio::ip::make_address("127.0.0.1"), port},
                                       asio::as_tuple(asio::use_awaitable));
  if (!ec)
    std::tie(ec, std::ignore) =
        co_await asio::async_write(s, asio::buffer(request), asio::as_tuple(asio::use_awaitable));
  if (ec) ++st.failures;
  co_return !ec;
}

// Spawns the clients make(0) … make(n - 1) and runs them all to their end; the seconds it took.
template <class Make>
double run_clients(asio::io_context& ioc, std::size_t n, Make make) {
  const auto start = clock_type::now();
  for (std::size_t i = 0; i < n; ++i) asio::co_spawn(ioc, make(i), asio::detached);
  ioc.run();
  ioc.restart();
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

// Phase 1: opens an idle stream, waits for its first event, then holds it until `release` is cancelled.
asio::awaitable<void> idle_stream(std::uint16_t port, std::string request, client_stats& st,
                                  asio::steady_timer& release) {
  tcp::socket s(co_await asio::this_coro::executor);
  if (!co_await send_request(s, port, request, st)) co_return;
  std::string got;
  char chunk[2048];
  // The head and the first frames (stream_options, thread.created, the user message, item.added).
  while (count_events(got) < 4) {
    auto [rec, n] = co_await s.async_read_some(asio::buffer(chunk), asio::as_tuple(asio::use_awaitable));
    if (rec) {
      ++st.failures;
      co_return;
    }
    got.append(chunk, n);
  }
  if (!got.starts_with("HTTP/1.1 200")) {
    ++st.failures;
    co_return;
  }
  ++st.started;
  got = {};
  co_await release.async_wait(asio::as_tuple(asio::use_awaitable));
  boost::system::error_code ignored;
  s.close(ignored);
}

// Phase 2: one slow stream; the gaps between its events.
asio::awaitable<void> active_stream(std::uint16_t port, std::string request, std::size_t expect,
                                    client_stats& st) {
  tcp::socket s(co_await asio::this_coro::executor);
  if (!co_await send_request(s, port, request, st)) co_return;
  std::string buf;
  const std::size_t n = co_await read_stream(s, buf, &st.gaps_ms);
  if (n != expect) {
    ++st.failures;
    co_return;
  }
  ++st.finished;
  st.events += n;
}

// Phase 3: one keep-alive client sending `stream 100` until `until`.
asio::awaitable<void> load_client(std::uint16_t port, unsigned seed, clock_type::time_point until,
                                  client_stats& st) {
  tcp::socket s(co_await asio::this_coro::executor);
  auto [ec] = co_await s.async_connect({asio::ip::make_address("127.0.0.1"), port},
                                       asio::as_tuple(asio::use_awaitable));
  if (ec) {
    ++st.failures;
    co_return;
  }
  std::string buf;
  unsigned user = seed;
  while (clock_type::now() < until) {
    user = (user * 1103515245u + 12345u) % 1000u;
    const std::string request = post("stream 100", "u" + std::to_string(user));
    const auto start = clock_type::now();
    auto [wec, w] = co_await asio::async_write(s, asio::buffer(request), asio::as_tuple(asio::use_awaitable));
    const std::size_t n = wec ? 0 : co_await read_stream(s, buf, nullptr);
    if (n != 108) {  // stream_options, thread.created/updated, 2 item.done, item.added, part added/done, 100
                     // deltas
      ++st.failures;
      co_return;
    }
    st.response_ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - start).count());
    ++st.finished;
    st.events += n;
  }
}

}  // namespace

int main(int argc, char** argv) {
  auto arg = [&](int i, std::size_t def) {
    return argc > i ? static_cast<std::size_t>(std::stoul(argv[i])) : def;
  };
  const std::size_t idle_n = arg(1, 10'000);
  const std::size_t active_n = arg(2, 1'000);
  const std::size_t interval_ms = arg(3, 20);
  const std::size_t active_deltas = arg(4, 100);
  const std::size_t load_seconds = arg(5, 5);

  raise_fd_limit();
  if (fd_limit() < idle_n + 100) {
    std::fprintf(
        stderr,
        "bench_streams: the open-file limit is %zu; %zu idle streams need %zu descriptors per process "
        "(raise the hard limit: ulimit -Hn, or /etc/security/limits.conf)\n",
        fd_limit(), idle_n, idle_n + 100);
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);
  int port_pipe[2], stop_pipe[2];
  if (pipe(port_pipe) != 0 || pipe(stop_pipe) != 0) return 2;
  const pid_t child = fork();
  if (child == 0) {
    close(port_pipe[0]);
    close(stop_pipe[1]);
    serve(port_pipe[1], stop_pipe[0]);
  }
  close(port_pipe[1]);
  close(stop_pipe[0]);
  std::uint16_t port = 0;
  if (read(port_pipe[0], &port, sizeof port) != sizeof port) return 2;
  pin_to_cpu(1);

  std::printf(
      "chatkit streams benchmark: server pid %d (1 worker thread, pinned to CPU 0), clients on CPU 1, "
      "descriptor limit %zu\n",
      static_cast<int>(child), fd_limit());
  asio::io_context ioc(1);

  // Warm-up: a few streams, so that the allocator and the store have their first pages.
  {
    client_stats warm;
    run_clients(ioc, 50, [&](std::size_t i) {
      return active_stream(port, post("slow 5 1", "warm" + std::to_string(i)), 11, warm);
    });
  }

  // ---- 1. idle streams ----
  {
    const long before = status_kb(child);
    client_stats st;
    asio::steady_timer release(ioc, clock_type::time_point::max());
    const auto start = clock_type::now();
    // Opened in waves of 500, so that the listen backlog never overflows.
    std::size_t opened = 0;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          asio::steady_timer poll(ioc);
          while (opened < idle_n) {
            const std::size_t wave = std::min<std::size_t>(500, idle_n - opened);
            for (std::size_t i = 0; i < wave; ++i, ++opened)
              asio::co_spawn(
                  ioc, idle_stream(port, post("idle", "u" + std::to_string(opened % 1000)), st, release),
                  asio::detached);
            while (st.started + st.failures < opened) {
              poll.expires_after(std::chrono::milliseconds(5));
              co_await poll.async_wait(asio::use_awaitable);
            }
          }
          const double secs = std::chrono::duration<double>(clock_type::now() - start).count();
          poll.expires_after(std::chrono::milliseconds(500));  // let the server settle
          co_await poll.async_wait(asio::use_awaitable);
          const long with = status_kb(child);
          std::printf(
              "idle streams: %zu open (%zu failed) in %.1f s; server RSS %ld MB before, %ld MB with them "
              "open: %.1f KB per idle stream\n",
              st.started, st.failures, secs, before / 1024, with / 1024,
              st.started ? static_cast<double>(with - before) / static_cast<double>(st.started) : 0.0);
          release.cancel();
        },
        asio::detached);
    ioc.run();
    ioc.restart();
  }

  // ---- 2. active streams ----
  {
    // The server first cancels the idle streams (each persists its cancellation): wait until it is quiet.
    wait_until_quiet(child);
    client_stats st;
    const std::string text = "slow " + std::to_string(active_deltas) + " " + std::to_string(interval_ms);
    const std::size_t expect =
        active_deltas + 6;  // + stream_options, thread.created/updated, 2 item.done, item.added
    const double secs = run_clients(ioc, active_n, [&](std::size_t i) {
      return active_stream(port, post(text, "u" + std::to_string(i % 1000)), expect, st);
    });
    std::vector<double> late;
    late.reserve(st.gaps_ms.size());
    for (double g : st.gaps_ms) late.push_back(std::max(0.0, g - static_cast<double>(interval_ms)));
    std::printf(
        "active streams: %zu at once (%zu failed), a delta every %zu ms: %.0f events/s; gap between "
        "events p50 %.1f ms, p99 %.1f ms, max %.1f ms (lateness p99 %.1f ms)\n",
        st.finished, st.failures, interval_ms, static_cast<double>(st.events) / secs,
        percentile(st.gaps_ms, 0.5), percentile(st.gaps_ms, 0.99), percentile(st.gaps_ms, 1.0),
        percentile(late, 0.99));
  }

  // ---- 3. stream latency under load ----
  for (std::size_t clients : {std::size_t{100}, std::size_t{1000}}) {
    client_stats st;
    const auto until = clock_type::now() + std::chrono::seconds(load_seconds);
    const double secs = run_clients(
        ioc, clients, [&](std::size_t i) { return load_client(port, static_cast<unsigned>(i), until, st); });
    std::printf(
        "stream 100 with %4zu keep-alive connections: %.0f req/s, %.0f events/s, response p50 %.1f ms, "
        "p99 %.1f ms (%zu failed)\n",
        clients, static_cast<double>(st.finished) / secs, static_cast<double>(st.events) / secs,
        percentile(st.response_ms, 0.5), percentile(st.response_ms, 0.99), st.failures);
  }
  std::printf("server peak RSS: %ld MB; load average %s", status_kb(child, "VmHWM:") / 1024, [] {
    static char buf[64] = {};
    std::FILE* f = std::fopen("/proc/loadavg", "r");
    if (f) {
      if (!std::fgets(buf, sizeof buf, f)) buf[0] = 0;
      std::fclose(f);
    }
    return buf;
  }());
  close(stop_pipe[1]);
  int status = 0;
  waitpid(child, &status, 0);
  return 0;
}
