// The example servers' --host and --cors-origin flags (docs/guide-web-ui.md), run as the programs a user
// starts: echo_server and agent_quickstart on an ephemeral 127.0.0.1 port, answering a browser's CORS
// preflight over a real socket with the request headers OpenAI's ChatKit web component sends
// (Authorization from the page's custom fetch, Content-Type), an allowed origin on a real request, and
// refusing what must be refused. No test binds an address other than loopback: a non-loopback --host is
// only tried with dev-header auth, which the server refuses before it binds.
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

extern char** environ;

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace {

// One example program: started with argv (and extra environment), stdout and stderr read through pipes.
class program {
 public:
  program(std::vector<std::string> args, std::vector<std::string> env = {}) {
    // argv and the environment are made before fork: the child only calls async-signal-safe functions.
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (char** e = environ; *e != nullptr; ++e)
      if (std::string_view(*e).starts_with("CHATKIT_JWT_SECRET="))
        continue;  // the flags say which auth
      else
        envp.push_back(*e);
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    int out[2], err[2];
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(err, O_CLOEXEC) == 0);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      ::dup2(err[1], 2);
      ::execve(argv[0], argv.data(), envp.data());
      ::_exit(127);
    }
    ::close(out[1]);
    ::close(err[1]);
    out_ = out[0];
    err_ = err[0];
  }
  ~program() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGTERM);
      wait_exit();
    }
    ::close(out_);
    ::close(err_);
  }
  program(const program&) = delete;
  program& operator=(const program&) = delete;

  // Reads stdout until a line containing `marker` arrives (or 30 s pass, or the program exits); the line.
  std::string line_with(const std::string& marker) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (;;) {
      for (auto nl = out_text_.find('\n'); nl != std::string::npos; nl = out_text_.find('\n')) {
        std::string line = out_text_.substr(0, nl);
        out_text_.erase(0, nl + 1);
        if (line.find(marker) != std::string::npos) return line;
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !read_some(out_, out_text_, static_cast<int>(left.count()))) return {};
    }
  }

  // Waits for the exit (30 s at most, then SIGKILL); the exit status, or -1 when killed.
  int wait_exit() {
    int status = 0;
    for (int i = 0; i < 3000; ++i) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      ::usleep(10000);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    exited_ = true;
    return -1;
  }

  std::string stderr_text() {
    std::string text;
    while (read_some(err_, text, 1000)) {
    }
    return text;
  }

 private:
  static bool read_some(int fd, std::string& into, int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    char buf[4096];
    const auto n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return false;
    into.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  pid_t pid_ = -1;
  int out_ = -1, err_ = -1;
  bool exited_ = false;
  std::string out_text_;
};

// "...listening on http://127.0.0.1:PORT/chatkit ..." → PORT
unsigned short port_of(const std::string& line) {
  const std::string prefix = "http://127.0.0.1:";
  const auto at = line.find(prefix);
  REQUIRE(at != std::string::npos);
  return static_cast<unsigned short>(std::atoi(line.c_str() + at + prefix.size()));
}

using response = beast::http::response<beast::http::string_body>;

response send(unsigned short port, beast::http::request<beast::http::string_body> req) {
  asio::io_context ioc;
  tcp::socket s(ioc);
  s.connect({asio::ip::make_address("127.0.0.1"), port});
  req.set(beast::http::field::host, "127.0.0.1");
  req.prepare_payload();
  beast::http::write(s, req);
  beast::flat_buffer buf;
  response res;
  beast::http::read(s, buf, res);
  return res;
}

// What a browser sends before the web component's first POST: Authorization (the page's custom fetch) and
// Content-Type (application/json is not a CORS-safelisted type) make the request need a preflight.
response preflight(unsigned short port, const std::string& origin,
                   const std::string& headers = "authorization,content-type") {
  beast::http::request<beast::http::string_body> req{beast::http::verb::options, "/chatkit", 11};
  req.set(beast::http::field::origin, origin);
  req.set(beast::http::field::access_control_request_method, "POST");
  req.set(beast::http::field::access_control_request_headers, headers);
  return send(port, std::move(req));
}

std::string header(const response& r, beast::http::field f) {
  auto it = r.find(f);
  return it == r.end() ? std::string() : std::string(it->value());
}

bool lists(const std::string& list, const std::string& name) {
  std::string lower;
  for (char c : list) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.find(name) != std::string::npos;
}

const std::string page = "https://chat.example.test";

