#include "openai/detail/transport.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <limits>

namespace chatkit::openai::detail {

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

// The time an operation may take: `d`, shortened to what is left before the call's deadline.
std::chrono::steady_clock::duration limit(std::chrono::milliseconds d, const timeouts& t) {
  if (t.deadline == std::chrono::steady_clock::time_point::max()) return d;
  const auto left = t.deadline - std::chrono::steady_clock::now();
  if (left <= std::chrono::steady_clock::duration::zero()) return std::chrono::steady_clock::duration::zero();
  return std::min<std::chrono::steady_clock::duration>(d, left);
}

// Maps a failed I/O operation to the client's error kinds: Beast's timeout -> timeout, an operation
// aborted because the caller cancelled -> cancelled, anything else -> `otherwise`.
[[noreturn]] void fail_io(errc otherwise, const boost::system::error_code& ec, const std::string& what, bool cancelled) {
  errc kind = otherwise;
  if (ec == beast::error::timeout) {
    kind = errc::timeout;
  } else if (cancelled) {
    kind = errc::cancelled;
  }
  error_details d;
  d.message = what + ": " + ec.message();
  throw api_error(kind, std::move(d));
}

net::awaitable<bool> was_cancelled() {
  auto cs = co_await net::this_coro::cancellation_state;
  co_return cs.cancelled() != net::cancellation_type::none;
}

template <class F>
auto with_stream(connection& c, F&& f) {
  if (c.secure) return f(*c.secure);
  return f(*c.plain);
}

std::string authority(const std::string& host, const std::string& port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + port;
}

net::awaitable<std::unique_ptr<connection>> connect(client_state& state, const timeouts& t) {
  const auto& cfg = state.config();
  auto c = std::make_unique<connection>();
  c->key = state.pool_key();
  const std::string& host = cfg.proxy ? cfg.proxy->host : cfg.target.host;
  const std::string& port = cfg.proxy ? cfg.proxy->port : cfg.target.port;

  net::ip::tcp::resolver resolver(state.executor());
  auto [rec, results] = co_await resolver.async_resolve(host, port, use_tuple);
  if (rec) fail_io(errc::connection, rec, "cannot resolve " + host, co_await was_cancelled());

  beast::tcp_stream tcp(state.executor());
  tcp.expires_after(limit(cfg.options.connect_timeout, t));
  auto [cec, ep] = co_await tcp.async_connect(results, use_tuple);
  if (cec) fail_io(errc::connection, cec, "cannot connect to " + authority(host, port), co_await was_cancelled());
  (void)ep;
  boost::system::error_code ignored;
  tcp.socket().set_option(net::ip::tcp::no_delay(true), ignored);

  if (cfg.proxy) {
    // An HTTP CONNECT tunnel; TLS to the destination then runs inside it.
    const std::string dest = authority(cfg.target.host, cfg.target.port);
    http::request<http::empty_body> req{http::verb::connect, dest, 11};
    req.set(http::field::host, dest);
    if (!cfg.proxy->authorization.empty()) req.set(http::field::proxy_authorization, cfg.proxy->authorization);
    auto [wec, wn] = co_await http::async_write(tcp, req, use_tuple);
    if (wec) fail_io(errc::connection, wec, "proxy CONNECT to " + dest, co_await was_cancelled());
    http::response_parser<http::empty_body> p;
    p.skip(true);  // a 2xx answer to CONNECT has no body: the tunnel starts right after the head
    auto [pec, pn] = co_await http::async_read(tcp, c->buffer, p, use_tuple);
    if (pec) fail_io(errc::connection, pec, "proxy CONNECT to " + dest, co_await was_cancelled());
    (void)wn;
    (void)pn;
    const unsigned status = p.get().result_int();
    if (status < 200 || status >= 300) {
      error_details d;
      d.status = static_cast<int>(status);
      d.message = "proxy refused CONNECT to " + dest + " with status " + std::to_string(status);
      throw api_error(errc::connection, std::move(d));
    }
    if (c->buffer.size() != 0) throw api_error(errc::connection, "proxy sent bytes before the TLS handshake");
  }

  if (!cfg.target.tls) {
    c->plain.emplace(std::move(tcp));
    co_return c;
  }
  c->secure.emplace(std::move(tcp), state.ssl_context());
  SSL* ssl = c->secure->native_handle();
  const std::string& name = cfg.target.host;
  const bool ip = is_ip_literal(name);
  if (!ip) {
    // SNI (SSL_set_tlsext_host_name is a macro with a C cast).
    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(name.c_str()));
  }
  if (!cfg.options.tls.danger_disable_certificate_verification_for_tests_only) {
    // Hostname (or IP address) verification by OpenSSL during the handshake.
    const int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str()) : SSL_set1_host(ssl, name.c_str());
    if (ok != 1) throw api_error(errc::connection, "cannot set up hostname verification for " + name);
  }
  beast::get_lowest_layer(*c->secure).expires_after(limit(cfg.options.connect_timeout, t));
  auto [hec] = co_await c->secure->async_handshake(net::ssl::stream_base::client, use_tuple);
  if (hec) {
    std::string what = "TLS handshake with " + name;
    if (const long v = SSL_get_verify_result(ssl); v != X509_V_OK)
      what += " (certificate: " + std::string(X509_verify_cert_error_string(v)) + ")";
    fail_io(errc::connection, hec, what, co_await was_cancelled());
  }
  co_return c;
}

}  // namespace

