// request_reader: every byte a connection buffers counts against a limit — the head, chunk-size lines with
// their extensions, trailers and the body. Past one the client gets 413/431 and the connection closes,
// long before a client sending 64 MiB has finished: nothing it sends is accumulated.
#include "server_fixture.hpp"

#include <boost/asio/co_spawn.hpp>

#include <functional>
#include <sstream>

using namespace chatkit::http;
using namespace chatkit::http::test;
namespace asio = boost::asio;

namespace {

constexpr std::size_t mib = 1024 * 1024;

struct race {
  full_response answer;
  std::size_t sent_at_answer = 0;  // bytes of the request written when the answer arrived
  bool closed = false;             // the server closed the connection after its answer
};

// Writes `head`, then `pieces` pieces from `piece(i)` of 64 KiB, and meanwhile reads the answer. The
// writer stops once the answer is in (or the server stopped reading and closed).
race send_while_reading(std::uint16_t port, const std::string& head, std::size_t pieces,
                        const std::function<std::string(std::size_t)>& piece) {
  asio::io_context ioc;
  client c(ioc.get_executor());
  race result;
  bool answered = false;
  std::size_t sent = 0;
  run(ioc, c.connect(port));
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        co_await c.write(head);
        for (std::size_t i = 0; i < pieces && !answered; ++i) {
          auto p = piece(i);
          co_await c.write(p);
          sent += p.size();
        }
      },
      [](std::exception_ptr) {});  // a reset once the server closed is expected
  run(ioc, [&]() -> asio::awaitable<void> {
    result.answer = co_await c.read_response();
    answered = true;
    result.sent_at_answer = sent;
    result.closed = co_await c.peer_closed();
  }());
  c.close();
  return result;
}

const std::string chatkit_head =
    "POST /chatkit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-User-Id: alice\r\n";

}  // namespace

TEST_CASE("request_reader: a 64 MiB chunk extension is refused after the head limit, not buffered",
          "[request_reader][limits]") {
  server_fixture f([](server_options& o) { o.endpoint.limits.read_timeout = std::chrono::seconds(5); });
  const std::size_t pieces = 64 * mib / (64 * 1024);
  auto r = send_while_reading(f.port(), chatkit_head + "Transfer-Encoding: chunked\r\n\r\n1;ext=", pieces,
                              [](std::size_t) { return std::string(64 * 1024, 'a'); });
  CHECK(r.answer.status == 413);
  CHECK(error_type(r.answer) == "payload_too_large");
  CHECK(r.answer.header("connection") == "close");
  CHECK(r.sent_at_answer < 64 * mib);
  CHECK(r.closed);
  CHECK(f.proc->process_calls == 0);
  // The server is fine afterwards.
  auto c = f.connect();
  CHECK(c.request(post("/chatkit", R"({"type":"json","params":{}})", as_user("bob"))).status == 200);
}

TEST_CASE("request_reader: 64 MiB of trailers are refused too", "[request_reader][limits]") {
  server_fixture f([](server_options& o) { o.endpoint.limits.read_timeout = std::chrono::seconds(5); });
  const std::string body = R"({"type":"json","params":{}})";
  std::ostringstream chunk;
  chunk << std::hex << body.size() << "\r\n" << body << "\r\n0\r\nX-Trailer: ";
  auto r =
      send_while_reading(f.port(), chatkit_head + "Transfer-Encoding: chunked\r\n\r\n" + chunk.str(),
                         64 * mib / (64 * 1024), [](std::size_t) { return std::string(64 * 1024, 't'); });
  CHECK(r.answer.status == 413);
  CHECK(r.sent_at_answer < 64 * mib);
  CHECK(r.closed);
  CHECK(f.proc->process_calls == 0);
}

TEST_CASE("request_reader: a 64 MiB request head is refused at the head limit", "[request_reader][limits]") {
  server_fixture f([](server_options& o) { o.endpoint.limits.read_timeout = std::chrono::seconds(5); });
  auto r = send_while_reading(f.port(), chatkit_head + "X-Pad: ", 64 * mib / (64 * 1024),
                              [](std::size_t) { return std::string(64 * 1024, 'h'); });
  CHECK(r.answer.status == 431);
  CHECK(error_type(r.answer) == "headers_too_large");
  CHECK(r.sent_at_answer < 64 * mib);
  CHECK(r.closed);
}

TEST_CASE("request_reader: well-formed chunks past max_body_bytes are refused while they arrive",
          "[request_reader][limits]") {
  server_fixture f([](server_options& o) {
    o.endpoint.limits.max_body_bytes = 1 * mib;
    o.endpoint.limits.read_timeout = std::chrono::seconds(5);
  });
  // 64 MiB of 64 KiB chunks: each chunk is fine, their sum is not.
  auto r = send_while_reading(f.port(), chatkit_head + "Transfer-Encoding: chunked\r\n\r\n",
                              64 * mib / (64 * 1024),
                              [](std::size_t) { return "10000\r\n" + std::string(64 * 1024, 'x') + "\r\n"; });
  CHECK(r.answer.status == 413);
  CHECK(error_message(r.answer) == "request body too large");
  CHECK(r.sent_at_answer < 64 * mib);
  CHECK(r.closed);
  CHECK(f.proc->process_calls == 0);
}

TEST_CASE("request_reader: pipelined requests beyond the read buffer are still served in order",
          "[request_reader][limits]") {
  // The read buffer is capped at max_header_bytes; 40 pipelined requests (about 5 KiB each) exceed it
  // many times over and are read piece by piece.
  server_fixture f([](server_options& o) { o.endpoint.limits.max_header_bytes = 4096; });
  auto c = f.connect();
  std::string all;
  for (int i = 0; i < 40; ++i)
    all += post("/chatkit", R"({"type":"json","params":{"pad":")" + std::string(5000, 'p') + "\"}}",
                as_user("u" + std::to_string(i)));
  c.write(all);
  for (int i = 0; i < 40; ++i) {
    auto r = c.read_response();
    REQUIRE(r.status == 200);
    CHECK(json_of(r.body).at("user").as_string() == "u" + std::to_string(i));
  }
}
