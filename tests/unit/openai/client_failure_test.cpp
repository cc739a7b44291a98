// Failure paths over real sockets: retries (T4 family), timeouts, cancellation, refused connections,
// TLS verification failures and the CONNECT proxy path.
#include "client_support.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

using namespace chatkit::openai;
using namespace chatkit::openai::test;
using namespace std::chrono_literals;
using chatkit::openai::testing::ending;
using chatkit::openai::testing::exchange;
using chatkit::openai::testing::scripted_server;
using chatkit::openai::testing::server_options;
using chatkit::openai::testing::write_plan;

namespace {

const std::string server_error_body =
    R"({"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null})"
    "}";

struct retry_log {
  std::vector<retry_info> retries;
  void attach(client_options& o) {
    o.on_retry = [this](const retry_info& r) { retries.push_back(r); };
  }
};

}  // namespace

TEST_CASE("retries: T4 429 then success", "[openai][retry][client]") {
  scripted_server server;
  server.add(
      exchange::json(429, fixture("T4_429.json"), {{"retry-after-ms", "50"}, {"x-request-id", "req_t4a"}}));
  server.add(exchange::sse(fixture("T1_text.sse"), "req_t4b"));
  net::io_context ioc;
  auto o = client_options_for(server);
  retry_log log;
  log.attach(o);
  client c(ioc.get_executor(), o);
  auto r = run_sync(ioc, collect(c, hello_request()));
  REQUIRE_FALSE(r.error);
  CHECK(r.final.output_text() == "Hello, world!");
  CHECK(r.request_id == "req_t4b");
  REQUIRE(log.retries.size() == 1);
  CHECK(log.retries[0].delay == 50ms);
  CHECK(log.retries[0].status == 429);
  auto reqs = server.requests();
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[0].body == reqs[1].body);
  CHECK(reqs[1].received - reqs[0].received >= 50ms);
}

TEST_CASE("retries: T4b retry-after over 120 s is not retried", "[openai][retry][client]") {
  scripted_server server;
  server.add(exchange::json(429, fixture("T4_429.json"),
                            {{"retry-after-ms", "200000"}, {"x-request-id", "req_t4a"}}));
  auto r = stream_from(server);
  REQUIRE(r.error);
  CHECK(r.error->kind() == errc::rate_limit);
  CHECK(r.error->status() == 429);
  CHECK(r.error->error_code() == "rate_limit_exceeded");
  CHECK(r.error->type() == "requests");
  CHECK(r.error->message() == "Rate limit reached for requests");
  CHECK(r.error->request_id() == "req_t4a");
  CHECK(server.requests().size() == 1);
}

TEST_CASE("retries: T4c three 500s with max_retries=2", "[openai][retry][client]") {
  scripted_server server;
  for (int i = 0; i < 3; ++i)
    server.add(exchange::json(500, server_error_body, {{"x-request-id", "req_500_" + std::to_string(i)}}));
  net::io_context ioc;
  auto o = client_options_for(server);
  o.jitter = [] { return 1.0; };  // the shortest backoff: 0.375 s, 0.75 s
  retry_log log;
  log.attach(o);
  client c(ioc.get_executor(), o);
  auto r = run_sync(ioc, collect(c, hello_request()));
  REQUIRE(r.error);
  CHECK(r.error->kind() == errc::internal_server);
  CHECK(r.error->request_id() == "req_500_2");
  CHECK(server.requests().size() == 3);
  REQUIRE(log.retries.size() == 2);
  CHECK(log.retries[0].delay == 375ms);
  CHECK(log.retries[1].delay == 750ms);
}

TEST_CASE("retries: T4d x-should-retry overrides the status rule", "[openai][retry][client]") {
  {
    scripted_server server;
    server.add(
        exchange::json(400, server_error_body, {{"x-should-retry", "true"}, {"retry-after-ms", "10"}}));
    server.add(exchange::sse(fixture("T1_text.sse"), "req_ok"));
    net::io_context ioc;
    client c(ioc.get_executor(), client_options_for(server));
    auto r = run_sync(ioc, collect(c, hello_request()));
    REQUIRE_FALSE(r.error);
    CHECK(server.requests().size() == 2);
  }
  {
    scripted_server server;
    server.add(exchange::json(500, server_error_body, {{"x-should-retry", "false"}}));
    auto r = stream_from(server);
    REQUIRE(r.error);
    CHECK(r.error->kind() == errc::internal_server);
    CHECK(server.requests().size() == 1);
  }
}

