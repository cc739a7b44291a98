// The agent quickstart (examples/agent_quickstart) end to end over real sockets on 127.0.0.1: a ChatKit
// client POSTs threads.create to chatkit::http::server, the agent_server runs the notes agent against the
// scripted OpenAI server, and the typed tools store notes under the authenticated user — the one the
// X-User-Id header named, whatever user_id the model puts in its arguments.
#include "notes_agent.hpp"
#include "openai/scripted_server.hpp"

#include <chatkit/agents/context_binding.hpp>
#include <chatkit/http/auth.hpp>
#include <chatkit/http/server.hpp>
#include <chatkit/store/memory_store.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <mutex>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace json = boost::json;
namespace agents = chatkit::agents;
using chatkit::openai::testing::exchange;
using chatkit::openai::testing::scripted_server;
using tcp = asio::ip::tcp;

namespace {

// One streamed Responses answer in the exact wire format (as the Responses API streams it): sequence numbers, the
// item/part events, and response.completed carrying the output.
class responses_sse {
 public:
  explicit responses_sse(std::string response_id) : id_(std::move(response_id)) {
    event({{"type", "response.created"}, {"response", response("in_progress", json::array{})}});
  }

  responses_sse& function_call(const std::string& call_id, const std::string& name,
                               const std::string& arguments) {
    const auto index = static_cast<std::int64_t>(output_.size());
    const std::string id = "fc_" + call_id;
    json::object item{{"id", id},        {"type", "function_call"}, {"status", "in_progress"},
                      {"arguments", ""}, {"call_id", call_id},      {"name", name}};
    event({{"type", "response.output_item.added"}, {"output_index", index}, {"item", item}});
    event({{"type", "response.function_call_arguments.delta"},
           {"item_id", id},
           {"output_index", index},
           {"delta", arguments}});
    event({{"type", "response.function_call_arguments.done"},
           {"item_id", id},
           {"output_index", index},
           {"name", name},
           {"arguments", arguments}});
    item["status"] = "completed";
    item["arguments"] = arguments;
    event({{"type", "response.output_item.done"}, {"output_index", index}, {"item", item}});
    output_.push_back(std::move(item));
    return *this;
  }

  responses_sse& message(const std::string& msg_id, const std::vector<std::string>& deltas) {
    const auto index = static_cast<std::int64_t>(output_.size());
    std::string text;
    for (const auto& d : deltas) text += d;
    json::object item{{"id", msg_id},
                      {"type", "message"},
                      {"status", "in_progress"},
                      {"role", "assistant"},
                      {"content", json::array{}}};
    event({{"type", "response.output_item.added"}, {"output_index", index}, {"item", item}});
    json::object part{{"type", "output_text"}, {"text", ""}, {"annotations", json::array{}}};
    event({{"type", "response.content_part.added"},
           {"item_id", msg_id},
           {"output_index", index},
           {"content_index", 0},
           {"part", part}});
    for (const auto& d : deltas)
      event({{"type", "response.output_text.delta"},
             {"item_id", msg_id},
             {"output_index", index},
             {"content_index", 0},
             {"delta", d}});
    event({{"type", "response.output_text.done"},
           {"item_id", msg_id},
           {"output_index", index},
           {"content_index", 0},
           {"text", text}});
    part["text"] = text;
    event({{"type", "response.content_part.done"},
           {"item_id", msg_id},
           {"output_index", index},
           {"content_index", 0},
           {"part", part}});
    item["status"] = "completed";
    item["content"] = json::array{part};
    event({{"type", "response.output_item.done"}, {"output_index", index}, {"item", item}});
    output_.push_back(std::move(item));
    return *this;
  }

  exchange completed() {
    event({{"type", "response.completed"}, {"response", response("completed", output_)}});
    return exchange::sse(body_, "req_" + id_);
  }

