#include <chatkit/openai/responses_decoder.hpp>

#include "decoder_support.hpp"
#include "fixtures.hpp"

using namespace chatkit::openai;
using chatkit::openai::test::fixture;

namespace {

using decoded = chatkit::openai::test::decoded<responses_decoder>;

// Feeds `bytes` in pieces of `step` bytes (0 = whole), then EOF.
decoded decode(std::string_view bytes, std::size_t step = 0) {
  return chatkit::openai::test::decode_all<responses_decoder>(bytes, step, "req_test");
}

std::vector<std::string> deltas(const decoded& d) {
  std::vector<std::string> out;
  for (const auto& e : d.events)
    if (auto* t = std::get_if<output_text_delta>(&e)) out.push_back(t->text);
  return out;
}

}  // namespace

TEST_CASE("responses_decoder: T1_text whole, per byte and in 7-byte pieces", "[openai][responses]") {
  const auto bytes = fixture("T1_text.sse");
  for (std::size_t step : {0, 1, 7}) {
    INFO("step " << step);
    auto d = decode(bytes, step);
    REQUIRE_FALSE(d.error);
    REQUIRE(d.events.size() == 11);
    CHECK(std::holds_alternative<response_created>(d.events[0]));
    CHECK(std::holds_alternative<response_in_progress>(d.events[1]));
    CHECK(std::holds_alternative<output_item_added>(d.events[2]));
    CHECK(std::holds_alternative<content_part_added>(d.events[3]));
    CHECK(std::holds_alternative<output_text_done>(d.events[7]));
    CHECK(std::holds_alternative<content_part_done>(d.events[8]));
    CHECK(std::holds_alternative<output_item_done>(d.events[9]));
    CHECK(std::holds_alternative<response_completed>(d.events[10]));
    CHECK(event_type(d.events[4]) == "response.output_text.delta");
    CHECK(event_common(d.events[4]).sequence_number == 4);
    CHECK(event_common(d.events[4]).raw.at("item_id") == "msg_t1");
    CHECK(deltas(d) == std::vector<std::string>{"Hello", ", world", "!"});
    CHECK(d.final.output_text() == "Hello, world!");
    CHECK(d.final.id == "resp_t1");
    CHECK(d.final.status == "completed");
    CHECK(d.final.request_id == "req_test");
    REQUIRE(d.final.usage);
    CHECK(d.final.usage->input_tokens == 12);
    CHECK(d.final.usage->output_tokens == 4);
    CHECK(d.final.usage->total_tokens == 16);
    CHECK(d.final.usage->cached_tokens == 0);
    CHECK(d.final.usage->reasoning_tokens == 0);
  }
}

TEST_CASE("responses_decoder: the accumulator builds text from deltas before the terminal event",
          "[openai][responses]") {
  responses_decoder d;
  const auto bytes = fixture("T1_text.sse");
  d.feed(bytes);
  std::vector<std::string> snapshots;
  while (auto e = d.next()) {
    if (std::holds_alternative<output_text_delta>(*e))
      snapshots.push_back(d.accumulator().current().output_text());
  }
  CHECK(snapshots == std::vector<std::string>{"Hello", "Hello, world", "Hello, world!"});
  CHECK(d.done());
  CHECK_NOTHROW(d.finish());
}

TEST_CASE("responses_decoder: T2 function call, then a UTF-8 text answer", "[openai][responses]") {
  auto a = decode(fixture("T2_tool_then_text_1.sse"), 1);
  REQUIRE_FALSE(a.error);
  REQUIRE(a.events.size() == 8);
  const auto& args_delta = std::get<function_call_arguments_delta>(a.events[3]);
  CHECK(args_delta.delta == "{\"city\":");
  const auto& args_done = std::get<function_call_arguments_done>(a.events[5]);
  CHECK(args_done.name == "get_weather");
  auto calls = a.final.function_calls();
  REQUIRE(calls.size() == 1);
  CHECK(calls[0]->call_id == "call_t2");
  CHECK(calls[0]->name == "get_weather");
  CHECK(calls[0]->arguments == "{\"city\":\"Paris\"}");
  CHECK(calls[0]->raw.at("call_id") == "call_t2");
  CHECK(a.final.usage->total_tokens == 65);

  auto b = decode(fixture("T2_tool_then_text_2.sse"), 1);
  REQUIRE_FALSE(b.error);
  REQUIRE(b.events.size() == 9);
  CHECK(deltas(b) == std::vector<std::string>{"It is 18",
                                              "\xC2\xB0"
                                              "C in Paris."});
  CHECK(b.final.output_text() ==
        "It is 18\xC2\xB0"
        "C in Paris.");
  CHECK(b.final.usage->cached_tokens == 64);
}

