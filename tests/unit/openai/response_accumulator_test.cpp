// response_accumulator on typed events: what `raw` holds for each output item at the end of a response — the
// item exactly as the API sent it when it was sent whole, and the accumulated state (unknown fields of the
// snapshot kept) when only output_item.added and deltas arrived.
#include <chatkit/openai/response_accumulator.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace chatkit::openai;
namespace json = boost::json;

namespace {

// Applies each event (JSON text, as on the wire) in order.
response_accumulator fold(const std::vector<std::string>& events) {
  response_accumulator acc;
  for (const auto& text : events) {
    auto parsed = parse_response_event(json::parse(text).as_object());
    REQUIRE(parsed.has_value());
    acc.apply(*parsed);
  }
  return acc;
}

const std::string created =
    R"({"type":"response.created","sequence_number":0,"response":{"id":"resp_1","status":"in_progress","model":"gpt-test","created_at":1,"output":[]}})";

std::string completed(const std::string& output) {
  return R"({"type":"response.completed","sequence_number":99,"response":{"id":"resp_1","status":"completed","model":"gpt-test","created_at":1,"output":)" +
         output + "}}";
}

// A function call streamed without output_item.done (the snapshot carries a field the SDK does not model).
const std::vector<std::string> call_events = {
    R"({"type":"response.output_item.added","sequence_number":1,"output_index":0,"item":{"id":"fc_1","type":"function_call","status":"in_progress","arguments":"","call_id":"call_1","name":"get_weather","x_trace":"t1"}})",
    R"({"type":"response.function_call_arguments.delta","sequence_number":2,"item_id":"fc_1","output_index":0,"delta":"{\"city\":"})",
    R"({"type":"response.function_call_arguments.delta","sequence_number":3,"item_id":"fc_1","output_index":0,"delta":"\"Paris\"}"})",
    R"({"type":"response.function_call_arguments.done","sequence_number":4,"item_id":"fc_1","output_index":0,"arguments":"{\"city\":\"Paris\"}"})",
};

// A message with a text part (annotated, with a part field the SDK does not model) and a refusal part.
const std::vector<std::string> message_events = {
    R"({"type":"response.output_item.added","sequence_number":5,"output_index":1,"item":{"id":"msg_1","type":"message","status":"in_progress","role":"assistant","phase":"final_answer","content":[]}})",
    R"({"type":"response.content_part.added","sequence_number":6,"item_id":"msg_1","output_index":1,"content_index":0,"part":{"type":"output_text","text":"","annotations":[],"logprobs":[]}})",
    R"({"type":"response.output_text.delta","sequence_number":7,"item_id":"msg_1","output_index":1,"content_index":0,"delta":"See "})",
    R"({"type":"response.output_text.delta","sequence_number":8,"item_id":"msg_1","output_index":1,"content_index":0,"delta":"docs"})",
    R"({"type":"response.output_text.annotation.added","sequence_number":9,"item_id":"msg_1","output_index":1,"content_index":0,"annotation_index":0,"annotation":{"type":"url_citation","url":"https://x","title":"X","start_index":4,"end_index":8}})",
    R"({"type":"response.content_part.added","sequence_number":10,"item_id":"msg_1","output_index":1,"content_index":1,"part":{"type":"refusal","refusal":""}})",
    R"({"type":"response.refusal.delta","sequence_number":11,"item_id":"msg_1","output_index":1,"content_index":1,"delta":"No"})",
};

// A reasoning item whose summary only streamed.
const std::vector<std::string> reasoning_events = {
    R"({"type":"response.output_item.added","sequence_number":12,"output_index":2,"item":{"id":"rs_1","type":"reasoning","summary":[],"encrypted_content":"enc"}})",
    R"({"type":"response.reasoning_summary_part.added","sequence_number":13,"item_id":"rs_1","output_index":2,"summary_index":0,"part":{"type":"summary_text","text":""}})",
    R"({"type":"response.reasoning_summary_text.delta","sequence_number":14,"item_id":"rs_1","output_index":2,"summary_index":0,"delta":"Think"})",
    R"({"type":"response.reasoning_summary_text.delta","sequence_number":15,"item_id":"rs_1","output_index":2,"summary_index":0,"delta":"ing"})",
};

std::vector<std::string> concat(std::initializer_list<std::vector<std::string>> parts) {
  std::vector<std::string> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

}  // namespace

