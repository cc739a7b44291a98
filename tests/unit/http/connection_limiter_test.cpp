// connection_limiter: caps on open connections, globally and per client address, answered 503 with
// Retry-After; and an accept loop that survives running out of descriptors.
#include "server_fixture.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <thread>

using namespace chatkit::http;
using namespace chatkit::http::test;
namespace asio = boost::asio;

namespace {

const std::string json_request = post("/chatkit", R"({"type":"json","params":{}})", as_user("alice"));

// Waits (bounded) until the server counts `n` open connections.
bool connections_reach(server& s, std::size_t n) {
  for (int i = 0; i < 2000; ++i) {
    if (s.connections() == n) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

void check_refused(sync_client& c) {
  c.write(json_request);
  auto r = c.read_response();
  CHECK(r.status == 503);
  CHECK(r.header("retry-after") == "1");
  CHECK(r.header("connection") == "close");
  CHECK(error_type(r) == "unavailable");
  CHECK(c.peer_closed());
}

}  // namespace

TEST_CASE("connection_limiter: past max_connections a client gets 503 with Retry-After",
          "[connection_limiter]") {
  server_fixture f([](server_options& o) {
    o.max_connections = 2;
    o.max_connections_per_ip = 0;
  });
  CHECK(f.srv->max_connections() == 2);
  auto a = f.connect();
  auto b = f.connect();
  CHECK(a.request(json_request).status == 200);
  CHECK(b.request(json_request).status == 200);
  auto c = f.connect();
  check_refused(c);
  CHECK(f.srv->connections() == 2);
  // A freed place is taken by the next client.
  a.close();
  REQUIRE(connections_reach(*f.srv, 1));
  auto d = f.connect();
  CHECK(d.request(json_request).status == 200);
  CHECK(f.proc->process_calls == 3);
}

TEST_CASE("connection_limiter: one address cannot take more than max_connections_per_ip",
          "[connection_limiter]") {
  server_fixture f([](server_options& o) {
    o.max_connections = 100;
    o.max_connections_per_ip = 2;
  });
  auto a = f.connect();
  auto b = f.connect();
  CHECK(a.request(json_request).status == 200);
  CHECK(b.request(json_request).status == 200);
  auto c = f.connect();
  check_refused(c);
  // Another client address is not affected.
  sync_client other(f.port(), "127.0.0.2");
  CHECK(other.request(json_request).status == 200);
  b.close();
  REQUIRE(connections_reach(*f.srv, 2));
  auto d = f.connect();
  CHECK(d.request(json_request).status == 200);
}

TEST_CASE("connection_limiter: the automatic global cap leaves descriptors for the rest of the process",
          "[connection_limiter]") {
  rlimit lim{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &lim) == 0);
  server_fixture f;
  if (lim.rlim_cur != RLIM_INFINITY) CHECK(f.srv->max_connections() == lim.rlim_cur / 4 * 3);
  CHECK(f.srv->max_connections() > 0);
}

TEST_CASE("connection_limiter: out of descriptors, accept backs off and serves the client once one is free",
          "[connection_limiter][emfile]") {
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
  // The sanitizers' runtime needs descriptors of its own (it probes memory through a pipe for its checks of
  // virtual calls): with none left it reports errors that are not there. The release run covers this case.
  WARN("skipped under sanitizers");
  return;
#endif
#endif
  server_fixture f([](server_options& o) { o.max_connections = 1000; });
  asio::io_context ioc;
  client c(ioc.get_executor());  // its reactor descriptors exist before the process runs out

  rlimit original{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &original) == 0);
  std::vector<int> fillers;
  struct restore {
    rlimit lim;
    std::vector<int>& fds;
    ~restore() {
      for (int fd : fds) ::close(fd);
      setrlimit(RLIMIT_NOFILE, &lim);
    }
  } guard{original, fillers};

  int highest = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd"))
    highest = std::max(highest, std::stoi(e.path().filename().string()));
  rlimit low = original;
  low.rlim_cur = static_cast<rlim_t>(highest + 16);
  REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
  // Every descriptor below the limit taken: the next accept() fails with EMFILE.
  for (;;) {
    int fd = ::open("/dev/null", O_RDONLY);
    if (fd < 0) break;
    fillers.push_back(fd);
  }
  REQUIRE(errno == EMFILE);
  REQUIRE(!fillers.empty());
  // One descriptor for the client's socket; none left for the server's accept.
  ::close(fillers.back());
  fillers.pop_back();
  run(ioc, c.connect(f.port()));
  run(ioc, c.write(json_request));
  // Give the accept loop time to fail (and back off) a few times; nothing asserts on this duration.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(f.srv->connections() == 0);
  // A descriptor comes free: the next retry accepts the waiting client and answers it.
  ::close(fillers.back());
  fillers.pop_back();
  auto r = run(ioc, c.read_response());
  CHECK(r.status == 200);
  c.close();
}
