// asio/detail/https_get.hpp: URL parsing, the loopback rule for http://, and real fetches from a TLS server
// on 127.0.0.1 whose certificate is made here: trusted through extra_ca_pem it serves; untrusted, or for
// another address, the handshake fails with the certificate's reason; a large answer and a silent server fail
// clearly.
#include "asio/detail/https_get.hpp"

#include "support/run_sync.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <thread>

namespace asio = boost::asio;
using chatkit::detail::https_get;
using chatkit::detail::https_get_error;
using chatkit::detail::https_get_options;
using chatkit::testing::run_sync;

namespace {

// A self-signed certificate for `san` (e.g. "IP:127.0.0.1") and its key, as PEM.
struct test_cert {
  std::string cert_pem, key_pem;
};

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

test_cert make_cert(const char* san) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"),
                                                          &EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> x(X509_new(), &X509_free);
  REQUIRE((key && x));
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), 3600);
  X509_set_pubkey(x.get(), key.get());
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("chatkit test"),
                             -1, -1, 0);
  X509_set_issuer_name(x.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x.get(), x.get(), nullptr, nullptr, 0);
  for (auto [nid, value] :
       {std::pair{NID_subject_alt_name, san}, std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    REQUIRE(ext);
    X509_add_ext(x.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  REQUIRE(X509_sign(x.get(), key.get(), EVP_sha256()) > 0);
  std::unique_ptr<BIO, decltype(&BIO_free)> cb(BIO_new(BIO_s_mem()), &BIO_free),
      kb(BIO_new(BIO_s_mem()), &BIO_free);
  PEM_write_bio_X509(cb.get(), x.get());
  PEM_write_bio_PrivateKey(kb.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return {bio_text(cb.get()), bio_text(kb.get())};
}

// A TLS server on 127.0.0.1 answering every request with `body`; with `silent` it accepts and never answers.
class tls_server {
 public:
  tls_server(const test_cert& cert, std::string body, bool silent = false)
      : ssl_(asio::ssl::context::tls_server),
        acceptor_(ioc_, {asio::ip::make_address("127.0.0.1"), 0}),
        body_(std::move(body)),
        silent_(silent) {
    ssl_.use_certificate_chain(asio::buffer(cert.cert_pem));
    ssl_.use_private_key(asio::buffer(cert.key_pem), asio::ssl::context::pem);
    asio::co_spawn(ioc_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~tls_server() {
    ioc_.stop();
    thread_.join();
  }
  std::string url(const std::string& host = "127.0.0.1") const {
    return "https://" + host + ":" + std::to_string(acceptor_.local_endpoint().port()) + "/jwks";
  }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, sock] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      asio::co_spawn(ioc_, serve(std::move(sock)), asio::detached);
    }
  }
  asio::awaitable<void> serve(asio::ip::tcp::socket sock) {
    constexpr auto tuple = asio::as_tuple(asio::use_awaitable);
    asio::ssl::stream<asio::ip::tcp::socket> s(std::move(sock), ssl_);
    auto [hec] = co_await s.async_handshake(asio::ssl::stream_base::server, tuple);
    if (hec) co_return;
    boost::beast::flat_buffer buffer;
    boost::beast::http::request<boost::beast::http::string_body> req;
    auto [rec, rn] = co_await boost::beast::http::async_read(s, buffer, req, tuple);
    (void)rn;
    if (rec) co_return;
    if (silent_) {
      asio::steady_timer t(ioc_, std::chrono::seconds(30));
      co_await t.async_wait(tuple);
      co_return;
    }
    const std::string res =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCache-Control: max-age=60\r\n"
        "Content-Length: " +
        std::to_string(body_.size()) + "\r\nConnection: close\r\n\r\n" + body_;
    auto [wec, wn] = co_await asio::async_write(s, asio::buffer(res), tuple);
    (void)wec;
    (void)wn;
    co_await s.async_shutdown(tuple);
  }

  asio::io_context ioc_;
  asio::ssl::context ssl_;
  asio::ip::tcp::acceptor acceptor_;
  std::string body_;
  bool silent_;
  std::thread thread_;
};

chatkit::detail::https_get_response get(const std::string& url, https_get_options o) {
  asio::io_context ioc;
  return run_sync(ioc, https_get(url, std::move(o)));
}

}  // namespace

TEST_CASE("https_get: URLs", "[asio][https_get]") {
  std::string error;
  auto u = chatkit::detail::parse_https_url("https://idp.example.com/.well-known/jwks.json?x=1", error);
  REQUIRE(u);
  CHECK(u->tls);
  CHECK(u->host == "idp.example.com");
  CHECK(u->port == "443");
  CHECK(u->target == "/.well-known/jwks.json?x=1");
  u = chatkit::detail::parse_https_url("HTTP://[::1]:8080", error);
  REQUIRE(u);
  CHECK_FALSE(u->tls);
  CHECK(u->host == "::1");
  CHECK(u->port == "8080");
  CHECK(u->target == "/");
  for (const char* bad : {"ftp://x/", "https://", "https://user:pw@x/", "https://x:0/", "https://x:99999/",
                          "https://x:8a/", "https://[::1/"}) {
    INFO(bad);
    CHECK_FALSE(chatkit::detail::parse_https_url(bad, error));
    CHECK_FALSE(error.empty());
  }
  CHECK(chatkit::detail::is_loopback_host("localhost"));
  CHECK(chatkit::detail::is_loopback_host("127.0.0.9"));
  CHECK(chatkit::detail::is_loopback_host("::1"));
  CHECK_FALSE(chatkit::detail::is_loopback_host("10.0.0.1"));
  CHECK_FALSE(chatkit::detail::is_loopback_host("localhost.example.com"));
  CHECK_THROWS_WITH(get("http://idp.example.com/jwks", {}),
                    Catch::Contains("only allowed for loopback hosts"));
}

TEST_CASE("https_get: certificates and host names are verified", "[asio][https_get]") {
  const auto cert = make_cert("IP:127.0.0.1");
  tls_server srv(cert, R"({"keys":[]})");
  https_get_options trusted;
  trusted.extra_ca_pem = cert.cert_pem;
  trusted.use_system_ca_store = false;
  auto r = get(srv.url(), trusted);
  CHECK(r.status == 200);
  CHECK(r.body == R"({"keys":[]})");
  CHECK(r.header("cache-control") == "max-age=60");
  // Not trusted: the handshake fails and says why.
  CHECK_THROWS_WITH(get(srv.url(), {}), Catch::Contains("TLS handshake") && Catch::Contains("certificate"));
  // Trusted, but issued for another address than the one asked for.
  const auto other = make_cert("DNS:idp.example.com");
  tls_server wrong(other, "{}");
  https_get_options trusts_other;
  trusts_other.extra_ca_pem = other.cert_pem;
  CHECK_THROWS_WITH(get(wrong.url(), trusts_other), Catch::Contains("TLS handshake"));
}

TEST_CASE("https_get: a large answer and a silent server fail with their reason", "[asio][https_get]") {
  const auto cert = make_cert("IP:127.0.0.1");
  https_get_options o;
  o.extra_ca_pem = cert.cert_pem;
  o.max_body_bytes = 1000;
  {
    tls_server srv(cert, std::string(5000, 'x'));
    CHECK_THROWS_WITH(get(srv.url(), o), Catch::Contains("larger than 1000 bytes"));
  }
  {
    tls_server srv(cert, "{}", /*silent=*/true);
    o.timeout = std::chrono::milliseconds(300);
    CHECK_THROWS_WITH(get(srv.url(), o), Catch::Contains("timed out"));
  }
}
