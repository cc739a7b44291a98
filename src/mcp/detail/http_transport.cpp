// The Streamable HTTP transport of the client (docs/mcp.md#streamable-http): one POST per message, answered
// by 202, one JSON object, or an SSE stream of messages ending with the response. Legacy era: the session id
// and negotiated revision travel as headers, a broken stream is resumed with GET + Last-Event-ID, a GET
// stream carries server notifications, DELETE ends the session. Modern era: MCP-Protocol-Version, Mcp-Method
// and Mcp-Name on every POST; closing a request's stream cancels it.
#include "mcp/detail/transport.hpp"

#include <chatkit/openai/sse_parser.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <set>
#include <tuple>
#include <unordered_map>

namespace chatkit::mcp::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr int max_resumptions = 5;

struct endpoint_url {
  bool tls = false;
  std::string host;  // without brackets
  std::string port;
  std::string target;
  std::string host_header;
};

endpoint_url parse_endpoint(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) throw mcp_error(errc::invalid_configuration, "not a URL: " + url);
  endpoint_url e;
  const std::string scheme(parsed->scheme());
  if (scheme == "https")
    e.tls = true;
  else if (scheme != "http")
    throw mcp_error(errc::invalid_configuration, "an MCP URL must be http:// or https://: " + url);
  e.host = std::string(parsed->host_address());
  if (e.host.empty()) throw mcp_error(errc::invalid_configuration, "the MCP URL has no host: " + url);
  e.port = parsed->has_port() ? std::string(parsed->port()) : (e.tls ? "443" : "80");
  e.target = std::string(parsed->encoded_path());
  if (e.target.empty()) e.target = "/";
  if (parsed->has_query()) e.target += "?" + std::string(parsed->encoded_query());
  e.host_header = std::string(parsed->encoded_host_and_port());
  return e;
}

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

struct connection {
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;

  beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }
  void shut() noexcept {
    boost::system::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().socket().close(ignored);
  }
};
using connection_ptr = std::shared_ptr<connection>;

// No response head arrived: on a reused keep-alive connection the server may simply have closed it meanwhile.
struct no_response_head : mcp_error {
  using mcp_error::mcp_error;
};

// What reading one response stream found.
struct stream_outcome {
  bool saw_response = false;   // the answer to the request it belongs to arrived
  bool ended_cleanly = false;  // the body ended where HTTP said it would
  std::string last_event_id;
  std::optional<std::uint64_t> retry_ms;
  bool keep_alive = false;
};

class http_transport final : public transport, public std::enable_shared_from_this<http_transport> {
 public:
  http_transport(strand_type strand, const http_server& server, const client_options& options)
      : strand_(std::move(strand)),
        server_(server),
        options_(options),
        url_(parse_endpoint(server.url)),
        ssl_(asio::ssl::context::tls_client) {
    if (url_.tls) {
      SSL_CTX_set_min_proto_version(ssl_.native_handle(), TLS1_2_VERSION);
      if (server_.verify_certificates) {
        ssl_.set_verify_mode(asio::ssl::verify_peer);
        ssl_.set_default_verify_paths();
        if (!server_.extra_ca_pem.empty()) {
          boost::system::error_code ec;
          ssl_.add_certificate_authority(asio::buffer(server_.extra_ca_pem), ec);
          if (ec) throw mcp_error(errc::invalid_configuration, "extra_ca_pem is not a PEM certificate");
        }
      } else {
        ssl_.set_verify_mode(asio::ssl::verify_none);
      }
    }
  }

  void start(transport_callbacks callbacks) override {
    callbacks_ = std::move(callbacks);
    open_ = true;
  }

  void send(rpc_message message) override {
    if (!open_) return;
    // Modern era: cancelling a request is closing its stream.
    if (auto* n = std::get_if<rpc_notification>(&message);
        n && n->method == "notifications/cancelled" && modern_) {
      if (n->params)
        if (auto* id = n->params->if_contains("requestId")) {
          auto it = streams_.find(json::serialize(*id));
          if (it != streams_.end()) it->second->shut();
        }
      return;
    }
    asio::co_spawn(strand_, post(shared_from_this(), std::move(message)), asio::detached);
  }