TEST_CASE("retries: T4e 401 is an authentication error, not retried", "[openai][retry][client]") {
  scripted_server server;
  server.add(exchange::json(
      401,
      R"({"error":{"message":"Incorrect API key provided.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}})",
      {{"x-request-id", "req_t4e"}}));
  auto r = stream_from(server);
  REQUIRE(r.error);
  CHECK(r.error->kind() == errc::authentication);
  CHECK(r.error->error_code() == "invalid_api_key");
  CHECK(r.error->request_id() == "req_t4e");
  CHECK_FALSE(r.error->details().headers.empty());
  CHECK(server.requests().size() == 1);
}

TEST_CASE("retries: a stream that failed after its head is never retried", "[openai][retry][client]") {
  scripted_server server;
  auto x = exchange::sse(fixture("T6_truncated.sse"), "req_t6");
  x.end = ending::abort;
  server.add(x);
  server.add(exchange::sse(fixture("T1_text.sse"), "req_never"));
  auto r = stream_from(server);
  REQUIRE(r.error);
  CHECK(r.error->kind() == errc::stream_truncated);
  CHECK(server.requests().size() == 1);
}

TEST_CASE("retries: a 500 mid-stream (error event) is final", "[openai][retry][client]") {
  scripted_server server;
  server.add(exchange::sse(fixture("T5_error_mid_stream.sse"), "req_t5", write_plan::split_every(16)));
  server.add(exchange::sse(fixture("T1_text.sse"), "req_never"));
  auto r = stream_from(server);
  CHECK(r.events.size() == 4);
  REQUIRE(r.error);
  CHECK(r.error->kind() == errc::stream_error);
  CHECK(server.requests().size() == 1);
}

TEST_CASE("connection errors: refused, retried, then reported", "[openai][client]") {
  // A port that was just free: nothing listens there.
  std::uint16_t port = 0;
  {
    net::io_context tmp;
    net::ip::tcp::acceptor a(tmp, {net::ip::make_address("127.0.0.1"), 0});
    port = a.local_endpoint().port();
  }
  net::io_context ioc;
  client_options o;
  o.api_key = "k";
  o.base_url = "http://127.0.0.1:" + std::to_string(port) + "/v1";
  o.max_retries = 1;
  o.jitter = [] { return 1.0; };
  retry_log log;
  log.attach(o);
  client c(ioc.get_executor(), o);
  auto r = run_sync(ioc, collect(c, hello_request()));
  REQUIRE(r.error);
  CHECK(r.error->kind() == errc::connection);
  CHECK(r.error->status() == 0);
  CHECK(log.retries.size() == 1);
}

TEST_CASE("timeouts: idle read timeout mid-stream", "[openai][timeout][client]") {
  scripted_server server;
  const auto t1 = fixture("T1_text.sse");
  auto x = exchange::sse(t1.substr(0, t1.find("event: response.output_item.added")), "req_slow");
  x.end = ending::hang;
  server.add(x);
  auto r = stream_from(server, [&](client_options& o) { o.read_timeout = 200ms; });
  CHECK(r.events.size() == 2);
  REQUIRE(r.error);
  CHECK(r.error->kind() == errc::timeout);
  CHECK(r.error->request_id() == "req_slow");
  CHECK(server.wait_for_client_disconnects(1, 5s) == 1);  // the client closed the connection
}

TEST_CASE("timeouts: no response head, every attempt times out", "[openai][timeout][client]") {
  // The kernel completes the TCP handshake for a listening socket nobody accepts on: the request goes
  // out and no answer ever comes.
  net::io_context server_ctx;
  net::ip::tcp::acceptor silent(server_ctx, {net::ip::make_address("127.0.0.1"), 0});
  net::io_context ioc;
  client_options o;
  o.api_key = "k";
  o.base_url = "http://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/v1";
  o.read_timeout = 100ms;
  o.max_retries = 1;
  o.jitter = [] { return 1.0; };
  retry_log log;
  log.attach(o);
  client c(ioc.get_executor(), o);
  auto r = run_sync(ioc, collect(c, hello_request()));
  REQUIRE(r.error);
  CHECK(r.error->kind() == errc::timeout);
  CHECK(log.retries.size() == 1);  // a timeout before the head is retried
}

TEST_CASE("timeouts: a total deadline bounds the whole call", "[openai][timeout][client]") {
  scripted_server server;
  auto x = exchange::sse(fixture("T1_text.sse"), "req_slow", write_plan::per_event().with_pause(100ms));
  server.add(x);
  net::io_context ioc;
  client c(ioc.get_executor(), client_options_for(server));
  request_options ro;
  ro.total_timeout = 250ms;
  auto r = run_sync(ioc, collect(c, hello_request(), ro));
  REQUIRE(r.error);
  CHECK(r.error->kind() == errc::timeout);
  CHECK(r.events.size() < 11);
}

