#include "openai/scripted_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/parse.hpp>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace chatkit::openai::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

// Splits an SSE body after each blank line ("\n\n" or "\r\n\r\n"); a trailing partial event is one piece.
std::vector<std::string_view> split_events(std::string_view body) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i < body.size(); ++i) {
    const bool lf = body[i] == '\n' && i + 1 < body.size() && body[i + 1] == '\n';
    const bool crlf = body.compare(i, 4, "\r\n\r\n") == 0;
    if (lf || crlf) {
      const std::size_t end = i + (lf ? 2 : 4);
      out.push_back(body.substr(start, end - start));
      start = end;
      i = end - 1;
    }
  }
  if (start < body.size()) out.push_back(body.substr(start));
  return out;
}

std::vector<std::string_view> plan_pieces(std::string_view body, const write_plan& plan) {
  switch (plan.mode) {
    case write_plan::kind::whole:
      return body.empty() ? std::vector<std::string_view>{} : std::vector<std::string_view>{body};
    case write_plan::kind::per_event:
      return split_events(body);
    case write_plan::kind::split_every: {
      std::vector<std::string_view> out;
      const std::size_t k = plan.every == 0 ? 1 : plan.every;
      for (std::size_t i = 0; i < body.size(); i += k) out.push_back(body.substr(i, k));
      return out;
    }
  }
  return {};
}

std::string to_hex(std::size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  do {
    s.insert(s.begin(), digits[n % 16]);
    n /= 16;
  } while (n != 0);
  return s;
}

}  // namespace

exchange exchange::sse(std::string body, std::string request_id, write_plan plan) {
  exchange x;
  x.headers = {{"Content-Type", "text/event-stream; charset=utf-8"},
               {"Transfer-Encoding", "chunked"},
               {"x-request-id", std::move(request_id)},
               {"Cache-Control", "no-cache"}};
  x.body = std::move(body);
  x.plan = plan;
  return x;
}

std::string frame_sse(const std::vector<std::string>& payloads, const sse_framing& f) {
  std::string out;
  const auto& nl = f.line_end;
  std::size_t n = 0;
  auto event = [&](std::string_view data) {
    if (f.comments) out += ": keep-alive" + nl;
    if (f.fields) out += "event: message" + nl + "id: " + std::to_string(++n) + nl + "retry: 3000" + nl;
    if (f.multi_line_data && data.size() > 2 && data.front() == '{' && data.back() == '}')
      out += "data: {" + nl + "data: " + std::string(data.substr(1, data.size() - 2)) + nl + "data: }" + nl;
    else
      out += "data: " + std::string(data) + nl;
    out += nl;
  };
  for (const auto& p : payloads) event(p);
  if (f.done) event("[DONE]");
  return out;
}

exchange exchange::json(int status, std::string body, header_list extra_headers) {
  exchange x;
  x.status = status;
  x.reason = std::string(http::obsolete_reason(static_cast<http::status>(status)));
  x.chunked = false;
  x.headers = {{"Content-Type", "application/json"}, {"Content-Length", std::to_string(body.size())}};
  for (auto& h : extra_headers) x.headers.push_back(std::move(h));
  x.body = std::move(body);
  return x;
}

std::string recorded_request::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (beast::iequals(k, name)) return v;
  return {};
}

bool recorded_request::has_header(std::string_view name) const {
  for (const auto& h : headers)
    if (beast::iequals(h.first, name)) return true;
  return false;
}

boost::json::value recorded_request::json() const {
  return boost::json::parse(body);
}

struct scripted_server::impl {
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::optional<net::ssl::context> ssl;
  std::uint16_t port = 0;
  std::thread thread;

  mutable std::mutex mu;
  mutable std::condition_variable cv;
  std::deque<exchange> script;
  std::vector<recorded_request> requests;
  std::size_t accepted = 0;
  std::size_t disconnects = 0;
  std::size_t unexpected = 0;

  void note_disconnect() {
    {
      std::lock_guard lock(mu);
      ++disconnects;
    }
    cv.notify_all();
  }

  // Waits until the peer closes (or the server stops): a read that only ends on EOF/error.
  template <class Stream>
  net::awaitable<void> wait_for_close(Stream& s) {
    char tmp[512];
    for (;;) {
      auto [ec, n] = co_await s.async_read_some(net::buffer(tmp), use_tuple);
      (void)n;
      if (ec) {
        if (ec != net::error::operation_aborted) note_disconnect();
        co_return;
      }
    }
  }

  template <class Stream>
  net::awaitable<bool> write_all(Stream& s, std::string_view bytes) {
    auto [ec, n] = co_await net::async_write(s, net::buffer(bytes.data(), bytes.size()), use_tuple);
    (void)n;
    if (ec) note_disconnect();
    co_return !ec;
  }

