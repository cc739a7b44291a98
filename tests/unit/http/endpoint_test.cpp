// The endpoint mounted in a host's own Beast server (not chatkit::http::server).
#include "test_client.hpp"
#include "test_processors.hpp"

#include <chatkit/http/endpoint.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <thread>

using namespace chatkit::http;
using namespace chatkit::http::test;
namespace asio = boost::asio;
namespace beast = boost::beast;

namespace {

// A minimal host server: its own accept loop and request reading, the ChatKit endpoint for one path.
asio::awaitable<void> host_session(asio::ip::tcp::socket s, endpoint& ep) {
  beast::tcp_stream stream(std::move(s));
  beast::flat_buffer buffer;
  for (;;) {
    request req;
    auto [ec, n] = co_await beast::http::async_read(stream, buffer, req, asio::as_tuple(asio::use_awaitable));
    if (ec) break;
    if (ep.matches(req)) {
      if (!co_await ep.handle(std::move(req), stream, buffer)) break;
      continue;
    }
    response res{beast::http::status::ok, req.version()};
    res.body() = "host page";
    res.prepare_payload();
    co_await beast::http::async_write(stream, res, asio::use_awaitable);
  }
}

asio::awaitable<void> host_accept(asio::ip::tcp::acceptor& acc, endpoint& ep) {
  for (;;) {
    auto [ec, s] = co_await acc.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    asio::co_spawn(acc.get_executor(), host_session(std::move(s), ep), asio::detached);
  }
}

}  // namespace

TEST_CASE("endpoint: mounted in a host's own Beast server", "[endpoint]") {
  auto proc = std::make_shared<test_processor>();
  endpoint_options o;
  o.path = "/api/chatkit";
  o.authenticate = dev_header_auth("X-User-Id", true);
  o.access_log = [](const access_log_entry&) {};
  endpoint ep(proc, o);

  asio::io_context host_ioc;
  asio::ip::tcp::acceptor acc(host_ioc, {asio::ip::make_address("127.0.0.1"), 0});
  asio::co_spawn(host_ioc, host_accept(acc, ep), asio::detached);
  std::thread host([&] { host_ioc.run(); });

  {
    sync_client c(acc.local_endpoint().port());
    auto j = c.request(post("/api/chatkit", R"({"type":"json","params":{}})", {"X-User-Id: hosted"}));
    CHECK(j.status == 200);
    CHECK(j.body == R"({"ok":true,"user":"hosted"})");
    auto s = c.request(post("/api/chatkit", R"({"type":"stream","params":{"n":4}})", {"X-User-Id: hosted"}));
    CHECK(s.header("content-type") == "text/event-stream");
    CHECK(s.frames.size() == 4);
    CHECK(c.request(get("/index.html")).body == "host page");
    CHECK(c.request(post("/api/chatkit", R"({"type":"json","params":{}})")).status == 401);
    CHECK(c.request(get("/api/chatkit")).status == 405);

    // Disconnect detection works on the host's connection too.
    sync_client d(acc.local_endpoint().port());
    d.write(post("/api/chatkit", R"({"type":"hang","params":{}})", {"X-User-Id: hosted"}));
    CHECK(d.read_head().status == 200);
    CHECK(d.next_frame().has_value());
    d.close();
    CHECK(proc->cancelled.wait());
  }
  asio::post(host_ioc, [&] { acc.close(); });
  host_ioc.stop();
  host.join();
}

TEST_CASE("endpoint: options are validated", "[endpoint]") {
  auto proc = std::make_shared<test_processor>();
  CHECK_THROWS_AS(endpoint(proc, endpoint_options{}), std::invalid_argument);  // no authenticate
  endpoint_options o;
  o.authenticate = dev_header_auth("X-User-Id", true);
  CHECK_THROWS_AS(endpoint(nullptr, o), std::invalid_argument);
  o.path = "chatkit";
  CHECK_THROWS_AS(endpoint(proc, o), std::invalid_argument);
  o.path = "/chatkit";
  cors_options bad;
  bad.allowed_origins = {"*"};
  bad.allow_credentials = true;
  o.cors = bad;
  CHECK_THROWS_AS(endpoint(proc, o), std::invalid_argument);
}
