// openai_chat_model: the Responses → Chat request translation (exact JSON), the sans-IO synthesis of
// Responses events from Chat chunks (the C1/C2 fixtures and hand-made chunks), and whole runs of the real
// runner against the scripted server speaking Chat Completions.
#include "agent_support.hpp"

#include <chatkit/agents/error.hpp>
#include <chatkit/agents/openai_chat_model.hpp>
#include <chatkit/agents/runner.hpp>
#include <chatkit/openai/error.hpp>
#include <chatkit/openai/response_accumulator.hpp>

#include <boost/asio/strand.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <thread>

using namespace chatkit;
using namespace chatkit::agents;
using namespace chatkit::agents::test;
namespace net = boost::asio;
namespace json = boost::json;
using openai::testing::ending;
using openai::testing::write_plan;

namespace {

json::object obj(std::string_view text) {
  return json::parse(text).as_object();
}

std::vector<openai::chat_chunk> chunks_of(const std::string& sse) {
  openai::chat_decoder d;
  d.feed(sse);
  std::vector<openai::chat_chunk> out;
  while (auto c = d.next()) out.push_back(std::move(*c));
  REQUIRE(d.done());
  return out;
}

openai::chat_chunk chunk(std::string_view text) {
  auto c = openai::parse_chat_chunk(obj(text));
  REQUIRE(c.has_value());
  return std::move(*c);
}

struct synthesized {
  std::vector<openai::response_event> events;
  std::vector<std::string> types;
};

synthesized synthesize(chat_event_synthesizer& s, const std::vector<openai::chat_chunk>& chunks) {
  synthesized r;
  auto take = [&](std::vector<openai::response_event> evs) {
    for (auto& e : evs) {
      r.types.emplace_back(openai::event_type(e));
      r.events.push_back(std::move(e));
    }
  };
  for (const auto& c : chunks) take(s.feed(c));
  take(s.finish());
  return r;
}

void check_sequence_numbers(const synthesized& r) {
  for (std::size_t i = 0; i < r.events.size(); ++i) {
    const auto& common = openai::event_common(r.events[i]);
    CHECK(common.sequence_number == static_cast<std::int64_t>(i));
    CHECK(common.raw.at("sequence_number") == static_cast<std::int64_t>(i));
  }
}

// Replays the synthesized events' raw JSON through the client's own parser and accumulator: the stream must
// be a valid Responses stream, not only a valid sequence of our structs.
openai::response replay(const synthesized& r) {
  openai::response_accumulator acc;
  for (const auto& e : r.events) {
    auto again = openai::parse_response_event(json::object(openai::event_common(e).raw));
    REQUIRE(again.has_value());
    acc.apply(*again);
  }
  REQUIRE(acc.finished());
  return acc.current();
}

template <class E>
std::vector<const E*> all_of(const synthesized& r) {
  std::vector<const E*> out;
  for (const auto& e : r.events)
    if (const auto* p = std::get_if<E>(&e)) out.push_back(p);
  return out;
}

std::string user_error_message(const json::object& request, const chat_request_options& o = {}) {
  try {
    (void)to_chat_request(request, o);
  } catch (const user_error& e) {
    return e.what();
  }
  return "no user_error";
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------
// synthesis

TEST_CASE("chat synthesis: C1 text answer", "[agents][openai_chat_model]") {
  chat_event_synthesizer s;
  s.set_request_id("req_c1");
  auto r = synthesize(s, chunks_of(sse_fixture("C1_text.sse")));
  CHECK(r.types == std::vector<std::string>{"response.created", "response.output_item.added",
                                            "response.content_part.added", "response.output_text.delta",
                                            "response.output_text.delta", "response.output_text.done",
                                            "response.content_part.done", "response.output_item.done",
                                            "response.completed"});
  check_sequence_numbers(r);

  const auto& created = std::get<openai::response_created>(r.events[0]);
  CHECK(created.response.id == "chatcmpl-c1");
  CHECK(created.response.status == "in_progress");
  CHECK(created.response.model == "gpt-test");
  CHECK(created.response.created_at == 1700000000);

  const auto deltas = all_of<openai::output_text_delta>(r);
  REQUIRE(deltas.size() == 2);
  CHECK(deltas[0]->text == "Hello");
  CHECK(deltas[1]->text == ", world!");
  for (const auto* d : deltas) {
    CHECK(d->item_id == "msg_chatcmpl-c1");
    CHECK(d->output_index == 0);
    CHECK(d->content_index == 0);
  }
  CHECK(std::get<openai::output_text_done>(r.events[5]).text == "Hello, world!");
  CHECK(std::get<openai::content_part_done>(r.events[6]).part.text == "Hello, world!");

  const json::object expected_item =
      obj(R"({"id":"msg_chatcmpl-c1","type":"message","status":"completed","role":"assistant",
              "content":[{"type":"output_text","text":"Hello, world!","annotations":[]}]})");
  CHECK(std::get<openai::output_item_done>(r.events[7]).item.raw == expected_item);

  REQUIRE(s.done());
  const auto& final = s.current();
  CHECK(final.id == "chatcmpl-c1");
  CHECK(final.status == "completed");
  CHECK(final.request_id == "req_c1");
  CHECK(final.output_text() == "Hello, world!");
  REQUIRE(final.output.size() == 1);
  CHECK(final.output[0].raw == expected_item);
  REQUIRE(final.usage);
  CHECK(*final.usage == openai::usage{12, 0, 0, 4, 0, 16});
  // The terminal event carries the full response like the Responses API's.
  const auto& completed = std::get<openai::response_completed>(r.events.back());
  CHECK(completed.raw.at("response").at("output").as_array().at(0) == expected_item);
  CHECK(completed.raw.at("response").at("usage") ==
        json::value(obj(R"({"input_tokens":12,"input_tokens_details":{"cached_tokens":0},"output_tokens":4,
                           "output_tokens_details":{"reasoning_tokens":0},"total_tokens":16})")));

  const auto replayed = replay(r);
  CHECK(replayed.output_text() == "Hello, world!");
  CHECK(replayed.output[0].raw == expected_item);
}

TEST_CASE("chat synthesis: C2 interleaved parallel tool calls", "[agents][openai_chat_model]") {
  const auto chunks = chunks_of(sse_fixture("C2_parallel_tools.sse"));
  chat_event_synthesizer s;
  auto r = synthesize(s, chunks);
  CHECK(r.types == std::vector<std::string>{"response.created",
                                            "response.output_item.added",  // call 0 (index 0 chunk)
                                            "response.function_call_arguments.delta",  // {"city": "Pa
                                            "response.output_item.added",              // call 1
                                            "response.function_call_arguments.delta",  // ris"}  (call 0)
                                            "response.function_call_arguments.delta",  // {"city": "Tokyo"}
                                            "response.function_call_arguments.done",
                                            "response.output_item.done",
                                            "response.function_call_arguments.done",
                                            "response.output_item.done", "response.completed"});
  check_sequence_numbers(r);

  const auto added = all_of<openai::output_item_added>(r);
  REQUIRE(added.size() == 2);
  CHECK(added[0]->output_index == 0);
  CHECK(added[0]->item.raw == obj(R"({"id":"fc_call_c2a","type":"function_call","status":"in_progress",
                                      "arguments":"","call_id":"call_c2a","name":"get_weather"})"));
  CHECK(added[1]->output_index == 1);
  CHECK(added[1]->item.id == "fc_call_c2b");

  // Deltas are routed to their own item although the chunks interleave them.
  std::map<std::string, std::string> args;
  for (const auto* d : all_of<openai::function_call_arguments_delta>(r)) {
    CHECK(d->output_index == (d->item_id == "fc_call_c2a" ? 0 : 1));
    args[d->item_id] += d->delta;
  }
  CHECK(args["fc_call_c2a"] == R"({"city": "Paris"})");
  CHECK(args["fc_call_c2b"] == R"({"city": "Tokyo"})");
  const auto dones = all_of<openai::function_call_arguments_done>(r);
  REQUIRE(dones.size() == 2);
  CHECK(dones[0]->arguments == R"({"city": "Paris"})");
  CHECK(dones[0]->name == "get_weather");
  CHECK(dones[1]->arguments == R"({"city": "Tokyo"})");

  const auto& final = s.current();
  CHECK(final.status == "completed");
  REQUIRE(final.output.size() == 2);
  CHECK(final.output[0].raw == obj(R"({"id":"fc_call_c2a","type":"function_call","status":"completed",
                                       "arguments":"{\"city\": \"Paris\"}","call_id":"call_c2a","name":"get_weather"})"));
  CHECK(final.output[1].raw == obj(R"({"id":"fc_call_c2b","type":"function_call","status":"completed",
                                       "arguments":"{\"city\": \"Tokyo\"}","call_id":"call_c2b","name":"get_weather"})"));
  const auto calls = final.function_calls();
  REQUIRE(calls.size() == 2);
  CHECK(calls[1]->call_id == "call_c2b");
  CHECK(calls[1]->arguments == R"({"city": "Tokyo"})");
  REQUIRE(final.usage);
  CHECK(final.usage->input_tokens == 60);
  CHECK(final.usage->output_tokens == 30);
  CHECK(final.usage->total_tokens == 90);

  // Agrees with the client's own Chat → Response conversion of the same stream.
  openai::chat_accumulator acc;
  for (const auto& c : chunks) acc.apply(c);
  const auto reference = openai::to_response(acc.current());
  REQUIRE(reference.output.size() == final.output.size());
  for (std::size_t i = 0; i < final.output.size(); ++i) {
    CHECK(final.output[i].call_id == reference.output[i].call_id);
    CHECK(final.output[i].name == reference.output[i].name);
    CHECK(final.output[i].arguments == reference.output[i].arguments);
  }
  CHECK(final.usage == reference.usage);

  const auto replayed = replay(r);
  REQUIRE(replayed.output.size() == 2);
  CHECK(replayed.output[1].raw == final.output[1].raw);
}

TEST_CASE("chat synthesis: finish_reason length and content_filter end as response.incomplete",
          "[agents][openai_chat_model]") {
  const auto [finish, reason] =
      GENERATE(std::pair<std::string, std::string>{"length", "max_output_tokens"},
               std::pair<std::string, std::string>{"content_filter", "content_filter"});
  chat_event_synthesizer s;
  auto r = synthesize(
      s,
      {chunk(
           R"({"id":"c3","model":"m","created":5,"choices":[{"index":0,"delta":{"role":"assistant","content":"Once upon"}}]})"),
       chunk(
           R"({"id":"c3","model":"m","created":5,"choices":[{"index":0,"delta":{"content":" a"},"finish_reason":")" +
           finish + R"("}]})"),
       chunk(
           R"({"id":"c3","model":"m","created":5,"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}})")});
  check_sequence_numbers(r);
  REQUIRE(r.types.back() == "response.incomplete");
  CHECK(std::count(r.types.begin(), r.types.end(), "response.completed") == 0);
  const auto& inc = std::get<openai::response_incomplete>(r.events.back());
  CHECK(inc.response.status == "incomplete");
  CHECK(inc.response.incomplete_reason == reason);
  CHECK(inc.raw.at("response").at("incomplete_details") == json::value(json::object{{"reason", reason}}));
  const auto& final = s.current();
  CHECK(final.status == "incomplete");
  CHECK(final.incomplete_reason == reason);
  CHECK(final.output_text() == "Once upon a");
  REQUIRE(final.output.size() == 1);
  CHECK(final.output[0].status == "incomplete");  // the cut-off message, as the Responses API marks it
  REQUIRE(final.usage);
  CHECK(final.usage->total_tokens == 5);
}