TEST_CASE("cancellation: awaitable operators cancel next() and close the connection",
          "[openai][cancel][client]") {
  using namespace boost::asio::experimental::awaitable_operators;
  scripted_server server;
  server.add(exchange::sse(fixture("T1_text.sse"), "req_c", write_plan::per_event().with_pause(300ms)));
  net::io_context ioc;
  client c(ioc.get_executor(), client_options_for(server));
  auto body = [&]() -> net::awaitable<std::pair<std::size_t, std::optional<errc>>> {
    auto s = co_await c.stream_response(hello_request());
    std::size_t events = 0;
    auto first = co_await s.next();  // response.created arrives at once
    if (first) ++events;
    net::steady_timer timer(co_await net::this_coro::executor, 50ms);
    auto winner = co_await (s.next() || timer.async_wait(net::use_awaitable));
    if (winner.index() == 0) ++events;  // would mean the event was not held back
    std::optional<errc> after;
    try {
      co_await s.next();
    } catch (const api_error& e) {
      after = e.kind();
    }
    co_return std::make_pair(events, after);
  };
  auto [events, after] = run_sync(ioc, body());
  CHECK(events == 1);
  REQUIRE(after);
  CHECK(*after == errc::cancelled);
  CHECK(server.wait_for_client_disconnects(1, 5s) == 1);
}

TEST_CASE("cancellation: a cancellation slot stops the coroutine mid-stream", "[openai][cancel][client]") {
  for (bool emit_while_suspended : {true, false}) {
    INFO("emit while suspended in next(): " << emit_while_suspended);
    scripted_server server;
    server.add(exchange::sse(fixture("T1_text.sse"), "req_c", write_plan::per_event().with_pause(200ms)));
    net::io_context ioc;
    client c(ioc.get_executor(), client_options_for(server));
    net::cancellation_signal signal;
    net::steady_timer emitter(ioc);
    std::size_t events = 0;
    std::optional<boost::system::error_code> code;
    auto consumer = [&]() -> net::awaitable<void> {
      try {
        auto s = co_await c.stream_response(hello_request());
        while (auto e = co_await s.next()) {
          if (++events != 2) continue;
          if (emit_while_suspended) {
            // Fires while the coroutine waits inside next() for the third event.
            emitter.expires_after(50ms);
            emitter.async_wait(
                [&](boost::system::error_code) { signal.emit(net::cancellation_type::terminal); });
          } else {
            signal.emit(net::cancellation_type::terminal);
          }
        }
      } catch (const boost::system::system_error& e) {
        code = e.code();
      }
    };
    std::exception_ptr failure;
    net::co_spawn(ioc, consumer(),
                  net::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr e) { failure = e; }));
    ioc.run();
    CHECK_FALSE(failure);
    CHECK(events == 2);
    REQUIRE(code);
    if (emit_while_suspended) {
      CHECK(*code == errc::cancelled);  // the pending read was aborted inside the client
    } else {
      // Asio's rule: a cancelled coroutine's next co_await throws operation_aborted before starting.
      CHECK(*code == net::error::operation_aborted);
    }
    CHECK(server.wait_for_client_disconnects(1, 5s) == 1);
  }
}

TEST_CASE("cancellation: cancel() from another coroutine", "[openai][cancel][client]") {
  scripted_server server;
  auto x = exchange::sse(fixture("T1_text.sse").substr(0, 400), "req_c");
  x.end = ending::hang;
  server.add(x);
  net::io_context ioc;
  client c(ioc.get_executor(), client_options_for(server));
  auto body = [&]() -> net::awaitable<std::optional<errc>> {
    auto s = co_await c.stream_response(hello_request());
    net::steady_timer timer(co_await net::this_coro::executor, 100ms);
    timer.async_wait([&](boost::system::error_code) { s.cancel(); });
    try {
      while (co_await s.next()) {
      }
    } catch (const api_error& e) {
      co_return e.kind();
    }
    co_return std::nullopt;
  };
  auto kind = run_sync(ioc, body());
  REQUIRE(kind);
  CHECK(*kind == errc::cancelled);
  CHECK(server.wait_for_client_disconnects(1, 5s) == 1);
}

TEST_CASE("TLS: a trusted self-signed server works, keep-alive included", "[openai][tls][client]") {
  auto id = chatkit::openai::testing::make_self_signed_certificate({"localhost"}, {"127.0.0.1"});
  scripted_server server(server_options{id});
  server.add(exchange::sse(fixture("T1_text.sse"), "req_tls"));
  server.add(exchange::sse(fixture("C1_text.sse"), "req_tls2"));
  net::io_context ioc;
  auto o = client_options_for(server);
  o.tls.extra_ca_pem = id.cert_pem;
  client c(ioc.get_executor(), o);
  CHECK(c.base_url().starts_with("https://"));
  auto r = run_sync(ioc, collect(c, hello_request()));
  REQUIRE_FALSE(r.error);
  CHECK(r.final.output_text() == "Hello, world!");
  auto chat = run_sync(ioc, [&]() -> net::awaitable<chat_completion> {
    boost::json::object params;
    params["model"] = "gpt-test";
    auto s = co_await c.stream_chat_completion(std::move(params));
    while (co_await s.next()) {
    }
    co_return s.current();
  }());
  CHECK(chat.choices.at(0).content == "Hello, world!");
  CHECK(server.connections_accepted() == 1);
}