  asio::awaitable<void> close() override {
    auto self = shared_from_this();
    if (!open_) co_return;
    open_ = false;
    for (auto& c : active_) c->shut();
    active_.clear();
    idle_.clear();
    if (!modern_ && !session_id_.empty()) {
      // End the session; any answer (200, 404, 405) is fine, a failure too.
      try {
        auto c = co_await connect_new();
        http::request<http::empty_body> req{http::verb::delete_, url_.target, 11};
        add_common_headers(req);
        req.set("Mcp-Session-Id", session_id_);
        if (!version_.empty()) req.set("MCP-Protocol-Version", version_);
        c->lowest().expires_after(std::chrono::seconds(5));
        co_await write_request(*c, req);
        http::response<http::string_body> res;
        co_await read_response(*c, res);
        c->shut();
      } catch (const std::exception&) {
      }
    }
  }

  void abort() noexcept override {
    open_ = false;
    for (auto& c : active_) c->shut();
    active_.clear();
    idle_.clear();
  }

  bool is_open() const noexcept override { return open_; }

  void set_protocol_version(std::string version, era e) override {
    version_ = std::move(version);
    modern_ = e == era::modern;
    if (!modern_ && !session_id_.empty() && !listening_) {
      listening_ = true;
      asio::co_spawn(strand_, listen(shared_from_this()), asio::detached);
    }
  }

 private:
  // ---- connections ----