TEST_CASE("chat synthesis: usage normalisation (cached and reasoning tokens)",
          "[agents][openai_chat_model]") {
  chat_event_synthesizer s;
  auto r = synthesize(
      s,
      {chunk(
           R"({"id":"c4","model":"m","created":1,"choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":"stop"}]})"),
       chunk(
           R"({"id":"c4","model":"m","created":1,"choices":[],"usage":{"prompt_tokens":149,"completion_tokens":60,
                 "total_tokens":209,"prompt_tokens_details":{"cached_tokens":128,"audio_tokens":0},
                 "completion_tokens_details":{"reasoning_tokens":40,"audio_tokens":0}}})")});
  REQUIRE(s.current().usage);
  CHECK(*s.current().usage == openai::usage{149, 128, 0, 60, 40, 209});
  CHECK(
      std::get<openai::response_completed>(r.events.back()).raw.at("response").at("usage") ==
      json::value(obj(R"({"input_tokens":149,"input_tokens_details":{"cached_tokens":128},"output_tokens":60,
                           "output_tokens_details":{"reasoning_tokens":40},"total_tokens":209})")));

  // Without a usage chunk the response has no usage (the runner counts zero), it is not invented.
  chat_event_synthesizer bare;
  (void)synthesize(
      bare,
      {chunk(
          R"({"id":"c5","model":"m","created":1,"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"stop"}]})")});
  CHECK_FALSE(bare.current().usage);
}

