// openai_peer_probe: one request of the peer tests (docs/openai-client.md#peer-tests) made with this SDK, its outcome
// printed as one JSON line that peer_test.js compares with what the official openai npm client returns.
//
//   openai_peer_probe BASE_URL MODE MESSAGE [MAX_RETRIES] [IDLE_MS]
//
// MODE: stream (Chat streaming), create (Chat, non-streaming), agent (one agent turn over Chat
// Completions), idle (two non-streaming requests on one client, IDLE_MS apart: the server closes the
// idle keep-alive connection in between). Output: {"ok":true,"content":...,"finish_reason":...,
// "chunks":N,"ms":N} or {"ok":false,"status":N,"kind":...,"message":...,"ms":N}.
#include <chatkit/agents/openai_chat_model.hpp>
#include <chatkit/agents/runner.hpp>
#include <chatkit/openai/client.hpp>
#include <chatkit/openai/error.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

namespace net = boost::asio;
namespace json = boost::json;
using namespace chatkit;

struct probe {
  std::string base_url, mode, message;
  int max_retries = 0;
  int idle_ms = 0;
};

openai::client_options options_for(const probe& p) {
  openai::client_options o;
  o.api_key = "test-key";
  o.base_url = p.base_url;
  o.proxy = "";
  o.organization = "";
  o.project = "";
  o.max_retries = p.max_retries;
  return o;
}

json::object chat_params(const probe& p) {
  return {{"model", "mock"},
          {"messages", json::array{json::object{{"role", "user"}, {"content", p.message}}}}};
}

net::awaitable<json::object> run(probe p) {
  json::object out{{"ok", true}};
  if (p.mode == "agent") {
    agents::agent a;
    a.name = "peer";
    a.model = "mock";
    auto model = std::make_shared<agents::openai_chat_model>(options_for(p));
    request_context caller;
    caller.user_id = "u";
    agents::run_context ctx(caller);
    auto result = co_await agents::run_to_completion(a, p.message, ctx, {.model = model});
    out["content"] = result.is_string() ? result.get_string() : json::string(json::serialize(result));
    co_return out;
  }
  openai::client c(co_await net::this_coro::executor, options_for(p));
  if (p.mode == "stream") {
    auto s = co_await c.stream_chat_completion(chat_params(p));
    std::int64_t chunks = 0;
    while (co_await s.next()) ++chunks;
    const auto& done = s.current();
    out["content"] = done.choices.empty() ? "" : done.choices[0].content;
    out["finish_reason"] = done.choices.empty() ? "" : done.choices[0].finish_reason;
    out["chunks"] = chunks;
    co_return out;
  }
  if (p.mode == "idle") {
    (void)co_await c.create_chat_completion(chat_params(p));
    net::steady_timer t(co_await net::this_coro::executor, std::chrono::milliseconds(p.idle_ms));
    co_await t.async_wait(net::use_awaitable);
  }
  auto done = co_await c.create_chat_completion(chat_params(p));
  out["content"] = done.choices.empty() ? "" : done.choices[0].content;
  out["finish_reason"] = done.choices.empty() ? "" : done.choices[0].finish_reason;
  co_return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(
        stderr,
        "usage: openai_peer_probe BASE_URL stream|create|agent|idle MESSAGE [MAX_RETRIES] [IDLE_MS]\n");
    return 2;
  }
  probe p{argv[1], argv[2], argv[3], argc > 4 ? std::atoi(argv[4]) : 0, argc > 5 ? std::atoi(argv[5]) : 0};
  const auto start = std::chrono::steady_clock::now();
  json::object out;
  net::io_context ioc;
  auto f = net::co_spawn(ioc, run(p), net::use_future);
  ioc.run();
  try {
    out = f.get();
  } catch (const openai::api_error& e) {
    out = {{"ok", false},
           {"status", e.status()},
           {"kind", openai::openai_category().message(static_cast<int>(e.kind()))},
           {"message", e.message()}};
  } catch (const std::exception& e) {
    out = {{"ok", false}, {"status", 0}, {"kind", "exception"}, {"message", e.what()}};
  }
  out["ms"] =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  std::printf("%s\n", json::serialize(out).c_str());
  return 0;
}
