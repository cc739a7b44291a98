// libFuzzer target: the HTTP connection (docs/fuzzing.md#http_connection). One http::server runs in the
// process on 127.0.0.1 with small limits; every input is written as the raw bytes of one client connection
// (request heads, bodies, chunked encoding, pipelined requests, garbage), the client half-closes and reads
// until the server closes. What is exercised: the server's reader (head, body, chunking, limits), the
// endpoint (methods, auth, the processor's JSON and event-stream answers) and the error answers.
// Oracles: no sanitizer report; whatever the server sends starts with an HTTP/1.x status line; the server
// closes the connection within 10 s once the client has sent everything and half-closed (its own timeouts
// are a minute, so only the FIN can have ended the connection).
#include <chatkit/error.hpp>
#include <chatkit/http/server.hpp>
#include <chatkit/protocol/requests.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

namespace {

namespace cs = chatkit::server;

// Stands in for the ChatKit server core: parses the body like it does, answers streaming requests with a
// two-frame event stream and the others with a small JSON body.
class fuzz_processor final : public cs::request_processor {
 public:
  boost::asio::awaitable<cs::process_result> process(std::string body, chatkit::request_context) override {
    chatkit::protocol::read_limits limits;
    limits.max_body_bytes = 4096;
    const auto req = chatkit::protocol::parse_request(body, limits);  // throws chatkit::error → 400/413
    if (!chatkit::protocol::is_streaming(req)) co_return cs::json_response{R"({"ok":true})"};
    co_return cs::event_stream{[](cs::event_sink& sink) -> boost::asio::awaitable<void> {
      co_await sink.write("data: {\"type\":\"progress_update_event\",\"text\":\"1\"}\n\n");
      co_await sink.write("data: {\"type\":\"progress_update_event\",\"text\":\"2\"}\n\n");
    }};
  }
};

struct fixture {
  chatkit::http::server srv;
  fixture()
      : srv(std::make_shared<fuzz_processor>(), [] {
          chatkit::http::server_options o;
          o.address = "127.0.0.1";
          o.threads = 1;
          o.shutdown_grace = std::chrono::milliseconds(0);
          o.endpoint.authenticate = chatkit::http::dev_header_auth("X-User-Id", true);
          o.endpoint.access_log = [](const chatkit::http::access_log_entry&) {};
          auto& l = o.endpoint.limits;
          l.max_body_bytes = 4096;
          l.max_header_bytes = 1024;
          // Every input ends with the client's FIN, which the server must act on at once: read and idle
          // timeouts far above the client's 10 s wait make a connection left open after it a failure.
          l.read_timeout = std::chrono::seconds(60);
          l.idle_timeout = std::chrono::seconds(60);
          l.write_timeout = std::chrono::seconds(5);
          l.stream_buffer_bytes = 256;
          return o;
        }()) {
    srv.start();
  }
};

fixture& the_server() {
  static fixture f;
  return f;
}

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_http_connection: %s (errno %d)\n", what, errno);
  std::abort();
}

// libFuzzer's timeout watchdog is a SIGALRM installed without SA_RESTART, so any of the blocking calls below
// can return EINTR. An interrupted connect() goes on in the background: wait for it and read its outcome
// rather than calling connect() again (which would answer EALREADY).
void connect_to(int fd, const sockaddr_in& addr) {
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) return;
  if (errno != EINTR) fail("connect");
  pollfd p{fd, POLLOUT, 0};
  int ready = 0;
  while ((ready = ::poll(&p, 1, 10'000)) < 0 && errno == EINTR) {
  }
  if (ready <= 0) fail("connect (wait after EINTR)");
  int error = 0;
  socklen_t len = sizeof error;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0 || error != 0) {
    errno = error;
    fail("connect (after EINTR)");
  }
}

ssize_t send_some(int fd, const std::uint8_t* data, std::size_t size) {
  ssize_t n = 0;
  while ((n = ::send(fd, data, size, MSG_NOSIGNAL)) < 0 && errno == EINTR) {
  }
  return n;
}

ssize_t recv_some(int fd, char* buf, std::size_t size) {
  ssize_t n = 0;
  while ((n = ::recv(fd, buf, size, 0)) < 0 && errno == EINTR) {
  }
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 64 * 1024) return 0;  // fits in the loopback socket buffers: the write never blocks
  const std::uint16_t port = the_server().srv.port();

  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) fail("socket");
  timeval tv{10, 0};  // far above any answer; a stall this long means the server kept the connection
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  connect_to(fd, addr);

  // The server may answer and close early (an oversize head, say): a failed write is a normal outcome.
  std::size_t sent = 0;
  while (sent < size) {
    const auto n = send_some(fd, data + sent, size - sent);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);

  std::string received;
  char buf[16 * 1024];
  for (;;) {
    const auto n = recv_some(fd, buf, sizeof buf);
    if (n > 0) {
      received.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) fail("the server did not close the connection");
    break;  // EOF, or a reset after an early error answer
  }
  ::close(fd);

  if (!received.empty() && std::string_view(received).substr(0, 7) != "HTTP/1.") {
    std::fprintf(stderr, "fuzz_http_connection: not an HTTP response: %.80s\n", received.c_str());
    std::abort();
  }
  return 0;
}