TEST_CASE("chat synthesis: text then a tool call, refusal parts, a call whose id comes late",
          "[agents][openai_chat_model]") {
  chat_event_synthesizer s;
  auto r = synthesize(
      s,
      {chunk(
           R"({"id":"c6","model":"m","created":1,"choices":[{"index":0,"delta":{"role":"assistant","content":"Let me check."}}]})"),
       // Arguments before the id and name: buffered, the item opens once both are known.
       chunk(
           R"({"id":"c6","model":"m","created":1,"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\":"}}]}}]})"),
       chunk(
           R"({"id":"c6","model":"m","created":1,"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_z","type":"function","function":{"name":"lookup","arguments":"1"}}]}}]})"),
       chunk(R"({"id":"c6","model":"m","created":1,"choices":[{"index":0,"delta":{"refusal":"I can't"}}]})"),
       chunk(
           R"({"id":"c6","model":"m","created":1,"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"}"}}]},"finish_reason":"tool_calls"}]})"),
       chunk(
           R"({"id":"c6","model":"m","created":1,"choices":[{"index":1,"delta":{"content":"second choice ignored"}}]})")});
  check_sequence_numbers(r);
  CHECK(r.types == std::vector<std::string>{
                       "response.created", "response.output_item.added", "response.content_part.added",
                       "response.output_text.delta", "response.output_item.added",
                       "response.function_call_arguments.delta",  // "{\"a\":1" at once
                       "response.content_part.added", "response.refusal.delta",
                       "response.function_call_arguments.delta", "response.output_text.done",
                       "response.content_part.done", "response.refusal.done", "response.content_part.done",
                       "response.output_item.done", "response.function_call_arguments.done",
                       "response.output_item.done", "response.completed"});
  const auto deltas = all_of<openai::function_call_arguments_delta>(r);
  REQUIRE(deltas.size() == 2);
  CHECK(deltas[0]->delta == "{\"a\":1");
  CHECK(deltas[0]->output_index == 1);
  CHECK(deltas[1]->delta == "}");
  const auto parts = all_of<openai::content_part_added>(r);
  REQUIRE(parts.size() == 2);
  CHECK(parts[1]->content_index == 1);
  CHECK(parts[1]->part.type == "refusal");

  const auto& final = s.current();
  REQUIRE(final.output.size() == 2);
  CHECK(final.output[0].raw ==
        obj(R"({"id":"msg_c6","type":"message","status":"completed","role":"assistant","content":[
                {"type":"output_text","text":"Let me check.","annotations":[]},{"type":"refusal","refusal":"I can't"}]})"));
  CHECK(final.output[1].raw == obj(R"({"id":"fc_call_z","type":"function_call","status":"completed",
                                       "arguments":"{\"a\":1}","call_id":"call_z","name":"lookup"})"));
  CHECK(replay(r).output[0].raw == final.output[0].raw);
}

