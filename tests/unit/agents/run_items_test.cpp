// Run items replayed as model input (docs/agents.md#the-next-turns-input), through the runner against the
// scripted OpenAI-compatible server: an item the API sent whole is replayed exactly as sent; an item that
// only streamed (output_item.added and deltas, no output_item.done, an empty output in response.completed) is
// replayed with what the deltas built.
#include "agent_support.hpp"

#include <chatkit/agents/runner.hpp>

#include <boost/json/serialize.hpp>

#include <catch2/catch.hpp>

using namespace chatkit;
using namespace chatkit::agents;
using namespace chatkit::agents::test;
namespace net = boost::asio;
namespace json = boost::json;

namespace {

// An SSE body written event by event from JSON text; sequence numbers are added in order.
class raw_stream {
 public:
  raw_stream& event(const std::string& type, const std::string& fields) {
    body_ += "event: " + type + "\ndata: {\"type\":\"" + type +
             "\",\"sequence_number\":" + std::to_string(seq_++) + "," + fields + "}\n\n";
    return *this;
  }
  raw_stream& created(const std::string& id) {
    return event(
        "response.created",
        R"("response":{"id":")" + id +
            R"(","object":"response","created_at":1,"status":"in_progress","model":"gpt-test","output":[]})");
  }
  std::string completed(const std::string& id, const std::string& output = "[]") {
    event("response.completed",
          R"("response":{"id":")" + id +
              R"(","object":"response","created_at":1,"status":"completed","model":"gpt-test","output":)" +
              output + R"(,"usage":{"input_tokens":1,"output_tokens":1,"total_tokens":2}})");
    return body_;
  }

 private:
  std::string body_;
  int seq_ = 0;
};

// A message (item 0) and a get_weather call (item 1) that stream without output_item.done.
raw_stream streamed_only() {
  raw_stream s;
  s.created("resp_a")
      .event(
          "response.output_item.added",
          R"("output_index":0,"item":{"id":"msg_1","type":"message","status":"in_progress","role":"assistant","content":[]})")
      .event(
          "response.content_part.added",
          R"("item_id":"msg_1","output_index":0,"content_index":0,"part":{"type":"output_text","text":"","annotations":[]})")
      .event("response.output_text.delta",
             R"("item_id":"msg_1","output_index":0,"content_index":0,"delta":"Let me ")")
      .event("response.output_text.delta",
             R"("item_id":"msg_1","output_index":0,"content_index":0,"delta":"check.")")
      .event(
          "response.output_item.added",
          R"("output_index":1,"item":{"id":"fc_1","type":"function_call","status":"in_progress","arguments":"","call_id":"call_1","name":"get_weather"})")
      .event("response.function_call_arguments.delta",
             R"("item_id":"fc_1","output_index":1,"delta":"{\"city\":\"Paris\"}")")
      .event("response.function_call_arguments.done",
             R"("item_id":"fc_1","output_index":1,"arguments":"{\"city\":\"Paris\"}")");
  return s;
}

struct run_env {
  net::io_context ioc;
  request_context alice{"alice", {}, {}};
  run_context ctx{alice};
};

// Runs the weather agent over the given first response (then a plain answer) and returns both request bodies.
std::vector<json::object> two_requests(const std::string& first_body, json::array* history = nullptr) {
  scripted_server server;
  server.add(exchange::sse(first_body, "r1"));
  server.add(exchange::sse(text_answer("resp_b", "msg_b", {"18 degrees."}), "r2"));
  run_env env;
  int calls = 0;
  auto run = run_streamed(weather_agent(weather_tool(&calls)), "Weather in Paris?", env.ctx,
                          {.model = model_for(env.ioc, server)});
  auto drain = [&]() -> net::awaitable<void> {
    while (co_await run.next()) {
    }
  };
  run_sync(env.ioc, drain());
  CHECK(calls == 1);
  if (history) *history = run.to_input_list();
  return request_bodies(server);
}

}  // namespace

TEST_CASE("run_items: items that only streamed are replayed with what their deltas built",
          "[agents][run_items]") {
  json::array history;
  auto bodies = two_requests(streamed_only().completed("resp_a"), &history);
  REQUIRE(bodies.size() == 2);
  const auto& input = bodies[1].at("input").as_array();
  REQUIRE(input.size() == 4);  // user, message, call, output
  CHECK(input[1] == json::parse(R"({"id":"msg_1","type":"message","status":"in_progress","role":"assistant",
                                    "content":[{"type":"output_text","text":"Let me check.","annotations":[]}]})"));
  CHECK(input[2] == json::parse(R"({"id":"fc_1","type":"function_call","status":"in_progress",
                                    "arguments":"{\"city\":\"Paris\"}","call_id":"call_1","name":"get_weather"})"));
  CHECK(input[3].at("type") == "function_call_output");
  CHECK(input[3].at("call_id") == "call_1");
  // to_input_list gives the same items.
  REQUIRE(history.size() == 5);  // and the final answer
  CHECK(history[1] == input[1]);
  CHECK(history[2] == input[2]);
}

TEST_CASE("run_items: items the API sent whole are replayed byte for byte", "[agents][run_items]") {
  // The done items carry fields the SDK does not model and keep an order of their own.
  const std::string message =
      R"({"type":"message","id":"msg_1","status":"completed","role":"assistant","content":[{"type":"output_text","annotations":[],"text":"Let me check.","logprobs":[]}],"x_item":{"a":[1,"b"]}})";
  const std::string call =
      R"({"call_id":"call_1","name":"get_weather","type":"function_call","id":"fc_1","arguments":"{\"city\":\"Paris\"}","status":"completed","x_trace":"t1"})";
  auto with_dones = [&] {
    return streamed_only()
        .event("response.output_item.done", R"("output_index":0,"item":)" + message)
        .event("response.output_item.done", R"("output_index":1,"item":)" + call);
  };

  SECTION("response.completed lists no output") {
    auto bodies = two_requests(with_dones().completed("resp_a"));
    REQUIRE(bodies.size() == 2);
    const auto& input = bodies[1].at("input").as_array();
    REQUIRE(input.size() == 4);
    CHECK(json::serialize(input[1]) == message);
    CHECK(json::serialize(input[2]) == call);
  }
  SECTION("response.completed lists the output") {
    auto bodies = two_requests(with_dones().completed("resp_a", "[" + message + "," + call + "]"));
    REQUIRE(bodies.size() == 2);
    const auto& input = bodies[1].at("input").as_array();
    REQUIRE(input.size() == 4);
    CHECK(json::serialize(input[1]) == message);
    CHECK(json::serialize(input[2]) == call);
  }
}
