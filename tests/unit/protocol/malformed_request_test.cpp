// Untrusted request bodies: each malformed case yields errc::invalid_request (or payload_too_large) whose
// message names the JSON path and the problem exactly.
#include <chatkit/protocol.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <string>

namespace cp = chatkit::protocol;

namespace {

struct bad_case {
  const char* body;
  const char* message;
};

std::string error_of(std::string_view body, const cp::read_limits& limits = {}) {
  try {
    (void)cp::parse_request(body, limits);
  } catch (const chatkit::error& e) {
    return e.message();
  }
  return "<parsed>";
}

constexpr const char* input_ok = R"("input":{"content":[],"attachments":[],"inference_options":{}})";

}  // namespace

TEST_CASE("malformed requests name the path and the problem", "[protocol][malformed]") {
  const std::string with_input = std::string(R"({"type":"threads.create","params":{)") + input_ok + "}}";
  REQUIRE(error_of(with_input) == "<parsed>");

  const bad_case cases[] = {
      {"", "(root): empty body"},
      {"{", "(root): malformed JSON (incomplete JSON) at byte 1"},
      {R"({"type":"threads.list","params":{}} x)", "(root): malformed JSON (extra data) at byte 36"},
      {"[1,2]", "(root): expected object, got array"},
      {"\"threads.list\"", "(root): expected object, got string"},
      {"null", "(root): expected object, got null"},
      {R"({"params":{}})", "type: missing required field"},
      {R"({"type":42,"params":{}})", "type: expected string, got integer"},
      {R"({"type":"threads.nuke","params":{}})",
       "type: unknown request type \"threads.nuke\"; expected threads.create, threads.add_user_message, "
       "threads.add_client_tool_output, threads.add_structured_input, threads.custom_action, "
       "threads.retry_after_item, threads.sync_custom_action, threads.get_by_id, threads.list, "
       "threads.update, "
       "threads.delete, items.list, items.feedback, attachments.create, attachments.delete or "
       "input.transcribe"},
      {R"({"type":"threads.list"})", "params: missing required field"},
      {R"({"type":"threads.list","params":[]})", "params: expected object, got array"},
      {R"({"type":"threads.list","params":{},"metadata":[]})", "metadata: expected object, got array"},
      {R"({"type":"threads.list","params":{"limit":"5"}})", "params.limit: expected integer, got string"},
      {R"({"type":"threads.list","params":{"limit":2.5}})", "params.limit: expected integer, got number"},
      {R"({"type":"threads.list","params":{"order":"up"}})",
       "params.order: invalid value \"up\"; expected asc or desc"},
      {R"({"type":"threads.list","params":{"after":7}})", "params.after: expected string, got integer"},
      {R"({"type":"threads.get_by_id","params":{}})", "params.thread_id: missing required field"},
      {R"({"type":"threads.get_by_id","params":{"thread_id":null}})",
       "params.thread_id: expected string, got null"},
      {R"({"type":"threads.create","params":{}})", "params.input: missing required field"},
      {R"({"type":"threads.create","params":{"input":{"attachments":[],"inference_options":{}}}})",
       "params.input.content: missing required field"},
      {R"({"type":"threads.create","params":{"input":{"content":[],"inference_options":{}}}})",
       "params.input.attachments: missing required field"},
      {R"({"type":"threads.create","params":{"input":{"content":[],"attachments":[]}}})",
       "params.input.inference_options: missing required field"},
      {R"({"type":"threads.create","params":{"input":{"content":[{"type":"foo"}],"attachments":[],"inference_options":{}}}})",
       "params.input.content[0].type: unknown content type \"foo\"; expected input_text or input_tag"},
      {R"({"type":"threads.create","params":{"input":{"content":[{"text":"hi"}],"attachments":[],"inference_options":{}}}})",
       "params.input.content[0].type: missing required field"},
      {R"({"type":"threads.create","params":{"input":{"content":[{"type":"input_text","text":"a"},{"type":"input_text"}],"attachments":[],"inference_options":{}}}})",
       "params.input.content[1].text: missing required field"},
      {R"({"type":"threads.create","params":{"input":{"content":[{"type":"input_tag","id":"e","text":"Ada"}],"attachments":[],"inference_options":{}}}})",
       "params.input.content[0].data: missing required field"},
      {R"({"type":"threads.create","params":{"input":{"content":[{"type":"input_tag","id":"e","text":"Ada","data":{},"interactive":"yes"}],"attachments":[],"inference_options":{}}}})",
       "params.input.content[0].interactive: expected boolean, got string"},
      {R"({"type":"threads.create","params":{"input":{"content":[],"attachments":[5],"inference_options":{}}}})",
       "params.input.attachments[0]: expected string, got integer"},
      {R"({"type":"threads.create","params":{"input":{"content":[],"attachments":[],"inference_options":{"tool_choice":{}}}}})",
       "params.input.inference_options.tool_choice.id: missing required field"},
      {R"({"type":"threads.create","params":{"input":{"content":[],"attachments":[],"inference_options":{"model":1}}}})",
       "params.input.inference_options.model: expected string, got integer"},
      {R"({"type":"threads.add_user_message","params":{"input":{"content":[],"attachments":[],"inference_options":{}}}})",
       "params.thread_id: missing required field"},
      {R"({"type":"threads.add_client_tool_output","params":{"thread_id":"thr_1"}})",
       "params.result: missing required field"},
      {R"({"type":"threads.add_structured_input","params":{"thread_id":"t","item_id":"i","input":{"status":"pending"}}})",
       "params.input.status: invalid value \"pending\"; expected answered or skipped"},
      {R"({"type":"threads.add_structured_input","params":{"thread_id":"t","item_id":"i","input":{"answers":{"color":{"values":"blue"}}}}})",
       "params.input.answers.color.values: expected array, got string"},
      {R"({"type":"threads.custom_action","params":{"thread_id":"t","action":{"payload":1}}})",
       "params.action.type: missing required field"},
      {R"({"type":"threads.custom_action","params":{"thread_id":"t","item_id":3,"action":{"type":"x"}}})",
       "params.item_id: expected string, got integer"},
      {R"({"type":"items.feedback","params":{"thread_id":"t","item_ids":["a"],"kind":"meh"}})",
       "params.kind: invalid value \"meh\"; expected positive or negative"},
      {R"({"type":"items.feedback","params":{"thread_id":"t","item_ids":"a","kind":"positive"}})",
       "params.item_ids: expected array, got string"},
      {R"({"type":"attachments.create","params":{"name":"a.png","size":-1,"mime_type":"image/png"}})",
       "<parsed>"},  // negative sizes are a server-level check (see server tests)
      {R"({"type":"attachments.create","params":{"name":"a.png","size":18446744073709551615,"mime_type":"image/png"}})",
       "params.size: integer out of range"},
      {R"({"type":"attachments.delete","params":{"attachment_id":["x"]}})",
       "params.attachment_id: expected string, got array"},
      {R"({"type":"input.transcribe","params":{"audio_base64":"aGk="}})",
       "params.mime_type: missing required field"},
      {R"({"type":"threads.update","params":{"thread_id":"t","title":false}})",
       "params.title: expected string, got boolean"},
  };
  for (const auto& c : cases) {
    INFO(c.body);
    CHECK(error_of(c.body) == c.message);
  }
  CHECK(std::size(cases) >= 30);
}

