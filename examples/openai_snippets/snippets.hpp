// The code shown in docs/openai-client.md. Each snippet is a function so that the examples' mains run
// them against the real API and tests/unit/openai/openai_snippets_test.cpp runs them against the scripted server.
#pragma once

#include <chatkit/openai/blocking_client.hpp>
#include <chatkit/openai/client.hpp>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>

#include <chrono>
#include <ostream>
#include <string>

namespace snippets {

namespace asio = boost::asio;
namespace openai = chatkit::openai;

// [stream_text] Stream a Responses answer and print the text as it arrives.
inline asio::awaitable<openai::response> stream_text(const openai::client& client, std::ostream& out) {
  auto stream = co_await client.stream_response({{"model", "gpt-4.1-mini"}, {"input", "Say hello"}});
  while (auto event = co_await stream.next()) {
    if (auto* delta = std::get_if<openai::output_text_delta>(&*event)) out << delta->text << std::flush;
  }
  out << "\n";
  co_return stream.current();  // the accumulated Response: output items, usage, request id
}
// [stream_text]

// [function_calls] Ask with a tool, then answer each function call and continue the conversation.
inline asio::awaitable<std::string> weather_turns(const openai::client& client) {
  boost::json::array input = {{{"role", "user"}, {"content", "Weather in Paris?"}}};
  const boost::json::array tools = {boost::json::parse(R"({"type":"function","name":"get_weather",
      "description":"Current weather for a city.","strict":true,
      "parameters":{"type":"object","properties":{"city":{"type":"string"}},
                    "required":["city"],"additionalProperties":false}})")};
  for (;;) {
    auto stream = co_await client.stream_response({{"model", "gpt-4.1-mini"}, {"input", input}, {"tools", tools}});
    while (co_await stream.next()) {
    }
    const openai::response& r = stream.current();
    if (r.function_calls().empty()) co_return r.output_text();
    for (const auto& item : r.output) input.push_back(item.raw);  // replay the model's items verbatim
    for (const auto* call : r.function_calls()) {
      input.push_back({{"type", "function_call_output"}, {"call_id", call->call_id}, {"output", R"({"temp_c":18})"}});
    }
  }
}
// [function_calls]

// [chat] Chat Completions: tool-call fragments are assembled by index for you.
inline asio::awaitable<openai::chat_completion> chat(const openai::client& client, std::ostream& out) {
  boost::json::object params{{"model", "gpt-4o-mini"}};
  params["messages"] = boost::json::parse(R"([{"role":"user","content":"Hi"}])");
  auto stream = co_await client.stream_chat_completion(std::move(params));
  while (auto chunk = co_await stream.next()) {
    for (const auto& choice : chunk->choices)
      if (choice.delta.content) out << *choice.delta.content;
  }
  out << "\n";
  co_return stream.current();
}
// [chat]

// [deadline] Give up on a stream after `limit`: the losing branch is cancelled and its connection closed.
inline asio::awaitable<bool> first_event_within(const openai::client& client, std::chrono::milliseconds limit) {
  using namespace asio::experimental::awaitable_operators;
  auto stream = co_await client.stream_response({{"model", "gpt-4.1-mini"}, {"input", "Hi"}});
  asio::steady_timer timer(co_await asio::this_coro::executor, limit);
  auto winner = co_await (stream.next() || timer.async_wait(asio::use_awaitable));
  co_return winner.index() == 0;
}
// [deadline]

// [errors] Typed errors carry the status, the API's error type/code and the x-request-id.
inline std::string describe(const openai::api_error& e) {
  std::string s = e.code().message();
  if (e.status() != 0) s += " (HTTP " + std::to_string(e.status()) + ")";
  if (!e.error_code().empty()) s += " code=" + e.error_code();
  if (!e.request_id().empty()) s += " request_id=" + e.request_id();
  return s + ": " + e.message();
}
// [errors]

// [blocking] The blocking wrapper, for programs without an event loop.
inline std::string blocking_hello(openai::client_options options) {
  openai::blocking_client client(std::move(options));
  std::string text;
  client.stream_response({{"model", "gpt-4.1-mini"}, {"input", "Say hello"}}, [&](const openai::response_event& e) {
    if (auto* d = std::get_if<openai::output_text_delta>(&e)) text += d->text;
  });
  return text;
}
// [blocking]

}  // namespace snippets