TEST_CASE("chat synthesis: reasoning deltas become a reasoning summary, a legacy function_call a call",
          "[agents][openai_chat_model]") {
  chat_event_synthesizer s;
  auto r = synthesize(
      s,
      {chunk(
           R"({"id":"c9","model":"m","created":1,"choices":[{"index":0,"delta":{"role":"assistant","reasoning_content":"Think"}}]})"),
       chunk(R"({"id":"c9","model":"m","created":1,"choices":[{"index":0,"delta":{"reasoning":"ing."}}]})"),
       chunk(R"({"id":"c9","model":"m","created":1,"choices":[{"index":0,"delta":{"content":"Hi"}}]})"),
       chunk(
           R"({"id":"c9","model":"m","created":1,"choices":[{"index":0,"delta":{"function_call":{"name":"f","arguments":"{}"}}}]})"),
       chunk(
           R"({"id":"c9","model":"m","created":1,"choices":[{"index":0,"delta":{},"finish_reason":"function_call"}]})")});
  check_sequence_numbers(r);
  CHECK(r.types ==
        std::vector<std::string>{
            "response.created", "response.output_item.added", "response.reasoning_summary_part.added",
            "response.reasoning_summary_text.delta", "response.reasoning_summary_text.delta",
            "response.reasoning_summary_text.done", "response.reasoning_summary_part.done",
            "response.output_item.done", "response.output_item.added", "response.content_part.added",
            "response.output_text.delta", "response.output_item.added",
            "response.function_call_arguments.delta", "response.output_text.done",
            "response.content_part.done", "response.output_item.done",
            "response.function_call_arguments.done", "response.output_item.done", "response.completed"});
  const auto& final = s.current();
  REQUIRE(final.output.size() == 3);
  CHECK(final.output[0].raw == obj(R"({"id":"rs_c9","type":"reasoning","status":"completed",
                                       "summary":[{"type":"summary_text","text":"Thinking."}]})"));
  CHECK(final.output[2].name == "f");
  CHECK(final.output[2].call_id == "call_c9_0");
  CHECK(replay(r).output.size() == 3);
}

TEST_CASE("chat synthesis: empty and id-less streams, idempotent finish", "[agents][openai_chat_model]") {
  chat_event_synthesizer empty;
  auto r = synthesize(empty, {});
  CHECK(r.types == std::vector<std::string>{"response.created", "response.completed"});
  CHECK(empty.current().output.empty());
  CHECK(empty.finish().empty());
  CHECK(empty.feed(chunk(R"({"id":"late","choices":[{"index":0,"delta":{"content":"x"}}]})")).empty());
  CHECK(empty.current().output.empty());

  // A provider that omits the completion id still gets distinct, non-empty item ids.
  auto idless = [] {
    chat_event_synthesizer s;
    (void)synthesize(s,
                     {chunk(R"({"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]})")});
    return s.current();
  };
  const auto a = idless();
  const auto b = idless();
  CHECK(a.id.rfind("chatcmpl-", 0) == 0);
  CHECK(a.id.size() > 9);
  REQUIRE(a.output.size() == 1);
  CHECK(a.output[0].id == "msg_" + a.id);
  CHECK(a.output[0].id != b.output[0].id);

  // A tool call that never names itself is still surfaced (the runner reports the unknown tool).
  chat_event_synthesizer nameless;
  (void)synthesize(
      nameless,
      {chunk(
          R"({"id":"c7","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]},"finish_reason":"tool_calls"}]})")});
  REQUIRE(nameless.current().output.size() == 1);
  CHECK(nameless.current().output[0].call_id == "call_c7_0");
  CHECK(nameless.current().output[0].arguments == "{}");
}

// ---------------------------------------------------------------------------------------------------------
// request translation

