// Helpers of the agents tests: Responses SSE transcripts built in code (the exact wire format of the
// Responses streaming API, with sequence numbers and usage), and a model backed by the real client pointed
// at the scripted server. Coroutines are driven with chatkit::testing::run_sync.
#pragma once

#include <chatkit/agents/openai_responses_model.hpp>
#include <chatkit/agents/runner.hpp>
#include <chatkit/openai/client.hpp>

#include "openai/scripted_server.hpp"
#include "support/run_sync.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

namespace chatkit::agents::test {

namespace json = boost::json;
namespace net = boost::asio;
using openai::testing::exchange;
using openai::testing::scripted_server;

using chatkit::testing::run_sync;

inline std::string sse_fixture(const std::string& name) {
  const std::string path = std::string(CHATKIT_TEST_FIXTURES) + "/sse/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct call_spec {
  std::string call_id;
  std::string name;
  std::string arguments;
};

// Builds one streamed response event by event.
class sse_builder {
 public:
  explicit sse_builder(std::string response_id) : id_(std::move(response_id)) {
    event(
        {{"type", "response.created"}, {"response", response_object("in_progress", json::array{}, nullptr)}});
  }

  sse_builder& message(const std::string& msg_id, const std::vector<std::string>& deltas,
                       const json::array& annotations = {}) {
    const auto index = static_cast<std::int64_t>(output_.size());
    std::string text;
    for (const auto& d : deltas) text += d;
    event({{"type", "response.output_item.added"},
           {"output_index", index},
           {"item",
            {{"id", msg_id},
             {"type", "message"},
             {"status", "in_progress"},
             {"role", "assistant"},
             {"content", json::array{}}}}});
    event({{"type", "response.content_part.added"},
           {"item_id", msg_id},
           {"output_index", index},
           {"content_index", 0},
           {"part", {{"type", "output_text"}, {"text", ""}, {"annotations", json::array{}}}}});
    for (const auto& d : deltas)
      event({{"type", "response.output_text.delta"},
             {"item_id", msg_id},
             {"output_index", index},
             {"content_index", 0},
             {"delta", d}});
    std::int64_t ai = 0;
    for (const auto& a : annotations)
      event({{"type", "response.output_text.annotation.added"},
             {"item_id", msg_id},
             {"output_index", index},
             {"content_index", 0},
             {"annotation_index", ai++},
             {"annotation", a}});
    event({{"type", "response.output_text.done"},
           {"item_id", msg_id},
           {"output_index", index},
           {"content_index", 0},
           {"text", text}});
    json::object part{{"type", "output_text"}, {"text", text}, {"annotations", annotations}};
    event({{"type", "response.content_part.done"},
           {"item_id", msg_id},
           {"output_index", index},
           {"content_index", 0},
           {"part", part}});
    json::object item{{"id", msg_id},
                      {"type", "message"},
                      {"status", "completed"},
                      {"role", "assistant"},
                      {"content", json::array{part}}};
    event({{"type", "response.output_item.done"}, {"output_index", index}, {"item", item}});
    output_.push_back(item);
    return *this;
  }

  sse_builder& function_call(const call_spec& c) {
    const auto index = static_cast<std::int64_t>(output_.size());
    const std::string item_id = "fc_" + c.call_id;
    event({{"type", "response.output_item.added"},
           {"output_index", index},
           {"item",
            {{"id", item_id},
             {"type", "function_call"},
             {"status", "in_progress"},
             {"arguments", ""},
             {"call_id", c.call_id},
             {"name", c.name}}}});
    event({{"type", "response.function_call_arguments.delta"},
           {"item_id", item_id},
           {"output_index", index},
           {"delta", c.arguments}});
    event({{"type", "response.function_call_arguments.done"},
           {"item_id", item_id},
           {"output_index", index},
           {"name", c.name},
           {"arguments", c.arguments}});
    json::object item{{"id", item_id},         {"type", "function_call"},
                      {"status", "completed"}, {"arguments", c.arguments},
                      {"call_id", c.call_id},  {"name", c.name}};
    event({{"type", "response.output_item.done"}, {"output_index", index}, {"item", item}});
    output_.push_back(item);
    return *this;
  }

