// tool_server: the sans-IO MCP server dispatcher (docs/mcp.md#server).
#include <chatkit/mcp/tool_server.hpp>

#include "mcp/detail/call_result.hpp"

#include <chatkit/agents/agent.hpp>
#include <chatkit/agents/context_binding.hpp>
#include <chatkit/agents/error.hpp>
#include <chatkit/agents/json_schema.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <mutex>
#include <unordered_map>

namespace chatkit::mcp {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace boost::asio::experimental::awaitable_operators;

namespace {

constexpr std::array<std::string_view, 8> log_levels = {"debug", "info",     "notice", "warning",
                                                        "error", "critical", "alert",  "emergency"};

int level_rank(std::string_view level) {
  for (std::size_t i = 0; i < log_levels.size(); ++i)
    if (log_levels[i] == level) return static_cast<int>(i);
  return -1;
}

// What report_progress and log_message need of the call a tool runs in. Looked up by the address of the
// call's run_context, which only a tool_server call registers.
struct call_notifier {
  std::optional<json::value> progress_token;
  notification_sink sink;
  int log_threshold = -1;  // the lowest level rank sent; -1: no log messages
};

std::mutex notifiers_mu;
std::unordered_map<const agents::run_context*, call_notifier*> notifiers;

struct notifier_registration {
  const agents::run_context* run;
  notifier_registration(const agents::run_context* r, call_notifier* n) : run(r) {
    std::lock_guard lock(notifiers_mu);
    notifiers[r] = n;
  }
  ~notifier_registration() {
    std::lock_guard lock(notifiers_mu);
    notifiers.erase(run);
  }
  notifier_registration(const notifier_registration&) = delete;
  notifier_registration& operator=(const notifier_registration&) = delete;
};

// A copy of the notifier's parts (the sink is called outside the lock).
std::optional<call_notifier> notifier_of(const agents::tool_context& ctx) {
  std::lock_guard lock(notifiers_mu);
  auto it = notifiers.find(&ctx.run);
  if (it == notifiers.end()) return std::nullopt;
  return *it->second;
}

rpc_error_response error_of(const request_id& id, int code, std::string message,
                            std::optional<json::value> data = std::nullopt) {
  return rpc_error_response{id, rpc_error{code, std::move(message), std::move(data)}};
}

const json::object* object_at(const std::optional<json::object>& params, std::string_view key) {
  if (!params) return nullptr;
  const json::value* v = params->if_contains(key);
  return v != nullptr && v->is_object() ? &v->get_object() : nullptr;
}

const json::object* meta_of(const std::optional<json::object>& params) {
  return object_at(params, "_meta");
}

bool has_envelope(const std::optional<json::object>& params) {
  const json::object* meta = meta_of(params);
  return meta != nullptr && meta->contains(meta_key::protocol_version);
}

std::optional<request_id> id_from(const json::value& v) {
  if (v.is_int64()) return request_id{v.get_int64()};
  if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return request_id{static_cast<std::int64_t>(v.get_uint64())};
  if (v.is_string()) return request_id{std::string(v.get_string())};
  return std::nullopt;
}

// The list cursor: the registry version and the offset of the next page.
std::string make_cursor(std::uint64_t version, std::size_t offset) {
  return "v" + std::to_string(version) + "." + std::to_string(offset);
}

std::optional<std::pair<std::uint64_t, std::size_t>> read_cursor(std::string_view c) {
  if (!c.starts_with('v')) return std::nullopt;
  const auto dot = c.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  std::uint64_t version = 0;
  std::size_t offset = 0;
  const char* vb = c.data() + 1;
  const char* ve = c.data() + dot;
  const char* ob = c.data() + dot + 1;
  const char* oe = c.data() + c.size();
  auto r1 = std::from_chars(vb, ve, version);
  auto r2 = std::from_chars(ob, oe, offset);
  if (r1.ec != std::errc() || r1.ptr != ve || r2.ec != std::errc() || r2.ptr != oe || vb == ve || ob == oe)
    return std::nullopt;
  return std::make_pair(version, offset);
}

// A running tools/call that notifications/cancelled can stop: cancelling the timer ends the race in call().
struct inflight {
  explicit inflight(asio::any_io_executor ex) : timer(ex, asio::steady_timer::time_point::max()) {}
  asio::steady_timer timer;
};

struct guarded {
  std::optional<agents::tool_output> output;
  std::exception_ptr error;
  bool timed_out = false;
};

asio::awaitable<guarded> guarded_invoke(const agents::function_tool& tool, agents::tool_context& tc,
                                        json::object args) {
  guarded g;
  try {
    g.output = co_await tool.invoke(tc, std::move(args));
  } catch (...) {
    g.error = std::current_exception();
  }
  co_return g;
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<guarded> invoke_with_timeout(const agents::function_tool& tool, agents::tool_context& tc,
                                             json::object args) {
  if (!tool.timeout) co_return co_await guarded_invoke(tool, tc, std::move(args));
  auto raced = co_await (guarded_invoke(tool, tc, std::move(args)) || sleep_for(*tool.timeout));
  if (raced.index() == 0) co_return std::move(std::get<0>(raced));
  guarded g;
  g.timed_out = true;
  co_return g;
}

asio::awaitable<void> wait_cancelled(std::shared_ptr<inflight> state) {
  co_await state->timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

// 2 rather than 2E0: whole numbers are written as integers.
json::value number(double d) {
  if (std::floor(d) == d && std::fabs(d) < 9.0e15) return static_cast<std::int64_t>(d);
  return d;
}

std::string seconds_text(std::chrono::milliseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", static_cast<double>(d.count()) / 1000.0);
  return buf;
}

}  // namespace

struct tool_server::impl {
  tool_provider provider;
  tool_server_options opts;
  std::mutex mu;
  std::map<std::string, std::shared_ptr<inflight>> running;

  static std::string key(std::string_view scope, const request_id& id) {
    return std::string(scope) + '\x1f' + to_string(id);
  }

  json::object server_info_json() const {
    json::object o{{"name", opts.info.name}, {"version", opts.info.version}};
    if (!opts.info.title.empty()) o["title"] = opts.info.title;
    return o;
  }

  std::shared_ptr<const agents::tool_registry> tools_for(const request_context& caller) const {
    auto r = provider ? provider(caller) : nullptr;
    if (!r) r = std::make_shared<const agents::tool_registry>();
    return r;
  }

  // Modern era: every result says it is complete and who answered.
  json::object modern(json::object result) const {
    result["resultType"] = "complete";
    result["_meta"] = json::object{{meta_key::server_info, server_info_json()}};
    return result;
  }
  void cacheable(json::object& result) const {
    result["ttlMs"] = static_cast<std::int64_t>(opts.list_ttl.count());
    result["cacheScope"] = "private";
  }

  json::object initialize_result(std::string_view revision) const {
    json::object r{{"protocolVersion", revision},
                   {"capabilities", json::object{{"tools", json::object{}}, {"logging", json::object{}}}},
                   {"serverInfo", server_info_json()}};
    if (!opts.info.instructions.empty()) r["instructions"] = opts.info.instructions;
    return r;
  }

  json::object discover_result() const {
    json::object r{{"supportedVersions", json::array{modern_revision}},
                   {"capabilities", json::object{{"tools", json::object{}}}}};
    if (!opts.info.instructions.empty()) r["instructions"] = opts.info.instructions;
    cacheable(r);
    return r;
  }

  static bool enabled(const agents::function_tool& t, const agents::run_context& run) {
    return !t.is_enabled || t.is_enabled(run);
  }

  std::variant<json::object, rpc_error_response> list(const rpc_request& req,
                                                      const request_context& caller) const {
    auto registry = tools_for(caller);
    agents::run_context run(caller);
    std::vector<const agents::function_tool*> visible;
    for (const auto& t : registry->tools())
      if (enabled(t, run)) visible.push_back(&t);
    std::size_t offset = 0;
    if (req.params) {
      if (const json::value* c = req.params->if_contains("cursor"); c != nullptr && !c->is_null()) {
        auto parsed = c->is_string() ? read_cursor(c->get_string()) : std::nullopt;
        if (!parsed || parsed->first != registry->version() || parsed->second == 0 ||
            parsed->second >= visible.size())
          return error_of(
              req.id, rpc_code::invalid_params,
              "invalid cursor: the tool list changed or the cursor was not issued by this server");
        offset = parsed->second;
      }
    }
    const std::size_t page = std::max<std::size_t>(1, opts.page_size);
    const std::size_t end = std::min(visible.size(), offset + page);
    json::array tools;
    for (std::size_t i = offset; i < end; ++i) {
      const auto& t = *visible[i];
      tools.push_back(json::object{{"name", t.name},
                                   {"description", t.description},
                                   {"inputSchema", detail::listed_schema(t.parameters)}});
    }
    json::object result{{"tools", std::move(tools)}};
    if (end < visible.size()) result["nextCursor"] = make_cursor(registry->version(), end);
    return result;
  }

  // tools/call: nullopt when the call was cancelled.
  asio::awaitable<std::optional<std::variant<json::object, rpc_error_response>>> call(
      const rpc_request& req, const server_session& session, era e, const request_context& caller,
      notification_sink notify) {
    using result_t = std::variant<json::object, rpc_error_response>;
    const json::value* name_v = req.params ? req.params->if_contains("name") : nullptr;
    if (name_v == nullptr || !name_v->is_string() || name_v->get_string().empty())
      co_return result_t{error_of(req.id, rpc_code::invalid_params, "tools/call needs a \"name\" string")};
    const std::string name(name_v->get_string());
    json::object args;
    if (const json::value* a = req.params->if_contains("arguments"); a != nullptr && !a->is_null()) {
      if (!a->is_object())
        co_return result_t{
            error_of(req.id, rpc_code::invalid_params, "tools/call \"arguments\" must be an object")};
      args = a->get_object();
    }

    auto registry = tools_for(caller);
    agents::run_context run(caller);
    if (opts.on_binding_violation) run.on_binding_violation = opts.on_binding_violation;
    const agents::function_tool* tool = registry->find(name);
    if (tool == nullptr || !enabled(*tool, run))
      co_return result_t{error_of(req.id, rpc_code::invalid_params, "Unknown tool: " + name)};

    // A bound parameter comes from the caller only (docs/tools.md#isolation-who-a-tool-acts-for).
    for (const std::string& bound : tool->bound_parameters) {
      if (!args.contains(bound)) continue;
      run.report(agents::binding_violation{tool->name, bound, false, caller});
      co_return result_t{detail::error_result(agents::bound_parameter_refusal(bound))};
    }
    detail::fill_omitted_nullable(args, tool->parameters);
    if (auto violation = agents::schema_violation(args, tool->parameters))
      co_return result_t{detail::error_result("Input validation error: " + *violation)};

    // What report_progress / log_message reach.
    call_notifier notifier;
    notifier.sink = std::move(notify);
    if (const json::object* meta = meta_of(req.params)) {
      if (const json::value* t = meta->if_contains(meta_key::progress_token);
          t != nullptr && (t->is_string() || t->is_number()))
        notifier.progress_token = *t;
      if (e == era::modern) {
        if (const json::value* l = meta->if_contains(meta_key::log_level); l != nullptr && l->is_string())
          notifier.log_threshold = level_rank(l->get_string());
      }
    }
    if (e == era::legacy)
      notifier.log_threshold =
          session.log_level_.empty() ? level_rank("info") : level_rank(session.log_level_);
    notifier_registration registration(&run, &notifier);

    static const agents::agent server_agent{.name = "mcp"};
    const std::string call_id = to_string(req.id);
    const std::string raw = json::serialize(args);
    agents::tool_context tc{run, server_agent, tool->name, call_id, raw};

    auto state = std::make_shared<inflight>(co_await asio::this_coro::executor);
    const std::string k = key(session.scope(), req.id);
    {
      std::lock_guard lock(mu);
      running[k] = state;
    }
    auto raced = co_await (invoke_with_timeout(*tool, tc, std::move(args)) || wait_cancelled(state));
    {
      std::lock_guard lock(mu);
      if (auto it = running.find(k); it != running.end() && it->second == state) running.erase(it);
    }
    if (raced.index() == 1) co_return std::nullopt;  // cancelled: no response at all
    guarded g = std::move(std::get<0>(raced));
    if (g.timed_out)
      co_return result_t{detail::error_result("Tool '" + tool->name + "' timed out after " +
                                              seconds_text(*tool->timeout) + " s.")};
    if (g.error) {
      try {
        std::rethrow_exception(g.error);
      } catch (const std::exception& ex) {
        co_return result_t{detail::error_result(ex.what())};
      } catch (...) {
        co_return result_t{detail::error_result("the tool failed")};
      }
    }
    co_return result_t{detail::call_result(*g.output, e)};
  }

  // Requests of the modern era, served statelessly.
  asio::awaitable<std::optional<rpc_message>> serve_modern(server_session& session, const rpc_request& req,
                                                           const request_context& caller,
                                                           notification_sink notify) {
    const json::object* meta = meta_of(req.params);
    const json::value* version = meta != nullptr ? meta->if_contains(meta_key::protocol_version) : nullptr;
    const json::value* caps = meta != nullptr ? meta->if_contains(meta_key::client_capabilities) : nullptr;
    if (version == nullptr || !version->is_string() || caps == nullptr || !caps->is_object())
      co_return error_of(req.id, rpc_code::invalid_params,
                         "Request is missing the required _meta envelope for protocol revision " +
                             std::string(modern_revision) + " (" + std::string(meta_key::protocol_version) +
                             ", " + std::string(meta_key::client_capabilities) + ")");
    if (version->get_string() != modern_revision)
      co_return error_of(req.id, rpc_code::unsupported_protocol_version,
                         "Unsupported protocol version: " + std::string(version->get_string()),
                         json::object{{"supported", json::array{modern_revision}}, {"requested", *version}});
    if (req.method == "server/discover") co_return rpc_response{req.id, modern(discover_result())};
    if (req.method == "tools/list") {
      auto r = list(req, caller);
      if (auto* err = std::get_if<rpc_error_response>(&r)) co_return *err;
      auto& result = std::get<json::object>(r);
      cacheable(result);
      co_return rpc_response{req.id, modern(std::move(result))};
    }
    if (req.method == "tools/call") {
      auto r = co_await call(req, session, era::modern, caller, std::move(notify));
      if (!r) co_return std::nullopt;
      if (auto* err = std::get_if<rpc_error_response>(&*r)) co_return *err;
      co_return rpc_response{req.id, modern(std::move(std::get<json::object>(*r)))};
    }
    co_return error_of(req.id, rpc_code::method_not_found, "Method not found");
  }

  asio::awaitable<std::optional<rpc_message>> serve_legacy(server_session& session, const rpc_request& req,
                                                           const request_context& caller,
                                                           notification_sink notify) {
    const bool connection = session.kind() == session_kind::connection;
    if (req.method == "initialize") {
      if (connection && session.era_)
        co_return error_of(req.id, rpc_code::invalid_request, "already initialized");
      const json::value* asked = req.params ? req.params->if_contains("protocolVersion") : nullptr;
      const std::string_view requested =
          asked != nullptr && asked->is_string() ? std::string_view(asked->get_string()) : std::string_view();
      const std::string_view revision = negotiate_legacy_revision(requested);
      if (connection) {
        session.era_ = era::legacy;
        session.revision_ = std::string(revision);
      }
      co_return rpc_response{req.id, initialize_result(revision)};
    }
    if (req.method == "ping") co_return rpc_response{req.id, json::object{}};
    if (connection && !session.era_) co_return error_of(req.id, rpc_code::invalid_request, "not initialized");
    if (req.method == "tools/list") {
      auto r = list(req, caller);
      if (auto* err = std::get_if<rpc_error_response>(&r)) co_return *err;
      co_return rpc_response{req.id, std::move(std::get<json::object>(r))};
    }
    if (req.method == "tools/call") {
      auto r = co_await call(req, session, era::legacy, caller, std::move(notify));
      if (!r) co_return std::nullopt;
      if (auto* err = std::get_if<rpc_error_response>(&*r)) co_return *err;
      co_return rpc_response{req.id, std::move(std::get<json::object>(*r))};
    }
    if (req.method == "logging/setLevel") {
      const json::value* level = req.params ? req.params->if_contains("level") : nullptr;
      if (level == nullptr || !level->is_string() || level_rank(level->get_string()) < 0)
        co_return error_of(req.id, rpc_code::invalid_params, "logging/setLevel needs a valid \"level\"");
      session.log_level_ = std::string(level->get_string());
      co_return rpc_response{req.id, json::object{}};
    }
    co_return error_of(req.id, rpc_code::method_not_found, "Method not found");
  }

  void notification(server_session& session, const rpc_notification& n, tool_server& self) {
    if (n.method == "notifications/initialized") {
      session.initialized_ = true;
    } else if (n.method == "notifications/cancelled" && n.params) {
      if (const json::value* id = n.params->if_contains("requestId")) {
        if (auto rid = id_from(*id)) self.cancel(session.scope(), *rid);
      }
    }
    // Anything else (an unknown notification, a response to nothing we asked) is ignored.
  }
};

tool_server::tool_server(agents::tool_registry tools, tool_server_options options)
    : tool_server(tool_provider([shared = std::make_shared<const agents::tool_registry>(std::move(tools))](
                                    const request_context&) { return shared; }),
                  std::move(options)) {}

tool_server::tool_server(tool_provider provider, tool_server_options options)
    : impl_(std::make_shared<impl>()) {
  impl_->provider = std::move(provider);
  impl_->opts = std::move(options);
}

tool_server::~tool_server() = default;

const tool_server_options& tool_server::options() const noexcept {
  return impl_->opts;
}

bool tool_server::cancel(std::string_view scope, const request_id& id) {
  std::shared_ptr<inflight> state;
  {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->running.find(impl::key(scope, id));
    if (it == impl_->running.end()) return false;
    state = it->second;
  }
  // The call may run on another thread's strand: the timer is only touched on its own executor.
  asio::post(state->timer.get_executor(), [state] { state->timer.cancel(); });
  return true;
}

asio::awaitable<std::optional<rpc_message>> tool_server::handle(server_session& session, rpc_message message,
                                                                const request_context& caller,
                                                                notification_sink notify) {
  auto keep = impl_;  // the server may be released while a call runs
  if (auto* n = std::get_if<rpc_notification>(&message)) {
    keep->notification(session, *n, *this);
    co_return std::nullopt;
  }
  auto* req = std::get_if<rpc_request>(&message);
  if (req == nullptr) co_return std::nullopt;  // responses: the server sends no requests
  const bool envelope = has_envelope(req->params);
  if (session.kind() == session_kind::stateless) {
    if (envelope) co_return co_await keep->serve_modern(session, *req, caller, std::move(notify));
    co_return co_await keep->serve_legacy(session, *req, caller, std::move(notify));
  }
  if (!session.era_ && envelope) {
    session.era_ = era::modern;
    session.revision_ = std::string(modern_revision);
  }
  if (session.era_ == era::modern)
    co_return co_await keep->serve_modern(session, *req, caller, std::move(notify));
  co_return co_await keep->serve_legacy(session, *req, caller, std::move(notify));
}

asio::awaitable<std::optional<std::string>> tool_server::handle_text(server_session& session,
                                                                     std::string_view text,
                                                                     const request_context& caller,
                                                                     notification_sink notify) {
  auto parsed = parse_message(text);
  if (auto* failure = std::get_if<parse_failure>(&parsed))
    co_return serialize(rpc_error_response{failure->id, failure->error});
  auto reply = co_await handle(session, std::move(std::get<rpc_message>(parsed)), caller, std::move(notify));
  if (!reply) co_return std::nullopt;
  co_return serialize(*reply);
}

asio::awaitable<void> report_progress(const agents::tool_context& ctx, double progress,
                                      std::optional<double> total, std::string message) {
  auto n = notifier_of(ctx);
  if (!n || !n->progress_token || !n->sink) co_return;
  json::object params{{"progressToken", *n->progress_token}, {"progress", number(progress)}};
  if (total) params["total"] = number(*total);
  if (!message.empty()) params["message"] = std::move(message);
  co_await n->sink(rpc_notification{"notifications/progress", std::move(params)});
}

asio::awaitable<void> log_message(const agents::tool_context& ctx, std::string_view level, json::value data,
                                  std::string logger) {
  auto n = notifier_of(ctx);
  const int rank = level_rank(level);
  if (!n || !n->sink || rank < 0 || n->log_threshold < 0 || rank < n->log_threshold) co_return;
  json::object params{{"level", level}, {"data", std::move(data)}};
  if (!logger.empty()) params["logger"] = std::move(logger);
  co_await n->sink(rpc_notification{"notifications/message", std::move(params)});
}

bool served_over_mcp(const agents::tool_context& ctx) noexcept {
  std::lock_guard lock(notifiers_mu);
  return notifiers.contains(&ctx.run);
}

}  // namespace chatkit::mcp
