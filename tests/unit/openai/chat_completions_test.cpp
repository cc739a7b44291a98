#include <chatkit/openai/chat_completions.hpp>
#include <chatkit/openai/json_text.hpp>

#include <boost/json/parse.hpp>

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

TEST_CASE("chat_decoder: an error chunk raises, a missing [DONE] truncates an unfinished stream",
          "[openai][chat]") {
  auto e = decode(fixture("T5e_chat_error.sse"), 1);
  CHECK(e.events.size() == 3);
  REQUIRE(e.error);
  CHECK(e.error->kind() == errc::stream_error);
  CHECK(e.error->type() == "server_error");
  CHECK(e.error->message() == "The server had an error while processing your request.");
  CHECK(e.error->request_id() == "req_c");

  const auto c1 = fixture("C1_text.sse");
  // Complete but for [DONE] (every choice finished): accepted, as openai-node does.
  auto no_done = decode(std::string_view(c1).substr(0, c1.find("data: [DONE]")));
  CHECK_FALSE(no_done.error);
  CHECK(no_done.final.choices[0].content == "Hello, world!");
  // Cut before the finish_reason: truncated, the text so far kept.
  auto cut = decode(std::string_view(c1).substr(0, c1.find("data: {", c1.find(", world!"))));
  REQUIRE(cut.error);
  CHECK(cut.error->kind() == errc::stream_truncated);
  CHECK(cut.final.choices[0].content == "Hello, world!");

  auto bad = decode("data: [1,2]\n\n");
  REQUIRE(bad.error);
  CHECK(bad.error->kind() == errc::stream_protocol_error);
  CHECK(std::string(bad.error->what()).find("not an object") != std::string::npos);
  auto broken = decode("data: {\"id\":\n\n");
  REQUIRE(broken.error);
  CHECK(std::string(broken.error->what()).find("not valid JSON") != std::string::npos);
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

namespace {

std::string chunk(std::string_view delta, std::string_view finish = "null", std::int64_t index = 0) {
  return "data: {\"id\":\"c\",\"model\":\"m\",\"created\":1,\"choices\":[{\"index\":" +
         std::to_string(index) + ",\"delta\":" + std::string(delta) +
         ",\"finish_reason\":" + std::string(finish) + "}]}\n\n";
}

constexpr std::string_view grin = "\xF0\x9F\x98\x80";  // U+1F600
constexpr std::string_view fffd = "\xEF\xBF\xBD";

std::string joined_text(const chatkit::openai::test::decoded<chat_decoder>& d) {
  std::string s;
  for (const auto& e : d.events)
    for (const auto& ch : e.choices)
      if (ch.delta.content) s += *ch.delta.content;
  return s;
}

}  // namespace

TEST_CASE("chat_decoder: lone surrogate escapes", "[openai][chat][surrogates]") {
  SECTION("an emoji split across two chunks is joined") {
    const auto body = chunk(R"({"content":"ab\ud83d"})") + chunk(R"({"content":"\ude00 done"})") +
                      chunk("{}", "\"stop\"") + "data: [DONE]\n\n";
    for (std::size_t step : {0, 1, 5}) {
      auto d = decode(body, step);
      REQUIRE_FALSE(d.error);
      CHECK(d.final.choices[0].content == "ab" + std::string(grin) + " done");
      CHECK(joined_text(d) == d.final.choices[0].content);
      CHECK(*d.events[0].choices[0].delta.content == "ab");  // the high half is held back
      // The raw JSON holds no three-byte surrogate.
      CHECK(d.events[0].raw.at("choices").at(0).at("delta").at("content").as_string() ==
            "ab" + std::string(fffd));
    }
  }
  SECTION("an unpaired high surrogate at the end of the stream becomes U+FFFD") {
    auto d = decode(chunk(R"({"content":"x\uD83D"})") + "data: [DONE]\n\n");
    REQUIRE_FALSE(d.error);
    CHECK(d.final.choices[0].content == "x" + std::string(fffd));
    CHECK(joined_text(d) == d.final.choices[0].content);
    // ...or at its finish_reason.
    auto f = decode(chunk(R"({"content":"x\ud83d"})") + chunk("{}", "\"stop\"") + "data: [DONE]\n\n");
    CHECK(f.final.choices[0].content == "x" + std::string(fffd));
    CHECK(joined_text(f) == f.final.choices[0].content);
  }
  SECTION("an unpaired low surrogate, and a high one followed by other text") {
    auto d = decode(chunk(R"({"content":"\ude00a\ud83db"})") + chunk(R"({"content":"\ud83d"})") +
                    chunk(R"({"content":"c"})") + "data: [DONE]\n\n");
    REQUIRE_FALSE(d.error);
    const std::string r(fffd);
    CHECK(d.final.choices[0].content == r + "a" + r + "b" + r + "c");
  }
  SECTION("a pair in one string is unchanged; so is an escaped backslash before ud83d") {
    auto d = decode(chunk(R"({"content":"\ud83d\ude00 \\ud83d"})") + "data: [DONE]\n\n");
    REQUIRE_FALSE(d.error);
    CHECK(d.final.choices[0].content == std::string(grin) + " \\ud83d");
  }
  SECTION("tool-call arguments and choices are streams of their own") {
    auto d = decode(
        chunk(R"({"tool_calls":[{"index":0,"id":"t","function":{"name":"f","arguments":"\ud83d"}}]})") +
        chunk(R"({"content":"\ud83d"})", "null", 1) +
        chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":"\ude00"}}]})") +
        chunk(R"({"content":"\ude00"})", "null", 1) + "data: [DONE]\n\n");
    REQUIRE_FALSE(d.error);
    REQUIRE(d.final.choices.size() == 2);
    CHECK(d.final.choices[0].tool_calls.at(0).arguments == grin);
    CHECK(d.final.choices[1].content == grin);
    // An argument fragment left unpaired when its choice finishes (no [DONE] after it).
    auto f = decode(
        chunk(
            R"({"tool_calls":[{"index":0,"id":"t","function":{"name":"f","arguments":"{\"q\":\"\ud83d"}}]})") +
        chunk("{}", "\"tool_calls\""));
    REQUIRE_FALSE(f.error);
    CHECK(f.final.choices[0].tool_calls.at(0).arguments == "{\"q\":\"" + std::string(fffd));
  }
  SECTION("text before a truly malformed chunk is kept; the error names the problem") {
    auto d = decode(chunk(R"({"content":"kept"})") + "data: {\"choices\":[\"\\ud83d\n\n");
    REQUIRE(d.error);
    CHECK(d.error->kind() == errc::stream_protocol_error);
    CHECK(std::string(d.error->what()).find("not valid JSON") != std::string::npos);
    CHECK(d.final.choices[0].content == "kept");
    REQUIRE(d.events.size() == 1);
  }
}

