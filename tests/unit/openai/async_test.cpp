// async.hpp: the client's operations with completion tokens — a callback, a future (the client's io_context
// on another thread), deferred, use_awaitable, per-event callbacks of a stream — against the scripted server;
// the snippets of examples/openai_callbacks with them.
#include "openai_callbacks/callbacks.hpp"

#include "client_support.hpp"

#include <chatkit/openai/async.hpp>

#include <boost/asio/deferred.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <future>
#include <thread>

using namespace chatkit::openai;
using namespace chatkit::openai::test;
using chatkit::openai::testing::exchange;
using chatkit::openai::testing::scripted_server;

namespace {

// The non-streaming answer of T1: its response.completed event's Response object.
exchange t1_json(const std::string& request_id) {
  const auto t1 = fixture("T1_text.sse");
  const auto at = t1.find("data: {\"type\":\"response.completed\"");
  auto completed = boost::json::parse(std::string_view(t1).substr(at + 6, t1.find('\n', at) - at - 6));
  return exchange::json(200, boost::json::serialize(completed.at("response")),
                        {{"x-request-id", request_id}});
}

client_options no_retries(const scripted_server& s) {
  auto o = client_options_for(s);
  o.max_retries = 0;
  return o;
}

// The client's io_context on its own thread, as a program using futures has it.
struct io_thread {
  net::io_context ioc;
  net::executor_work_guard<net::io_context::executor_type> work = net::make_work_guard(ioc);
  std::thread t{[this] { ioc.run(); }};
  // Lets run() return once the client's work is done; the client is then destroyed with no thread running it.
  void join() {
    work.reset();
    if (t.joinable()) t.join();
  }
  ~io_thread() { join(); }
};

}  // namespace

TEST_CASE("async: a callback gets the response, or the error with a default response", "[openai][async]") {
  scripted_server server;
  server.add(t1_json("req_cb"));
  server.add(exchange::json(429, fixture("T4_429.json")));
  net::io_context ioc;
  client c(ioc.get_executor(), no_retries(server));

  int calls = 0;
  std::string text, request_id;
  async_create_response(c, hello_request(), [&](std::exception_ptr e, response r) {
    ++calls;
    CHECK_FALSE(e);
    text = r.output_text();
    request_id = r.request_id;
  });
  CHECK(calls == 0);  // nothing runs before the io_context does
  ioc.run();
  CHECK(calls == 1);
  CHECK(text == "Hello, world!");
  CHECK(request_id == "req_cb");

  std::optional<errc> code;
  ioc.restart();
  async_create_response(c, hello_request(), request_options{}, [&](std::exception_ptr e, response r) {
    ++calls;
    CHECK(r.request_id.empty());
    try {
      std::rethrow_exception(e);
    } catch (const api_error& err) {
      code = err.kind();
    }
  });
  ioc.run();
  CHECK(calls == 2);
  CHECK(code == errc::rate_limit);
}

TEST_CASE("async: futures from another thread, the io_context running on its own", "[openai][async]") {
  scripted_server server;
  server.add(t1_json("req_f1"));
  server.add(exchange::json(429, fixture("T4_429.json")));
  io_thread io;
  client c(io.ioc.get_executor(), no_retries(server));
  std::future<response> ok = async_create_response(c, hello_request(), net::use_future);
  CHECK(ok.get().request_id == "req_f1");
  auto failed = async_create_response(c, hello_request(), net::use_future);
  CHECK_THROWS_AS(failed.get(), api_error);
  io.join();
}

