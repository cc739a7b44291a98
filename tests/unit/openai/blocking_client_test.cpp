#include <chatkit/openai/blocking_client.hpp>

#include "client_support.hpp"

using namespace chatkit::openai;
using chatkit::openai::test::fixture;
using chatkit::openai::testing::exchange;
using chatkit::openai::testing::scripted_server;

TEST_CASE("blocking_client: streams with a callback and raises typed errors", "[openai][blocking]") {
  scripted_server server;
  server.add(exchange::sse(fixture("T1_text.sse"), "req_b1"));
  server.add(exchange::sse(fixture("C2_parallel_tools.sse"), "req_b2"));
  server.add(exchange::json(404, R"({"error":{"message":"no such model","type":"invalid_request_error","param":"model","code":"model_not_found"}})",
                            {{"x-request-id", "req_b3"}}));
  blocking_client c(chatkit::openai::test::client_options_for(server));

  std::string text;
  auto r = c.stream_response({{"model", "gpt-test"}, {"input", "hi"}}, [&](const response_event& e) {
    if (auto* d = std::get_if<output_text_delta>(&e)) text += d->text;
  });
  CHECK(text == "Hello, world!");
  CHECK(r.output_text() == "Hello, world!");
  CHECK(r.request_id == "req_b1");

  std::size_t chunks = 0;
  auto chat = c.stream_chat_completion({{"model", "gpt-test"}}, [&](const chat_chunk&) { ++chunks; });
  CHECK(chunks == 7);
  CHECK(chat.choices.at(0).tool_calls.size() == 2);

  try {
    c.create_response({{"model", "nope"}});
    FAIL("expected an error");
  } catch (const api_error& e) {
    CHECK(e.kind() == errc::not_found);
    CHECK(e.status() == 404);
    CHECK(e.param() == "model");
    CHECK(e.error_code() == "model_not_found");
    CHECK(e.request_id() == "req_b3");
  }
  CHECK(server.requests().size() == 3);
}