TEST_CASE("chat request: every translation rule, exact JSON", "[agents][openai_chat_model]") {
  const auto request = obj(R"({
    "model":"gpt-test","instructions":"Be brief.",
    "input":[
      {"role":"user","content":"Weather in Paris?"},
      {"type":"message","role":"user","content":[
         {"type":"input_text","text":"And this?"},
         {"type":"input_image","image_url":"https://x/img.png","detail":"low"},
         {"type":"input_file","file_id":"file-1"}]},
      {"type":"message","role":"system","content":[{"type":"input_text","text":"Use metric."}]},
      {"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"thinking"}]},
      {"type":"message","id":"msg_1","role":"assistant","status":"completed",
       "content":[{"type":"output_text","text":"Checking ","annotations":[]},{"type":"output_text","text":"both.","annotations":[]}]},
      {"type":"function_call","id":"fc_a","call_id":"call_a","name":"get_weather","arguments":"{\"city\":\"Paris\"}","status":"completed"},
      {"type":"function_call","id":"fc_b","call_id":"call_b","name":"get_weather","arguments":"{\"city\":\"Tokyo\"}"},
      {"type":"function_call_output","call_id":"call_a","output":"{\"temp_c\":18}"},
      {"type":"function_call_output","call_id":"call_b","output":[{"type":"input_text","text":"hot"},{"type":"input_text","text":" and humid"}]},
      {"type":"function_call","call_id":"call_c","name":"get_time","arguments":"{}"},
      {"type":"function_call_output","call_id":"call_c","output":"noon"},
      {"role":"developer","content":"Answer now."}],
    "tools":[{"type":"function","name":"get_weather","description":"Get weather",
              "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false},
              "strict":true}],
    "tool_choice":{"type":"function","name":"get_weather"},
    "temperature":0.2,"top_p":0.9,"max_output_tokens":1024,
    "reasoning":{"effort":"low","summary":"auto"},
    "text":{"verbosity":"high","format":{"type":"json_schema","name":"final_output","schema":{"type":"object"},"strict":true}},
    "metadata":{"tenant":"t1"},"store":false,"parallel_tool_calls":true,
    "include":["reasoning.encrypted_content"],"truncation":"auto","stream":true,
    "seed":7,"prompt_cache_key":"k1"})");

  const auto expected = obj(R"({
    "model":"gpt-test",
    "messages":[
      {"role":"system","content":"Be brief."},
      {"role":"user","content":"Weather in Paris?"},
      {"role":"user","content":[
         {"type":"text","text":"And this?"},
         {"type":"image_url","image_url":{"url":"https://x/img.png","detail":"low"}},
         {"type":"file","file":{"file_id":"file-1"}}]},
      {"role":"system","content":[{"type":"text","text":"Use metric."}]},
      {"role":"assistant","content":"Checking both.","tool_calls":[
         {"id":"call_a","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
         {"id":"call_b","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Tokyo\"}"}}]},
      {"role":"tool","tool_call_id":"call_a","content":"{\"temp_c\":18}"},
      {"role":"tool","tool_call_id":"call_b","content":"hot and humid"},
      {"role":"assistant","content":null,"tool_calls":[
         {"id":"call_c","type":"function","function":{"name":"get_time","arguments":"{}"}}]},
      {"role":"tool","tool_call_id":"call_c","content":"noon"},
      {"role":"developer","content":"Answer now."}],
    "tools":[{"type":"function","function":{"name":"get_weather","description":"Get weather",
              "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false},
              "strict":true}}],
    "tool_choice":{"type":"function","function":{"name":"get_weather"}},
    "temperature":0.2,"top_p":0.9,"max_completion_tokens":1024,
    "reasoning_effort":"low","verbosity":"high",
    "response_format":{"type":"json_schema","json_schema":{"name":"final_output","schema":{"type":"object"},"strict":true}},
    "metadata":{"tenant":"t1"},"store":false,"parallel_tool_calls":true,
    "seed":7,"prompt_cache_key":"k1"})");
  const auto got = to_chat_request(request);
  CHECK(json::serialize(got) == json::serialize(expected));  // readable diff on failure
  CHECK(got == expected);
}

TEST_CASE("chat request: small rules", "[agents][openai_chat_model]") {
  SECTION("a bare string input is one user message; no instructions, no system message") {
    CHECK(to_chat_request(obj(R"({"model":"m","input":"Hi"})")) ==
          obj(R"({"model":"m","messages":[{"role":"user","content":"Hi"}]})"));
  }
  SECTION("instructions as a developer message when configured") {
    chat_request_options o;
    o.instructions_role = "developer";
    CHECK(to_chat_request(obj(R"({"instructions":"Be kind.","input":"Hi"})"), o) ==
          obj(R"({"messages":[{"role":"developer","content":"Be kind."},{"role":"user","content":"Hi"}]})"));
  }
  SECTION("string tool_choice, allowed_tools, top_logprobs, json_object, stream_options") {
    CHECK(to_chat_request(obj(R"({"input":[],"tool_choice":"required"})")) ==
          obj(R"({"messages":[],"tool_choice":"required"})"));
    CHECK(to_chat_request(obj(R"({"input":[],"tool_choice":{"type":"allowed_tools","mode":"required",
                                   "tools":[{"type":"function","name":"a"}]}})")) ==
          obj(R"({"messages":[],"tool_choice":{"type":"allowed_tools","allowed_tools":{"mode":"required",
                  "tools":[{"type":"function","function":{"name":"a"}}]}}})"));
    CHECK(
        to_chat_request(obj(R"({"input":[],"top_logprobs":3,"text":{"format":{"type":"json_object"}}})")) ==
        obj(R"({"messages":[],"top_logprobs":3,"logprobs":true,"response_format":{"type":"json_object"}})"));
    CHECK(to_chat_request(
              obj(R"({"input":[],"text":{"format":{"type":"text"}},"reasoning":{"summary":"auto"}})")) ==
          obj(R"({"messages":[]})"));
    CHECK(to_chat_request(obj(R"({"input":[],"stream_options":{"include_obfuscation":false}})")) ==
          obj(R"({"messages":[],"stream_options":{"include_obfuscation":false,"include_usage":true}})"));
    CHECK(to_chat_request(obj(R"({"input":[],"stream_options":{"include_usage":false}})")) ==
          obj(R"({"messages":[],"stream_options":{"include_usage":false}})"));
  }
  SECTION(
      "assistant refusal and easy-form assistant content; a function call after a user message opens a new "
      "turn") {
    CHECK(to_chat_request(obj(R"({"input":[
            {"role":"assistant","content":[{"type":"refusal","refusal":"No."}]},
            {"role":"assistant","content":"Plain."},
            {"role":"user","content":"Then call it."},
            {"type":"function_call","call_id":"c1","name":"f","arguments":"{}"},
            {"type":"function_call_output","call_id":"c1","output":"done"}]})")) == obj(R"({"messages":[
            {"role":"assistant","content":null,"refusal":"No."},
            {"role":"assistant","content":"Plain."},
            {"role":"user","content":"Then call it."},
            {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},
            {"role":"tool","tool_call_id":"c1","content":"done"}]})"));
  }
  SECTION("the previous response's output items (raw, as the runner replays them) round-trip") {
    chat_event_synthesizer s;
    (void)synthesize(s, chunks_of(sse_fixture("C2_parallel_tools.sse")));
    json::array input{json::object{{"role", "user"}, {"content", "Paris and Tokyo?"}}};
    for (const auto& item : s.current().output) input.push_back(item.raw);
    input.push_back(obj(R"({"type":"function_call_output","call_id":"call_c2a","output":"18"})"));
    input.push_back(obj(R"({"type":"function_call_output","call_id":"call_c2b","output":"25"})"));
    CHECK(to_chat_request(json::object{{"input", input}}) == obj(R"({"messages":[
            {"role":"user","content":"Paris and Tokyo?"},
            {"role":"assistant","content":null,"tool_calls":[
              {"id":"call_c2a","type":"function","function":{"name":"get_weather","arguments":"{\"city\": \"Paris\"}"}},
              {"id":"call_c2b","type":"function","function":{"name":"get_weather","arguments":"{\"city\": \"Tokyo\"}"}}]},
            {"role":"tool","tool_call_id":"call_c2a","content":"18"},
            {"role":"tool","tool_call_id":"call_c2b","content":"25"}]})"));
  }
}

