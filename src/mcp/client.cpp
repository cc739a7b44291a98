// The MCP client session (docs/mcp.md#client): ids, pending requests with timeouts, cancellation and
// progress, era detection and the two lifecycles, tools/list pagination, answers to server-initiated
// requests.
#include <chatkit/log.hpp>
#include <chatkit/mcp/client.hpp>

#include "mcp/detail/transport.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <atomic>
#include <set>
#include <unordered_map>

namespace chatkit::mcp {

namespace asio = boost::asio;
namespace json = boost::json;
using detail::strand_type;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::string str_of(const json::object& o, std::string_view key) {
  if (auto* v = o.if_contains(key); v && v->is_string()) return std::string(v->as_string());
  return {};
}

std::optional<double> number_of(const json::object& o, std::string_view key) {
  if (auto* v = o.if_contains(key); v && v->is_number()) return v->to_number<double>();
  return std::nullopt;
}

json::object object_of(const json::object& o, std::string_view key) {
  if (auto* v = o.if_contains(key); v && v->is_object()) return v->as_object();
  return {};
}

}  // namespace

tool_info parse_tool_info(const json::object& d) {
  tool_info t;
  t.name = str_of(d, "name");
  t.title = str_of(d, "title");
  if (t.title.empty()) t.title = str_of(object_of(d, "annotations"), "title");
  t.description = str_of(d, "description");
  t.input_schema = object_of(d, "inputSchema");
  if (t.input_schema.empty()) t.input_schema["type"] = "object";
  if (auto* o = d.if_contains("outputSchema"); o && o->is_object()) t.output_schema = o->as_object();
  t.annotations = object_of(d, "annotations");
  t.raw = d;
  return t;
}

call_result parse_call_result(const json::object& result) {
  call_result r;
  r.raw = result;
  if (auto* c = result.if_contains("content"); c && c->is_array()) {
    for (const auto& item : c->as_array()) {
      if (!item.is_object()) continue;
      const auto& o = item.as_object();
      content_block b;
      b.type = str_of(o, "type");
      b.raw = o;
      if (b.type == "text") {
        b.text = str_of(o, "text");
      } else if (b.type == "image" || b.type == "audio") {
        b.data = str_of(o, "data");
        b.mime_type = str_of(o, "mimeType");
      } else if (b.type == "resource_link") {
        b.uri = str_of(o, "uri");
        b.name = str_of(o, "name");
        b.mime_type = str_of(o, "mimeType");
        b.description = str_of(o, "description");
      } else if (b.type == "resource") {
        const auto res = object_of(o, "resource");
        b.uri = str_of(res, "uri");
        b.mime_type = str_of(res, "mimeType");
        b.text = str_of(res, "text");
        b.data = str_of(res, "blob");
      }
      r.content.push_back(std::move(b));
    }
  }
  if (auto* s = result.if_contains("structuredContent"); s && !s->is_null()) r.structured_content = *s;
  if (auto* e = result.if_contains("isError"); e && e->is_bool()) r.is_error = e->as_bool();
  return r;
}

// ---- the session ----------------------------------------------------------------------------------------

struct client::impl : std::enable_shared_from_this<client::impl> {
  struct pending {
    explicit pending(const strand_type& s) : signal(s) {}
    asio::steady_timer signal;  // cancelled when the outcome is known
    std::optional<json::object> result;
    std::optional<rpc_error> error;
    std::optional<std::pair<errc, std::string>> failure;
    std::function<void(const progress_update&)> on_progress;
    std::string progress_key;
    bool done() const { return result || error || failure; }
  };

  impl(strand_type s, client_options o) : strand(std::move(s)), options(std::move(o)) {}

  strand_type strand;
  client_options options;
  std::shared_ptr<detail::transport> transport;
  std::optional<stdio_server> stdio_params;  // to restart the child after an upsetting era probe
  mcp::era current_era = mcp::era::legacy;
  std::string version;
  json::object server_info;
  json::object capabilities;
  std::string instructions;
  std::atomic<bool> tools_stale{false};  // read and cleared off the strand
  bool closed = false;
  bool probe_upset = false;  // the era probe timed out or broke the connection
  std::int64_t next_id = 1;
  std::unordered_map<std::string, std::shared_ptr<pending>> pendings;     // by to_string(id)
  std::unordered_map<std::string, std::shared_ptr<pending>> by_progress;  // by progress token text