void check_cors(unsigned short port) {
  auto ok = preflight(port, page);
  CHECK(ok.result_int() == 204);
  CHECK(header(ok, beast::http::field::access_control_allow_origin) == page);
  const auto allowed = header(ok, beast::http::field::access_control_allow_headers);
  CHECK(lists(allowed, "authorization"));
  CHECK(lists(allowed, "content-type"));
  CHECK(lists(header(ok, beast::http::field::access_control_allow_methods), "post"));
  // What browsers and the component's client may add besides.
  CHECK(preflight(port, page, "Authorization, Content-Type, Accept, Cache-Control, Last-Event-ID")
            .result_int() == 204);
  // Another origin, or a header nobody allowed: refused.
  auto other = preflight(port, "https://evil.example.test");
  CHECK(other.result_int() == 403);
  CHECK(header(other, beast::http::field::access_control_allow_origin).empty());
  CHECK(preflight(port, page, "authorization,x-not-allowed").result_int() == 403);
}

}  // namespace

TEST_CASE("echo_server --cors-origin answers the ChatKit web component's preflight", "[integration][cors]") {
  program p({CHATKIT_ECHO_SERVER, "--port", "0", "--auth", "dev-header", "--cors-origin", page,
             "--cors-origin", "http://localhost:5173"});
  const auto port = port_of(p.line_with("listening on"));
  check_cors(port);
  CHECK(preflight(port, "http://localhost:5173").result_int() == 204);

  // The real request from the allowed origin carries the allow header, so the page may read the answer.
  beast::http::request<beast::http::string_body> req{beast::http::verb::post, "/chatkit", 11};
  req.set(beast::http::field::origin, page);
  req.set("X-User-Id", "alice");
  req.set(beast::http::field::content_type, "application/json");
  req.body() = R"({"type":"threads.list","params":{"limit":5}})";
  auto res = send(port, std::move(req));
  CHECK(res.result_int() == 200);
  CHECK(header(res, beast::http::field::access_control_allow_origin) == page);
}

TEST_CASE("echo_server without --cors-origin allows no origin", "[integration][cors]") {
  program p({CHATKIT_ECHO_SERVER, "--port", "0", "--auth", "dev-header"});
  const auto port = port_of(p.line_with("listening on"));
  auto res = preflight(port, page);
  CHECK(header(res, beast::http::field::access_control_allow_origin).empty());
}

TEST_CASE("agent_quickstart --cors-origin answers the same preflight", "[integration][cors]") {
  // The OpenAI client is only constructed: a loopback base URL that nothing is asked of.
  program p({CHATKIT_AGENT_QUICKSTART, "--port", "0", "--auth", "dev-header", "--cors-origin", page},
            {"OPENAI_API_KEY=test-key", "OPENAI_BASE_URL=http://127.0.0.1:9/v1"});
  check_cors(port_of(p.line_with("listening on")));
}

TEST_CASE("example servers refuse a bad --host or --cors-origin, and dev-header auth off loopback",
          "[integration][cors]") {
  {
    program p({CHATKIT_ECHO_SERVER, "--port", "0", "--host", "localhost"});
    CHECK(p.wait_exit() == 2);
    CHECK_THAT(p.stderr_text(), Catch::Contains("not an IPv4 or IPv6 address"));
  }
  {
    program p({CHATKIT_ECHO_SERVER, "--port", "0", "--cors-origin", "https://chat.example.test/app"});
    CHECK(p.wait_exit() == 2);
    CHECK_THAT(p.stderr_text(), Catch::Contains("without a path"));
  }
  {
    // Refused before anything is bound: dev-header auth would let anyone on the network pick a user.
    program p({CHATKIT_ECHO_SERVER, "--port", "0", "--host", "0.0.0.0", "--auth", "dev-header"});
    CHECK(p.wait_exit() == 1);
    CHECK_THAT(p.stderr_text(), Catch::Contains("not a loopback address"));
  }
}

TEST_CASE("echo_server writes an access log line per request unless --no-access-log",
          "[integration][access_log]") {
  for (const bool quiet : {false, true}) {
    INFO("--no-access-log: " << quiet);
    std::vector<std::string> args{CHATKIT_ECHO_SERVER, "--port", "0", "--auth", "dev-header"};
    if (quiet) args.push_back("--no-access-log");
    program p(args);
    const auto port = port_of(p.line_with("listening on"));
    beast::http::request<beast::http::string_body> req{beast::http::verb::post, "/chatkit", 11};
    req.set("X-User-Id", "alice");
    req.set(beast::http::field::content_type, "application/json");
    req.body() = R"({"type":"threads.list","params":{"limit":5}})";
    CHECK(send(port, std::move(req)).result_int() == 200);
    const auto log = p.stderr_text();  // what the server wrote so far (read until it has been quiet for 1 s)
    CHECK((log.find(R"("message":"request")") != std::string::npos) == !quiet);
    CHECK((log.find(R"("path":"/chatkit")") != std::string::npos) == !quiet);
  }
}
