#include "mcp_imports.hpp"

#include "json_log.hpp"

#include <chatkit/agents/context_binding.hpp>
#include <chatkit/mcp/client.hpp>
#include <chatkit/mcp/tool_import.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <set>
#include <stdexcept>
#include <thread>

namespace task_bot {

namespace asio = boost::asio;
namespace mcp = chatkit::mcp;
namespace agents = chatkit::agents;

std::vector<std::string> split_command(const std::string& command) {
  std::vector<std::string> out;
  std::string word;
  bool quoted = false, any = false;
  for (char ch : command) {
    if (ch == '"') {
      quoted = !quoted;
      any = true;
    } else if ((ch == ' ' || ch == '\t') && !quoted) {
      if (any) out.push_back(std::move(word));
      word.clear();
      any = false;
    } else {
      word.push_back(ch);
      any = true;
    }
  }
  if (quoted) throw std::invalid_argument("--mcp-stdio: unbalanced quote in \"" + command + "\"");
  if (any) out.push_back(std::move(word));
  return out;
}

namespace {

// The alias of a server's tools: the last part of its name ("mcp-servers/everything" → "everything").
std::string alias_for(const mcp::client& c, std::set<std::string>& taken) {
  std::string name;
  if (auto* n = c.server_info().if_contains("name"); n && n->is_string()) name = n->as_string();
  if (auto slash = name.rfind('/'); slash != std::string::npos) name = name.substr(slash + 1);
  std::string alias;
  for (char ch : name) alias.push_back(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' ? ch : '_');
  if (alias.empty()) alias = "mcp";
  if (alias.size() > 24) alias.resize(24);
  std::string unique = alias;
  for (int i = 2; !taken.insert(unique).second; ++i) unique = alias + std::to_string(i);
  return unique;
}

}  // namespace

struct mcp_imports::impl {
  asio::io_context ioc;
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(ioc);
  std::thread thread{[this] { ioc.run(); }};
  std::vector<std::shared_ptr<mcp::client>> clients;
  std::vector<agents::function_tool> tools;
  bool closed = false;

  template <class T>
  T run(asio::awaitable<T> op) {
    return asio::co_spawn(ioc, std::move(op), asio::use_future).get();
  }
};

mcp_imports::mcp_imports(const task_bot_config& config) : impl_(std::make_unique<impl>()) {
  auto& m = *impl_;
  mcp::client_options options;
  options.client_name = "task_bot";
  options.on_log = [](mcp::log_source src, std::string_view line) {
    log_json(src == mcp::log_source::client ? "warn" : "info", "mcp", {{"line", line}});
  };
  std::set<std::string> aliases;
  auto add = [&](std::shared_ptr<mcp::client> c, const std::string& what) {
    mcp::import_options o;
    o.alias = alias_for(*c, aliases);
    o.bindings = {agents::bind_user_id()};
    // A broken MCP server should not end the chat turn: the model is told the tool failed.
    o.on_transport_failure = agents::failure_mode::report_to_model;
    auto imported = m.run(mcp::import_tools(c, o));
    for (auto& t : imported.tools) {
      log_json("info", "mcp tool",
               {{"server", what}, {"tool", t.name}, {"bound", !t.bound_parameters.empty()}});
      m.tools.push_back(std::move(t));
    }
    m.clients.push_back(std::move(c));
  };
  try {
    for (const auto& command : config.mcp_stdio) {
      auto argv = split_command(command);
      if (argv.empty()) throw std::invalid_argument("--mcp-stdio: empty command");
      add(m.run(mcp::client::connect(mcp::stdio_server(argv), options)), command);
    }
    for (const auto& url : config.mcp_http) {
      mcp::http_server server(url);
      if (config.mcp_http_token) server.bearer_token = config.mcp_http_token;
      add(m.run(mcp::client::connect(server, options)), url);
    }
  } catch (const std::exception& e) {
    close();
    throw std::runtime_error(std::string("MCP server: ") + e.what());
  }
}

mcp_imports::~mcp_imports() {
  close();
}

const std::vector<agents::function_tool>& mcp_imports::tools() const noexcept {
  return impl_->tools;
}

void mcp_imports::close() {
  auto& m = *impl_;
  if (m.closed) return;
  m.closed = true;
  for (auto& c : m.clients) {
    try {
      m.run(c->close());
    } catch (const std::exception&) {
    }
  }
  m.work.reset();
  m.ioc.stop();
  if (m.thread.joinable()) m.thread.join();
}

}  // namespace task_bot
