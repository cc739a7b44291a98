// examples/tls_host: the ChatKit endpoint mounted on the TLS streams of a host's own Beast server
// (chatkit/http/beast_mount.hpp). A verifying TLS client (Beast over asio::ssl, trusting only the test's
// freshly made self-signed certificate) streams a threads.create, lists threads on the same connection,
// reaches the host's own route and gets the endpoint's errors, all over TLS on 127.0.0.1.
#include "tls_host.hpp"
#include "echo_bot.hpp"
#include "echo_http.hpp"
#include "openai/scripted_server.hpp"  // make_self_signed_certificate

#include <chatkit/http/auth.hpp>
#include <chatkit/store/memory_store.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {

using tls_stream = asio::ssl::stream<beast::tcp_stream>;

bhttp::request<bhttp::string_body> chatkit_post(const std::string& body, const std::string& user) {
  bhttp::request<bhttp::string_body> req{bhttp::verb::post, "/chatkit", 11};
  req.set(bhttp::field::host, "127.0.0.1");
  req.set(bhttp::field::content_type, "application/json");
  if (!user.empty()) req.set("X-User-Id", user);
  req.body() = body;
  req.prepare_payload();
  return req;
}

asio::awaitable<bhttp::response<bhttp::string_body>> round_trip(tls_stream& s, beast::flat_buffer& buffer,
                                                                bhttp::request<bhttp::string_body> req) {
  co_await bhttp::async_write(s, req, asio::use_awaitable);
  bhttp::response<bhttp::string_body> res;
  co_await bhttp::async_read(s, buffer, res, asio::use_awaitable);
  co_return res;
}

}  // namespace

TEST_CASE("tls_host: a streamed threads.create, JSON and errors over the host's TLS streams",
          "[integration][tls]") {
  const auto id = chatkit::openai::testing::make_self_signed_certificate({"localhost"}, {"127.0.0.1"});
  asio::ssl::context server_tls(asio::ssl::context::tls_server);
  server_tls.use_certificate_chain(asio::buffer(id.cert_pem));
  server_tls.use_private_key(asio::buffer(id.key_pem), asio::ssl::context::pem);

  asio::io_context ioc;
  auto bot = std::make_shared<chatkit::examples::echo_bot>(std::make_shared<chatkit::store::memory_store>());
  chatkit::http::endpoint_options opts;
  opts.authenticate = chatkit::http::dev_header_auth("X-User-Id", /*quiet=*/true);
  opts.access_log = [](const chatkit::http::access_log_entry&) {};
  chatkit::examples::tls_host host(ioc.get_executor(), server_tls, bot, opts);
  host.start();

  bool done = false;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        asio::ssl::context client_tls(asio::ssl::context::tls_client);
        client_tls.add_certificate_authority(asio::buffer(id.cert_pem));  // trusts this certificate only
        client_tls.set_verify_mode(asio::ssl::verify_peer);
        client_tls.set_verify_callback(asio::ssl::host_name_verification("127.0.0.1"));
        tls_stream s(co_await asio::this_coro::executor, client_tls);
        beast::get_lowest_layer(s).expires_after(std::chrono::seconds(30));  // a watchdog, not a measurement
        co_await beast::get_lowest_layer(s).async_connect(
            asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), host.port()), asio::use_awaitable);
        co_await s.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
        beast::flat_buffer buffer;

        // The event stream, chunked, through TLS.
        auto created = co_await round_trip(
            s, buffer, chatkit_post(chatkit::testing::create_body("hello over TLS"), "alice"));
        CHECK(created.result_int() == 200);
        CHECK(created[bhttp::field::content_type] == "text/event-stream");
        CHECK(created.chunked());
        std::vector<std::string> types;
        std::string thread_id;
        for (std::size_t at = 0; at < created.body().size();) {
          auto end = created.body().find("\n\n", at);
          REQUIRE(end != std::string::npos);
          REQUIRE(created.body().compare(at, 6, "data: ") == 0);
          auto ev = boost::json::parse(created.body().substr(at + 6, end - at - 6)).as_object();
          types.emplace_back(ev.at("type").as_string());
          if (types.back() == "thread.created") thread_id = ev.at("thread").at("id").as_string();
          at = end + 2;
        }
        REQUIRE(!types.empty());
        CHECK(types.front() == "thread.created");
        CHECK(!thread_id.empty());
        CHECK(created.body().find("You said: hello over TLS") != std::string::npos);

        // JSON on the same (kept-alive) TLS connection: the stream's thread is stored.
        auto list =
            co_await round_trip(s, buffer, chatkit_post(R"({"type":"threads.list","params":{}})", "alice"));
        CHECK(list.result_int() == 200);
        CHECK(list[bhttp::field::content_type] == "application/json");
        CHECK(boost::json::parse(list.body()).at("data").at(0).at("id").as_string() == thread_id);

        // The host's own route beside the endpoint.
        bhttp::request<bhttp::string_body> hello{bhttp::verb::get, "/hello", 11};
        hello.set(bhttp::field::host, "127.0.0.1");
        auto h = co_await round_trip(s, buffer, hello);
        CHECK(h.result_int() == 200);
        CHECK(h.body() == "hello from the host\n");

        // The endpoint's errors, still over TLS: a wrong method, then no credentials.
        bhttp::request<bhttp::string_body> wrong{bhttp::verb::get, "/chatkit", 11};
        wrong.set(bhttp::field::host, "127.0.0.1");
        auto w = co_await round_trip(s, buffer, wrong);
        CHECK(w.result_int() == 405);
        auto anon =
            co_await round_trip(s, buffer, chatkit_post(R"({"type":"threads.list","params":{}})", ""));
        CHECK(anon.result_int() == 401);
        CHECK(boost::json::parse(anon.body()).at("error").at("type").as_string() == "unauthorized");
        done = true;
        host.stop();
      },
      [&](std::exception_ptr e) {
        host.stop();
        if (e) std::rethrow_exception(e);
      });
  ioc.run_for(std::chrono::seconds(60));  // returns when the client is done and the host's sessions ended
  CHECK(done);
}