TEST_CASE("chat_decoder: later fragments that repeat id and name as empty strings keep the first ones",
          "[openai][chat]") {
  auto d = decode(
      chunk(
          R"({"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"a\""}}]})") +
      chunk(R"({"tool_calls":[{"index":0,"id":"","type":"","function":{"name":"","arguments":":1}"}}]})") +
      "data: [DONE]\n\n");
  REQUIRE_FALSE(d.error);
  const auto& call = d.final.choices.at(0).tool_calls.at(0);
  CHECK(call.id == "call_1");
  CHECK(call.type == "function");
  CHECK(call.name == "f");
  CHECK(call.arguments == "{\"a\":1}");
}

TEST_CASE("chat_decoder: legacy function_call and reasoning deltas", "[openai][chat]") {
  auto d = decode(chunk(R"({"role":"assistant","reasoning_content":"think "})") +
                  chunk(R"({"reasoning":"more"})") +
                  chunk(R"({"function_call":{"name":"lookup","arguments":"{\"q\":"}})") +
                  chunk(R"({"function_call":{"arguments":"1}"}})") + chunk("{}", "\"function_call\"") +
                  "data: [DONE]\n\n");
  REQUIRE_FALSE(d.error);
  const auto& ch = d.final.choices.at(0);
  CHECK(ch.reasoning == "think more");
  REQUIRE(ch.tool_calls.size() == 1);
  CHECK(ch.tool_calls[0].name == "lookup");
  CHECK(ch.tool_calls[0].arguments == "{\"q\":1}");

  auto body = boost::json::parse(R"({"id":"cc","model":"m","created":1,"choices":[{"index":0,
    "message":{"role":"assistant","content":null,"reasoning_content":"r",
    "function_call":{"name":"lookup","arguments":"{}"}},"finish_reason":"function_call"}]})");
  auto c = parse_chat_completion(body.as_object());
  REQUIRE(c.has_value());
  CHECK(c->choices[0].reasoning == "r");
  auto r = to_response(*c);
  REQUIRE(r.output.size() == 1);
  CHECK(r.output[0].type == "function_call");
  CHECK(r.output[0].name == "lookup");
  CHECK(r.output[0].call_id == "call_cc_0");
}

TEST_CASE("parse_json_text: lone surrogates become U+FFFD, other errors stay", "[openai][surrogates]") {
  boost::system::error_code ec;
  auto v = parse_json_text(R"({"q":"a\ud83d","p":"\ud83d\ude00"})", ec);
  REQUIRE_FALSE(ec);
  CHECK(v.at("q").as_string() == "a" + std::string(fffd));
  CHECK(v.at("p").as_string() == grin);
  parse_json_text(R"({"q":"a\ud83d)", ec);
  CHECK(ec);
}