 private:
  json::object response(const char* status, json::array output) const {
    json::value usage = nullptr;
    if (std::string_view(status) == "completed")
      usage = {{"input_tokens", 12},
               {"input_tokens_details", {{"cached_tokens", 0}}},
               {"output_tokens", 4},
               {"output_tokens_details", {{"reasoning_tokens", 0}}},
               {"total_tokens", 16}};
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

struct violation_record {
  std::string user;
  std::string tool;
  std::string parameter;
  bool overwritten = false;
};

// The quickstart's server as agent_quickstart builds it, on an ephemeral port, pointed at the scripted model.
struct quickstart {
  scripted_server model_server;
  std::shared_ptr<chatkit::store::memory_store> store = std::make_shared<chatkit::store::memory_store>();
  std::shared_ptr<chatkit::examples::note_store> notes = std::make_shared<chatkit::examples::note_store>();
  std::mutex mutex;
  std::vector<violation_record> violations;
  std::unique_ptr<chatkit::http::server> http;

  quickstart() {
    chatkit::examples::quickstart_options app;
    app.store = store;
    app.notes = notes;
    app.model = "gpt-test";
    app.openai.api_key = "test-key";
    app.openai.base_url = model_server.base_url();
    app.openai.proxy = "";
    app.openai.organization = "";
    app.openai.project = "";
    app.openai.max_retries = 0;
    app.on_binding_violation = [this](const agents::binding_violation& v) {
      std::lock_guard lock(mutex);
      violations.push_back({v.caller.user_id, std::string(v.tool), std::string(v.parameter), v.overwritten});
    };
    chatkit::http::server_options o;
    o.endpoint.authenticate = chatkit::http::dev_header_auth("X-User-Id", true);
    o.endpoint.access_log = [](const auto&) {};
    http = std::make_unique<chatkit::http::server>(chatkit::examples::make_notes_server(std::move(app)),
                                                   std::move(o));
    http->start();
  }
  ~quickstart() { http->stop(std::chrono::milliseconds(0)); }

  std::vector<violation_record> recorded_violations() {
    std::lock_guard lock(mutex);
    return violations;
  }
};

struct http_reply {
  unsigned status = 0;
  std::string content_type;
  std::vector<json::object> events;  // the SSE `data:` payloads, parsed, in order
};

// POSTs one ChatKit request as `user` (X-User-Id) and reads the whole (chunked) streamed answer.
http_reply post_chatkit(std::uint16_t port, const std::string& body, const std::string& user) {
  asio::io_context ioc;
  tcp::socket s(ioc);
  s.connect({asio::ip::make_address("127.0.0.1"), port});
  const std::string request =
      "POST /chatkit HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "Connection: close\r\nX-User-Id: " +
      user + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  asio::write(s, asio::buffer(request));
  beast::flat_buffer buffer;
  beast::http::response<beast::http::string_body> res;
  beast::http::read(s, buffer, res);
  http_reply out;
  out.status = res.result_int();
  out.content_type = std::string(res[beast::http::field::content_type]);
  const std::string& text = res.body();
  for (std::size_t at = 0; (at = text.find("data: ", at)) != std::string::npos;) {
    const std::size_t end = text.find("\n\n", at);
    out.events.push_back(json::parse(text.substr(at + 6, end - at - 6)).as_object());
    at = end;
  }
  return out;
}

std::string create_thread(const std::string& text) {
  json::object input{{"content", json::array{{{"type", "input_text"}, {"text", text}}}},
                     {"attachments", json::array{}},
                     {"inference_options", json::object{}}};
  return json::serialize(json::object{{"type", "threads.create"}, {"params", {{"input", input}}}});
}

std::string_view type_of(const json::object& o) {
  return o.at("type").as_string();
}

// The `output` of the function_call_output item for `call_id` in a recorded model request.
std::string tool_output_in(const json::object& request, std::string_view call_id) {
  for (const auto& item : request.at("input").as_array()) {
    const auto& o = item.as_object();
    if (const auto* t = o.if_contains("type");
        t && *t == "function_call_output" && o.at("call_id").as_string() == call_id)
      return std::string(o.at("output").as_string());
  }
  FAIL("no function_call_output for " << call_id);
  return {};
}

const json::object& tool_named(const json::object& request, std::string_view name) {
  for (const auto& t : request.at("tools").as_array())
    if (t.at("name").as_string() == name) return t.as_object();
  FAIL("no tool " << name << " in the request");
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("agent quickstart: a user-bound typed tool over HTTP", "[integration][agents]") {
  quickstart app;

  // ---- Run 1: the model saves a note without naming any user; the tool stores it for alice. ----
  app.model_server.add(
      responses_sse("resp_1").function_call("call_1", "add_note", R"({"text":"buy oat milk"})").completed());
  app.model_server.add(responses_sse("resp_2").message("msg_1", {"Saved: ", "buy oat milk."}).completed());
  const auto first = post_chatkit(app.http->port(), create_thread("Remember to buy oat milk"), "alice");

  REQUIRE(first.status == 200);
  CHECK(first.content_type == "text/event-stream");
  REQUIRE(first.events.size() >= 6);
  CHECK(type_of(first.events[0]) == "thread.created");
  CHECK(type_of(first.events[1]) == "thread.item.done");
  CHECK(type_of(first.events[1].at("item").as_object()) == "user_message");
  // The assistant message: added, its text deltas in order, then done with the whole text.
  std::vector<std::string> sequence;
  std::string streamed;
  for (const auto& e : first.events) {
    if (type_of(e) == "thread.item.added" || type_of(e) == "thread.item.done") {
      const auto& item = e.at("item").as_object();
      if (type_of(item) == "assistant_message") sequence.push_back(std::string(type_of(e)));
      if (type_of(e) == "thread.item.done" && type_of(item) == "assistant_message") {
        CHECK(item.at("id") == "msg_1");
        CHECK(item.at("content").as_array().at(0).at("text") == "Saved: buy oat milk.");
      }
    } else if (type_of(e) == "thread.item.updated") {
      const auto& update = e.at("update").as_object();
      if (type_of(update) == "assistant_message.content_part.text_delta") {
        CHECK(e.at("item_id") == "msg_1");
        sequence.emplace_back("delta");
        streamed += update.at("delta").as_string();
      }
    }
  }
  CHECK(sequence == std::vector<std::string>{"thread.item.added", "delta", "delta", "thread.item.done"});
  CHECK(streamed == "Saved: buy oat milk.");

  // The note is alice's, and only alice's.
  CHECK(app.notes->list("alice") == std::vector<std::string>{"buy oat milk"});
  CHECK(app.notes->size() == 1);

  auto requests = app.model_server.requests();
  REQUIRE(requests.size() == 2);
  // Nothing the model was sent mentions user_id: not the tools' schemas, not the instructions.
  CHECK(requests[0].body.find("user_id") == std::string::npos);
  const json::object req0 = requests[0].json().as_object();
  CHECK(req0.at("model") == "gpt-test");
  const auto& add_note = tool_named(req0, "add_note");
  CHECK(add_note.at("strict") == true);
  CHECK(json::value(add_note.at("parameters")) ==
        json::parse(R"({"type":"object","properties":{"text":{"type":"string",
                    "description":"The note, in the user's own words"}},"required":["text"],
                    "additionalProperties":false})"));
  CHECK(tool_named(req0, "list_notes").at("parameters").at("properties").as_object().empty());
  // The second model call carries the tool's answer.
  CHECK(tool_output_in(requests[1].json().as_object(), "call_1") == "Saved. Notes so far: 1.");
  CHECK(app.recorded_violations().empty());

  // ---- Run 2: the model tries to write into someone else's notes; the call is refused and logged. ----
  app.model_server.add(
      responses_sse("resp_3")
          .function_call("call_2", "add_note", R"({"text":"hijack","user_id":"someone-else"})")
          .completed());
  app.model_server.add(responses_sse("resp_4").message("msg_2", {"I could not save that."}).completed());
  const auto second =
      post_chatkit(app.http->port(), create_thread("Save 'hijack' for someone-else"), "alice");
  REQUIRE(second.status == 200);
  CHECK(type_of(second.events.back()) == "thread.item.done");
  CHECK(second.events.back().at("item").at("content").at(0).at("text") == "I could not save that.");

  requests = app.model_server.requests();
  REQUIRE(requests.size() == 4);
  const std::string refusal = tool_output_in(requests[3].json().as_object(), "call_2");
  CHECK(refusal.starts_with("Tool call failed; fix the arguments and try again. Error: "));  // docs/tools.md#tool-errors-what-the-model-sees
  CHECK(refusal.find(agents::bound_parameter_refusal("user_id")) != std::string::npos);
  CHECK(refusal.find("someone-else") == std::string::npos);
  CHECK(app.notes->list("someone-else").empty());
  CHECK(app.notes->list("alice") == std::vector<std::string>{"buy oat milk"});
  CHECK(app.notes->size() == 1);
  const auto violations = app.recorded_violations();
  REQUIRE(violations.size() == 1);
  CHECK(violations[0].user == "alice");
  CHECK(violations[0].tool == "add_note");
  CHECK(violations[0].parameter == "user_id");
  CHECK_FALSE(violations[0].overwritten);

  // ---- Run 3: the same tool objects serve bob: list_notes reads bob's (empty) notes, not alice's. ----
  app.model_server.add(responses_sse("resp_5").function_call("call_3", "list_notes", "{}").completed());
  app.model_server.add(responses_sse("resp_6").message("msg_3", {"You have no notes yet."}).completed());
  const auto third = post_chatkit(app.http->port(), create_thread("What are my notes?"), "bob");
  REQUIRE(third.status == 200);
  requests = app.model_server.requests();
  REQUIRE(requests.size() == 6);
  CHECK(tool_output_in(requests[5].json().as_object(), "call_3") == "[]");
  CHECK(app.model_server.unexpected_requests() == 0);
}