  // A reasoning item with one streamed summary.
  sse_builder& reasoning(const std::string& rs_id, const std::vector<std::string>& deltas) {
    const auto index = static_cast<std::int64_t>(output_.size());
    std::string text;
    for (const auto& d : deltas) text += d;
    event({{"type", "response.output_item.added"},
           {"output_index", index},
           {"item", {{"id", rs_id}, {"type", "reasoning"}, {"summary", json::array{}}}}});
    for (const auto& d : deltas)
      event({{"type", "response.reasoning_summary_text.delta"},
             {"item_id", rs_id},
             {"output_index", index},
             {"summary_index", 0},
             {"delta", d}});
    event({{"type", "response.reasoning_summary_text.done"},
           {"item_id", rs_id},
           {"output_index", index},
           {"summary_index", 0},
           {"text", text}});
    json::object item{{"id", rs_id},
                      {"type", "reasoning"},
                      {"summary", json::array{json::object{{"type", "summary_text"}, {"text", text}}}}};
    event({{"type", "response.output_item.done"}, {"output_index", index}, {"item", item}});
    output_.push_back(item);
    return *this;
  }

  // response.completed with the given usage; returns the SSE body.
  std::string completed(std::int64_t input_tokens = 10, std::int64_t output_tokens = 5) {
    json::object usage{{"input_tokens", input_tokens},
                       {"input_tokens_details", {{"cached_tokens", 0}}},
                       {"output_tokens", output_tokens},
                       {"output_tokens_details", {{"reasoning_tokens", 0}}},
                       {"total_tokens", input_tokens + output_tokens}};
    event({{"type", "response.completed"}, {"response", response_object("completed", output_, usage)}});
    return body_;
  }

  // The body so far, without a terminal event (for truncation and hang tests).
  const std::string& partial() const { return body_; }

 private:
  json::object response_object(const char* status, json::array output, json::value usage) const {
    return {{"id", id_},        {"object", "response"},          {"created_at", 1700000000},
            {"status", status}, {"model", "gpt-test"},           {"output", std::move(output)},
            {"error", nullptr}, {"incomplete_details", nullptr}, {"usage", std::move(usage)}};
  }

  void event(json::object e) {
    const std::string type(e.at("type").as_string());
    e["sequence_number"] = seq_++;
    body_ += "event: " + type + "\ndata: " + json::serialize(e) + "\n\n";
  }

  std::string id_;
  std::int64_t seq_ = 0;
  json::array output_;
  std::string body_;
};

inline std::string text_answer(const std::string& resp_id, const std::string& msg_id,
                               const std::vector<std::string>& deltas) {
  return sse_builder(resp_id).message(msg_id, deltas).completed();
}

inline std::string tool_calls(const std::string& resp_id, const std::vector<call_spec>& calls) {
  sse_builder b(resp_id);
  for (const auto& c : calls) b.function_call(c);
  return b.completed();
}

using openai::testing::client_options_for;

// A model talking to the scripted server through the real client.
inline std::shared_ptr<model> model_for(net::io_context& ioc, const scripted_server& s) {
  auto client = std::make_shared<const openai::client>(ioc.get_executor(), client_options_for(s));
  return std::make_shared<openai_responses_model>(client);
}

// The request bodies the scripted server received, parsed.
inline std::vector<json::object> request_bodies(const scripted_server& s) {
  std::vector<json::object> out;
  for (const auto& r : s.requests()) out.push_back(r.json().as_object());
  return out;
}

// A plain tool from a handler, schema given by hand (the typed builders are tested on their own).
inline function_tool simple_tool(std::string name, json::object schema,
                                 std::function<net::awaitable<tool_output>(tool_context&, json::object)> fn) {
  function_tool t;
  t.name = std::move(name);
  t.description = "test tool";
  t.parameters = std::move(schema);
  t.invoke = std::move(fn);
  return t;
}

inline json::object city_schema() {
  return json::
      parse(R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false})")
          .as_object();
}

// The agent and the tool most runs use: get_weather for Paris answers {"temp_c":18}.
inline agent weather_agent(function_tool tool) {
  agent a;
  a.name = "Weather";
  a.instructions = std::string("Answer about the weather.");
  a.model = "gpt-test";
  a.tools.push_back(std::move(tool));
  return a;
}

inline function_tool weather_tool(int* calls = nullptr) {
  return simple_tool("get_weather", city_schema(),
                     [calls](tool_context&, json::object args) -> net::awaitable<tool_output> {
                       if (calls) ++*calls;
                       CHECK(args.at("city") == "Paris");
                       co_return json::object{{"temp_c", 18}};
                     });
}

}  // namespace chatkit::agents::test
