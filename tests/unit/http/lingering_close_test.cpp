// lingering_close: after an answer given before the request was read to the end (413, 401, 415), the
// server stops sending and drains what the client still sends, so an ordinary client that writes its
// whole body before reading gets the status instead of a connection reset. The drain is bounded in bytes
// and in time.
#include "server_fixture.hpp"

#include <boost/asio/co_spawn.hpp>

#include <thread>

using namespace chatkit::http;
using namespace chatkit::http::test;
namespace asio = boost::asio;

namespace {

constexpr std::size_t mib = 1024 * 1024;

// Like a plain HTTP client: writes the head and the whole body, then reads the answer.
full_response write_all_then_read(std::uint16_t port, const std::vector<std::string>& lines,
                                  std::size_t body_size) {
  std::string req = "POST /chatkit HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& l : lines) req += l + "\r\n";
  req += "Content-Length: " + std::to_string(body_size) + "\r\n\r\n";
  req.append(body_size, 'x');
  asio::io_context ioc;
  client c(ioc.get_executor());
  run(ioc, c.connect(port));
  run(ioc, c.write(std::move(req)), std::chrono::seconds(60));
  auto r = run(ioc, c.read_response());
  CHECK(run(ioc, c.peer_closed()));
  return r;
}

}  // namespace

TEST_CASE("lingering_close: a client that writes a 64 MiB body before reading gets the 413",
          "[lingering_close]") {
  server_fixture f;  // default limits: 8 MiB bodies
  auto r = write_all_then_read(f.port(), {"Content-Type: application/json", "X-User-Id: alice"}, 64 * mib);
  CHECK(r.status == 413);
  CHECK(error_type(r) == "payload_too_large");
  CHECK(f.proc->process_calls == 0);
}

TEST_CASE("lingering_close: early 401 and 415 reach a client that writes its body first",
          "[lingering_close]") {
  server_fixture f;
  auto unauthenticated = write_all_then_read(f.port(), {"Content-Type: application/json"}, 4 * mib);
  CHECK(unauthenticated.status == 401);
  auto wrong_type = write_all_then_read(f.port(), {"Content-Type: text/plain", "X-User-Id: alice"}, 4 * mib);
  CHECK(wrong_type.status == 415);
  CHECK(f.proc->process_calls == 0);
}

TEST_CASE("lingering_close: the drain is bounded in bytes", "[lingering_close]") {
  server_fixture f([](server_options& o) { o.endpoint.limits.linger_bytes = 1 * mib; });
  std::string req = post("/chatkit", std::string(64 * mib, 'x'), as_user("alice"));
  asio::io_context ioc;
  client c(ioc.get_executor());
  run(ioc, c.connect(f.port()));
  // The server drains 1 MiB after its 413, then closes: the rest of the 64 MiB cannot be delivered.
  CHECK_THROWS(run(ioc, c.write(std::move(req)), std::chrono::seconds(60)));
}

TEST_CASE("lingering_close: the drain is bounded in time", "[lingering_close]") {
  server_fixture f(
      [](server_options& o) { o.endpoint.limits.linger_timeout = std::chrono::milliseconds(100); });
  auto c = f.connect();
  // A head announcing a body that never comes, without credentials: 401, then the client goes silent
  // and keeps its socket open; the server closes its side when the linger time is over.
  c.write(
      "POST /chatkit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n");
  CHECK(c.read_response().status == 401);
  bool closed = false;
  for (int i = 0; i < 2000 && !closed; ++i) {
    closed = f.srv->connections() == 0;
    if (!closed) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CHECK(closed);
}
