// bench_task_bot [turns] [streams] — figures for the task bot (docs/benchmarks.md, "Task bot"), not asserted:
//  1. chat turns with one tool call through the demo model ("add a task to ..."), one after another, with
//     one server thread: turns/s, p50 and p99 latency;
//  2. dashboard fan-out: `streams` open /api/tasks/events streams of one user, one task created over REST;
//     time until each stream has the task.created frame (p50, p99, max) and resident memory per idle stream
//     (both ends are in this process, so the figure covers the client sockets too).
#include "task_bot_app.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

namespace {

std::string request(const std::string& method, const std::string& target, const std::string& body,
                    const std::string& token) {
  std::string r = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!token.empty()) r += "Authorization: Bearer " + token + "\r\n";
  r += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return r;
}

std::string call(std::uint16_t port, const std::string& method, const std::string& target,
                 const std::string& body = {}, const std::string& token = {}) {
  asio::io_context ioc;
  tcp::socket s(ioc);
  s.connect({asio::ip::make_address("127.0.0.1"), port});
  asio::write(s, asio::buffer(request(method, target, body, token)));
  std::string out;
  boost::system::error_code ec;
  asio::read(s, asio::dynamic_buffer(out), ec);
  return out;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

long rss_kb() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return 0;
}

task_bot::task_bot_config config(unsigned threads) {
  task_bot::task_bot_config c;
  c.port = 0;
  c.store = "memory";
  c.jwt_secret = "bench-secret";
  c.demo = true;
  c.demo_model = true;
  c.threads = threads;
  return c;
}

std::string sign_in(std::uint16_t port, const std::string& name) {
  const auto r = call(port, "POST", "/api/auth/demo-login", R"({"name":")" + name + R"("})");
  return std::string(boost::json::parse(r.substr(r.find("\r\n\r\n") + 4)).at("token").as_string());
}

void chat_turns(int turns) {
  task_bot::task_bot_app app(config(1));
  app.start();
  const auto token = sign_in(app.port(), "bench");
  std::vector<double> ms;
  const auto start = clock_type::now();
  for (int i = 0; i < turns; ++i) {
    const auto t0 = clock_type::now();
    const auto r = call(
        app.port(), "POST", "/chatkit",
        R"({"type":"threads.create","params":{"input":{"content":[{"type":"input_text","text":"add a task to buy milk )" +
            std::to_string(i) + R"("}],"attachments":[],"inference_options":{}}}})",
        token);
    if (r.find("Added") == std::string::npos) {
      std::fprintf(stderr, "bench_task_bot: unexpected chat answer\n%s\n", r.c_str());
      std::exit(1);
    }
    ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - t0).count());
  }
  const double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  std::printf(
      "chat turn (one tool call, demo model, 1 server thread): %d turns, %.1f turns/s, p50 %.2f ms, p99 %.2f "
      "ms\n",
      turns, turns / seconds, percentile(ms, 0.5), percentile(ms, 0.99));
  app.stop();
}

// One event stream reading asynchronously until it has seen `needle`.
struct stream_client {
  explicit stream_client(asio::io_context& ioc) : socket(ioc) {}
  tcp::socket socket;
  std::string received;
  std::array<char, 2048> buf{};
  clock_type::time_point seen{};  // written by the I/O thread before `done` is set
  std::atomic<bool> connected{false};
  std::atomic<bool> done{false};
};

void read_more(stream_client& c, std::atomic<int>* remaining) {
  c.socket.async_read_some(asio::buffer(c.buf), [&c, remaining](boost::system::error_code ec, std::size_t n) {
    if (ec) return;
    c.received.append(c.buf.data(), n);
    if (!c.connected && c.received.find(": connected") != std::string::npos) c.connected = true;
    if (!c.done && c.received.find("task.created") != std::string::npos) {
      c.seen = clock_type::now();
      c.done = true;
      --*remaining;
    }
    read_more(c, remaining);
  });
}

void fan_out(int streams) {
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  setrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_cur < static_cast<rlim_t>(2 * streams + 64)) {
    streams = static_cast<int>((lim.rlim_cur - 64) / 2);
    std::printf("fan-out: the descriptor limit allows %d streams\n", streams);
  }

  task_bot::task_bot_app app(config(2));
  app.start();
  const auto token = sign_in(app.port(), "fan");
  asio::io_context ioc;
  std::vector<std::unique_ptr<stream_client>> clients;
  std::atomic<int> remaining{streams};
  const long before = rss_kb();
  const std::string open = request("GET", "/api/tasks/events", {}, token);
  for (int i = 0; i < streams; ++i) {
    auto c = std::make_unique<stream_client>(ioc);
    c->socket.connect({asio::ip::make_address("127.0.0.1"), app.port()});
    asio::write(c->socket, asio::buffer(open));
    read_more(*c, &remaining);
    clients.push_back(std::move(c));
  }
  std::thread io([&] { ioc.run(); });
  // Wait until every stream is open.
  for (int tries = 0; tries < 2000; ++tries) {
    int open_streams = 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    for (auto& c : clients) open_streams += c->connected ? 1 : 0;
    if (open_streams == streams) break;
  }
  const long idle = rss_kb();
  const auto published = clock_type::now();
  call(app.port(), "POST", "/api/tasks", R"({"title":"fan-out"})", token);
  for (int tries = 0; tries < 1000 && remaining > 0; ++tries)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::vector<double> ms;
  for (auto& c : clients)
    if (c->done) ms.push_back(std::chrono::duration<double, std::milli>(c->seen - published).count());
  std::printf(
      "fan-out: %d streams, %zu got the change: p50 %.2f ms, p99 %.2f ms, max %.2f ms; RSS per idle stream "
      "%.1f KiB\n",
      streams, ms.size(), percentile(ms, 0.5), percentile(ms, 0.99), percentile(ms, 1.0),
      static_cast<double>(idle - before) / streams);
  app.stop();  // ends the streams: the readers see EOF
  for (auto& c : clients) {
    boost::system::error_code ec;
    c->socket.close(ec);
  }
  ioc.stop();
  io.join();
}

}  // namespace

int main(int argc, char** argv) {
  const int turns = argc > 1 ? std::atoi(argv[1]) : 200;
  const int streams = argc > 2 ? std::atoi(argv[2]) : 1000;
  chat_turns(turns);
  fan_out(streams);
  return 0;
}