  // The host's on_log, or the SDK's log sink (docs/guide-operations.md#logging): the server's stderr and log
  // messages as info, the client's own diagnostics as warnings.
  void log(log_source src, std::string_view line) const {
    if (options.on_log) return options.on_log(src, line);
    switch (src) {
      case log_source::server_stderr:
        chatkit::log::info("mcp", "server stderr", {{"line", line}});
        break;
      case log_source::server_log_message:
        chatkit::log::info("mcp", "server log message", {{"line", line}});
        break;
      case log_source::client:
        chatkit::log::warn("mcp", "client", {{"detail", line}});
        break;
    }
  }

  void attach(std::shared_ptr<detail::transport> t) {
    transport = std::move(t);
    std::weak_ptr<impl> weak = shared_from_this();
    detail::transport_callbacks cb;
    cb.on_message = [weak](rpc_message m) {
      if (auto self = weak.lock()) self->on_message(std::move(m));
    };
    cb.on_closed = [weak](errc code, std::string why) {
      if (auto self = weak.lock()) self->fail_all(code, why);
    };
    cb.on_request_failed = [weak](const request_id& id, errc code, std::string why) {
      if (auto self = weak.lock()) self->finish(id, [&](pending& p) { p.failure.emplace(code, why); });
    };
    cb.on_log = [weak](log_source src, std::string_view line) {
      if (auto self = weak.lock()) self->log(src, line);
    };
    transport->start(std::move(cb));
  }

  template <class F>
  void finish(const request_id& id, F&& set) {
    auto it = pendings.find(to_string(id));
    if (it == pendings.end()) return;  // unknown, finished or cancelled: a late answer is ignored
    auto p = it->second;
    if (p->done()) return;
    set(*p);
    p->signal.cancel();
  }

  void fail_all(errc code, const std::string& why) {
    for (auto& [k, p] : pendings) {
      if (p->done()) continue;
      p->failure.emplace(code, why);
      p->signal.cancel();
    }
  }

  void on_message(rpc_message m) {
    if (auto* r = std::get_if<rpc_response>(&m)) {
      finish(r->id, [&](pending& p) { p.result = std::move(r->result); });
    } else if (auto* e = std::get_if<rpc_error_response>(&m)) {
      if (e->id) {
        finish(*e->id, [&](pending& p) { p.error = std::move(e->error); });
      } else {
        log(log_source::client, "MCP server reported an error without id: " + e->error.message);
      }
    } else if (auto* n = std::get_if<rpc_notification>(&m)) {
      on_notification(*n);
    } else if (auto* q = std::get_if<rpc_request>(&m)) {
      on_server_request(*q);
    }
  }

  void on_notification(const rpc_notification& n) {
    const json::object params = n.params.value_or(json::object{});
    if (n.method == "notifications/progress") {
      auto* token = params.if_contains("progressToken");
      if (!token) return;
      auto it = by_progress.find(json::serialize(*token));
      if (it == by_progress.end() || it->second->done() || !it->second->on_progress)
        return;  // finished: dropped
      progress_update u;
      u.progress = number_of(params, "progress").value_or(0);
      u.total = number_of(params, "total");
      u.message = str_of(params, "message");
      it->second->on_progress(u);
    } else if (n.method == "notifications/tools/list_changed") {
      tools_stale = true;
      if (options.on_tools_changed) options.on_tools_changed();
    } else if (n.method == "notifications/message") {
      std::string line = str_of(params, "level");
      if (auto logger = str_of(params, "logger"); !logger.empty()) line += " [" + logger + "]";
      if (auto* d = params.if_contains("data"))
        line += " " + (d->is_string() ? std::string(d->as_string()) : json::serialize(*d));
      log(log_source::server_log_message, line);
    }
    // Anything else (resources, cancelled, ...) is not used by the SDK and ignored.
  }