client_state::client_state(net::any_io_executor ex, client_config cfg)
    : ex_(std::move(ex)), cfg_(std::move(cfg)), ssl_(net::ssl::context::tls_client) {
  SSL_CTX_set_min_proto_version(ssl_.native_handle(), TLS1_2_VERSION);
  const auto& tls = cfg_.options.tls;
  if (tls.danger_disable_certificate_verification_for_tests_only) {
    ssl_.set_verify_mode(net::ssl::verify_none);
    return;
  }
  ssl_.set_verify_mode(net::ssl::verify_peer);
  if (tls.use_system_ca_store) ssl_.set_default_verify_paths();
  if (!tls.extra_ca_pem.empty()) {
    boost::system::error_code ec;
    ssl_.add_certificate_authority(net::buffer(tls.extra_ca_pem), ec);
    if (ec) throw api_error(errc::invalid_argument, "tls.extra_ca_pem: " + ec.message());
  }
}

std::string client_state::pool_key() const {
  std::string key = (cfg_.target.tls ? "https://" : "http://") + authority(cfg_.target.host, cfg_.target.port);
  if (cfg_.proxy) key += " via " + authority(cfg_.proxy->host, cfg_.proxy->port);
  return key;
}

std::unique_ptr<connection> client_state::take_idle(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = idle_.find(key);
  if (it == idle_.end() || it->second.empty()) return nullptr;
  auto c = std::move(it->second.back());
  it->second.pop_back();
  return c;
}

void client_state::give_back(std::unique_ptr<connection> c) {
  std::lock_guard lock(mu_);
  auto& list = idle_[c->key];
  if (list.size() >= cfg_.options.max_idle_connections_per_host) {
    c->close();
    return;
  }
  c->tcp().expires_never();
  list.push_back(std::move(c));
}

std::string http_exchange::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (beast::iequals(k, name)) return v;
  return {};
}

net::awaitable<http_exchange> send_request(client_state& state, http::request<http::string_body>& req,
                                           const timeouts& t) {
  const auto key = state.pool_key();
  for (;;) {
    http_exchange x;
    x.conn = state.take_idle(key);
    const bool reused = x.conn != nullptr;
    if (!reused) x.conn = co_await connect(state, t);
    auto& c = *x.conn;
    c.tcp().expires_after(limit(t.read, t));
    auto [wec, wn] = co_await with_stream(c, [&](auto& s) { return http::async_write(s, req, use_tuple); });
    (void)wn;
    if (wec) {
      c.close();
      // A pooled connection the server closed while idle: try once more on a fresh one.
      if (reused && wec != beast::error::timeout && !co_await was_cancelled()) continue;
      fail_io(errc::connection, wec, "sending the request", co_await was_cancelled());
    }
    x.parser = std::make_unique<http::response_parser<http::buffer_body>>();
    x.parser->body_limit(std::numeric_limits<std::uint64_t>::max());
    x.parser->header_limit(64 * 1024);
    auto [rec, rn] = co_await with_stream(
        c, [&](auto& s) { return http::async_read_header(s, c.buffer, *x.parser, use_tuple); });
    (void)rn;
    if (rec) {
      c.close();
      if (reused && !x.parser->got_some() && rec != beast::error::timeout && !co_await was_cancelled()) continue;
      fail_io(errc::connection, rec, "reading the response head", co_await was_cancelled());
    }
    const auto& head = x.parser->get();
    x.status = static_cast<int>(head.result_int());
    for (const auto& f : head) x.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    x.request_id = x.header("x-request-id");
    co_return x;
  }
}

net::awaitable<std::size_t> read_body_some(http_exchange& x, char* buf, std::size_t size, const timeouts& t) {
  if (!x.conn || !x.parser) throw api_error(errc::stream_truncated, "the connection is closed");
  auto& p = *x.parser;
  auto& c = *x.conn;
  for (;;) {
    if (p.is_done()) co_return 0;
    p.get().body().data = buf;
    p.get().body().size = size;
    p.get().body().more = true;
    c.tcp().expires_after(limit(t.read, t));
    auto [ec, n] = co_await with_stream(c, [&](auto& s) { return http::async_read_some(s, c.buffer, p, use_tuple); });
    (void)n;
    if (ec == http::error::need_buffer) ec = {};
    const std::size_t got = size - p.get().body().size;
    if (ec) {
      // Bytes that arrived together with the failure are delivered first; dropping the parser makes the
      // next read report the truncation.
      c.close();
      if (got > 0) {
        x.parser.reset();
        co_return got;
      }
      fail_io(errc::stream_truncated, ec, "reading the response body", co_await was_cancelled());
    }
    if (got > 0) co_return got;
  }
}

net::awaitable<std::string> read_body_all(http_exchange& x, const timeouts& t, std::size_t limit_bytes) {
  std::string out;
  char buf[16384];
  for (;;) {
    const auto n = co_await read_body_some(x, buf, sizeof buf, t);
    if (n == 0) co_return out;
    if (out.size() + n > limit_bytes) {
      if (x.conn) x.conn->close();
      throw api_error(errc::stream_protocol_error, "response body over " + std::to_string(limit_bytes) + " bytes");
    }
    out.append(buf, n);
  }
}

void release(client_state& state, http_exchange& x) {
  if (x.released) return;
  x.released = true;
  if (!x.conn) return;
  // The parser's keep_alive(), not the message's: a body delimited by the server's close ended with an EOF
  // already read, and a connection whose EOF was read gets no second one (a request written on it would
  // wait out the read timeout when the server only half-closed).
  if (x.parser && x.parser->is_done() && x.parser->keep_alive()) {
    state.give_back(std::move(x.conn));
  } else {
    x.conn->close();
    x.conn.reset();
  }
}

}  // namespace chatkit::openai::detail
