// Full ChatKit exchanges through agent_server (server core + runner + stream_agent_response) against the scripted
// OpenAI-compatible server on loopback: event sequences, persisted items, client tool round trips,
// workflows, reasoning, annotations, cancellation and isolation of bound tool parameters.
#include "agent_support.hpp"
#include "support/collecting_sink.hpp"

#include <chatkit/agents/agent_server.hpp>
#include <chatkit/agents/context_binding.hpp>
#include <chatkit/protocol.hpp>
#include <chatkit/store/memory_store.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <catch2/catch.hpp>

using namespace chatkit;
using namespace chatkit::agents;
namespace at = chatkit::agents::test;
namespace cp = chatkit::protocol;
namespace net = boost::asio;
namespace json = boost::json;
using chatkit::testing::collecting_sink;
using openai::testing::ending;
using openai::testing::exchange;
using openai::testing::scripted_server;
using openai::testing::write_plan;

namespace {

using types = std::vector<std::string>;
const std::string added = "thread.item.added";
const std::string done = "thread.item.done";
const std::string part_added = "thread.item.updated:assistant_message.content_part.added";
const std::string delta = "thread.item.updated:assistant_message.content_part.text_delta";
const std::string part_done = "thread.item.updated:assistant_message.content_part.done";
const std::string annotation = "thread.item.updated:assistant_message.content_part.annotation_added";
const std::string task_added = "thread.item.updated:workflow.task.added";
const std::string task_updated = "thread.item.updated:workflow.task.updated";

std::string create_body(const std::string& text) {
  return json::serialize(json::object{
      {"type", "threads.create"},
      {"params", {{"input", {{"content", json::array{{{"type", "input_text"}, {"text", text}}}},
                             {"attachments", json::array{}},
                             {"inference_options", json::object{}}}}}}});
}

std::string add_message_body(const std::string& thread_id, const std::string& text) {
  return json::serialize(json::object{
      {"type", "threads.add_user_message"},
      {"params", {{"thread_id", thread_id},
                  {"input", {{"content", json::array{{{"type", "input_text"}, {"text", text}}}},
                             {"attachments", json::array{}},
                             {"inference_options", json::object{}}}}}}});
}

struct fixture {
  scripted_server model_server;
  net::io_context ioc;
  std::shared_ptr<store::memory_store> store = std::make_shared<store::memory_store>();
  std::unique_ptr<agent_server> bot;
  request_context alice{"alice", {}, {}};
  request_context bob{"bob", {}, {}};

  void start(agent a, agent_server_options opts = {}) {
    opts.run.model = at::model_for(ioc, model_server);
    bot = std::make_unique<agent_server>(store, std::move(a), std::move(opts));
  }

  collecting_sink stream(const std::string& body, const request_context& ctx, collecting_sink sink = {}) {
    auto r = chatkit::testing::run_sync(ioc, bot->process(body, ctx));
    auto* s = std::get_if<server::event_stream>(&r);
    if (!s) throw std::logic_error("expected an event stream");
    try {
      chatkit::testing::run_sync(ioc, s->run(sink));
    } catch (const std::exception&) {
      // a sink failing on purpose ends the stream with its exception
    }
    return sink;
  }

  std::vector<cp::thread_item> items(const std::string& thread_id, const request_context& ctx) {
    return chatkit::testing::run_sync(
               ioc, store->load_thread_items(thread_id, std::nullopt, 1000, cp::sort_order::asc, ctx))
        .data;
  }
};

std::string thread_id_of(const collecting_sink& s) {
  return std::string(s.events.at(0).at("thread").at("id").as_string());
}

json::object empty_schema() {
  return json::parse(R"({"type":"object","properties":{},"required":[],"additionalProperties":false})").as_object();
}

agent base_agent() {
  agent a;
  a.name = "Assistant";
  a.instructions = std::string("Be helpful.");
  a.model = "gpt-test";
  return a;
}

}  // namespace

