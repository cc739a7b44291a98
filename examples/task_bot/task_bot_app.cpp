#include "task_bot_app.hpp"

#include "demo_model.hpp"
#include "json_log.hpp"
#include "mcp_imports.hpp"
#include "memory_task_store.hpp"
#include "page_routes.hpp"
#include "sqlite_task_store.hpp"
#include "task_api.hpp"
#include "task_event_stream.hpp"
#include "task_progress.hpp"
#include "task_tools.hpp"
#if defined(TASK_BOT_WITH_POSTGRES)
#include "postgres_task_store.hpp"
#endif

// The SDK headers the app is assembled from.
#include <chatkit/agents/agent_server.hpp>
#include <chatkit/agents/openai_api.hpp>
#include <chatkit/http/server.hpp>
#include <chatkit/mcp/streamable_http.hpp>
#include <chatkit/openai/client_options.hpp>
#include <chatkit/sqlite/sqlite_store.hpp>
#include <chatkit/store/memory_store.hpp>
#if defined(TASK_BOT_WITH_POSTGRES)
#include <chatkit/postgres/postgres_store.hpp>
#endif

#include <boost/asio/ip/address.hpp>

#include <stdexcept>

namespace task_bot {
namespace http = chatkit::http;
namespace agents = chatkit::agents;

namespace {

struct stores {
  std::shared_ptr<chatkit::store::store> threads;
  std::shared_ptr<task_store> tasks;
};

stores open_stores(const std::string& spec) {
  if (spec == "memory")
    return {std::make_shared<chatkit::store::memory_store>(), std::make_shared<memory_task_store>()};
  if (spec.starts_with("sqlite:")) {
    chatkit::store::sqlite_store_options o;
    o.path = spec.substr(7);
    auto threads = std::make_shared<chatkit::store::sqlite_store>(o);
    return {threads, std::make_shared<sqlite_task_store>(o.path)};
  }
#if defined(TASK_BOT_WITH_POSTGRES)
  if (spec.starts_with("postgresql://") || spec.starts_with("postgres://")) {
    chatkit::store::postgres_store_options o;
    o.conninfo = spec;
    return {std::make_shared<chatkit::store::postgres_store>(o), std::make_shared<postgres_task_store>(spec)};
  }
#endif
  throw std::invalid_argument("unsupported store " + spec);
}

http::cors_options cors_for(const std::vector<std::string>& origins) {
  http::cors_options o;
  o.allowed_origins = origins;
  o.allowed_methods = {"GET", "POST", "PATCH", "DELETE", "OPTIONS"};
  // What the dashboard and OpenAI's ChatKit web component send.
  o.allowed_headers = {"authorization", "content-type",      "accept",
                       "cache-control", "last-event-id",     "x-requested-with",
                       "openai-beta",   "x-chatkit-version", "x-stainless-lang"};
  return o;
}

}  // namespace

struct task_bot_app::impl {
  task_bot_config config;
  stores db;
  std::shared_ptr<task_event_bus> bus = std::make_shared<task_event_bus>();
  std::shared_ptr<task_service> tasks;
  std::shared_ptr<access_control> access;
  std::unique_ptr<demo_model> demo;
  task_progress_hooks progress;      // outlives every run (run_options::hooks is a plain pointer)
  std::unique_ptr<mcp_imports> mcp;  // before bot: its clients' thread outlives the tools that use them
  std::shared_ptr<agents::agent_server> bot;
  std::unique_ptr<http::server> server;
  bool stopped = false;
};

task_bot_app::task_bot_app(task_bot_config config) : impl_(std::make_unique<impl>()) {
  auto& m = *impl_;
  m.config = std::move(config);
  m.db = open_stores(m.config.store);
  m.tasks = std::make_shared<task_service>(m.db.tasks, m.bus);
  m.access = std::make_shared<access_control>(
      m.config.jwt_secret.empty() ? random_secret() : m.config.jwt_secret, m.config.domain_allowlist,
      token_settings{m.config.jwt_jwks_url, m.config.jwt_issuer, m.config.jwt_audience});

  chatkit::openai::client_options openai;
  if (m.config.demo_model) {
    m.demo = std::make_unique<demo_model>();
    m.demo->start();  // the client needs its address now
    openai.api_key = "demo";
    openai.base_url = m.demo->base_url();
  } else {
    openai.api_key = m.config.openai_api_key;
    openai.base_url = m.config.openai_base_url;
  }

  agents::agent agent;
  agent.name = "Tasks";
  agent.instructions = task_bot_instructions();
  agent.model = m.config.demo_model ? std::string("demo") : m.config.openai_model;
  agent.tools = task_tools(m.tasks);
  if (!m.config.mcp_stdio.empty() || !m.config.mcp_http.empty()) {
    m.mcp =
        std::make_unique<mcp_imports>(m.config);  // external MCP tools, bound to the user like the task tools
    agent.tools.insert(agent.tools.end(), m.mcp->tools().begin(), m.mcp->tools().end());
  }

  agents::agent_server_options options;
  // The demo model speaks the Responses API; a real server the API the configuration chose.
  options.run.model = agents::make_openai_model(
      m.config.demo_model ? agents::openai_api::responses : m.config.openai_api, std::move(openai));
  options.run.hooks = &m.progress;
  options.on_binding_violation = [](const agents::binding_violation& v) {
    log_json("warn", "bound parameter refused",
             {{"tool", v.tool}, {"parameter", v.parameter}, {"user", v.caller.user_id}});
  };
  options.on_run_error = [](const chatkit::server::respond_args& args, std::exception_ptr e) {
    std::string why = "unknown";
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      why = ex.what();
    } catch (...) {
    }
    log_json("error", "turn failed", {{"thread", args.thread.id}, {"error", why}});
  };
  m.bot = std::make_shared<agents::agent_server>(m.db.threads, std::move(agent), std::move(options));