TEST_CASE("chat request: what Chat Completions cannot express is a user_error",
          "[agents][openai_chat_model]") {
  const std::string not_supported = "not supported by Chat Completions";
  CHECK_THAT(user_error_message(obj(R"({"input":"x","tools":[{"type":"web_search"}]})")),
             Catch::Contains("hosted tool 'web_search'") && Catch::Contains(not_supported));
  CHECK_THAT(user_error_message(obj(R"({"input":"x","tool_choice":{"type":"file_search"}})")),
             Catch::Contains("file_search") && Catch::Contains(not_supported));
  CHECK_THAT(user_error_message(obj(R"({"input":"x","previous_response_id":"resp_1"})")),
             Catch::Contains("previous_response_id") && Catch::Contains(not_supported));
  CHECK_THAT(user_error_message(obj(R"({"input":[{"type":"item_reference","id":"msg_1"}]})")),
             Catch::Contains(not_supported));
  CHECK_THAT(user_error_message(obj(R"({"input":[{"type":"web_search_call","id":"ws_1"}]})")),
             Catch::Contains("web_search_call") && Catch::Contains(not_supported));
  CHECK_THAT(user_error_message(
                 obj(R"({"input":[{"role":"user","content":[{"type":"input_image","file_id":"f"}]}]})")),
             Catch::Contains("file_id") && Catch::Contains(not_supported));
  CHECK_THAT(user_error_message(obj(R"({"input":[{"type":"function_call_output","call_id":"c",
                                        "output":[{"type":"input_image","image_url":"https://x"}]}]})")),
             Catch::Contains("tool output") && Catch::Contains(not_supported));
  CHECK_THAT(
      user_error_message(
          obj(R"({"input":[{"role":"system","content":[{"type":"input_image","image_url":"https://x"}]}]})")),
      Catch::Contains("system or developer"));
  CHECK_THAT(user_error_message(obj(R"({"input":[{"role":"critic","content":"x"}]})")),
             Catch::Contains("critic"));
  // A null previous_response_id is simply absent.
  CHECK_NOTHROW(to_chat_request(obj(R"({"input":"x","previous_response_id":null})")));
}

// ---------------------------------------------------------------------------------------------------------
// end to end: the real runner, the real client, the scripted server speaking Chat Completions

TEST_CASE("openai_chat_model: a run with tool calls then an answer, over /chat/completions",
          "[agents][openai_chat_model]") {
  scripted_server server;
  server.add(exchange::sse(sse_fixture("C2_parallel_tools.sse"), "req_c2"));
  server.add(exchange::sse(sse_fixture("C1_text.sse"), "req_c1"));
  net::io_context ioc;
  auto client = std::make_shared<const openai::client>(ioc.get_executor(), client_options_for(server));

  std::vector<std::string> cities;
  agent a;
  a.name = "Weather";
  a.instructions = std::string("Answer about the weather.");
  a.model = "gpt-test";
  a.tools.push_back(simple_tool("get_weather", city_schema(),
                                [&](tool_context&, json::object args) -> net::awaitable<tool_output> {
                                  cities.emplace_back(args.at("city").as_string());
                                  co_return json::object{{"temp_c", cities.back() == "Paris" ? 18 : 25}};
                                }));
  request_context alice{"alice", {}, {}};
  run_context ctx(alice);
  run_options opts;
  opts.model = std::make_shared<openai_chat_model>(client);
  opts.settings.temperature = 0.5;
  opts.settings.max_output_tokens = 200;
  auto run = run_streamed(a, "Weather in Paris and Tokyo?", ctx, std::move(opts));

  auto drain = [&]() -> net::awaitable<std::vector<std::string>> {
    std::vector<std::string> seen;
    while (auto ev = co_await run.next()) {
      if (auto* raw = std::get_if<raw_response_event>(&*ev))
        seen.emplace_back(openai::event_type(raw->event));
      if (auto* item = std::get_if<run_item_event>(&*ev)) {
        const auto& i = *item->item;
        seen.push_back(std::string(to_string(item->name)) + "(" +
                       (i.type == run_item_type::tool_call_output ? i.call_id
                        : i.item.is_function_call()               ? i.item.call_id
                                                                  : i.item.id) +
                       ")");
      }
    }
    co_return seen;
  };
  const auto seen = run_sync(ioc, drain());

  CHECK(run.final_output() == "Hello, world!");
  std::sort(cities.begin(), cities.end());
  CHECK(cities == std::vector<std::string>{"Paris", "Tokyo"});
  std::vector<std::string> items;
  std::copy_if(seen.begin(), seen.end(), std::back_inserter(items),
               [](const std::string& s) { return s.find('(') != std::string::npos; });
  CHECK(items == std::vector<std::string>{"tool_called(call_c2a)", "tool_called(call_c2b)",
                                          "tool_output(call_c2a)", "tool_output(call_c2b)",
                                          "message_output_created(msg_chatcmpl-c1)"});
  CHECK(std::count(seen.begin(), seen.end(), "response.created") == 2);
  CHECK(std::count(seen.begin(), seen.end(), "response.completed") == 2);
  CHECK(std::count(seen.begin(), seen.end(), "response.output_text.delta") == 2);
  CHECK(run.usage().requests == 2);
  CHECK(run.usage().input_tokens == 72);
  CHECK(run.usage().output_tokens == 34);
  CHECK(run.usage().total_tokens == 106);
  REQUIRE(run.raw_responses().size() == 2);
  CHECK(run.raw_responses()[0].request_id == "req_c2");
  CHECK(run.raw_responses()[1].id == "chatcmpl-c1");

  const auto recorded = server.requests();
  REQUIRE(recorded.size() == 2);
  for (const auto& r : recorded) {
    CHECK(r.target == "/v1/chat/completions");
    CHECK(r.header("User-Agent") == agents_user_agent);
  }
  const auto bodies = request_bodies(server);
  for (const auto& b : bodies) {
    CHECK(b.at("model") == "gpt-test");
    CHECK(b.at("stream") == true);
    CHECK(b.at("stream_options") == json::value(json::object{{"include_usage", true}}));
    CHECK(b.at("temperature") == 0.5);
    CHECK(b.at("max_completion_tokens") == 200);
    CHECK_FALSE(b.contains("input"));
    CHECK_FALSE(b.contains("instructions"));
    CHECK_FALSE(b.contains("max_output_tokens"));
    CHECK(b.at("tools") ==
          json::parse(R"([{"type":"function","function":{"name":"get_weather","description":"test tool",
        "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false},
        "strict":true}}])"));
  }
  CHECK(bodies[0].at("messages") == json::parse(R"([{"role":"system","content":"Answer about the weather."},
                                                    {"role":"user","content":"Weather in Paris and Tokyo?"}])"));
  CHECK(bodies[1].at("messages") == json::parse(R"([
      {"role":"system","content":"Answer about the weather."},
      {"role":"user","content":"Weather in Paris and Tokyo?"},
      {"role":"assistant","content":null,"tool_calls":[
        {"id":"call_c2a","type":"function","function":{"name":"get_weather","arguments":"{\"city\": \"Paris\"}"}},
        {"id":"call_c2b","type":"function","function":{"name":"get_weather","arguments":"{\"city\": \"Tokyo\"}"}}]},
      {"role":"tool","tool_call_id":"call_c2a","content":"{\"temp_c\":18}"},
      {"role":"tool","tool_call_id":"call_c2b","content":"{\"temp_c\":25}"}])"));

  // The history replays in Responses form (what another model, or the next run, consumes).
  const auto history = run.to_input_list();
  REQUIRE(history.size() == 6);
  CHECK(history[1].at("type") == "function_call");
  CHECK(history[1].at("call_id") == "call_c2a");
  CHECK(history[5].at("id") == "msg_chatcmpl-c1");
}