TEST_CASE("stream_agent_response: the model calls a tool, then answers — events and persisted items", "[agents][stream_agent_response]") {
  fixture f;
  f.model_server.add(exchange::sse(at::tool_calls("resp_1", {{"call_1", "get_weather", "{\"city\":\"Paris\"}"}}), "r1"));
  f.model_server.add(exchange::sse(at::text_answer("resp_2", "msg_answer", {"It is ", "sunny."}), "r2"));
  auto a = base_agent();
  a.tools.push_back(at::simple_tool("get_weather", at::city_schema(), [](tool_context& tc, json::object) -> net::awaitable<tool_output> {
    // Progress shown the way docs/agents.md describes: a custom workflow task, loading then complete.
    auto& chat = tc.run.chatkit();
    co_await chat.add_workflow_task(cp::custom_task{"Checking the weather", std::nullopt, std::nullopt,
                                                    cp::status_indicator::loading});
    co_await chat.update_workflow_task(
        cp::custom_task{"Checked the weather", std::nullopt, std::string("Paris: sunny"), cp::status_indicator::complete}, 0);
    co_return "sunny";
  }));
  f.start(a);
  auto s = f.stream(create_body("Weather in Paris?"), f.alice);
  CHECK(s.types() == types{"thread.created", done, "stream_options", added /*workflow*/, task_updated,
                           done /*workflow closed by the message*/, added, part_added, delta, delta, part_done, done});
  const auto& wf = s.events[3].at("item");
  CHECK(wf.at("type") == "workflow");
  CHECK(wf.at("workflow").at("type") == "custom");
  CHECK(wf.at("workflow").at("tasks").at(0).at("status_indicator") == "loading");
  const auto& closed = s.events[5].at("item");
  CHECK(closed.at("id") == wf.at("id"));
  CHECK(closed.at("workflow").at("expanded") == false);
  CHECK(closed.at("workflow").at("summary").as_object().contains("duration"));
  CHECK(closed.at("workflow").at("tasks").at(0).at("content") == "Paris: sunny");
  const auto& answer = s.events.back().at("item");
  CHECK(answer.at("id") == "msg_answer");  // assistant messages keep the Responses id
  CHECK(answer.at("content") == json::parse(R"([{"annotations":[],"text":"It is sunny.","type":"output_text"}])"));

  const auto id = thread_id_of(s);
  auto stored = f.items(id, f.alice);
  REQUIRE(stored.size() == 3);
  CHECK(std::holds_alternative<cp::user_message_item>(stored[0]));
  CHECK(std::get<cp::workflow_item>(stored[1]).workflow.tasks.size() == 1);
  CHECK(std::get<cp::assistant_message_item>(stored[2]).content.at(0).text == "It is sunny.");

  // The model saw the user message as converted from the thread, then the tool round trip.
  auto bodies = at::request_bodies(f.model_server);
  REQUIRE(bodies.size() == 2);
  CHECK(bodies[0].at("input") == json::parse(
            R"([{"role":"user","type":"message","content":[{"type":"input_text","text":"Weather in Paris?"}]}])"));
  CHECK(bodies[1].at("input").as_array().size() == 3);
  CHECK(bodies[1].at("input").as_array().at(2).at("output") == "sunny");
}

TEST_CASE("stream_agent_response: history is given to the model on the next turn", "[agents][stream_agent_response]") {
  fixture f;
  f.model_server.add(exchange::sse(at::text_answer("resp_1", "msg_1", {"Hello Ada."}), "r1"));
  f.model_server.add(exchange::sse(at::text_answer("resp_2", "msg_2", {"You are Ada."}), "r2"));
  f.start(base_agent());
  auto first = f.stream(create_body("I am Ada"), f.alice);
  const auto id = thread_id_of(first);
  auto second = f.stream(add_message_body(id, "Who am I?"), f.alice);
  CHECK(second.types() == types{done, "stream_options", added, part_added, delta, part_done, done});
  auto bodies = at::request_bodies(f.model_server);
  REQUIRE(bodies.size() == 2);
  CHECK(bodies[1].at("input") == json::parse(R"([
    {"role":"user","type":"message","content":[{"type":"input_text","text":"I am Ada"}]},
    {"type":"message","role":"assistant","content":[{"type":"output_text","text":"Hello Ada.","annotations":[],"logprobs":null}]},
    {"role":"user","type":"message","content":[{"type":"input_text","text":"Who am I?"}]}])"));
}