  http::server_options so;
  so.address = m.config.bind;
  so.port = m.config.port;
  so.threads = m.config.threads;
  so.endpoint.path = "/chatkit";
  so.endpoint.authenticate = m.access->chatkit_auth();
  if (!m.config.cors_origins.empty()) so.endpoint.cors = cors_for(m.config.cors_origins);
  so.endpoint.access_log = json_access_log();
  // /healthz always (the platform's health check), /metrics when asked (docs/guide-operations.md).
  so.operations.healthz = true;
  so.operations.metrics = m.config.metrics;
  so.operations.metrics_token = m.config.metrics_token.value_or("");
  m.server = std::make_unique<http::server>(m.bot, std::move(so));
  mount_task_api(*m.server, m.tasks, m.access);
  mount_task_events(*m.server, m.bus, m.access, m.config.heartbeat);
  mount_page_routes(*m.server, {m.config.demo_model, m.config.demo, m.config.domain_key}, m.access);

  // The same six tools over MCP at /mcp, with the same tokens: an MCP client acts as its signed-in user, and
  // its changes go through task_service, so the dashboard sees them (docs/task-bot.md#mcp).
  // [mcp]
  chatkit::mcp::tool_server_options mcp_options;
  mcp_options.info = {"task-bot", "1.0.0", "Task bot", "Manage the signed-in user's tasks."};
  mcp_options.on_binding_violation = [](const agents::binding_violation& v) {
    log_json("warn", "bound parameter refused (mcp)",
             {{"tool", v.tool}, {"parameter", v.parameter}, {"user", v.caller.user_id}});
  };
  chatkit::mcp::http_options mcp_http;
  mcp_http.authenticate = m.access->chatkit_auth();
  mcp_http.allowed_origins = m.config.cors_origins;
  if (m.config.bind != "127.0.0.1" && m.config.bind != "::1") mcp_http.allowed_hosts.clear();  // public name
  chatkit::mcp::mount(*m.server,
                      std::make_shared<chatkit::mcp::tool_server>(agents::tool_registry(task_tools(m.tasks)),
                                                                  std::move(mcp_options)),
                      std::move(mcp_http));
  // [mcp]
}

task_bot_app::~task_bot_app() {
  stop();
}

void task_bot_app::start() {
  impl_->server->start();
  log_json("info", "listening",
           {{"address", impl_->config.bind},
            {"port", impl_->server->port()},
            {"store",
             impl_->config.store.starts_with("postgres") ? std::string("postgresql") : impl_->config.store},
            {"demo", impl_->config.demo},
            {"model", impl_->config.demo_model ? std::string("demo") : impl_->config.openai_model}});
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(impl_->config.bind, ec);
  if (ec || !address.is_loopback())
    log_json("warning",
             "listening on an address that is not loopback: reachable from the network; put TLS in front "
             "of it (docs/guide-reverse-proxy.md)",
             {{"address", impl_->config.bind}, {"demo", impl_->config.demo}});
}

std::uint16_t task_bot_app::port() const noexcept {
  return impl_->server->port();
}

void task_bot_app::stop() {
  auto& m = *impl_;
  if (m.stopped) return;
  m.stopped = true;
  m.bus->close();  // open event streams end now instead of at the grace deadline
  m.server->stop(std::chrono::seconds(10));
  if (m.demo) m.demo->stop();
  if (m.mcp) m.mcp->close();
}

const task_bot_config& task_bot_app::config() const noexcept {
  return impl_->config;
}
bool task_bot_app::uses_demo_model() const noexcept {
  return impl_->config.demo_model;
}
task_service& task_bot_app::tasks() noexcept {
  return *impl_->tasks;
}
const access_control& task_bot_app::access() const noexcept {
  return *impl_->access;
}

}  // namespace task_bot