TEST_CASE("response_accumulator: an item never sent whole has raw brought up to its deltas at the end",
          "[openai][response_accumulator]") {
  auto acc = fold(concat({{created}, call_events, message_events, reasoning_events, {completed("[]")}}));
  REQUIRE(acc.finished());
  const auto& out = acc.current().output;
  REQUIRE(out.size() == 3);

  // The function call: the arguments the deltas built, the snapshot's other fields as sent.
  CHECK(out[0].arguments == "{\"city\":\"Paris\"}");
  CHECK(out[0].raw == json::parse(R"({"id":"fc_1","type":"function_call","status":"in_progress",
                                      "arguments":"{\"city\":\"Paris\"}","call_id":"call_1","name":"get_weather",
                                      "x_trace":"t1"})"));

  // The message: both parts with their accumulated text; the annotation; the part's unknown field kept.
  CHECK(out[1].raw == json::parse(R"({"id":"msg_1","type":"message","status":"in_progress","role":"assistant",
      "phase":"final_answer","content":[
        {"type":"output_text","text":"See docs","logprobs":[],
         "annotations":[{"type":"url_citation","url":"https://x","title":"X","start_index":4,"end_index":8}]},
        {"type":"refusal","refusal":"No"}]})"));

  // The reasoning item: its summary text, encrypted_content untouched.
  CHECK(out[2].raw == json::parse(R"({"id":"rs_1","type":"reasoning","encrypted_content":"enc",
                                      "summary":[{"type":"summary_text","text":"Thinking"}]})"));
}

TEST_CASE("response_accumulator: an item sent whole by output_item.done keeps exactly what the API sent",
          "[openai][response_accumulator]") {
  // The done item differs from what the deltas built on purpose (a field the SDK does not model, another
  // key order): raw must be the API's item, not a rebuild.
  const std::string done_call =
      R"({"call_id":"call_1","type":"function_call","id":"fc_1","name":"get_weather","status":"completed","arguments":"{\"city\":\"Paris\"}","x_trace":"t2"})";
  const std::string done_message =
      R"({"type":"message","id":"msg_1","role":"assistant","status":"completed","content":[{"type":"output_text","text":"See docs","annotations":[],"x_part":1}],"x_item":true})";
  const std::vector<std::string> dones = {
      R"({"type":"response.output_item.done","sequence_number":20,"output_index":0,"item":)" + done_call +
          "}",
      R"({"type":"response.output_item.done","sequence_number":21,"output_index":1,"item":)" + done_message +
          "}",
  };

  SECTION("the terminal event's output is empty: the done items are replayed") {
    auto acc = fold(concat({{created}, call_events, message_events, dones, {completed("[]")}}));
    const auto& out = acc.current().output;
    REQUIRE(out.size() == 2);
    CHECK(json::serialize(out[0].raw) == done_call);
    CHECK(json::serialize(out[1].raw) == done_message);
  }
  SECTION("the terminal event lists the output: its items are the ones kept") {
    const std::string final_call =
        R"({"id":"fc_1","type":"function_call","status":"completed","arguments":"{\"city\":\"Paris\"}","call_id":"call_1","name":"get_weather","x_final":[1,2]})";
    auto acc = fold(concat({{created}, call_events, dones, {completed("[" + final_call + "]")}}));
    const auto& out = acc.current().output;
    REQUIRE(out.size() == 1);
    CHECK(json::serialize(out[0].raw) == final_call);
  }
}

TEST_CASE("response_accumulator: only the items that streamed without output_item.done are rebuilt",
          "[openai][response_accumulator]") {
  // Item 0 is sent whole; item 1 only streams. Only item 1's raw is rebuilt.
  const std::string done_call =
      R"({"id":"fc_1","type":"function_call","status":"completed","arguments":"{\"city\":\"Paris\"}","call_id":"call_1","name":"get_weather"})";
  auto acc = fold(concat(
      {{created},
       call_events,
       {R"({"type":"response.output_item.done","sequence_number":5,"output_index":0,"item":)" + done_call +
        "}"},
       {R"({"type":"response.output_item.added","sequence_number":6,"output_index":1,"item":{"id":"fc_2","type":"function_call","status":"in_progress","arguments":"","call_id":"call_2","name":"get_time"}})",
        R"({"type":"response.function_call_arguments.delta","sequence_number":7,"item_id":"fc_2","output_index":1,"delta":"{}"})"},
       {completed("[]")}}));
  const auto& out = acc.current().output;
  REQUIRE(out.size() == 2);
  CHECK(json::serialize(out[0].raw) == done_call);
  CHECK(out[1].raw.at("arguments") == "{}");
  CHECK(out[1].raw.at("status") == "in_progress");  // what the API said of it; not invented
}