TEST_CASE("stream_agent_response: history_limit keeps only the newest items", "[agents][stream_agent_response]") {
  fixture f;
  f.model_server.add(exchange::sse(at::text_answer("resp_1", "msg_1", {"one"}), "r1"));
  f.model_server.add(exchange::sse(at::text_answer("resp_2", "msg_2", {"two"}), "r2"));
  agent_server_options opts;
  opts.history_limit = 2;
  f.start(base_agent(), opts);
  const auto id = thread_id_of(f.stream(create_body("first"), f.alice));
  f.stream(add_message_body(id, "second"), f.alice);
  auto bodies = at::request_bodies(f.model_server);
  const auto& input = bodies.at(1).at("input").as_array();
  REQUIRE(input.size() == 2);
  CHECK(input[0].at("role") == "assistant");
  CHECK(input[1].at("content").at(0).at("text") == "second");
}

TEST_CASE("stream_agent_response: a client tool call ends the turn and resumes with its output", "[agents][stream_agent_response]") {
  fixture f;
  f.model_server.add(exchange::sse(at::tool_calls("resp_1", {{"call_loc", "get_location", "{\"precision\":\"city\"}"}}), "r1"));
  f.model_server.add(exchange::sse(at::text_answer("resp_2", "msg_2", {"You are in Lyon."}), "r2"));
  auto a = base_agent();
  auto tool = client_tool("get_location", "The user's location, from the browser.",
                          json::parse(R"({"type":"object","properties":{"precision":{"type":"string"}}})").as_object());
  a.tools.push_back(tool);
  f.start(a);
  auto s = f.stream(create_body("Where am I?"), f.alice);
  CHECK(s.types() == types{"thread.created", done, "stream_options", done});
  const auto& call = s.events[3].at("item");
  CHECK(call.at("type") == "client_tool_call");
  CHECK(call.at("status") == "pending");
  CHECK(call.at("id") == "fc_call_loc");  // the Responses function-call item id
  CHECK(call.at("call_id") == "call_loc");
  CHECK(call.at("arguments") == json::object{{"precision", "city"}});
  CHECK(f.model_server.requests().size() == 1);  // the run stopped at the client tool

  const auto id = thread_id_of(s);
  auto out = f.stream(R"({"type":"threads.add_client_tool_output","params":{"thread_id":")" + id +
                          R"(","result":{"city":"Lyon","ok":true}}})",
                      f.alice);
  CHECK(out.types() == types{"stream_options", added, part_added, delta, part_done, done});
  auto bodies = at::request_bodies(f.model_server);
  REQUIRE(bodies.size() == 2);
  const auto& input = bodies[1].at("input").as_array();
  REQUIRE(input.size() == 3);
  CHECK(input[1] == json::parse(
                        R"({"type":"function_call","call_id":"call_loc","name":"get_location","arguments":"{\"precision\": \"city\"}"})"));
  CHECK(input[2] == json::parse(
                        R"({"type":"function_call_output","call_id":"call_loc","output":"{\"city\": \"Lyon\", \"ok\": true}"})"));
}

TEST_CASE("stream_agent_response: a client tool called beside other tools answers its own call",
          "[agents][stream_agent_response]") {
  // The model calls the client tool and a server tool in one response; the pending item must answer the
  // client tool's call, whatever the order of the calls.
  const auto location_schema =
      json::parse(R"({"type":"object","properties":{"precision":{"type":"string"}}})").as_object();
  const at::call_spec loc{"call_loc", "get_location", "{\"precision\":\"city\"}"};
  const at::call_spec weather{"call_w", "get_weather", "{\"city\":\"Paris\"}"};
  for (const auto& calls :
       {std::vector<at::call_spec>{loc, weather}, std::vector<at::call_spec>{weather, loc}}) {
    INFO("first call: " << calls.front().name);
    fixture f;
    f.model_server.add(exchange::sse(at::tool_calls("resp_1", calls), "r1"));
    f.model_server.add(exchange::sse(at::text_answer("resp_2", "msg_2", {"Sunny in Lyon."}), "r2"));
    int weather_calls = 0;
    auto a = base_agent();
    a.tools.push_back(client_tool("get_location", "The user's location, from the browser.", location_schema));
    a.tools.push_back(at::weather_tool(&weather_calls));
    f.start(a);
    auto s = f.stream(create_body("Where am I, and how is the weather?"), f.alice);
    CHECK(weather_calls == 1);
    REQUIRE(s.types() == types{"thread.created", done, "stream_options", done});
    const auto& call = s.events[3].at("item");
    CHECK(call.at("type") == "client_tool_call");
    CHECK(call.at("name") == "get_location");
    CHECK(call.at("call_id") == "call_loc");
    CHECK(call.at("id") == "fc_call_loc");
    CHECK(call.at("arguments") == json::object{{"precision", "city"}});

    // Resumed: the model is told of its own call and the browser's answer.
    const auto id = thread_id_of(s);
    f.stream(
        R"({"type":"threads.add_client_tool_output","params":{"thread_id":")" + id + R"(","result":"Lyon"}})",
        f.alice);
    auto bodies = at::request_bodies(f.model_server);
    REQUIRE(bodies.size() == 2);
    const auto& input = bodies[1].at("input").as_array();
    REQUIRE(input.size() == 3);
    CHECK(input[1].at("type") == "function_call");
    CHECK(input[1].at("call_id") == "call_loc");
    CHECK(input[1].at("name") == "get_location");
    CHECK(input[2].at("type") == "function_call_output");
    CHECK(input[2].at("call_id") == "call_loc");
  }
}

TEST_CASE("stream_agent_response: a client tool call requested by name answers the latest call of that name",
          "[agents][stream_agent_response]") {
  // A tool of the app's own asks through the overload without its tool_context.
  fixture f;
  f.model_server.add(exchange::sse(
      at::tool_calls("resp_1",
                     {{"call_pick", "pick_file", "{}"}, {"call_w", "get_weather", "{\"city\":\"Paris\"}"}}),
      "r1"));
  auto a = base_agent();
  auto pick = at::simple_tool("pick_file", empty_schema(),
                              [](tool_context& tc, json::object) -> net::awaitable<tool_output> {
                                tc.run.chatkit().request_client_tool_call("pick_file", {});
                                co_return "asked";
                              });
  pick.ends_run = true;
  a.tools.push_back(pick);
  a.tools.push_back(at::weather_tool());
  f.start(a);
  auto s = f.stream(create_body("Use my file"), f.alice);
  const auto& call = s.events.back().at("item");
  CHECK(call.at("type") == "client_tool_call");
  CHECK(call.at("call_id") == "call_pick");
  CHECK(call.at("id") == "fc_call_pick");
}

TEST_CASE("stream_agent_response: reasoning summaries become a reasoning workflow closed by the answer", "[agents][stream_agent_response]") {
  fixture f;
  f.model_server.add(
      exchange::sse(at::sse_builder("resp_1").reasoning("rs_1", {"Think", "ing..."}).message("msg_1", {"Done."}).completed(), "r1"));
  f.start(base_agent());
  auto s = f.stream(create_body("Solve it"), f.alice);
  CHECK(s.types() == types{"thread.created", done, "stream_options", added, task_added, task_updated, task_updated, done, added, part_added, delta, part_done, done});
  CHECK(s.events[3].at("item").at("workflow").at("type") == "reasoning");
  CHECK(s.events[4].at("update").at("task_index") == 0);
  CHECK(s.events[4].at("update").at("task").at("type") == "thought");
  CHECK(s.events[4].at("update").at("task").at("content") == "Think");
  CHECK(s.events[5].at("update").at("task").at("content") == "Thinking...");
  CHECK(s.events[6].at("update").at("task").at("content") == "Thinking...");
  CHECK(s.events[7].at("item").at("workflow").at("expanded") == false);
  const auto stored = f.items(thread_id_of(s), f.alice);
  REQUIRE(stored.size() == 3);
  CHECK(std::get<cp::workflow_item>(stored[1]).workflow.type == cp::workflow_type::reasoning);
}

TEST_CASE("stream_agent_response: annotations are converted, counted per part, unconvertible ones dropped", "[agents][stream_agent_response]") {
  fixture f;
  json::array annotations{
      json::object{{"type", "url_citation"}, {"url", "https://example.com/a"}, {"title", "A"}, {"start_index", 0}, {"end_index", 4}},
      json::object{{"type", "file_path"}, {"file_id", "file_1"}, {"index", 2}},
      json::object{{"type", "file_citation"}, {"file_id", "file_2"}, {"filename", "notes.pdf"}, {"index", 7}}};
  f.model_server.add(exchange::sse(at::sse_builder("resp_1").message("msg_1", {"Cited text."}, annotations).completed(), "r1"));
  f.start(base_agent());
  auto s = f.stream(create_body("Cite"), f.alice);
  CHECK(s.types() == types{"thread.created", done, "stream_options", added, part_added, delta, annotation, annotation, part_done, done});
  CHECK(s.events[6].at("update") == json::parse(R"({"type":"assistant_message.content_part.annotation_added","content_index":0,"annotation_index":0,
      "annotation":{"type":"annotation","source":{"type":"url","title":"A","url":"https://example.com/a"},"index":4}})"));
  CHECK(s.events[7].at("update").at("annotation_index") == 1);
  CHECK(s.events[7].at("update").at("annotation").at("source").at("filename") == "notes.pdf");
  CHECK(s.events[7].at("update").at("annotation").at("index") == 7);
  // content_part.done does not repeat annotations; the finished item carries them.
  CHECK(s.events[8].at("update").at("content").at("annotations") == json::array{});
  CHECK(s.events[9].at("item").at("content").at(0).at("annotations").as_array().size() == 2);
}

TEST_CASE("stream_agent_response: a client that disconnects mid-text cancels the model call; the partial answer is kept",
          "[agents][stream_agent_response]") {
  fixture f;
  at::sse_builder b("resp_1");
  b.message("msg_1", {"Once ", "upon ", "a ", "time"});
  auto x = exchange::sse(b.partial(), "r1", write_plan::per_event().with_pause(std::chrono::milliseconds(10)));
  x.end = ending::hang;
  f.model_server.add(x);
  f.start(base_agent());
  collecting_sink sink;
  // thread.created, user done, stream_options, added, part_added, delta, delta → then the socket closes.
  sink.fail_after = 7;
  auto s = f.stream(create_body("Tell a story"), f.alice, sink);
  CHECK(s.events.size() == 7);
  CHECK(f.model_server.wait_for_client_disconnects(1, std::chrono::seconds(5)) == 1);
  const auto stored = f.items(thread_id_of(s), f.alice);
  REQUIRE(stored.size() == 3);
  const auto& partial = std::get<cp::assistant_message_item>(stored[1]);
  CHECK(partial.id == "msg_1");
  // The pipeline stores before it sends: the delta whose write failed is kept too (the store holds at least
  // what the client saw).
  CHECK(partial.content.at(0).text == "Once upon a ");
  CHECK(std::holds_alternative<cp::sdk_hidden_context_item>(stored[2]));
}

TEST_CASE("stream_agent_response: a failing run ends the stream with an error event", "[agents][stream_agent_response]") {
  fixture f;
  f.model_server.add(exchange::sse(at::tool_calls("resp_1", {{"c1", "nope", "{}"}}), "r1"));
  f.start(base_agent());
  auto s = f.stream(create_body("go"), f.alice);
  REQUIRE_FALSE(s.events.empty());
  const auto& last = s.events.back();
  CHECK(last.at("type") == "error");
  CHECK(last.at("code") == "stream.error");
  CHECK(last.at("allow_retry") == true);
}

TEST_CASE("stream_agent_response: an open workflow is persisted and continued on the next turn", "[agents][stream_agent_response]") {
  fixture f;
  // Turn 1: a tool opens a workflow and asks the browser for something: the workflow stays open.
  f.model_server.add(exchange::sse(at::tool_calls("resp_1", {{"call_pick", "pick_file", "{}"}}), "r1"));
  // Turn 2 (after the client tool output): the answer closes the continued workflow.
  f.model_server.add(exchange::sse(at::text_answer("resp_2", "msg_2", {"Got it."}), "r2"));
  auto a = base_agent();
  auto tool = at::simple_tool("pick_file", empty_schema(), [](tool_context& tc, json::object) -> net::awaitable<tool_output> {
    co_await tc.run.chatkit().add_workflow_task(cp::custom_task{"Asking for a file", std::nullopt, std::nullopt,
                                                                cp::status_indicator::loading});
    tc.run.chatkit().request_client_tool_call("pick_file", {});
    co_return "asked";
  });
  tool.ends_run = true;
  a.tools.push_back(tool);
  f.start(a);
  auto s = f.stream(create_body("Use my file"), f.alice);
  CHECK(s.types() == types{"thread.created", done, "stream_options", added, done});
  const auto id = thread_id_of(s);
  const std::string wf_id(s.events[3].at("item").at("id").as_string());
  auto stored = f.items(id, f.alice);
  REQUIRE(stored.size() == 3);  // user, workflow (persisted open), client tool call
  CHECK(cp::item_id(stored[1]) == wf_id);

  auto out = f.stream(R"({"type":"threads.add_client_tool_output","params":{"thread_id":")" + id +
                          R"(","result":"report.pdf"}})",
                      f.alice);
  CHECK(out.types() == types{"stream_options", done /*continued workflow closed*/, added, part_added, delta, part_done, done});
  CHECK(out.events[1].at("item").at("id") == json::value(wf_id));
  stored = f.items(id, f.alice);
  REQUIRE(stored.size() == 4);
  const auto& wf = std::get<cp::workflow_item>(stored[1]);  // saved in place, not duplicated
  CHECK(wf.id == wf_id);
  CHECK(wf.workflow.summary.has_value());
}