TEST_CASE("responses_decoder: T3 parallel calls keyed by item", "[openai][responses]") {
  auto a = decode(fixture("T3_parallel_calls_1.sse"), 3);
  REQUIRE_FALSE(a.error);
  auto calls = a.final.function_calls();
  REQUIRE(calls.size() == 2);
  CHECK(calls[0]->call_id == "call_t3a");
  CHECK(calls[0]->arguments == "{\"city\":\"Paris\"}");
  CHECK(calls[1]->call_id == "call_t3b");
  CHECK(calls[1]->arguments == "{\"city\":\"Tokyo\"}");
  auto b = decode(fixture("T3_parallel_calls_2.sse"));
  CHECK(b.final.output_text() == "Paris 18, Tokyo 25.");
}

TEST_CASE("responses_decoder: mid-stream error events raise after the earlier events",
          "[openai][responses]") {
  for (const char* name : {"T5_error_mid_stream.sse", "T5b_error_nested.sse"}) {
    INFO(name);
    for (std::size_t step : {0, 1}) {
      auto d = decode(fixture(name), step);
      CHECK(d.events.size() == 4);
      REQUIRE(d.error);
      CHECK(d.error->kind() == errc::stream_error);
      CHECK(d.error->code() == errc::stream_error);
      CHECK(d.error->error_code() == "server_error");
      CHECK(d.error->message() == "The server had an error while processing your request.");
      CHECK(d.error->request_id() == "req_test");
      CHECK(d.final.output_text() == "Hel");
    }
  }
}

TEST_CASE("responses_decoder: response.failed and response.incomplete are terminal events",
          "[openai][responses]") {
  auto failed = decode(fixture("T5c_failed.sse"));
  REQUIRE_FALSE(failed.error);
  REQUIRE(failed.events.size() == 5);
  CHECK(std::holds_alternative<response_failed>(failed.events.back()));
  CHECK(failed.final.status == "failed");
  CHECK(failed.final.error_code == "server_error");
  // The terminal response's output is empty, but an item was seen: the accumulated items are kept.
  CHECK(failed.final.output_text() == "Hel");

  auto incomplete = decode(fixture("T5d_incomplete.sse"));
  REQUIRE_FALSE(incomplete.error);
  CHECK(std::holds_alternative<response_incomplete>(incomplete.events.back()));
  CHECK(incomplete.final.status == "incomplete");
  CHECK(incomplete.final.incomplete_reason == "max_output_tokens");
  CHECK(incomplete.final.output_text() == "Hel");
}

TEST_CASE("responses_decoder: a body that ends early is truncated and the partial event is dropped",
          "[openai][responses]") {
  for (std::size_t step : {0, 1, 5}) {
    auto d = decode(fixture("T6_truncated.sse"), step);
    CHECK(d.events.size() == 4);
    REQUIRE(d.error);
    CHECK(d.error->kind() == errc::stream_truncated);
    CHECK(d.error->request_id() == "req_test");
  }
  // Clean EOF after a few whole events (T6b: body delimited by close) is also a truncation.
  const auto t1 = fixture("T1_text.sse");
  auto cut = decode(std::string_view(t1).substr(0, t1.find("event: response.completed")));
  CHECK(cut.events.size() == 10);
  REQUIRE(cut.error);
  CHECK(cut.error->kind() == errc::stream_truncated);
}

TEST_CASE("responses_decoder: P1_edge equals T1 in every write plan", "[openai][responses]") {
  const auto expected = decode(fixture("T1_text.sse"));
  for (std::size_t step : {0, 1, 7, 64}) {
    auto d = decode(fixture("P1_edge.sse"), step);
    REQUIRE_FALSE(d.error);
    REQUIRE(d.events.size() == expected.events.size());
    for (std::size_t i = 1; i < d.events.size(); ++i)
      CHECK(event_common(d.events[i]).raw == event_common(expected.events[i]).raw);
    CHECK(d.final.output_text() == "Hello, world!");
    CHECK(d.final.usage == expected.final.usage);
  }
}