TEST_CASE("TLS: verification failures are connection errors", "[openai][tls][client]") {
  SECTION("untrusted certificate") {
    auto id = chatkit::openai::testing::make_self_signed_certificate({"localhost"}, {"127.0.0.1"});
    scripted_server server(server_options{id});
    server.add(exchange::sse(fixture("T1_text.sse"), "req_tls"));
    auto r = stream_from(server, [&](client_options& o) { o.max_retries = 0; });
    REQUIRE(r.error);
    CHECK(r.error->kind() == errc::connection);
    CHECK(std::string(r.error->what()).find("certificate") != std::string::npos);
    CHECK(server.requests().empty());
  }
  SECTION("wrong hostname") {
    auto id = chatkit::openai::testing::make_self_signed_certificate({"wrong.example"}, {});
    scripted_server server(server_options{id});
    server.add(exchange::sse(fixture("T1_text.sse"), "req_tls"));
    auto r = stream_from(server, [&](client_options& o) {
      o.max_retries = 0;
      o.tls.extra_ca_pem = id.cert_pem;
    });
    REQUIRE(r.error);
    CHECK(r.error->kind() == errc::connection);
    CHECK(std::string(r.error->what()).find("mismatch") != std::string::npos);
    CHECK(server.requests().empty());
  }
  SECTION("the explicitly named test-only switch turns verification off") {
    auto id = chatkit::openai::testing::make_self_signed_certificate({"wrong.example"}, {});
    scripted_server server(server_options{id});
    server.add(exchange::sse(fixture("T1_text.sse"), "req_tls"));
    auto r = stream_from(server, [&](client_options& o) {
      o.tls.danger_disable_certificate_verification_for_tests_only = true;
    });
    REQUIRE_FALSE(r.error);
    CHECK(r.final.output_text() == "Hello, world!");
  }
}

TEST_CASE("proxy: HTTPS through a CONNECT proxy on loopback", "[openai][proxy][client]") {
  auto id = chatkit::openai::testing::make_self_signed_certificate({"localhost"}, {"127.0.0.1"});
  scripted_server server(server_options{id});
  server.add(exchange::sse(fixture("T1_text.sse"), "req_proxy"));
  server.add(exchange::sse(fixture("T2_tool_then_text_2.sse"), "req_proxy2"));
  chatkit::openai::testing::connect_proxy proxy;
  net::io_context ioc;
  auto o = client_options_for(server);
  o.tls.extra_ca_pem = id.cert_pem;
  o.proxy = proxy.url();
  client c(ioc.get_executor(), o);
  auto r = run_sync(ioc, collect(c, hello_request()));
  REQUIRE_FALSE(r.error);
  CHECK(r.final.output_text() == "Hello, world!");
  CHECK(r.request_id == "req_proxy");
  auto r2 = run_sync(ioc, collect(c, hello_request()));
  REQUIRE_FALSE(r2.error);
  CHECK(r2.final.output_text() ==
        "It is 18\xC2\xB0"
        "C in Paris.");
  const auto targets = proxy.connect_targets();
  REQUIRE(targets.size() == 1);  // the tunnel is pooled like any connection
  CHECK(targets[0] == "127.0.0.1:" + std::to_string(server.port()));
  CHECK(server.requests().at(0).header("Authorization") == "Bearer test-key");
}

TEST_CASE("proxy: a proxy that refuses CONNECT is a connection error", "[openai][proxy][client]") {
  auto id = chatkit::openai::testing::make_self_signed_certificate({"localhost"}, {"127.0.0.1"});
  chatkit::openai::testing::connect_proxy proxy;
  net::io_context ioc;
  client_options o;
  o.api_key = "k";
  o.base_url = "https://localhost:1/v1";  // the test proxy only tunnels to 127.0.0.1
  o.proxy = proxy.url();
  o.max_retries = 0;
  client c(ioc.get_executor(), o);
  auto r = run_sync(ioc, collect(c, hello_request()));
  REQUIRE(r.error);
  CHECK(r.error->kind() == errc::connection);
  CHECK(std::string(r.error->what()).find("403") != std::string::npos);
}
