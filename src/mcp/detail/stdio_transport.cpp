// The stdio transport (docs/mcp.md#stdio): a child started with posix_spawnp in its own process group, three
// pipes, newline-delimited JSON on stdin/stdout, stderr forwarded line by line to the log callback.
#include "mcp/detail/transport.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <deque>

extern char** environ;

namespace chatkit::mcp::detail {

namespace asio = boost::asio;
using asio::posix::stream_descriptor;

namespace {

constexpr auto pipe_use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t max_stderr_line = 64 * 1024;

struct pipe_pair {
  int read = -1;
  int write = -1;
};

pipe_pair make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    throw mcp_error(errc::transport_error, std::string("cannot create a pipe: ") + std::strerror(errno));
  return {fds[0], fds[1]};
}

void close_fd(int& fd) noexcept {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

std::vector<std::string> child_environment(const stdio_server& server) {
  std::map<std::string, std::string> env;
  static constexpr const char* allowed[] = {"HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER"};
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    const auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    std::string key(entry.substr(0, eq));
    bool keep = server.inherit_environment;
    for (const char* a : allowed) keep = keep || key == a;
    if (keep) env[key] = std::string(entry.substr(eq + 1));
  }
  for (const auto& [k, v] : server.env) env[k] = v;
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

class stdio_transport final : public transport, public std::enable_shared_from_this<stdio_transport> {
 public:
  stdio_transport(strand_type strand, const stdio_server& server, const client_options& options)
      : strand_(std::move(strand)),
        server_(server),
        max_line_(options.max_message_bytes),
        in_(strand_),
        out_(strand_),
        err_(strand_) {
    spawn();
  }

  ~stdio_transport() override { abort(); }

  void start(transport_callbacks callbacks) override {
    callbacks_ = std::move(callbacks);
    auto self = shared_from_this();
    asio::co_spawn(strand_, read_stdout(self), asio::detached);
    asio::co_spawn(strand_, read_stderr(self), asio::detached);
  }

  void send(rpc_message message) override {
    if (!open_ || !in_.is_open()) return;
    queue_.push_back(serialize(message) + "\n");
    if (!writing_) {
      writing_ = true;
      asio::co_spawn(strand_, write_loop(shared_from_this()), asio::detached);
    }
  }

  asio::awaitable<void> close() override {
    auto self = shared_from_this();
    close_stdin();
    if (pid_ > 0 && !co_await wait_exit(server_.shutdown_grace)) {
      ::kill(-pid_, SIGTERM);
      if (!co_await wait_exit(server_.shutdown_grace)) {
        ::kill(-pid_, SIGKILL);
        reap_blocking();
      }
    }
    shut_pipes();
    fail("the MCP server was closed", errc::connection_closed);
  }

  void abort() noexcept override {
    close_stdin();
    if (pid_ > 0) {
      ::kill(-pid_, SIGKILL);
      reap_blocking();
    }
    shut_pipes();
    open_ = false;
  }

  bool is_open() const noexcept override { return open_; }
  int process_id() const noexcept override { return pid_ > 0 ? pid_ : 0; }

 private:
  void spawn() {
    if (server_.argv.empty() || server_.argv[0].empty())
      throw mcp_error(errc::invalid_configuration, "stdio_server.argv is empty");
    pipe_pair in = make_pipe(), out = make_pipe(), err = make_pipe();
    auto cleanup = [&] {
      close_fd(in.read), close_fd(in.write), close_fd(out.read), close_fd(out.write), close_fd(err.read),
          close_fd(err.write);
    };

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in.read, 0);
    posix_spawn_file_actions_adddup2(&actions, out.write, 1);
    posix_spawn_file_actions_adddup2(&actions, err.write, 2);
    if (server_.working_directory)
      posix_spawn_file_actions_addchdir_np(&actions, server_.working_directory->c_str());

    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    // Own process group (the whole tree can be stopped), no inherited blocked signals (a host that blocks
    // SIGTERM in its threads must still be able to stop the child), default dispositions.
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGHUP);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    std::vector<std::string> env = child_environment(server_);
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::vector<std::string> args = server_.argv;
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    pid_t pid = 0;
    const int rc = ::posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
      cleanup();
      throw mcp_error(errc::connection_closed,
                      "cannot start MCP server '" + server_.argv[0] + "': " + std::strerror(rc));
    }
    pid_ = pid;
    close_fd(in.read);
    close_fd(out.write);
    close_fd(err.write);
    in_.assign(in.write);
    out_.assign(out.read);
    err_.assign(err.read);
    open_ = true;
  }

  static asio::awaitable<void> write_loop(std::shared_ptr<stdio_transport> self) {
    while (!self->queue_.empty() && self->in_.is_open()) {
      std::string line = std::move(self->queue_.front());
      self->queue_.pop_front();
      auto [ec, n] = co_await asio::async_write(self->in_, asio::buffer(line), pipe_use_tuple);
      if (ec) {
        self->queue_.clear();
        break;  // the reader sees the process go away and reports it
      }
    }
    self->writing_ = false;
  }

  static asio::awaitable<void> read_stdout(std::shared_ptr<stdio_transport> self) {
    std::string buf;
    std::size_t scanned = 0;
    char chunk[65536];
    parse_limits limits;
    limits.max_bytes = self->max_line_;
    for (;;) {
      auto [ec, n] = co_await self->out_.async_read_some(asio::buffer(chunk), pipe_use_tuple);
      if (ec) break;
      buf.append(chunk, n);
      std::size_t start = 0;
      for (;;) {
        const auto nl = buf.find('\n', scanned);
        if (nl == std::string::npos) break;
        std::string_view line(buf.data() + start, nl - start);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.size() > self->max_line_) {
          self->protocol_failure("a message from the MCP server is larger than " +
                                 std::to_string(self->max_line_) + " bytes");
          co_return;
        }
        if (!line.empty()) self->deliver(line, limits);
        if (!self->open_) co_return;
        start = nl + 1;
        scanned = start;
      }
      buf.erase(0, start);
      scanned = buf.size();
      if (buf.size() > self->max_line_) {
        self->protocol_failure("a message from the MCP server is larger than " +
                               std::to_string(self->max_line_) + " bytes");
        co_return;
      }
    }
    if (!self->open_) co_return;
    // stdout ended: the server exited (or closed stdout). Report its status when it is known.
    std::string why = "the MCP server closed its output";
    if (self->pid_ > 0 && co_await self->wait_exit(std::chrono::milliseconds(500))) why = self->exit_text_;
    self->fail(why, errc::connection_closed);
  }

  static asio::awaitable<void> read_stderr(std::shared_ptr<stdio_transport> self) {
    std::string buf;
    char chunk[16384];
    for (;;) {
      auto [ec, n] = co_await self->err_.async_read_some(asio::buffer(chunk), pipe_use_tuple);
      if (ec) break;
      buf.append(chunk, n);
      std::size_t start = 0;
      for (;;) {
        const auto nl = buf.find('\n', start);
        if (nl == std::string::npos) break;
        std::string_view line(buf.data() + start, nl - start);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        self->log(log_source::server_stderr, line);
        start = nl + 1;
      }
      buf.erase(0, start);
      if (buf.size() > max_stderr_line) {  // a line without end: forward what we have, keep reading
        self->log(log_source::server_stderr, std::string_view(buf).substr(0, max_stderr_line));
        buf.clear();
      }
    }
    if (!buf.empty()) self->log(log_source::server_stderr, buf);
  }

  void deliver(std::string_view line, const parse_limits& limits) {
    auto parsed = parse_message(line, limits);
    if (auto* bad = std::get_if<parse_failure>(&parsed)) {
      // Not a message we can use; say so in the log, and fail the request it names, if any.
      log(log_source::client, "MCP server sent an invalid message (" + bad->error.message + ")");
      if (bad->id && callbacks_.on_request_failed)
        callbacks_.on_request_failed(
            *bad->id, errc::invalid_message,
            "the MCP server answered with an invalid message: " + bad->error.message);
      return;
    }
    if (callbacks_.on_message) callbacks_.on_message(std::move(std::get<rpc_message>(parsed)));
  }

  void log(log_source source, std::string_view line) {
    if (callbacks_.on_log) callbacks_.on_log(source, line);
  }

  void protocol_failure(std::string why) {
    if (pid_ > 0) {
      ::kill(-pid_, SIGKILL);
      reap_blocking();
    }
    fail(why + "; the server was stopped", errc::message_too_large);
  }

  void fail(std::string why, errc code) {
    if (!open_) return;
    open_ = false;
    close_stdin();
    if (callbacks_.on_closed) callbacks_.on_closed(code, std::move(why));
  }

  void close_stdin() noexcept {
    boost::system::error_code ignored;
    if (in_.is_open()) in_.close(ignored);
    queue_.clear();
  }

  void shut_pipes() noexcept {
    boost::system::error_code ignored;
    if (out_.is_open()) out_.close(ignored);
    if (err_.is_open()) err_.close(ignored);
  }

  bool try_reap() {
    if (pid_ <= 0) return true;
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == 0) return false;
    if (r == pid_) {
      if (WIFEXITED(status))
        exit_text_ = "the MCP server exited with status " + std::to_string(WEXITSTATUS(status));
      else if (WIFSIGNALED(status))
        exit_text_ = "the MCP server was killed by signal " + std::to_string(WTERMSIG(status));
    }
    pid_ = -1;
    return true;
  }

  void reap_blocking() noexcept {
    if (pid_ <= 0) return;
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }

  // Polls for the child's exit (there is no portable async wait for a child); true when it exited.
  asio::awaitable<bool> wait_exit(std::chrono::milliseconds limit) {
    asio::steady_timer t(strand_);
    const auto until = std::chrono::steady_clock::now() + limit;
    while (!try_reap()) {
      if (std::chrono::steady_clock::now() >= until) co_return false;
      t.expires_after(std::chrono::milliseconds(10));
      co_await t.async_wait(pipe_use_tuple);
    }
    co_return true;
  }

  strand_type strand_;
  stdio_server server_;
  std::size_t max_line_;
  stream_descriptor in_, out_, err_;
  transport_callbacks callbacks_;
  std::deque<std::string> queue_;
  bool writing_ = false;
  bool open_ = false;
  pid_t pid_ = -1;
  std::string exit_text_ = "the MCP server exited";
};

}  // namespace

std::shared_ptr<transport> make_stdio_transport(strand_type strand, const stdio_server& server,
                                                const client_options& options) {
  return std::make_shared<stdio_transport>(std::move(strand), server, options);
}

}  // namespace chatkit::mcp::detail
