// beast_mount.hpp: chatkit::http::serve on a host's own stream. Here the host's stream is a plain
// beast::tcp_stream taken through the type-erased path (mounted<tcp_stream>), so every read and write goes
// through mounted_stream as a TLS stream's would; tests/integration/tls_host_test.cpp does the same over TLS.
#include "server_fixture.hpp"
#include "test_client.hpp"
#include "test_processors.hpp"

#include <chatkit/http/beast_mount.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/read.hpp>

#include <thread>

using namespace chatkit::http;
using namespace chatkit::http::test;
namespace asio = boost::asio;
namespace beast = boost::beast;

namespace {

asio::awaitable<void> mounted_session(asio::ip::tcp::socket s, endpoint& ep) {
  beast::tcp_stream stream(std::move(s));
  beast::flat_buffer buffer;
  for (;;) {
    request_parser parser;
    parser.header_limit(16 * 1024);
    stream.expires_after(std::chrono::seconds(30));
    auto [ec, n] =
        co_await beast::http::async_read_header(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    if (ec || !ep.matches(parser.get())) break;
    if (!co_await serve(ep, parser, stream, buffer)) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
}

}  // namespace

TEST_CASE(
    "beast_mount: serve answers JSON, streams, pipelined requests, refusals and notices a disconnect "
    "through a mounted stream",
    "[beast_mount]") {
  auto proc = std::make_shared<test_processor>();
  endpoint ep(proc, host_endpoint_options());
  host_server host(ep, mounted_session);
  {
    auto c = host.connect();
    auto j = c.request(post("/chatkit", R"({"type":"json","params":{}})", {"X-User-Id: mounted"}));
    CHECK(j.status == 200);
    CHECK(j.body == R"({"ok":true,"user":"mounted"})");
    // A stream, with the next request already sent behind it: its bytes wait in the host's buffer.
    c.write(post("/chatkit", R"({"type":"stream","params":{"n":5}})", {"X-User-Id: mounted"}) +
            post("/chatkit", R"({"type":"json","params":{}})", {"X-User-Id: second"}));
    auto s = c.read_response();
    CHECK(s.header("content-type") == "text/event-stream");
    CHECK(s.frames.size() == 5);
    CHECK(json_of(c.read_response().body).at("user").as_string() == "second");
    CHECK(c.request(post("/chatkit", R"({"type":"json","params":{}})")).status == 401);

    // The disconnect watch reads through the mounted stream.
    auto d = host.connect();
    d.write(post("/chatkit", R"({"type":"hang","params":{}})", {"X-User-Id: mounted"}));
    CHECK(d.read_head().status == 200);
    CHECK(d.next_frame().has_value());
    d.close();
    CHECK(proc->cancelled.wait());
  }
}