  void on_server_request(const rpc_request& q) {
    if (q.method == "ping") {
      transport->send(rpc_response{q.id, json::object{}});
      return;
    }
    transport->send(rpc_error_response{
        q.id,
        rpc_error{rpc_code::method_not_found, "not supported by this client: " + q.method, std::nullopt}});
  }

  json::object envelope_meta() const {
    json::object meta;
    meta[meta_key::protocol_version] = modern_revision;
    meta[meta_key::client_capabilities] = json::object{};
    meta[meta_key::client_info] = {{"name", options.client_name}, {"version", options.client_version}};
    return meta;
  }

  // One request, awaited on the strand. `modern` adds the _meta envelope.
  // `renew_session`: an expired legacy HTTP session is replaced (initialize again) and the request sent once
  // more.
  asio::awaitable<json::object> do_request(std::string method, json::object params, call_options opts,
                                           bool modern, bool renew_session = true) {
    co_await asio::this_coro::throw_if_cancelled(false);
    if (closed || !transport || !transport->is_open())
      throw mcp_error(errc::connection_closed, "the MCP connection is closed");
    std::optional<std::pair<json::object, call_options>> resend;
    if (renew_session && !modern && method != "initialize") resend.emplace(params, opts);
    const request_id id = next_id++;
    auto p = std::make_shared<pending>(strand);
    const std::string key = to_string(id);

    json::object meta = std::move(opts.meta);
    if (auto* m = params.if_contains("_meta"); m && m->is_object())
      for (auto& [k, v] : m->as_object()) meta[k] = v;
    if (modern)
      for (auto& [k, v] : envelope_meta()) meta[k] = v;
    if (opts.on_progress) {
      const json::value token = std::get<std::int64_t>(id);
      meta[meta_key::progress_token] = token;
      p->progress_key = json::serialize(token);
      p->on_progress = std::move(opts.on_progress);
      by_progress[p->progress_key] = p;
    }
    if (!meta.empty()) params["_meta"] = std::move(meta);

    pendings[key] = p;
    const auto timeout = opts.timeout.value_or(options.request_timeout);
    p->signal.expires_after(timeout);
    transport->send(rpc_request{id, method, std::move(params)});
    auto [ec] = co_await p->signal.async_wait(use_tuple);
    pendings.erase(key);
    if (!p->progress_key.empty()) by_progress.erase(p->progress_key);

    if (p->result) co_return std::move(*p->result);
    if (p->error) throw remote_error(p->error->code, p->error->message, p->error->data);
    if (p->failure && p->failure->first == errc::session_expired && resend) {
      log(log_source::client, "the MCP server no longer knows the session; starting a new one");
      co_await initialize();
      co_return co_await do_request(std::move(method), std::move(resend->first), std::move(resend->second),
                                    modern, false);
    }
    if (p->failure) throw mcp_error(p->failure->first, p->failure->second);
    // Neither answered nor failed: the caller cancelled us, or the time ran out. Tell the server.
    const bool timed_out = !ec;
    const std::string reason = timed_out ? "timeout" : "cancelled by the client";
    if (transport && transport->is_open())
      transport->send(rpc_notification{"notifications/cancelled",
                                       json::object{{"requestId", to_json(id)}, {"reason", reason}}});
    if (timed_out)
      throw mcp_error(errc::timeout, "MCP request " + method + " timed out after " +
                                         std::to_string(timeout.count()) + " ms");
    throw mcp_error(errc::cancelled, "MCP request " + method + " was cancelled");
  }

  void notify(std::string method, json::object params = {}) {
    if (transport && transport->is_open())
      transport->send(rpc_notification{std::move(method),
                                       params.empty() ? std::nullopt : std::optional<json::object>(params)});
  }

  // ---- lifecycle ----