TEST_CASE("errors carry errc::invalid_request and the bare path", "[protocol][malformed]") {
  try {
    (void)cp::parse_request(R"({"type":"threads.list","params":{"limit":"5"}})");
    FAIL("parsed");
  } catch (const chatkit::error& e) {
    CHECK(e.code() == chatkit::errc::invalid_request);
    CHECK(e.path() == "params.limit");
  }
}

TEST_CASE("unknown fields are ignored", "[protocol][malformed]") {
  const auto r = cp::parse_request(R"({"type":"threads.list","params":{"limit":3,"zzz":1},"extra":true})");
  REQUIRE(std::holds_alternative<cp::threads_list>(r));
  CHECK(std::get<cp::threads_list>(r).params.limit == 3);
}

TEST_CASE("limits reject oversize and pathological input", "[protocol][limits]") {
  cp::read_limits limits;
  limits.max_body_bytes = 64;
  std::string big =
      R"({"type":"threads.update","params":{"thread_id":"t","title":")" + std::string(100, 'x') + "\"}}";
  try {
    (void)cp::parse_request(big, limits);
    FAIL("parsed");
  } catch (const chatkit::error& e) {
    CHECK(e.code() == chatkit::errc::payload_too_large);
    CHECK(e.message() == "(root): body of 163 bytes exceeds the limit of 64 bytes");
  }

  limits = {};
  limits.max_string_bytes = 20;  // every string counts, the `type` discriminator too
  CHECK(error_of(big, limits) == "params.title: string of 100 bytes exceeds the limit of 20 bytes");

  limits = {};
  std::string deep =
      R"({"type":"threads.custom_action","params":{"thread_id":"t","action":{"type":"x","payload":)";
  deep += std::string(100, '[') + std::string(100, ']') + "}}}";
  CHECK(error_of(deep, limits) == "(root): nesting deeper than 64 levels");

  limits.max_array_items = 3;
  CHECK(
      error_of(
          R"({"type":"items.feedback","params":{"thread_id":"t","item_ids":["a","b","c","d"],"kind":"positive"}})",
          limits) == "params.item_ids: array has 4 items; the limit is 3");
  CHECK(
      error_of(
          R"({"type":"threads.custom_action","params":{"thread_id":"t","action":{"type":"x","payload":[1,2,3,4]}}})",
          limits) == "params.action.payload: array has 4 items; the limit is 3");
}