  template <class Stream>
  net::awaitable<void> serve(Stream& s, tcp::socket& raw) {
    beast::flat_buffer buf;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(64u * 1024u * 1024u);
      auto [ec, n] = co_await http::async_read(s, buf, parser, use_tuple);
      (void)n;
      if (ec) co_return;  // the client closed its (keep-alive) connection
      const auto& req = parser.get();
      recorded_request rec;
      rec.method = std::string(req.method_string());
      rec.target = std::string(req.target());
      for (const auto& f : req)
        rec.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
      rec.body = req.body();
      rec.received = std::chrono::steady_clock::now();
      std::optional<exchange> x;
      {
        std::lock_guard lock(mu);
        requests.push_back(std::move(rec));
        if (!script.empty()) {
          x = std::move(script.front());
          script.pop_front();
        } else {
          ++unexpected;
        }
      }
      cv.notify_all();
      if (!x)
        x = exchange::json(
            599,
            R"({"error":{"message":"no scripted exchange left","type":"test","param":null,"code":null}})");

      std::string head = "HTTP/1.1 " + std::to_string(x->status) + " " + x->reason + "\r\n";
      for (const auto& [k, v] : x->headers) head += k + ": " + v + "\r\n";
      if (!x->chunked && x->end == ending::finish && !x->content_length) head += "Connection: close\r\n";
      head += "\r\n";
      if (!co_await write_all(s, head)) co_return;

      bool first = true;
      for (auto piece : plan_pieces(x->body, x->plan)) {
        if (!first && x->plan.pause.count() > 0) {
          net::steady_timer timer(ioc, x->plan.pause);
          co_await timer.async_wait(use_tuple);
        }
        first = false;
        std::string bytes;
        if (x->chunked) {
          bytes = to_hex(piece.size()) + "\r\n";
          bytes.append(piece.data(), piece.size());
          bytes += "\r\n";
        } else {
          bytes.assign(piece.data(), piece.size());
        }
        if (!co_await write_all(s, bytes)) co_return;
      }
      switch (x->end) {
        case ending::finish:
          if (x->chunked && !co_await write_all(s, "0\r\n\r\n")) co_return;
          if (!x->chunked && !x->content_length) {  // body delimited by close
            boost::system::error_code ignored;
            raw.shutdown(tcp::socket::shutdown_both, ignored);
            raw.close(ignored);
            co_return;
          }
          break;
        case ending::close: {
          if (x->chunked) co_await write_all(s, "0\r\n\r\n");
          boost::system::error_code ignored;
          raw.shutdown(tcp::socket::shutdown_both, ignored);
          raw.close(ignored);
          co_return;
        }
        case ending::abort: {
          boost::system::error_code ignored;
          raw.close(ignored);
          co_return;
        }
        case ending::reset: {
          boost::system::error_code ignored;
          raw.set_option(net::socket_base::linger(true, 0), ignored);
          raw.close(ignored);
          co_return;
        }
        case ending::hang:
          co_await wait_for_close(s);
          co_return;
        case ending::half_close: {
          if (x->chunked && !co_await write_all(s, "0\r\n\r\n")) co_return;
          boost::system::error_code ignored;
          raw.shutdown(tcp::socket::shutdown_send, ignored);
          co_await wait_for_close(s);
          co_return;
        }
      }
    }
  }

  net::awaitable<void> session(tcp::socket sock) {
    if (!ssl) {
      co_await serve(sock, sock);
      co_return;
    }
    net::ssl::stream<tcp::socket> tls(std::move(sock), *ssl);
    auto [ec] = co_await tls.async_handshake(net::ssl::stream_base::server, use_tuple);
    if (ec) co_return;  // e.g. the client rejected our certificate
    co_await serve(tls, tls.next_layer());
  }

  net::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, sock] = co_await acceptor.async_accept(use_tuple);
      if (ec) co_return;
      {
        std::lock_guard lock(mu);
        ++accepted;
      }
      net::co_spawn(ioc, session(std::move(sock)), net::detached);
    }
  }
};

scripted_server::scripted_server(server_options opts) : impl_(std::make_unique<impl>()) {
  if (opts.tls) {
    impl_->ssl.emplace(net::ssl::context::tls_server);
    impl_->ssl->use_certificate_chain(net::buffer(opts.tls->cert_pem));
    impl_->ssl->use_private_key(net::buffer(opts.tls->key_pem), net::ssl::context::pem);
  }
  tcp::endpoint ep(net::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  impl_->port = impl_->acceptor.local_endpoint().port();
  net::co_spawn(impl_->ioc, impl_->accept_loop(), net::detached);
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

scripted_server::~scripted_server() {
  impl_->ioc.stop();
  impl_->thread.join();
}

void scripted_server::add(exchange x) {
  std::lock_guard lock(impl_->mu);
  impl_->script.push_back(std::move(x));
}

std::uint16_t scripted_server::port() const noexcept {
  return impl_->port;
}

std::string scripted_server::base_url() const {
  return std::string(impl_->ssl ? "https" : "http") + "://127.0.0.1:" + std::to_string(impl_->port) + "/v1";
}

std::vector<recorded_request> scripted_server::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->requests;
}

std::size_t scripted_server::connections_accepted() const {
  std::lock_guard lock(impl_->mu);
  return impl_->accepted;
}

std::size_t scripted_server::client_disconnects() const {
  std::lock_guard lock(impl_->mu);
  return impl_->disconnects;
}

std::size_t scripted_server::wait_for_client_disconnects(std::size_t n,
                                                         std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mu);
  impl_->cv.wait_for(lock, timeout, [&] { return impl_->disconnects >= n; });
  return impl_->disconnects;
}

std::size_t scripted_server::unexpected_requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->unexpected;
}

}  // namespace chatkit::openai::testing
