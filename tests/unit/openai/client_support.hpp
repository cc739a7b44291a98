// Shared helpers of the client tests: a client pointed at a scripted server, and a Responses stream
// read to its end.
#pragma once

#include <chatkit/openai/client.hpp>

#include "fixtures.hpp"
#include "openai/scripted_server.hpp"
#include "support/run_sync.hpp"

#include <functional>

namespace chatkit::openai::test {

namespace net = boost::asio;
using chatkit::openai::testing::client_options_for;
using chatkit::testing::run_sync;

inline boost::json::object hello_request() {
  return {{"model", "gpt-test"}, {"input", "Say hello"}};
}

struct stream_result {
  std::vector<response_event> events;
  std::optional<api_error> error;
  response final;
  std::string request_id;
};

// Streams one response to its end, collecting events and the error that ended it, if any.
inline net::awaitable<stream_result> collect(client c, boost::json::object params, request_options ro = {}) {
  stream_result r;
  try {
    auto s = co_await c.stream_response(std::move(params), std::move(ro));
    r.request_id = s.request_id();
    try {
      while (auto e = co_await s.next()) r.events.push_back(std::move(*e));
    } catch (const api_error& e) {
      r.error = e;
    }
    r.final = s.current();
  } catch (const api_error& e) {
    r.error = e;
  }
  co_return r;
}

// Streams one response from `server` with a fresh client (options from client_options_for, then `tweak`).
inline stream_result stream_from(const testing::scripted_server& server,
                                 const std::function<void(client_options&)>& tweak = {},
                                 request_options ro = {}) {
  net::io_context ioc;
  auto o = client_options_for(server);
  if (tweak) tweak(o);
  client c(ioc.get_executor(), std::move(o));
  return run_sync(ioc, collect(c, hello_request(), std::move(ro)));
}

inline std::vector<std::string> text_deltas(const stream_result& r) {
  std::vector<std::string> out;
  for (const auto& e : r.events)
    if (auto* d = std::get_if<output_text_delta>(&e)) out.push_back(d->text);
  return out;
}

// Streams one Chat completion ("Hi" to gpt-test) with `c` to its end: what it assembled and the error that
// ended it, if any.
inline net::awaitable<std::pair<chat_completion, std::optional<api_error>>> stream_chat(client& c) {
  boost::json::object params{{"model", "gpt-test"},
                             {"messages", boost::json::parse(R"([{"role":"user","content":"Hi"}])")}};
  auto s = co_await c.stream_chat_completion(std::move(params));
  std::optional<api_error> err;
  try {
    while (co_await s.next()) {
    }
  } catch (const api_error& e) {
    err = e;
  }
  co_return std::make_pair(s.current(), err);
}

}  // namespace chatkit::openai::test