  // Modern probe: true when the server speaks 2026-07-28 (server/discover answered, or a modern error).
  asio::awaitable<bool> probe_modern() {
    call_options o;
    o.timeout = std::min(options.connect_timeout, options.probe_timeout);
    try {
      json::object r = co_await do_request("server/discover", {}, o, true);
      bool speaks = false;
      if (auto* v = r.if_contains("supportedVersions"); v && v->is_array())
        for (const auto& s : v->as_array())
          speaks = speaks || (s.is_string() && s.as_string() == modern_revision);
      if (!speaks) co_return false;
      version = std::string(modern_revision);
      capabilities = object_of(r, "capabilities");
      instructions = str_of(r, "instructions");
      server_info = object_of(object_of(r, "_meta"), meta_key::server_info);
      co_return true;
    } catch (const remote_error& e) {
      log(log_source::client, "server/discover answered " + std::to_string(e.rpc_code()) + " " +
                                  e.rpc_message() + "; trying the legacy handshake");
      co_return false;
    } catch (const mcp_error& e) {
      probe_upset = true;
      log(log_source::client,
          std::string("server/discover failed (") + e.what() + "); trying the legacy handshake");
      co_return false;
    }
  }

  asio::awaitable<void> initialize() {
    call_options o;
    o.timeout = options.connect_timeout;
    json::object params{{"protocolVersion", latest_legacy_revision},
                        {"capabilities", json::object{}},
                        {"clientInfo", {{"name", options.client_name}, {"version", options.client_version}}}};
    json::object r = co_await do_request("initialize", std::move(params), o, false);
    const std::string answered = str_of(r, "protocolVersion");
    if (!is_legacy_revision(answered)) {
      throw mcp_error(errc::unsupported_version, "the MCP server answered protocol version '" + answered +
                                                     "', which this client does not speak");
    }
    version = answered;
    capabilities = object_of(r, "capabilities");
    server_info = object_of(r, "serverInfo");
    instructions = str_of(r, "instructions");
    current_era = mcp::era::legacy;
    transport->set_protocol_version(version, current_era);
    notify("notifications/initialized");
  }

  asio::awaitable<void> handshake() {
    if (options.era != era_preference::legacy) {
      if (co_await probe_modern()) {
        current_era = mcp::era::modern;
        transport->set_protocol_version(version, current_era);
        co_return;
      }
      if (options.era == era_preference::modern)
        throw mcp_error(errc::unsupported_version,
                        "the MCP server does not speak protocol version " + std::string(modern_revision));
      // A stdio server the probe upset (it exited, or never answered) gets a fresh process.
      if (stdio_params && (probe_upset || !transport->is_open())) {
        log(log_source::client, "restarting the MCP server after the era probe");
        transport->abort();
        attach(detail::make_stdio_transport(strand, *stdio_params, options));
      }
    }
    co_await initialize();
  }

  asio::awaitable<void> do_close() {
    if (closed) co_return;
    closed = true;
    fail_all(errc::connection_closed, "the MCP client was closed");
    if (transport) co_await transport->close();
  }
};

// ---- client -----------------------------------------------------------------------------------------------

namespace {

// Runs `op` on the client's strand and resumes the caller on its own executor; a cancellation of the caller
// reaches `op` (co_spawn forwards the cancellation slot).
template <class T>
asio::awaitable<T> on_strand(const strand_type& strand, asio::awaitable<T> op) {
  co_return co_await asio::co_spawn(strand, std::move(op), asio::use_awaitable);
}

asio::awaitable<void> on_strand(const strand_type& strand, asio::awaitable<void> op) {
  co_await asio::co_spawn(strand, std::move(op), asio::use_awaitable);
}

template <class Params>
asio::awaitable<std::shared_ptr<client>> connect_with(Params server, client_options options, bool stdio) {
  auto ex = co_await asio::this_coro::executor;
  strand_type strand = asio::make_strand(ex);
  auto p = std::make_shared<client::impl>(strand, std::move(options));
  auto c = std::make_shared<client>(p);
  co_await on_strand(strand,
                     [](std::shared_ptr<client::impl> p, Params server, bool stdio) -> asio::awaitable<void> {
                       if constexpr (std::is_same_v<Params, stdio_server>) {
                         if (stdio) p->stdio_params = server;
                         p->attach(detail::make_stdio_transport(p->strand, server, p->options));
                       } else {
                         p->attach(detail::make_http_transport(p->strand, server, p->options));
                       }
                       try {
                         co_await p->handshake();
                       } catch (...) {
                         p->closed = true;
                         if (p->transport) p->transport->abort();
                         throw;
                       }
                     }(p, std::move(server), stdio));
  co_return c;
}

}  // namespace