TEST_CASE("responses_decoder: protocol violations are errors, unknown events pass through",
          "[openai][responses]") {
  auto bad_json = decode("event: x\ndata: {\"type\":\n\n");
  REQUIRE(bad_json.error);
  CHECK(bad_json.error->kind() == errc::stream_protocol_error);
  CHECK(bad_json.error->details().body == "{\"type\":");

  auto repeated = decode(
      "data: {\"type\":\"response.audio.delta\",\"sequence_number\":3}\n\n"
      "data: {\"type\":\"response.audio.delta\",\"sequence_number\":3}\n\n");
  REQUIRE(repeated.error);
  CHECK(repeated.error->kind() == errc::stream_protocol_error);
  CHECK(repeated.events.size() == 1);

  auto wrong_type =
      decode("data: {\"type\":\"response.output_text.delta\",\"sequence_number\":0,\"item_id\":5}\n\n");
  REQUIRE(wrong_type.error);
  CHECK(wrong_type.error->kind() == errc::stream_protocol_error);

  auto other = decode(
      "data: "
      "{\"type\":\"response.image_generation_call.partial_image\",\"sequence_number\":0,\"partial_image_"
      "b64\":\"AA\"}\n\n"
      "data: [DONE]\n\n: ping\n\ndata:   \n\n"
      "data: "
      "{\"type\":\"response.completed\",\"sequence_number\":1,\"response\":{\"id\":\"r\",\"status\":"
      "\"completed\","
      "\"output\":[]}}\n\n");
  REQUIRE_FALSE(other.error);
  REQUIRE(other.events.size() == 2);
  const auto& o = std::get<other_event>(other.events[0]);
  CHECK(o.type == "response.image_generation_call.partial_image");
  CHECK(o.raw.at("partial_image_b64") == "AA");
  CHECK(event_type(other.events[0]) == "response.image_generation_call.partial_image");

  // Gaps in sequence numbers are accepted; events after the terminal one are ignored.
  auto gap = decode(
      "data: "
      "{\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"r\",\"status\":\"in_"
      "progress\"}}\n\n"
      "data: "
      "{\"type\":\"response.completed\",\"sequence_number\":5,\"response\":{\"id\":\"r\",\"status\":"
      "\"completed\"}}\n\n"
      "data: "
      "{\"type\":\"response.completed\",\"sequence_number\":1,\"response\":{\"id\":\"r\",\"status\":"
      "\"completed\"}}\n\n");
  REQUIRE_FALSE(gap.error);
  CHECK(gap.events.size() == 2);
}