TEST_CASE("openai_chat_model: an untranslatable request fails before any request is sent",
          "[agents][openai_chat_model]") {
  scripted_server server;
  net::io_context ioc;
  auto client = std::make_shared<const openai::client>(ioc.get_executor(), client_options_for(server));
  openai_chat_model m(client);
  auto start = [&]() -> net::awaitable<std::string> {
    try {
      (void)co_await m.stream(
          obj(R"({"model":"m","input":"x","tools":[{"type":"file_search","vector_store_ids":["v"]}]})"));
    } catch (const user_error& e) {
      co_return e.what();
    }
    co_return "no error";
  };
  CHECK_THAT(run_sync(ioc, start()), Catch::Contains("not supported by Chat Completions"));
  CHECK(server.requests().empty());
  CHECK_THROWS_AS(openai_chat_model(client, {.request = {.instructions_role = "narrator"}}), user_error);
  CHECK_THROWS_AS(openai_chat_model(nullptr), user_error);
}

TEST_CASE("openai_chat_model: a chunk with `error` mid-stream fails next()", "[agents][openai_chat_model]") {
  scripted_server server;
  server.add(exchange::sse(sse_fixture("T5e_chat_error.sse"), "req_err"));
  net::io_context ioc;
  auto client = std::make_shared<const openai::client>(ioc.get_executor(), client_options_for(server));
  openai_chat_model m(client);
  auto consume = [&]() -> net::awaitable<std::pair<std::vector<std::string>, int>> {
    std::vector<std::string> types;
    auto s = co_await m.stream(obj(R"({"model":"m","input":"x"})"));
    try {
      while (auto ev = co_await s->next()) types.emplace_back(openai::event_type(*ev));
    } catch (const openai::api_error& e) {
      co_return std::pair{types, static_cast<int>(e.kind())};
    }
    co_return std::pair{types, -1};
  };
  const auto [types, kind] = run_sync(ioc, consume());
  CHECK(kind == static_cast<int>(openai::errc::stream_error));
  CHECK(std::count(types.begin(), types.end(), "response.output_text.delta") >= 1);
  CHECK(std::count(types.begin(), types.end(), "response.completed") == 0);
}