TEST_CASE("async: deferred and use_awaitable compose like the client's own awaitables", "[openai][async]") {
  scripted_server server;
  server.add(t1_json("req_d"));
  server.add(t1_json("req_a"));
  server.add(exchange::json(200, R"({"object":"list","data":[]})", {{"x-request-id", "req_p"}}));
  net::io_context ioc;
  client c(ioc.get_executor(), client_options_for(server));

  auto op = async_create_response(c, hello_request(), net::deferred);  // nothing sent yet
  CHECK(server.requests().empty());
  std::string got;
  std::move(op)([&](std::exception_ptr e, response r) {
    CHECK_FALSE(e);
    got = r.request_id;
  });
  ioc.run();
  CHECK(got == "req_d");

  auto awaited = run_sync(ioc, [&]() -> net::awaitable<std::string> {
    auto r = co_await async_create_response(c, hello_request());  // use_awaitable is the default
    auto v = co_await async_post(c, "/embeddings", {{"input", "x"}});
    co_return r.request_id + " " + std::string(v.at("object").as_string());
  }());
  CHECK(awaited == "req_a list");
  auto reqs = server.requests();
  REQUIRE(reqs.size() == 3);
  CHECK(reqs[2].target == "/v1/embeddings");
}

TEST_CASE("async: a stream with a callback per event completes with the accumulated response",
          "[openai][async]") {
  scripted_server server;
  server.add(exchange::sse(fixture("T1_text.sse"), "req_s1"));
  server.add(exchange::sse(fixture("T5_error_mid_stream.sse"), "req_s2"));
  server.add(exchange::sse(fixture("C1_text.sse"), "req_c1"));
  net::io_context ioc;
  client c(ioc.get_executor(), client_options_for(server));

  std::vector<std::string> types;
  std::string final_text;
  async_stream_response(
      c, hello_request(), [&](const response_event& ev) { types.emplace_back(event_type(ev)); },
      [&](std::exception_ptr e, response r) {
        CHECK_FALSE(e);
        final_text = r.output_text();
      });
  ioc.run();
  CHECK(final_text == "Hello, world!");
  REQUIRE(types.size() > 2);
  CHECK(types.front() == "response.created");
  CHECK(types.back() == "response.completed");

  // An error event ends the stream: the events before it were delivered, then the error completes the call.
  std::size_t before_error = 0;
  std::optional<errc> code;
  ioc.restart();
  async_stream_response(
      c, hello_request(), [&](const response_event&) { ++before_error; },
      [&](std::exception_ptr e, response) {
        try {
          std::rethrow_exception(e);
        } catch (const api_error& err) {
          code = err.kind();
        }
      });
  ioc.run();
  CHECK(before_error > 0);
  CHECK(code == errc::stream_error);

  std::string chat_text;
  ioc.restart();
  async_stream_chat_completion(
      c, {{"model", "gpt-test"}, {"messages", boost::json::array{}}}, {},
      [&](const chat_chunk& chunk) {
        for (const auto& ch : chunk.choices) chat_text += ch.delta.content.value_or("");
      },
      [&](std::exception_ptr e, chat_completion done) {
        CHECK_FALSE(e);
        CHECK(done.choices.at(0).content == "Hello, world!");
      });
  ioc.run();
  CHECK(chat_text == "Hello, world!");
}

TEST_CASE("async: the examples/openai_callbacks snippets", "[openai][async][docs]") {
  scripted_server server;
  server.add(t1_json("req_1"));
  server.add(t1_json("req_2"));
  server.add(exchange::sse(fixture("T1_text.sse"), "req_3"));
  io_thread io;
  client c(io.ioc.get_executor(), client_options_for(server));

  std::promise<std::string> via_callback;
  callbacks::ask_with_callback(c, [&](std::string text) { via_callback.set_value(std::move(text)); });
  CHECK(via_callback.get_future().get() == "Hello, world!");

  CHECK(callbacks::ask_with_future(c) == "Hello, world!");

  std::promise<response> streamed;
  std::string deltas;  // written on the io thread, read after the promise is fulfilled
  callbacks::stream_with_callbacks(
      c, [&](std::string_view text) { deltas += text; },
      [&](std::exception_ptr e, response r) {
        if (e)
          streamed.set_exception(e);
        else
          streamed.set_value(std::move(r));
      });
  CHECK(streamed.get_future().get().output_text() == "Hello, world!");
  CHECK(deltas == "Hello, world!");
  io.join();
}
