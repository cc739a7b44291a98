// operations — docs/guide-operations.md in one program: the SDK's log records routed into the host's own
// logger, the level from LOG_LEVEL, GET /healthz and GET /metrics on the server (the metrics behind the
// bearer token METRICS_TOKEN when it is set).
//
//   operations [--port N]
//   curl -s localhost:8000/healthz
//   curl -s -H 'X-User-Id: alice' -H 'Content-Type: application/json' localhost:8000/chatkit \
//        -d '{"type":"threads.create","params":{"input":{"content":[{"type":"input_text","text":"hi"}],
//             "attachments":[],"inference_options":{}}}}'
//   curl -s localhost:8000/metrics
//
// Built twice: `operations` logs plain text lines of its own, `operations_spdlog` (only when spdlog is
// installed) hands every record to spdlog.
#include <chatkit/http/server.hpp>
#include <chatkit/log.hpp>
#include <chatkit/server/chatkit_server.hpp>
#include <chatkit/store/memory_store.hpp>

#if defined(CHATKIT_EXAMPLE_SPDLOG)
#include <spdlog/spdlog.h>

#include <iterator>
#endif

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <variant>

#include <pthread.h>

namespace cp = chatkit::protocol;
namespace ck_log = chatkit::log;  // not `log`: that is also the C library's logarithm

namespace {

// A bot that says hello: the point of this program is what happens around it.
class hello_bot : public chatkit::server::chatkit_server {
 public:
  using chatkit_server::chatkit_server;

 protected:
  boost::asio::awaitable<void> respond(chatkit::server::respond_args args,
                                       chatkit::server::event_emitter& out) override {
    cp::assistant_message_item msg;
    msg.id = out.new_item_id(chatkit::store::id_kind::message);
    msg.thread_id = args.thread.id;
    msg.created_at = cp::timestamp::now();
    co_await out.emit(cp::item_added_event{msg});
    co_await out.emit(cp::item_updated_event{msg.id, cp::content_part_text_delta{0, "Hello!"}});
    msg.content.push_back(cp::output_text{{}, "Hello!"});
    co_await out.emit(cp::item_done_event{msg});
  }
};

// A field's value as text, for loggers that take one line.
std::string text_of(const ck_log::field::value_type& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string_view>)
          return std::string(x);
        else if constexpr (std::is_same_v<T, bool>)
          return x ? "true" : "false";
        else
          return std::to_string(x);
      },
      v);
}

#if defined(CHATKIT_EXAMPLE_SPDLOG)
// [spdlog]
// Every record of the SDK becomes one spdlog line: "http: request method=POST path=/chatkit status=200 ...".
void plug_logger() {
  ck_log::set_sink([](const ck_log::record& r) {
    static constexpr spdlog::level::level_enum levels[] = {spdlog::level::trace, spdlog::level::debug,
                                                           spdlog::level::info,  spdlog::level::warn,
                                                           spdlog::level::err,   spdlog::level::off};
    std::string line = std::string(r.component) + ": " + std::string(r.message);
    for (const auto& f : r.fields) line += " " + std::string(f.key) + "=" + text_of(f.value);
    spdlog::log(levels[static_cast<int>(r.severity)], line);
  });
}
// [spdlog]
#else
// [sink]
// The host's own logger, here plain text lines on stderr: "[warn] http: authentication refused reason=...".
void plug_logger() {
  ck_log::set_sink([](const ck_log::record& r) {
    std::string line = "[" + std::string(ck_log::to_string(r.severity)) + "] " + std::string(r.component) +
                       ": " + std::string(r.message);
    for (const auto& f : r.fields) line += " " + std::string(f.key) + "=" + text_of(f.value);
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stderr);  // one write per line: threads never interleave
  });
}
// [sink]
#endif

}  // namespace

int main(int argc, char** argv) {
  std::uint16_t port = 8000;
  if (argc == 3 && std::string(argv[1]) == "--port") {
    port = static_cast<std::uint16_t>(std::atoi(argv[2]));
  } else if (argc != 1) {
    std::fprintf(stderr, "usage: operations [--port N]\n");
    return 2;
  }

  // [level]
  plug_logger();
  if (const char* v = std::getenv("LOG_LEVEL")) {
    if (auto l = ck_log::parse_level(v))
      ck_log::set_level(*l);  // "debug", "info" (the default), "warn", "error", "off"
    else
      ck_log::warn("operations", "LOG_LEVEL not understood; keeping info", {{"value", v}});
  }
  // [level]

  sigset_t signals;  // blocked in every thread (the workers inherit the mask), awaited below
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // [server]
  chatkit::http::server_options opts;
  opts.port = port;
  opts.endpoint.authenticate = chatkit::http::dev_header_auth("X-User-Id", /*quiet=*/true);
  opts.operations.healthz = true;  // GET /healthz: 200 {"status":"ok"}
  opts.operations.metrics = true;  // GET /metrics: the Prometheus text
  if (const char* token = std::getenv("METRICS_TOKEN"))
    opts.operations.metrics_token = token;  // then: Authorization: Bearer <token>
  chatkit::http::server srv(std::make_shared<hello_bot>(std::make_shared<chatkit::store::memory_store>()),
                            std::move(opts));
  srv.start();
  // [server]
  ck_log::info("operations", "listening", {{"port", srv.port()}});

  int sig = 0;
  sigwait(&signals, &sig);
  ck_log::info("operations", "stopping", {{"signal", sig}});
  srv.stop();
  return 0;
}