TEST_CASE("stream_agent_response: isolation — a bound user_id never reaches the model and cannot be set by it", "[agents][stream_agent_response][isolation]") {
  fixture f;
  // First call: the model tries to act for someone else; second call: it asks properly; then it answers.
  f.model_server.add(exchange::sse(
      at::tool_calls("resp_1", {{"c_bad", "list_tasks", "{\"status\":\"open\",\"user_id\":\"someone-else\"}"}}), "r1"));
  f.model_server.add(exchange::sse(at::tool_calls("resp_2", {{"c_good", "list_tasks", "{\"status\":\"open\"}"}}), "r2"));
  f.model_server.add(exchange::sse(at::text_answer("resp_3", "msg_3", {"You have 1 open task."}), "r3"));
  std::vector<std::string> seen_users;
  auto inner = at::simple_tool(
      "list_tasks",
      json::parse(R"({"type":"object","properties":{"status":{"type":"string"},"user_id":{"type":"string"}},"required":["status","user_id"],"additionalProperties":false})").as_object(),
      [&](tool_context&, json::object args) -> net::awaitable<tool_output> {
        seen_users.emplace_back(args.at("user_id").as_string());
        co_return "1 open task";
      });
  std::vector<std::string> violations;
  auto a = base_agent();
  a.tools.push_back(bind_context(inner, {bind_user_id()}));
  struct logging_server : agent_server {
    using agent_server::agent_server;
    std::vector<std::string>* log = nullptr;
    void prepare(run_context& ctx, const server::respond_args&) override {
      ctx.on_binding_violation = [this](const binding_violation& v) {
        log->push_back(std::string(v.tool) + ":" + std::string(v.parameter) + ":" + v.caller.user_id);
      };
    }
  };
  agent_server_options opts;
  opts.run.model = at::model_for(f.ioc, f.model_server);
  auto bot = std::make_unique<logging_server>(f.store, a, opts);
  bot->log = &violations;
  f.bot = std::move(bot);
  auto s = f.stream(create_body("What is on my list?"), f.alice);
  CHECK(s.events.back().at("type") == "thread.item.done");
  CHECK(seen_users == std::vector<std::string>{"alice"});  // only the honest call ran, as alice
  CHECK(violations == std::vector<std::string>{"list_tasks:user_id:alice"});

  auto requests = f.model_server.requests();
  REQUIRE(requests.size() == 3);
  for (const auto& r : requests) {
    const auto tools = json::serialize(r.json().at("tools"));
    CHECK(tools.find("user_id") == std::string::npos);
  }
  const auto input = requests[1].json().at("input").as_array();
  const auto refusal = std::string(input.back().at("output").as_string());
  CHECK_THAT(refusal, Catch::Contains("set by the server"));
  CHECK_THAT(refusal, Catch::StartsWith("Tool call failed; fix the arguments and try again."));

  // Bob cannot read alice's thread through the server either.
  const auto id = thread_id_of(s);
  CHECK_THROWS_AS(chatkit::testing::run_sync(f.ioc, f.bot->process(R"({"type":"threads.get_by_id","params":{"thread_id":")" +
                                                                        id + R"("}})",
                                                                    f.bob)),
                  chatkit::error);
}