client::client(std::shared_ptr<impl> p) : impl_(std::move(p)) {}

client::~client() {
  if (!impl_) return;
  // Without waiting: the child (if any) is killed at once, on the strand that owns its pipes.
  asio::post(impl_->strand, [p = impl_] {
    p->closed = true;
    p->fail_all(errc::connection_closed, "the MCP client was destroyed");
    if (p->transport) p->transport->abort();
  });
}

asio::awaitable<std::shared_ptr<client>> client::connect(stdio_server server, client_options options) {
  return connect_with(std::move(server), std::move(options), true);
}

asio::awaitable<std::shared_ptr<client>> client::connect(http_server server, client_options options) {
  return connect_with(std::move(server), std::move(options), false);
}

era client::era() const noexcept {
  return impl_->current_era;
}
const std::string& client::protocol_version() const noexcept {
  return impl_->version;
}
const json::object& client::server_info() const noexcept {
  return impl_->server_info;
}
const json::object& client::server_capabilities() const noexcept {
  return impl_->capabilities;
}
const std::string& client::instructions() const noexcept {
  return impl_->instructions;
}
bool client::tools_changed() const noexcept {
  return impl_->tools_stale;
}
bool client::is_open() const noexcept {
  return !impl_->closed && impl_->transport && impl_->transport->is_open();
}
int client::process_id() const noexcept {
  return impl_->transport ? impl_->transport->process_id() : 0;
}

asio::awaitable<json::object> client::request(std::string method, json::object params, call_options options) {
  auto p = impl_;
  co_return co_await on_strand(
      p->strand,
      [](std::shared_ptr<impl> p, std::string method, json::object params,
         call_options options) -> asio::awaitable<json::object> {
        json::object r = co_await p->do_request(method, std::move(params), std::move(options),
                                                p->current_era == mcp::era::modern);
        if (str_of(r, "resultType") == "input_required")
          throw mcp_error(errc::transport_error, "the MCP server asked for more input (" + method +
                                                     "), which this client does not provide");
        co_return r;
      }(p, std::move(method), std::move(params), std::move(options)));
}

asio::awaitable<std::vector<tool_info>> client::list_tools() {
  auto p = impl_;
  p->tools_stale = false;
  std::vector<tool_info> tools;
  std::set<std::string> cursors;
  std::optional<std::string> cursor;
  for (;;) {
    json::object params;
    if (cursor) params["cursor"] = *cursor;
    json::object r = co_await request("tools/list", std::move(params));
    if (auto* list = r.if_contains("tools"); list && list->is_array()) {
      for (const auto& t : list->as_array()) {
        if (!t.is_object()) continue;
        tools.push_back(parse_tool_info(t.as_object()));
        if (tools.size() > p->options.max_tools)
          throw mcp_error(errc::invalid_message, "the MCP server lists more than " +
                                                     std::to_string(p->options.max_tools) + " tools");
      }
    }
    auto* next = r.if_contains("nextCursor");
    if (!next || !next->is_string() || next->as_string().empty()) break;
    cursor = std::string(next->as_string());
    if (!cursors.insert(*cursor).second)
      throw mcp_error(errc::invalid_message,
                      "the MCP server repeated the tools/list cursor '" + *cursor + "'");
  }
  co_return tools;
}

asio::awaitable<call_result> client::call_tool(std::string name, json::object arguments,
                                               call_options options) {
  json::object params{{"name", name}, {"arguments", std::move(arguments)}};
  json::object r = co_await request("tools/call", std::move(params), std::move(options));
  co_return parse_call_result(r);
}

asio::awaitable<void> client::ping() {
  if (impl_->current_era == mcp::era::modern) co_return;
  co_await request("ping");
}

asio::awaitable<void> client::close() {
  auto p = impl_;
  co_await on_strand(p->strand,
                     [](std::shared_ptr<impl> p) -> asio::awaitable<void> { co_await p->do_close(); }(p));
}

}  // namespace chatkit::mcp
