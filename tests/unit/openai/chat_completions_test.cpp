#include <chatkit/openai/chat_completions.hpp>

#include "decoder_support.hpp"
#include "fixtures.hpp"

using namespace chatkit::openai;
using chatkit::openai::test::fixture;

namespace {

chatkit::openai::test::decoded<chat_decoder> decode(std::string_view bytes, std::size_t step = 0) {
  return chatkit::openai::test::decode_all<chat_decoder>(bytes, step, "req_c");
}

}  // namespace

TEST_CASE("chat_decoder: C1_text", "[openai][chat]") {
  for (std::size_t step : {0, 1, 7}) {
    auto d = decode(fixture("C1_text.sse"), step);
    REQUIRE_FALSE(d.error);
    CHECK(d.events.size() == 5);
    REQUIRE(d.final.choices.size() == 1);
    CHECK(d.final.id == "chatcmpl-c1");
    CHECK(d.final.choices[0].role == "assistant");
    CHECK(d.final.choices[0].content == "Hello, world!");
    CHECK(d.final.choices[0].finish_reason == "stop");
    REQUIRE(d.final.usage);
    CHECK(d.final.usage->prompt_tokens == 12);
    CHECK(d.final.usage->completion_tokens == 4);
    CHECK(d.final.usage->total_tokens == 16);
    CHECK(d.final.usage->to_usage().input_tokens == 12);
    CHECK(d.final.request_id == "req_c");
    CHECK(d.events[1].choices[0].delta.content == "Hello");
    CHECK(d.events[4].choices.empty());
  }
}

TEST_CASE("chat_decoder: C2 interleaved tool-call fragments are assembled by index", "[openai][chat]") {
  for (std::size_t step : {0, 1, 11}) {
    auto d = decode(fixture("C2_parallel_tools.sse"), step);
    REQUIRE_FALSE(d.error);
    REQUIRE(d.final.choices.size() == 1);
    const auto& calls = d.final.choices[0].tool_calls;
    REQUIRE(calls.size() == 2);
    CHECK(calls[0].id == "call_c2a");
    CHECK(calls[0].name == "get_weather");
    CHECK(calls[0].arguments == "{\"city\": \"Paris\"}");
    CHECK(calls[1].id == "call_c2b");
    CHECK(calls[1].name == "get_weather");
    CHECK(calls[1].arguments == "{\"city\": \"Tokyo\"}");
    CHECK(d.final.choices[0].finish_reason == "tool_calls");
    CHECK(d.final.choices[0].content.empty());
    CHECK(d.final.usage->prompt_tokens == 60);
    CHECK(d.final.usage->completion_tokens == 30);
    CHECK(d.final.usage->total_tokens == 90);
  }
}

TEST_CASE("chat_decoder: an error chunk raises, a missing [DONE] is a truncation", "[openai][chat]") {
  auto e = decode(fixture("T5e_chat_error.sse"), 1);
  CHECK(e.events.size() == 3);
  REQUIRE(e.error);
  CHECK(e.error->kind() == errc::stream_error);
  CHECK(e.error->type() == "server_error");
  CHECK(e.error->message() == "The server had an error while processing your request.");
  CHECK(e.error->request_id() == "req_c");

  const auto c1 = fixture("C1_text.sse");
  auto cut = decode(std::string_view(c1).substr(0, c1.find("data: [DONE]")));
  REQUIRE(cut.error);
  CHECK(cut.error->kind() == errc::stream_truncated);
  CHECK(cut.final.choices[0].content == "Hello, world!");

  auto bad = decode("data: [1,2]\n\n");
  REQUIRE(bad.error);
  CHECK(bad.error->kind() == errc::stream_protocol_error);
  auto wrong = decode("data: {\"id\":1}\n\n");
  REQUIRE(wrong.error);
  CHECK(wrong.error->kind() == errc::stream_protocol_error);
}

TEST_CASE("chat: non-streaming completion parsing", "[openai][chat]") {
  auto v = boost::json::parse(
      R"({"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}})");
  auto c = parse_chat_completion(v.as_object());
  REQUIRE(c.has_value());
  REQUIRE(c->choices.size() == 1);
  CHECK(c->choices[0].tool_calls.at(0).name == "f");
  CHECK(c->usage->total_tokens == 5);
  CHECK(parse_chat_completion(boost::json::parse(R"({"id":"x","choices":[1]})").as_object()).has_error());
}

TEST_CASE("chat: a completion maps onto the Responses model", "[openai][chat]") {
  auto c2 = decode(fixture("C2_parallel_tools.sse"));
  REQUIRE_FALSE(c2.error);
  auto r = to_response(c2.final);
  CHECK(r.status == "completed");
  REQUIRE(r.function_calls().size() == 2);
  CHECK(r.function_calls()[0]->call_id == "call_c2a");
  CHECK(r.function_calls()[1]->arguments == "{\"city\": \"Tokyo\"}");
  CHECK(r.function_calls()[1]->raw.at("call_id") == "call_c2b");
  CHECK(r.usage->input_tokens == 60);
  CHECK(r.usage->output_tokens == 30);
  CHECK(r.output_text().empty());

  auto c1 = decode(fixture("C1_text.sse"));
  auto t = to_response(c1.final);
  CHECK(t.output_text() == "Hello, world!");
  REQUIRE(t.output.size() == 1);
  CHECK(t.output[0].raw.at("content").at(0).at("text") == "Hello, world!");
  CHECK(t.request_id == "req_c");

  chat_completion cut = c1.final;
  cut.choices[0].finish_reason = "length";
  CHECK(to_response(cut).incomplete_reason == "max_output_tokens");
}