TEST_CASE("stream_agent_response: a store failure while forwarding becomes an error event, not a cancellation", "[agents][stream_agent_response]") {
  fixture f;
  // A misbehaving model that reuses its message id on the next turn: the second insert conflicts.
  f.model_server.add(exchange::sse(at::text_answer("resp_1", "msg_same", {"first"}), "r1"));
  f.model_server.add(exchange::sse(at::text_answer("resp_2", "msg_same", {"second"}), "r2"));
  f.start(base_agent());
  const auto id = thread_id_of(f.stream(create_body("one"), f.alice));
  auto s = f.stream(add_message_body(id, "two"), f.alice);
  REQUIRE_FALSE(s.events.empty());
  CHECK(s.events.back().at("type") == "error");
  CHECK(s.events.back().at("code") == "stream.error");
  const auto stored = f.items(id, f.alice);
  REQUIRE(stored.size() == 3);  // nothing half-written: the first answer is intact, no sdk cancellation note
  CHECK(std::get<cp::assistant_message_item>(stored[1]).content.at(0).text == "first");
}

TEST_CASE("stream_agent_response: cancelling the stream while a tool runs cancels the tool and makes no further model call",
          "[agents][stream_agent_response]") {
  fixture f;
  f.model_server.add(exchange::sse(at::tool_calls("resp_1", {{"c_slow", "slow_search", "{}"}}), "r1"));
  bool tool_saw_cancel = false;
  auto a = base_agent();
  a.tools.push_back(at::simple_tool("slow_search", empty_schema(), [&](tool_context& tc, json::object) -> net::awaitable<tool_output> {
    co_await tc.run.chatkit().add_workflow_task(cp::custom_task{"Searching…", std::nullopt, std::nullopt,
                                                                cp::status_indicator::loading});
    net::steady_timer t(co_await net::this_coro::executor, std::chrono::seconds(30));
    auto [ec] = co_await t.async_wait(net::as_tuple(net::use_awaitable));
    tool_saw_cancel = ec == net::error::operation_aborted;
    co_return "late";
  }));
  f.start(a);
  auto r = chatkit::testing::run_sync(f.ioc, f.bot->process(create_body("Search"), f.alice));
  auto& stream = std::get<server::event_stream>(r);
  net::cancellation_signal signal;
  collecting_sink sink;
  // The client goes away as soon as it sees the tool's progress (what http::server does on a disconnect).
  sink.on_frame = [&](const json::value& ev) {
    if (ev.at("type") == "thread.item.added" && ev.at("item").at("type") == "workflow")
      net::post(f.ioc, [&] { signal.emit(net::cancellation_type::terminal); });
  };
  std::exception_ptr outcome;
  net::co_spawn(f.ioc, stream.run(sink), net::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr e) { outcome = e; }));
  f.ioc.restart();
  f.ioc.run();
  CHECK(outcome);  // the stream ended as cancelled
  CHECK(tool_saw_cancel);
  CHECK(f.model_server.requests().size() == 1);
  const auto stored = f.items(thread_id_of(sink), f.alice);
  REQUIRE(stored.size() == 2);  // the user message and the cancellation note; the open workflow is dropped
  CHECK(std::holds_alternative<cp::sdk_hidden_context_item>(stored[1]));
}