TEST_CASE("invalid UTF-8 is rejected by the JSON parser", "[protocol][limits]") {
  const std::string body =
      "{\"type\":\"threads.update\",\"params\":{\"thread_id\":\"t\",\"title\":\"\xff\"}}";
  CHECK(error_of(body).rfind("(root): malformed JSON", 0) == 0);
}

TEST_CASE("limits apply to every value of the document, known field or not", "[protocol][limits]") {
  cp::read_limits limits;
  limits.max_string_bytes = 16;  // "threads.list" has 12
  limits.max_array_items = 3;
  // Unknown members are ignored by the reader, but they are parsed (and held) first: the limits apply there.
  CHECK(error_of(R"({"type":"threads.list","params":{"limit":3,"zzz":")" + std::string(17, 'x') + R"("}})",
                 limits) == "params.zzz: string of 17 bytes exceeds the limit of 16 bytes");
  CHECK(error_of(R"({"type":"threads.list","params":{},"extra":[1,2,3,4]})", limits) ==
        "extra: array has 4 items; the limit is 3");
  CHECK(error_of(R"({"type":"threads.list","params":{},"extra":[[],{"deep":[0,1,{"s":")" +
                     std::string(20, 'y') + R"("}]}]})",
                 limits) == "extra[1].deep[2].s: string of 20 bytes exceeds the limit of 16 bytes");
  CHECK(error_of(R"({"type":"threads.list","params":{},")" + std::string(17, 'k') + R"(":1})", limits) ==
        "(root): member name of 17 bytes exceeds the limit of 16 bytes");
  CHECK(error_of(R"({"type":"threads.list","params":{"limit":3,")" + std::string(17, 'k') + R"(":1}})",
                 limits) == "params: member name of 17 bytes exceeds the limit of 16 bytes");
  // Escapes count as the bytes they decode to; exactly at the limit is fine.
  CHECK(error_of(R"({"type":"threads.list","params":{},"extra":"\u0041123456789abcdef","more":[1,2,3]})",
                 limits) == "<parsed>");

  // The defaults: a 1.5 MiB string or a 10,001-item array in a field nobody reads.
  const std::string long_unknown =
      R"({"type":"threads.list","params":{"limit":3,"note":")" + std::string(1536 * 1024, 'a') + R"("}})";
  CHECK(error_of(long_unknown) == "params.note: string of 1572864 bytes exceeds the limit of 1048576 bytes");
  std::string many = R"({"type":"threads.list","params":{},"extra":[0)";
  for (int i = 1; i < 10'001; ++i) many += ",0";
  many += "]}";
  CHECK(error_of(many) == "extra: array has 10001 items; the limit is 10000");
}

// Found by tests/fuzz/fuzz_request_parser (corpus: roundtrip-128-digit-number): a 128-digit number in a tool
// result is accepted, and what the server writes back reads again to the same value within the last bit
// (Boost.JSON 1.81 does not round every long decimal exactly; docs/fuzzing.md#request_parser).
TEST_CASE("a very long number survives a write and a second read within the last bit", "[protocol][limits]") {
  const std::string body =
      R"({"type":"threads.add_client_tool_output","params":{"thread_id":"t","result":[51)" +
      std::string(126, '9') + R"(,null,true]}})";
  const auto first = cp::parse_request(body);
  const auto& out = std::get<cp::threads_add_client_tool_output>(first);
  const double x = out.params.result.as_array()[0].as_double();
  CHECK(x > 5.1e127);
  CHECK(x < 5.3e127);
  const auto second = cp::parse_request(cp::to_json(first));
  const double y =
      std::get<cp::threads_add_client_tool_output>(second).params.result.as_array()[0].as_double();
  CHECK(std::fabs(x - y) <= 1e-15 * x);
}
