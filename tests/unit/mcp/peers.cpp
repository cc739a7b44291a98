#include "unit/mcp/peers.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace chatkit::mcp::testing {

namespace fs = std::filesystem;

fs::path peers_dir() {
  const char* src = std::getenv("CHATKIT_SOURCE_DIR");
  return fs::path(src ? src : ".") / "tests" / "mcp-peers";
}

std::string node_binary() {
  const char* path = std::getenv("PATH");
  if (!path) return {};
  std::string_view rest(path);
  while (!rest.empty()) {
    const auto colon = rest.find(':');
    fs::path candidate = fs::path(std::string(rest.substr(0, colon))) / "node";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return {};
}

bool peers_available() {
  return !node_binary().empty() && fs::exists(peers_dir() / "node_modules" / "@modelcontextprotocol");
}

void skip_unless_peers() {
  if (!peers_available()) {
    std::fprintf(stderr, "node or tests/mcp-peers/node_modules missing: skipped\n");
    std::exit(77);
  }
}

std::string everything_js() {
  return (peers_dir() / "node_modules/@modelcontextprotocol/server-everything/dist/index.js").string();
}
std::string memory_js() {
  return (peers_dir() / "node_modules/@modelcontextprotocol/server-memory/dist/index.js").string();
}

http_peer::http_peer(std::vector<std::string> argv, std::string marker, bool marker_on_stdout) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], marker_on_stdout ? 1 : 2);
  // The other stream's chatter (server-everything logs every request on stdout) is not the test's output.
  posix_spawn_file_actions_addopen(&actions, marker_on_stdout ? 2 : 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addchdir_np(&actions, peers_dir().c_str());
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e)
    if (std::string_view(*e).rfind("PORT=", 0) != 0) env.emplace_back(*e);
  env.emplace_back("PORT=0");
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    throw std::runtime_error("cannot start the peer");
  }
  pid_ = pid;
  std::string buf;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (url_.empty() && std::chrono::steady_clock::now() < until) {
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    char chunk[4096];
    const ssize_t n = ::read(fds[0], chunk, sizeof chunk);
    if (n <= 0) break;
    buf.append(chunk, static_cast<std::size_t>(n));
    std::size_t nl;
    while ((nl = buf.find('\n')) != std::string::npos) {
      std::string line = buf.substr(0, nl);
      buf.erase(0, nl + 1);
      const auto at = line.find(marker);
      if (at != std::string::npos) url_ = "http://" + line.substr(at + marker.size() + 1) + "/mcp";
    }
  }
  ::close(fds[0]);  // the peer may keep writing logs; it gets EPIPE, which node ignores for stderr
  if (url_.empty()) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    throw std::runtime_error("the peer did not announce its port");
  }
}

http_peer::~http_peer() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

temp_dir::temp_dir() {
  std::string tmpl = (fs::temp_directory_path() / "chatkit-mcp-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
  path_ = tmpl;
}
temp_dir::~temp_dir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

client_options log_lines::options() {
  client_options o;
  o.on_log = [this](log_source, std::string_view line) { lines.emplace_back(line); };
  return o;
}

bool log_lines::contains(std::string_view needle) const {
  for (const auto& l : lines)
    if (l.find(needle) != std::string::npos) return true;
  return false;
}

}  // namespace chatkit::mcp::testing
