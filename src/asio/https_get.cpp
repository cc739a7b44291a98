// GCC 12 at -O3 misreports Asio's recycled coroutine-frame allocator (operator new paired with its own
// aligned free) as -Wmismatched-new-delete; the pairing is correct.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include "asio/detail/https_get.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>

namespace chatkit::detail {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

bool iequals_prefix(std::string_view s, std::string_view prefix) noexcept {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  return true;
}

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  (void)asio::ip::make_address(host, ec);
  return !ec;
}

std::string host_header(const https_url& u) {
  std::string h = u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host;
  if (u.port != (u.tls ? "443" : "80")) h += ":" + u.port;
  return h;
}

[[noreturn]] void fail(const std::string& url, const std::string& what, const boost::system::error_code& ec) {
  if (ec == asio::error::operation_aborted) throw boost::system::system_error(ec);
  throw https_get_error(url + ": " + what + ": " +
                        (ec == beast::error::timeout ? "timed out" : ec.message()));
}

// Writes the request and reads the answer on a plain or TLS stream.
template <class Stream>
asio::awaitable<https_get_response> exchange(Stream& s, beast::tcp_stream& tcp, const https_url& u,
                                             const https_get_options& o, const std::string& url,
                                             std::chrono::steady_clock::time_point deadline) {
  bhttp::request<bhttp::empty_body> req{bhttp::verb::get, u.target, 11};
  req.set(bhttp::field::host, host_header(u));
  req.set(bhttp::field::user_agent, "chatkit-cpp");
  req.set(bhttp::field::accept, o.accept);
  req.set(bhttp::field::connection, "close");
  tcp.expires_at(deadline);
  auto [wec, wn] = co_await bhttp::async_write(s, req, use_tuple);
  (void)wn;
  if (wec) fail(url, "sending the request", wec);
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(o.max_body_bytes);
  auto [rec, rn] = co_await bhttp::async_read(s, buffer, parser, use_tuple);
  (void)rn;
  if (rec == bhttp::error::body_limit)
    throw https_get_error(url + ": the answer is larger than " + std::to_string(o.max_body_bytes) + " bytes");
  if (rec == bhttp::error::header_limit) throw https_get_error(url + ": the answer's head is too large");
  if (rec) fail(url, "reading the answer", rec);
  https_get_response out;
  out.status = parser.get().result_int();
  for (const auto& f : parser.get())
    out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  out.body = std::move(parser.get().body());
  boost::system::error_code ignored;
  tcp.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  co_return out;
}

}  // namespace

bool is_loopback_host(std::string_view host) noexcept {
  if (host.size() == 9 && iequals_prefix(host, "localhost")) return true;
  boost::system::error_code ec;
  const auto a = asio::ip::make_address(std::string(host), ec);
  return !ec && a.is_loopback();
}

std::optional<https_url> parse_https_url(std::string_view url, std::string& error) {
  https_url u;
  if (iequals_prefix(url, "https://")) {
    url.remove_prefix(8);
  } else if (iequals_prefix(url, "http://")) {
    u.tls = false;
    url.remove_prefix(7);
  } else {
    error = "not an https:// URL";
    return std::nullopt;
  }
  if (const auto hash = url.find('#'); hash != std::string_view::npos) url = url.substr(0, hash);
  const auto end = url.find_first_of("/?");
  std::string_view authority = url.substr(0, end);
  std::string_view rest = end == std::string_view::npos ? std::string_view{} : url.substr(end);
  if (authority.find('@') != std::string_view::npos) {
    error = "user info in the URL is not supported";
    return std::nullopt;
  }
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      error = "unterminated IPv6 address";
      return std::nullopt;
    }
    u.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        error = "bad authority";
        return std::nullopt;
      }
      port = after.substr(1);
    }
  } else {
    const auto colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (u.host.empty()) {
    error = "no host";
    return std::nullopt;
  }
  if (port.empty()) {
    u.port = u.tls ? "443" : "80";
  } else {
    if (port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        std::stoul(std::string(port)) == 0 || std::stoul(std::string(port)) > 65535) {
      error = "bad port";
      return std::nullopt;
    }
    u.port = std::string(port);
  }
  u.target = rest.empty() ? "/" : (rest.front() == '?' ? "/" + std::string(rest) : std::string(rest));
  return u;
}

std::string https_get_response::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (beast::iequals(k, name)) return v;
  return {};
}

asio::awaitable<https_get_response> https_get(std::string url, https_get_options o) {
  using namespace asio::experimental::awaitable_operators;
  std::string error;
  auto parsed = parse_https_url(url, error);
  if (!parsed) throw https_get_error(url + ": " + error);
  const https_url& u = *parsed;
  if (!u.tls && !o.allow_insecure_http && !is_loopback_host(u.host))
    throw https_get_error(url + ": http:// is only allowed for loopback hosts; use https://");

  auto ex = co_await asio::this_coro::executor;
  const auto deadline = std::chrono::steady_clock::now() + o.timeout;

  asio::ip::tcp::resolver resolver(ex);
  asio::steady_timer timer(ex, deadline);
  auto resolved = co_await (resolver.async_resolve(u.host, u.port, use_tuple) || timer.async_wait(use_tuple));
  if (resolved.index() == 1) throw https_get_error(url + ": resolving " + u.host + ": timed out");
  auto [rec, results] = std::get<0>(std::move(resolved));
  if (rec) fail(url, "resolving " + u.host, rec);

  beast::tcp_stream tcp(ex);
  tcp.expires_at(deadline);
  auto [cec, ep] = co_await tcp.async_connect(results, use_tuple);
  (void)ep;
  if (cec) fail(url, "connecting", cec);

  if (!u.tls) co_return co_await exchange(tcp, tcp, u, o, url, deadline);

  asio::ssl::context ctx(asio::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  ctx.set_verify_mode(asio::ssl::verify_peer);
  if (o.use_system_ca_store) ctx.set_default_verify_paths();
  if (!o.extra_ca_pem.empty()) {
    boost::system::error_code ec;
    ctx.add_certificate_authority(asio::buffer(o.extra_ca_pem), ec);
    if (ec) throw https_get_error(url + ": extra CA certificates: " + ec.message());
  }
  beast::ssl_stream<beast::tcp_stream> tls(std::move(tcp), ctx);
  SSL* ssl = tls.native_handle();
  const bool ip = is_ip_literal(u.host);
  // SNI (SSL_set_tlsext_host_name is a macro with a C cast), then name or address verification.
  if (!ip)
    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(u.host.c_str()));
  const int set = ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), u.host.c_str())
                     : SSL_set1_host(ssl, u.host.c_str());
  if (set != 1) throw https_get_error(url + ": cannot set up host name verification");
  auto& lowest = beast::get_lowest_layer(tls);
  lowest.expires_at(deadline);
  auto [hec] = co_await tls.async_handshake(asio::ssl::stream_base::client, use_tuple);
  if (hec) {
    std::string what = "TLS handshake";
    if (const long v = SSL_get_verify_result(ssl); v != X509_V_OK)
      what += " (certificate: " + std::string(X509_verify_cert_error_string(v)) + ")";
    fail(url, what, hec);
  }
  co_return co_await exchange(tls, lowest, u, o, url, deadline);
}

}  // namespace chatkit::detail