  asio::awaitable<connection_ptr> connect_new() {
    auto c = std::make_shared<connection>();
    tcp::resolver resolver(strand_);
    auto [rec, results] = co_await resolver.async_resolve(url_.host, url_.port, use_tuple);
    if (rec) throw mcp_error(errc::connection_closed, "cannot resolve " + url_.host + ": " + rec.message());
    beast::tcp_stream stream(strand_);
    stream.expires_after(options_.connect_timeout);
    auto [cec, ep] = co_await stream.async_connect(results, use_tuple);
    if (cec)
      throw mcp_error(errc::connection_closed,
                      "cannot connect to " + url_.host_header + ": " + cec.message());
    stream.socket().set_option(tcp::no_delay(true));
    if (!url_.tls) {
      c->plain.emplace(std::move(stream));
      co_return c;
    }
    c->secure.emplace(std::move(stream), ssl_);
    SSL* ssl = c->secure->native_handle();
    const bool ip = is_ip_literal(url_.host);
    if (!ip) SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, url_.host.data());
    if (server_.verify_certificates) {
      const int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), url_.host.c_str())
                        : SSL_set1_host(ssl, url_.host.c_str());
      if (ok != 1) throw mcp_error(errc::invalid_configuration, "cannot verify the host name " + url_.host);
    }
    auto [hec] = co_await c->secure->async_handshake(asio::ssl::stream_base::client, use_tuple);
    if (hec) {
      std::string what = "TLS handshake with " + url_.host_header + " failed";
      if (const long v = SSL_get_verify_result(ssl); v != X509_V_OK)
        what += " (certificate: " + std::string(X509_verify_cert_error_string(v)) + ")";
      throw mcp_error(errc::connection_closed, what);
    }
    co_return c;
  }

  asio::awaitable<connection_ptr> acquire(bool& reused) {
    while (!idle_.empty()) {
      auto c = idle_.back();
      idle_.pop_back();
      if (c->lowest().socket().is_open()) {
        reused = true;
        co_return c;
      }
    }
    reused = false;
    co_return co_await connect_new();
  }

  // Runs one Beast operation, `op(stream)`, on whichever stream the connection has (TLS or plain).
  template <class Op>
  static asio::awaitable<boost::system::error_code> on_stream(connection& c, Op op) {
    std::tuple<boost::system::error_code, std::size_t> r;
    if (c.secure)
      r = co_await op(*c.secure);
    else
      r = co_await op(*c.plain);
    co_return std::get<0>(r);
  }

  template <class Request>
  static asio::awaitable<void> write_request(connection& c, Request& req) {
    req.prepare_payload();
    if (auto ec = co_await on_stream(c, [&](auto& s) { return http::async_write(s, req, use_tuple); }))
      throw boost::system::system_error(ec);
  }

  template <class Response>
  static asio::awaitable<void> read_response(connection& c, Response& res) {
    if (auto ec = co_await on_stream(c, [&](auto& s) { return http::async_read(s, c.buffer, res, use_tuple); }))
      throw boost::system::system_error(ec);
  }

  template <class Parser>
  static asio::awaitable<boost::system::error_code> read_header(connection& c, Parser& p) {
    co_return co_await on_stream(c, [&](auto& s) { return http::async_read_header(s, c.buffer, p, use_tuple); });
  }

  template <class Parser>
  static asio::awaitable<boost::system::error_code> read_some(connection& c, Parser& p) {
    co_return co_await on_stream(c, [&](auto& s) { return http::async_read_some(s, c.buffer, p, use_tuple); });
  }

  template <class Request>
  void add_common_headers(Request& req) const {
    req.set(http::field::host, url_.host_header);
    req.set(http::field::user_agent, options_.client_name + "/" + options_.client_version);
    for (const auto& [k, v] : server_.headers) req.set(k, v);
    if (server_.bearer_token) req.set(http::field::authorization, "Bearer " + *server_.bearer_token);
  }

  // ---- one POST ----

  static std::string modern_version_of(const rpc_message& m) {
    const std::optional<json::object>* params = nullptr;
    if (auto* r = std::get_if<rpc_request>(&m)) params = &r->params;
    if (auto* n = std::get_if<rpc_notification>(&m)) params = &n->params;
    if (!params || !*params) return {};
    auto* meta = (*params)->if_contains("_meta");
    if (!meta || !meta->is_object()) return {};
    auto* v = meta->as_object().if_contains(meta_key::protocol_version);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
  }

  static asio::awaitable<void> post(std::shared_ptr<http_transport> self, rpc_message message) {
    std::optional<request_id> id;
    if (auto* r = std::get_if<rpc_request>(&message)) id = r->id;
    try {
      co_await self->do_post(message, id);
    } catch (const mcp_error& e) {
      self->request_failed(id, e.code_value(), e.what());
    } catch (const boost::system::system_error& e) {
      self->request_failed(id, errc::connection_closed,
                           std::string("HTTP exchange with the MCP server failed: ") + e.code().message());
    } catch (const std::exception& e) {
      self->request_failed(id, errc::transport_error, e.what());
    }
  }

  void request_failed(const std::optional<request_id>& id, errc code, std::string why) {
    if (id && callbacks_.on_request_failed)
      callbacks_.on_request_failed(*id, code, std::move(why));
    else if (callbacks_.on_log)
      callbacks_.on_log(log_source::client, why);
  }

  asio::awaitable<void> do_post(const rpc_message& message, const std::optional<request_id>& id) {
    http::request<http::string_body> req{http::verb::post, url_.target, 11};
    add_common_headers(req);
    req.set(http::field::content_type, "application/json");
    req.set(http::field::accept, "application/json, text/event-stream");
    req.keep_alive(true);
    const std::string modern_version = modern_version_of(message);
    if (!modern_version.empty()) {
      req.set("MCP-Protocol-Version", modern_version);
      const std::string method(method_of(message));
      req.set("Mcp-Method", method);
      if (auto* r = std::get_if<rpc_request>(&message); r && r->params) {
        const char* key = method == "resources/read" ? "uri" : "name";
        if (method == "tools/call" || method == "prompts/get" || method == "resources/read")
          if (auto* n = r->params->if_contains(key); n && n->is_string()) req.set("Mcp-Name", n->as_string());
      }
    } else {
      if (!session_id_.empty()) req.set("Mcp-Session-Id", session_id_);
      if (!version_.empty()) req.set("MCP-Protocol-Version", version_);
    }
    req.body() = serialize(message);

    std::string key = id ? json::serialize(to_json(*id)) : std::string();
    struct cleanup {
      http_transport* t;
      std::string key;
      std::vector<connection_ptr> used;
      ~cleanup() {
        for (auto& c : used) t->active_.erase(c);
        if (!key.empty()) t->streams_.erase(key);
      }
    } guard{this, key, {}};

    stream_outcome out;
    for (int attempt = 0;; ++attempt) {
      bool reused = false;
      auto c = co_await acquire(reused);
      active_.insert(c);
      guard.used.push_back(c);
      if (id) streams_[key] = c;
      c->lowest().expires_never();
      // A kept-alive connection the server closed meanwhile is worth one more try on a new one; one this side
      // shut (a cancelled call, whose socket is then closed) is not: the server would run the call again.
      const auto worth_retrying = [&] {
        return reused && attempt == 0 && open_ && c->lowest().socket().is_open();
      };
      try {
        co_await write_request(*c, req);
        out = co_await read_reply(*c, id, false);
      } catch (const no_response_head&) {
        if (!worth_retrying()) throw;
        continue;
      } catch (const mcp_error&) {
        throw;
      } catch (const boost::system::system_error&) {
        if (!worth_retrying()) throw;
        continue;
      }
      if (out.keep_alive && open_) idle_.push_back(c);
      break;
    }

    // A legacy stream that broke before its answer: resume it with GET + Last-Event-ID.
    int attempts = 0;
    while (id && !out.saw_response && !out.last_event_id.empty() && modern_version.empty() && open_ &&
           attempts++ < max_resumptions) {
      if (out.retry_ms) {
        asio::steady_timer wait(strand_,
                                std::chrono::milliseconds(std::min<std::uint64_t>(*out.retry_ms, 5000)));
        co_await wait.async_wait(use_tuple);
      }
      auto r = co_await connect_new();
      active_.insert(r);
      streams_[key] = r;
      struct cleanup2 {
        http_transport* t;
        connection_ptr c;
        ~cleanup2() { t->active_.erase(c); }
      } guard2{this, r};
      http::request<http::empty_body> get{http::verb::get, url_.target, 11};
      add_common_headers(get);
      get.set(http::field::accept, "text/event-stream");
      get.set("Last-Event-ID", out.last_event_id);
      if (!session_id_.empty()) get.set("Mcp-Session-Id", session_id_);
      if (!version_.empty()) get.set("MCP-Protocol-Version", version_);
      co_await write_request(*r, get);
      const std::string before = out.last_event_id;
      out = co_await read_reply(*r, id, true);
      if (out.last_event_id.empty()) out.last_event_id = before;
      r->shut();
    }
    if (id && !out.saw_response && open_)
      request_failed(id, errc::connection_closed, "the MCP server's response stream ended without an answer");
  }

  // Reads one response (JSON, SSE or an error status) and delivers its messages.
  asio::awaitable<stream_outcome> read_reply(connection& c, const std::optional<request_id>& id,
                                             bool resuming) {
    stream_outcome out;
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(boost::none);
    parser.header_limit(64 * 1024);
    if (auto ec = co_await read_header(c, parser); ec) {
      if (!open_) co_return out;
      throw no_response_head(errc::connection_closed,
                             "the MCP server closed the connection: " + ec.message());
    }
    auto& head = parser.get();
    const unsigned status = head.result_int();
    if (auto sid = head.find("Mcp-Session-Id"); sid != head.end() && session_id_.empty() && !modern_)
      session_id_ = std::string(sid->value());
    const std::string content_type(head[http::field::content_type]);
    const bool sse = content_type.rfind("text/event-stream", 0) == 0;

    std::string body;
    openai::sse_parser events(options_.max_message_bytes);
    char chunk[16384];
    bool too_large = false;
    while (!parser.is_done()) {
      parser.get().body().data = chunk;
      parser.get().body().size = sizeof chunk;
      auto ec = co_await read_some(c, parser);
      if (ec == http::error::need_buffer) ec = {};
      const std::size_t n = sizeof chunk - parser.get().body().size;
      if (sse && status / 100 == 2) {
        events.feed(std::string_view(chunk, n));
        boost::system::error_code pec;
        while (auto ev = events.next(pec)) {
          out.last_event_id = std::string(ev->id);
          if (ev->data.empty()) continue;  // priming events carry only an id
          deliver_text(ev->data, id, out);
        }
        if (pec) {
          too_large = true;
          break;
        }
        out.retry_ms = events.retry();
      } else {
        body.append(chunk, n);
        if (body.size() > options_.max_message_bytes) {
          too_large = true;
          break;
        }
      }
      if (ec) {
        if (!open_) co_return out;
        if (!sse)
          throw mcp_error(errc::connection_closed, "reading the MCP server's reply failed: " + ec.message());
        co_return out;  // a broken stream: the caller may resume it
      }
    }
    if (too_large) {
      c.shut();
      throw mcp_error(errc::message_too_large, "a message from the MCP server is larger than " +
                                                   std::to_string(options_.max_message_bytes) + " bytes");
    }
    out.ended_cleanly = true;
    out.keep_alive = parser.keep_alive() && !sse;

    if (status == 202 || (status / 100 == 2 && body.empty() && !sse)) {
      if (id && !resuming)
        throw mcp_error(errc::transport_error, "the MCP server accepted a request without answering it");
      out.saw_response = !id.has_value();
      co_return out;
    }
    if (status / 100 == 2 && !sse) {
      deliver_text(body, id, out);
      co_return out;
    }
    if (status / 100 == 2) co_return out;

    // An error status. A JSON-RPC error in the body answers the request (e.g. a legacy server's "not
    // initialized" to a modern probe); otherwise the request fails with the status.
    // A legacy session the server no longer knows: 404, or 400 naming the session as server-everything answers.
    // The client starts a new session with a fresh initialize and sends the request once more
    // (docs/mcp.md#streamable-http).
    if (id && !modern_ && !session_id_.empty() &&
        (status == 404 || (status == 400 && body.find("session") != std::string::npos))) {
      session_id_.clear();
      throw mcp_error(errc::session_expired,
                      "the MCP server no longer knows the session (HTTP " + std::to_string(status) + ")");
    }
    if (status == 404 && !session_id_.empty() && !modern_) session_id_.clear();
    if (id) {
      boost::system::error_code jec;
      auto v = json::parse(body, jec);
      if (!jec && v.is_object()) {
        if (auto* err = v.as_object().if_contains("error"); err && err->is_object()) {
          rpc_error e;
          e.code =
              static_cast<int>(err->as_object().if_contains("code") && err->as_object().at("code").is_int64()
                                   ? err->as_object().at("code").as_int64()
                                   : rpc_code::internal_error);
          if (auto* m = err->as_object().if_contains("message"); m && m->is_string())
            e.message = m->as_string();
          if (auto* d = err->as_object().if_contains("data")) e.data = *d;
          if (callbacks_.on_message) callbacks_.on_message(rpc_error_response{*id, std::move(e)});
          out.saw_response = true;
          co_return out;
        }
      }
    }
    std::string snippet = body.substr(0, 300);
    throw mcp_error(errc::transport_error, "the MCP server answered HTTP " + std::to_string(status) +
                                               (snippet.empty() ? std::string() : ": " + snippet));
  }

  void deliver_text(std::string_view text, const std::optional<request_id>& id, stream_outcome& out) {
    parse_limits limits;
    limits.max_bytes = options_.max_message_bytes;
    auto parsed = parse_message(text, limits);
    if (auto* bad = std::get_if<parse_failure>(&parsed)) {
      if (callbacks_.on_log)
        callbacks_.on_log(log_source::client,
                          "MCP server sent an invalid message (" + bad->error.message + ")");
      if (bad->id && callbacks_.on_request_failed) {
        callbacks_.on_request_failed(
            *bad->id, errc::invalid_message,
            "the MCP server answered with an invalid message: " + bad->error.message);
        if (id && to_string(*bad->id) == to_string(*id)) out.saw_response = true;
      }
      return;
    }
    auto& m = std::get<rpc_message>(parsed);
    if (id) {
      if (auto* r = std::get_if<rpc_response>(&m); r && to_string(r->id) == to_string(*id))
        out.saw_response = true;
      if (auto* e = std::get_if<rpc_error_response>(&m); e && e->id && to_string(*e->id) == to_string(*id))
        out.saw_response = true;
    }
    if (callbacks_.on_message) callbacks_.on_message(std::move(m));
  }

  // ---- the legacy GET stream (server notifications such as tools/list_changed) ----

  static asio::awaitable<void> listen(std::shared_ptr<http_transport> self) {
    std::string last_id;
    for (int attempt = 0; attempt < 3 && self->open_; ++attempt) {
      try {
        auto c = co_await self->connect_new();
        self->active_.insert(c);
        http::request<http::empty_body> get{http::verb::get, self->url_.target, 11};
        self->add_common_headers(get);
        get.set(http::field::accept, "text/event-stream");
        if (!last_id.empty()) get.set("Last-Event-ID", last_id);
        get.set("Mcp-Session-Id", self->session_id_);
        if (!self->version_.empty()) get.set("MCP-Protocol-Version", self->version_);
        co_await write_request(*c, get);
        auto out = co_await self->read_reply(*c, std::nullopt, true);
        self->active_.erase(c);
        c->shut();
        if (!out.last_event_id.empty()) last_id = out.last_event_id;
      } catch (const std::exception& e) {
        // 405: the server offers no GET stream; anything else: give up quietly after a few tries.
        if (self->callbacks_.on_log && std::string_view(e.what()).find("405") == std::string_view::npos)
          self->callbacks_.on_log(log_source::client, std::string("MCP GET stream: ") + e.what());
        co_return;
      }
      asio::steady_timer wait(self->strand_, std::chrono::milliseconds(500));
      co_await wait.async_wait(use_tuple);
    }
  }

  strand_type strand_;
  http_server server_;
  client_options options_;
  endpoint_url url_;
  asio::ssl::context ssl_;
  transport_callbacks callbacks_;
  bool open_ = false;
  bool modern_ = false;
  bool listening_ = false;
  std::string version_;
  std::string session_id_;
  std::vector<connection_ptr> idle_;
  std::set<connection_ptr> active_;
  std::unordered_map<std::string, connection_ptr> streams_;  // request id (JSON text) → its connection
};

}  // namespace

std::shared_ptr<transport> make_http_transport(strand_type strand, const http_server& server,
                                               const client_options& options) {
  return std::make_shared<http_transport>(std::move(strand), server, options);
}

}  // namespace chatkit::mcp::detail
