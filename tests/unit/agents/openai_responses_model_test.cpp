// openai_responses_model: one model (one client, one keep-alive pool) serving runs from any executor, against
// the scripted OpenAI-compatible server (real client, real loopback sockets).
#include "agent_support.hpp"

#include <chatkit/agents/openai_responses_model.hpp>
#include <chatkit/agents/runner.hpp>
#include <chatkit/openai/error.hpp>

#include <boost/asio/strand.hpp>
#include <boost/asio/use_future.hpp>

#include <atomic>
#include <future>
#include <thread>

#include <catch2/catch.hpp>

using namespace chatkit;
using namespace chatkit::agents;
using namespace chatkit::agents::test;
namespace net = boost::asio;

TEST_CASE("openai_responses_model: one model serves runs on other strands of a multi-threaded io_context",
          "[agents][openai_responses_model][concurrency]") {
  scripted_server server;
  for (int i = 0; i < 4; ++i) {
    server.add(exchange::sse(sse_fixture("T2_tool_then_text_1.sse"), "req_a"));
    server.add(exchange::sse(sse_fixture("T2_tool_then_text_2.sse"), "req_b"));
  }
  net::io_context ioc(2);
  // The client lives on its own strand; each run on another one, as chatkit::http::server does per
  // connection.
  auto client = std::make_shared<const openai::client>(net::make_strand(ioc), client_options_for(server));
  auto model = std::make_shared<openai_responses_model>(client);
  request_context alice{"alice", {}, {}};
  std::atomic<int> ok{0};
  std::vector<std::unique_ptr<run_context>> contexts;
  for (int i = 0; i < 4; ++i) contexts.push_back(std::make_unique<run_context>(alice));
  auto one_run = [&](run_context& ctx) -> net::awaitable<void> {
    auto run = run_streamed(weather_agent(weather_tool()), "Weather in Paris?", ctx, {.model = model});
    while (co_await run.next()) {
    }
    if (run.final_output() == "It is 18°C in Paris.") ++ok;
  };
  std::vector<std::future<void>> done;
  for (int i = 0; i < 4; ++i)
    done.push_back(net::co_spawn(net::make_strand(ioc), one_run(*contexts[i]), net::use_future));
  std::thread second([&] { ioc.run(); });
  ioc.run();
  second.join();
  for (auto& f : done) CHECK_NOTHROW(f.get());
  CHECK(ok == 4);
  CHECK(server.requests().size() == 8);
}

TEST_CASE("openai_responses_model: a model that owns its client and I/O thread serves runs from any executor",
          "[agents][openai_responses_model][concurrency]") {
  scripted_server server;
  server.add(exchange::sse(sse_fixture("T2_tool_then_text_1.sse"), "req_a"));
  server.add(exchange::sse(sse_fixture("T2_tool_then_text_2.sse"), "req_b"));
  net::io_context ioc(2);
  request_context alice{"alice", {}, {}};
  run_context ctx(alice);
  {
    auto model = std::make_shared<openai_responses_model>(client_options_for(server));
    auto one_run = [&]() -> net::awaitable<std::string> {
      auto run = run_streamed(weather_agent(weather_tool()), "Weather in Paris?", ctx, {.model = model});
      while (co_await run.next()) {
      }
      co_return run.final_text();
    };
    auto result = net::co_spawn(net::make_strand(ioc), one_run(), net::use_future);
    std::thread second([&] { ioc.run(); });
    ioc.run();
    second.join();
    CHECK(result.get() == "It is 18°C in Paris.");
  }  // the model's destructor stops its thread with a keep-alive connection still open
  CHECK(server.requests().size() == 2);
  auto missing_key = client_options_for(server);
  missing_key.api_key = "";
  CHECK_THROWS_AS(openai_responses_model(missing_key), openai::api_error);
}