TEST_CASE("openai_chat_model: cancel() closes the connection; next() then fails as cancelled",
          "[agents][openai_chat_model]") {
  scripted_server server;
  const auto body = sse_fixture("C1_text.sse");
  // The first two chunks (role, "Hello"), then the server hangs.
  std::size_t cut = 0;
  for (int i = 0; i < 2; ++i) cut = body.find("\n\n", cut) + 2;
  auto x = exchange::sse(body.substr(0, cut), "req_hang");
  x.end = ending::hang;
  server.add(x);
  net::io_context ioc;
  auto client = std::make_shared<const openai::client>(ioc.get_executor(), client_options_for(server));
  openai_chat_model m(client);
  auto consume = [&]() -> net::awaitable<std::pair<std::string, int>> {
    auto s = co_await m.stream(obj(R"({"model":"m","input":"x"})"));
    std::string text;
    try {
      while (auto ev = co_await s->next()) {
        if (auto* d = std::get_if<openai::output_text_delta>(&*ev)) {
          text += d->text;
          s->cancel();
        }
      }
    } catch (const openai::api_error& e) {
      co_return std::pair{text, static_cast<int>(e.kind())};
    }
    co_return std::pair{text, -1};
  };
  const auto [text, kind] = run_sync(ioc, consume());
  CHECK(text == "Hello");
  CHECK(kind == static_cast<int>(openai::errc::cancelled));
  CHECK(server.wait_for_client_disconnects(1, std::chrono::seconds(5)) == 1);
}

TEST_CASE("openai_chat_model: one model serves runs on other strands of a multi-threaded io_context",
          "[agents][openai_chat_model][concurrency]") {
  scripted_server server;
  for (int i = 0; i < 4; ++i)
    server.add(exchange::sse(sse_fixture("C1_text.sse"), "req_" + std::to_string(i)));
  net::io_context ioc(2);
  // The client on its own strand, each run on another one (as chatkit::http::server does per connection).
  auto client = std::make_shared<const openai::client>(net::make_strand(ioc), client_options_for(server));
  auto model = std::make_shared<openai_chat_model>(client);
  request_context alice{"alice", {}, {}};
  std::vector<std::unique_ptr<run_context>> contexts;
  for (int i = 0; i < 4; ++i) contexts.push_back(std::make_unique<run_context>(alice));
  std::atomic<int> ok{0};
  auto one_run = [&](run_context& ctx) -> net::awaitable<void> {
    agent a;
    a.name = "Greeter";
    a.model = "gpt-test";
    auto run = run_streamed(a, "Hi", ctx, {.model = model});
    while (co_await run.next()) {
    }
    if (run.final_output() == "Hello, world!" && run.raw_responses().size() == 1 &&
        run.raw_responses()[0].request_id.rfind("req_", 0) == 0)
      ++ok;
  };
  std::vector<std::future<void>> done;
  for (int i = 0; i < 4; ++i)
    done.push_back(net::co_spawn(net::make_strand(ioc), one_run(*contexts[static_cast<std::size_t>(i)]),
                                 net::use_future));
  std::thread second([&] { ioc.run(); });
  ioc.run();
  second.join();
  for (auto& f : done) CHECK_NOTHROW(f.get());
  CHECK(ok == 4);
  CHECK(server.requests().size() == 4);
}

TEST_CASE("openai_chat_model: built from client_options it owns its client and thread",
          "[agents][openai_chat_model][concurrency]") {
  scripted_server server;
  server.add(exchange::sse(sse_fixture("C1_text.sse"), "req_c1"));
  net::io_context ioc;
  request_context alice{"alice", {}, {}};
  run_context ctx(alice);
  std::string text;
  {
    auto model = std::make_shared<openai_chat_model>(client_options_for(server));
    agent a;
    a.name = "Chat";
    a.model = "gpt-test";
    auto consume = [&]() -> net::awaitable<std::string> {
      auto run = run_streamed(a, "Say hello", ctx, {.model = model});
      while (co_await run.next()) {
      }
      co_return run.final_text();
    };
    text = run_sync(ioc, consume());
  }
  CHECK(text == "Hello, world!");
  REQUIRE(server.requests().size() == 1);
  CHECK(server.requests()[0].target == "/v1/chat/completions");
  CHECK_THROWS_AS(openai_chat_model(client_options_for(server),
                                    chat_model_options{.request = {.instructions_role = "boss"}}),
                  user_error);
}