TEST_CASE("responses_decoder: refusals, annotations and reasoning summaries accumulate",
          "[openai][responses]") {
  const char* body =
      "data: "
      "{\"type\":\"response.output_item.added\",\"sequence_number\":0,\"output_index\":0,\"item\":{\"id\":"
      "\"rs_1\",\"type\":\"reasoning\",\"summary\":[]}}\n\n"
      "data: "
      "{\"type\":\"response.reasoning_summary_part.added\",\"sequence_number\":1,\"item_id\":\"rs_1\","
      "\"output_index\":0,\"summary_index\":0,\"part\":{\"type\":\"summary_text\",\"text\":\"\"}}\n\n"
      "data: "
      "{\"type\":\"response.reasoning_summary_text.delta\",\"sequence_number\":2,\"item_id\":\"rs_1\","
      "\"output_index\":0,\"summary_index\":0,\"delta\":\"Think\"}\n\n"
      "data: "
      "{\"type\":\"response.reasoning_summary_text.delta\",\"sequence_number\":3,\"item_id\":\"rs_1\","
      "\"output_index\":0,\"summary_index\":0,\"delta\":\"ing\"}\n\n"
      "data: "
      "{\"type\":\"response.output_item.added\",\"sequence_number\":4,\"output_index\":1,\"item\":{\"id\":"
      "\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[]}}\n\n"
      "data: "
      "{\"type\":\"response.content_part.added\",\"sequence_number\":5,\"item_id\":\"msg_1\",\"output_"
      "index\":1,\"content_index\":0,\"part\":{\"type\":\"output_text\",\"text\":\"\",\"annotations\":[]}}"
      "\n\n"
      "data: "
      "{\"type\":\"response.output_text.delta\",\"sequence_number\":6,\"item_id\":\"msg_1\",\"output_index\":"
      "1,\"content_index\":0,\"delta\":\"See docs\",\"obfuscation\":\"zz\"}\n\n"
      "data: "
      "{\"type\":\"response.output_text.annotation.added\",\"sequence_number\":7,\"item_id\":\"msg_1\","
      "\"output_index\":1,\"content_index\":0,\"annotation_index\":0,\"annotation\":null}\n\n"
      "data: "
      "{\"type\":\"response.output_text.annotation.added\",\"sequence_number\":8,\"item_id\":\"msg_1\","
      "\"output_index\":1,\"content_index\":0,\"annotation_index\":0,\"annotation\":{\"type\":\"url_"
      "citation\",\"url\":\"https://x\",\"title\":\"X\",\"start_index\":4,\"end_index\":8}}\n\n"
      "data: "
      "{\"type\":\"response.content_part.added\",\"sequence_number\":9,\"item_id\":\"msg_1\",\"output_"
      "index\":1,\"content_index\":1,\"part\":{\"type\":\"refusal\",\"refusal\":\"\"}}\n\n"
      "data: "
      "{\"type\":\"response.refusal.delta\",\"sequence_number\":10,\"item_id\":\"msg_1\",\"output_index\":1,"
      "\"content_index\":1,\"delta\":\"No\"}\n\n"
      "data: "
      "{\"type\":\"response.completed\",\"sequence_number\":11,\"response\":{\"id\":\"r\",\"status\":"
      "\"completed\",\"output\":[]}}\n\n";
  auto d = decode(body, 13);
  REQUIRE_FALSE(d.error);
  REQUIRE(d.final.output.size() == 2);
  REQUIRE(d.final.output[0].summary.size() == 1);
  CHECK(d.final.output[0].summary[0].text == "Thinking");
  const auto& msg = d.final.output[1];
  REQUIRE(msg.content.size() == 2);
  CHECK(msg.content[0].text == "See docs");
  REQUIRE(msg.content[0].annotations.size() == 1);
  CHECK(msg.content[0].annotations[0].at("type") == "url_citation");
  CHECK(msg.content[1].type == "refusal");
  CHECK(msg.content[1].text == "No");
  CHECK(d.final.output_text() == "See docs");
}

TEST_CASE("responses_decoder: a missing sequence_number is an error unless lenient", "[openai][responses]") {
  const char* body =
      "data: {\"type\":\"response.created\",\"response\":{\"id\":\"r\",\"status\":\"in_progress\"}}\n\n"
      "data: {\"type\":\"response.completed\",\"response\":{\"id\":\"r\",\"status\":\"completed\"}}\n\n";
  auto strict = decode(body);
  REQUIRE(strict.error);
  CHECK(strict.error->kind() == errc::stream_protocol_error);

  decoder_options lenient;
  lenient.lenient_sequence = true;
  responses_decoder d(lenient);
  d.feed(body);
  std::size_t n = 0;
  while (d.next()) ++n;
  CHECK(n == 2);
  CHECK_NOTHROW(d.finish());
  CHECK(d.accumulator().current().status == "completed");
}

TEST_CASE("responses_decoder: a lone surrogate escape becomes U+FFFD instead of failing the stream",
          "[openai][responses][surrogates]") {
  auto d = decode(
      R"(data: {"type":"response.output_text.delta","sequence_number":0,"item_id":"m","output_index":0,"content_index":0,"delta":"a\ud83d"})"
      "\n\n"
      R"(data: {"type":"response.output_text.delta","sequence_number":1,"item_id":"m","output_index":0,"content_index":0,"delta":"\ud83d\ude00"})"
      "\n\n"
      R"(data: {"type":"response.completed","sequence_number":2,"response":{"id":"r","status":"completed"}})"
      "\n\n");
  REQUIRE_FALSE(d.error);
  REQUIRE(d.events.size() == 3);
  CHECK(std::get<output_text_delta>(d.events[0]).text == "a\xEF\xBF\xBD");
  CHECK(std::get<output_text_delta>(d.events[1]).text == "\xF0\x9F\x98\x80");
}
