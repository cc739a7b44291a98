// The OpenAI client without coroutines: a callback, a future and a callback per streamed event
// (chatkit/openai/async.hpp, docs/openai-client.md#completion-tokens). main.cpp runs them against the API
// named by OPENAI_BASE_URL / OPENAI_API_KEY; tests/unit/openai/async_test.cpp runs them against the scripted
// server.
#pragma once

#include <chatkit/openai/async.hpp>

#include <boost/asio/use_future.hpp>

#include <exception>
#include <functional>
#include <future>
#include <string>
#include <variant>

namespace callbacks {

namespace asio = boost::asio;
namespace openai = chatkit::openai;

inline boost::json::object hello() {
  return {{"model", "gpt-4.1-mini"}, {"input", "Say hello"}};
}

// [callback]
// A completion handler: called on the client's executor with the error (if any) and the response.
inline void ask_with_callback(const openai::client& client, std::function<void(std::string)> done) {
  openai::async_create_response(client, hello(), [done](std::exception_ptr error, openai::response r) {
    if (error) {
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {  // an openai::api_error
        return done(std::string("error: ") + e.what());
      }
    }
    done(r.output_text());
  });
}
// [callback]

// [future]
// A future, for a thread that is not the one running the client's io_context: get() blocks it until the
// answer arrives, and rethrows the api_error of a failed call.
inline std::string ask_with_future(const openai::client& client) {
  std::future<openai::response> answer = openai::async_create_response(client, hello(), asio::use_future);
  return answer.get().output_text();
}
// [future]

// [stream]
// A stream: `on_text` gets every text delta as it arrives, `done` the accumulated response at the end.
inline void stream_with_callbacks(const openai::client& client, std::function<void(std::string_view)> on_text,
                                  std::function<void(std::exception_ptr, openai::response)> done) {
  openai::async_stream_response(
      client, hello(),
      [on_text](const openai::response_event& event) {
        if (auto* delta = std::get_if<openai::output_text_delta>(&event)) on_text(delta->text);
      },
      std::move(done));
}
// [stream]

}  // namespace callbacks
