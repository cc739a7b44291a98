// thread_item_converter: one case per rule of docs/agents.md#history-thread_item_converter, a worked example, and the
// hooks. Items are read from their wire JSON (as a store would return them) and the output is compared as
// parsed JSON, so member order does not matter but every member and every text does.
#include <chatkit/agents/error.hpp>
#include <chatkit/agents/thread_item_converter.hpp>
#include <chatkit/protocol/items.hpp>
#include <chatkit/protocol/json_io.hpp>

#include <catch2/catch.hpp>

#include "support/run_sync.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <string>
#include <vector>

namespace {

namespace json = boost::json;
using boost::asio::awaitable;
using chatkit::agents::thread_item_converter;
using chatkit::protocol::thread_item;

thread_item item(std::string_view wire_json) {
  return chatkit::protocol::from_json_text<thread_item>(wire_json);
}

json::array convert(thread_item_converter& converter, const std::vector<thread_item>& items) {
  boost::asio::io_context ioc;
  return chatkit::testing::run_sync(ioc, converter.to_agent_input(items));
}

json::array convert(const std::vector<thread_item>& items) {
  thread_item_converter converter;
  return convert(converter, items);
}

void check_json(const json::array& actual, std::string_view expected) {
  INFO("actual: " << json::serialize(actual));
  CHECK(json::value(actual) == json::parse(expected));
}

// The text of the single input_text part of the single message in `out`.
std::string only_text(const json::array& out) {
  REQUIRE(out.size() == 1);
  const auto& content = out[0].at("content").as_array();
  REQUIRE(content.size() == 1);
  return std::string(content[0].at("text").as_string());
}

// An integrator's converter: images become input_image, other files input_file, tags a short description.
struct app_converter : thread_item_converter {
  std::vector<std::string> tag_calls;  // tag texts, in call order

  awaitable<json::object> attachment_to_message_content(const chatkit::protocol::attachment& a) override {
    if (a.type == chatkit::protocol::attachment_type::image) {
      co_return json::object{{"type", "input_image"}, {"image_url", *a.preview_url}, {"detail", "auto"}};
    }
    co_return json::object{{"type", "input_file"}, {"file_id", "file-" + a.id}, {"filename", a.name}};
  }
  awaitable<json::object> tag_to_message_content(const chatkit::protocol::input_tag& tag) override {
    tag_calls.push_back(tag.text);
    co_return json::object{{"type", "input_text"}, {"text", tag.text + " is " + json::serialize(tag.data)}};
  }
};

constexpr std::string_view preamble_json =
    R"("# User-provided context for @-mentions\n- When referencing resolved entities, use their canonical names **without** '@'.\n- The '@' form appears only in user text and should not be echoed.")";

std::string tag_message_json(std::string_view tag_parts) {
  return R"({"role":"user","type":"message","content":[{"type":"input_text","text":)" +
         std::string(preamble_json) + "}," + std::string(tag_parts) + "]}";
}

}  // namespace

// ---- user_message
// --------------------------------------------------------------------------------------------

TEST_CASE("thread_item_converter: a plain user message", "[agents][thread_item_converter]") {
  auto out = convert({item(
      R"({"type":"user_message","id":"msg_1","thread_id":"thr_1","created_at":"2026-11-25T10:00:00",
          "content":[{"type":"input_text","text":"Hello "},{"type":"input_text","text":"world"}],
          "inference_options":{}})")});
  check_json(out,
             R"([{"role":"user","type":"message","content":[{"type":"input_text","text":"Hello world"}]}])");
}

TEST_CASE("thread_item_converter: the tag preamble constant is three lines",
          "[agents][thread_item_converter]") {
  CHECK(chatkit::agents::tag_preamble == std::string_view(json::parse(preamble_json).as_string()));
  CHECK(chatkit::agents::tag_preamble.back() != '\n');
}

TEST_CASE(
    "thread_item_converter: user message with tags renders @text, then one tag message de-duplicated by text",
    "[agents][thread_item_converter]") {
  app_converter conv;
  auto out = convert(
      conv,
      {item(R"({"type":"user_message","id":"msg_1","thread_id":"thr_1","created_at":"2026-11-25T10:00:00",
          "content":[{"type":"input_text","text":"Compare "},
                     {"type":"input_tag","id":"ent_b","text":"Bob","data":{"n":1}},
                     {"type":"input_text","text":" with "},
                     {"type":"input_tag","id":"ent_a","text":"Ada","data":{"n":2}},
                     {"type":"input_text","text":" and "},
                     {"type":"input_tag","id":"ent_b2","text":"Bob","data":{"n":3}}],
          "inference_options":{}})")});
  // The second "Bob" still renders in the text, but only the first Bob (data n=1) reaches the hook.
  check_json(
      out,
      R"([{"role":"user","type":"message","content":[{"type":"input_text","text":"Compare @Bob with @Ada and @Bob"}]},)" +
          tag_message_json(R"({"type":"input_text","text":"Bob is {\"n\":1}"},)"
                           R"({"type":"input_text","text":"Ada is {\"n\":2}"})") +
          "]");
  CHECK(conv.tag_calls == std::vector<std::string>{"Bob", "Ada"});
}

TEST_CASE(
    "thread_item_converter: quoted text only for the last item, placed between the message and the tag "
    "context",
    "[agents][thread_item_converter]") {
  const auto quoted =
      item(R"({"type":"user_message","id":"msg_1","thread_id":"thr_1","created_at":"2026-11-25T10:00:00",
      "content":[{"type":"input_text","text":"Explain "},{"type":"input_tag","id":"e","text":"Ada","data":{}}],
      "quoted_text":"the second paragraph","inference_options":{}})");
  const auto later =
      item(R"({"type":"end_of_turn","id":"eot_1","thread_id":"thr_1","created_at":"2026-11-25T10:00:01"})");
  const std::string user =
      R"({"role":"user","type":"message","content":[{"type":"input_text","text":"Explain @Ada"}]})";
  const std::string quote =
      R"({"role":"user","type":"message","content":[{"type":"input_text","text":"The user is referring to this in particular: \nthe second paragraph"}]})";
  const std::string tags = tag_message_json(R"({"type":"input_text","text":"Ada is {}"})");

  SECTION("last") {
    app_converter conv;
    check_json(convert(conv, {quoted}), "[" + user + "," + quote + "," + tags + "]");
  }
  SECTION("not last: another item follows (even one that converts to nothing)") {
    app_converter conv;
    check_json(convert(conv, {quoted, later}), "[" + user + "," + tags + "]");
  }
  SECTION("an empty quoted_text is like none") {
    auto q = std::get<chatkit::protocol::user_message_item>(quoted);
    q.quoted_text = "";
    app_converter conv;
    check_json(convert(conv, {q}), "[" + user + "," + tags + "]");
  }
}

TEST_CASE("thread_item_converter: attachments through an overriding hook, in order, after the text",
          "[agents][thread_item_converter]") {
  app_converter conv;
  auto out = convert(
      conv,
      {item(R"({"type":"user_message","id":"msg_1","thread_id":"thr_1","created_at":"2026-11-25T10:00:00",
          "content":[{"type":"input_text","text":"See these"}],
          "attachments":[
            {"id":"atc_1","name":"cat.png","mime_type":"image/png","type":"image","preview_url":"https://cdn.test/cat.png"},
            {"id":"atc_2","name":"notes.txt","mime_type":"text/plain","type":"file"}],
          "inference_options":{}})")});
  check_json(out, R"([{"role":"user","type":"message","content":[
      {"type":"input_text","text":"See these"},
      {"type":"input_image","image_url":"https://cdn.test/cat.png","detail":"auto"},
      {"type":"input_file","file_id":"file-atc_2","filename":"notes.txt"}]}])");
}

TEST_CASE("thread_item_converter: the default attachment and tag hooks throw user_error naming the hook",
          "[agents][thread_item_converter]") {
  thread_item_converter plain;
  const auto with_attachment =
      item(R"({"type":"user_message","id":"msg_1","thread_id":"thr_1","created_at":"2026-11-25T10:00:00",
      "content":[{"type":"input_text","text":"x"}],
      "attachments":[{"id":"atc_9","name":"a.txt","mime_type":"text/plain","type":"file"}],"inference_options":{}})");
  CHECK_THROWS_AS(convert(plain, {with_attachment}), chatkit::agents::user_error);
  CHECK_THROWS_WITH(convert(plain, {with_attachment}),
                    Catch::Contains("attachment_to_message_content") && Catch::Contains("atc_9"));

  const auto with_tag =
      item(R"({"type":"user_message","id":"msg_1","thread_id":"thr_1","created_at":"2026-11-25T10:00:00",
      "content":[{"type":"input_tag","id":"e","text":"Ada","data":{}}],"inference_options":{}})");
  CHECK_THROWS_AS(convert(plain, {with_tag}), chatkit::agents::user_error);
  CHECK_THROWS_WITH(convert(plain, {with_tag}),
                    Catch::Contains("tag_to_message_content") && Catch::Contains("Ada"));
}

// ---- assistant_message
// ---------------------------------------------------------------------------------------

TEST_CASE("thread_item_converter: assistant message, one output_text per part, annotations not replayed",
          "[agents][thread_item_converter]") {
  auto out = convert({item(
      R"({"type":"assistant_message","id":"msg_r1","thread_id":"thr_1","created_at":"2026-11-25T10:00:00",
      "content":[{"type":"output_text","text":"See [1]","annotations":[
                   {"type":"annotation","source":{"type":"url","url":"https://a.test/","title":"A"},"index":7}]},
                 {"type":"output_text","text":"Second","annotations":[]}]})")});
  check_json(out, R"([{"type":"message","role":"assistant","content":[
      {"type":"output_text","text":"See [1]","annotations":[],"logprobs":null},
      {"type":"output_text","text":"Second","annotations":[],"logprobs":null}]}])");
}

// ---- client_tool_call
// ----------------------------------------------------------------------------------------

TEST_CASE("thread_item_converter: client tool calls", "[agents][thread_item_converter]") {
  SECTION("pending: nothing") {
    CHECK(
        convert(
            {item(
                R"({"type":"client_tool_call","id":"tc_1","thread_id":"thr_1","created_at":"2026-11-25T10:00:00",
        "status":"pending","call_id":"call_1","name":"f","arguments":{"a":1}})")})
            .empty());
  }
  SECTION("completed: function_call and function_call_output with Python json.dumps strings") {
    auto out = convert({item(
        R"({"type":"client_tool_call","id":"tc_1","thread_id":"thr_1","created_at":"2026-11-25T10:00:00",
        "status":"completed","call_id":"call_7","name":"get_selection",
        "arguments":{"scope":"page","ids":[3,1.5],"note":"caf\u00e9 \ud83d\ude00"},
        "output":{"selected":"paragraph\n2","ok":true,"extra":null}})")});
    check_json(out, R"([
      {"type":"function_call","call_id":"call_7","name":"get_selection",
       "arguments":"{\"scope\": \"page\", \"ids\": [3, 1.5], \"note\": \"caf\\u00e9 \\ud83d\\ude00\"}"},
      {"type":"function_call_output","call_id":"call_7",
       "output":"{\"selected\": \"paragraph\\n2\", \"ok\": true, \"extra\": null}"}])");
  }
  SECTION("completed without output: json.dumps(None)") {
    auto out = convert({item(
        R"({"type":"client_tool_call","id":"tc_1","thread_id":"thr_1","created_at":"2026-11-25T10:00:00",
        "status":"completed","call_id":"c","name":"f","arguments":{}})")});
    check_json(out, R"([{"type":"function_call","call_id":"c","name":"f","arguments":"{}"},
                        {"type":"function_call_output","call_id":"c","output":"null"}])");
  }
  SECTION("completed with a scalar output") {
    auto out = convert({item(
        R"({"type":"client_tool_call","id":"tc_1","thread_id":"thr_1","created_at":"2026-11-25T10:00:00",
        "status":"completed","call_id":"c","name":"f","arguments":{},"output":"done"})")});
    CHECK(out.at(1).at("output") == "\"done\"");
  }
}

// ---- widget
// --------------------------------------------------------------------------------------------------

TEST_CASE("thread_item_converter: widget described with its compact JSON, null props omitted at every depth",
          "[agents][thread_item_converter]") {
  auto out =
      convert({item(R"({"type":"widget","id":"msg_w1","thread_id":"thr_1","created_at":"2026-11-25T10:00:00",
      "widget":{"type":"Card","size":null,"children":[
         {"type":"Text","id":"t1","value":"Caf\u00e9 \"42\"","color":null,"streaming":false},
         {"type":"Row","gap":2,"align":null,"children":[{"type":"Badge","label":"new","variant":null}]}]},
      "copy_text":"copied"})")});
  // Compact (pydantic model_dump_json): no spaces, non-ASCII written as UTF-8, no null members.
  CHECK(
      only_text(out) ==
      "The following graphical UI widget (id: msg_w1) was displayed to the user:"
      R"({"type":"Card","children":[{"type":"Text","id":"t1","value":"Caf)"
      "\xC3\xA9"
      R"( \"42\"","streaming":false},{"type":"Row","gap":2,"children":[{"type":"Badge","label":"new"}]}]})");
  check_json(out, R"([{"role":"user","type":"message","content":[{"type":"input_text","text":)" +
                      json::serialize(json::string(only_text(out))) + "}]}]");
}

// ---- generated_image
// -----------------------------------------------------------------------------------------

TEST_CASE("thread_item_converter: generated image", "[agents][thread_item_converter]") {
  SECTION("with an image: a sentence and an input_image") {
    auto out = convert({item(
        R"({"type":"generated_image","id":"msg_i","thread_id":"thr_1","created_at":"2026-11-25T10:00:00",
        "image":{"id":"ig_1","url":"data:image/png;base64,AAAA"}})")});
    check_json(out, R"([{"role":"user","type":"message","content":[
        {"type":"input_text","text":"The following image was generated by the agent."},
        {"type":"input_image","detail":"auto","image_url":"data:image/png;base64,AAAA"}]}])");
  }
  SECTION("without an image: nothing") {
    CHECK(
        convert(
            {item(
                R"({"type":"generated_image","id":"msg_i","thread_id":"thr_1","created_at":"2026-11-25T10:00:00"})")})
            .empty());
  }
}

// ---- structured_input
// ----------------------------------------------------------------------------------------

TEST_CASE("thread_item_converter: structured input lists every question with its answer",
          "[agents][thread_item_converter]") {
  auto out = convert(
      {item(R"({"type":"structured_input","id":"msg_s","thread_id":"thr_1","created_at":"2026-11-25T10:00:00",
      "status":"answered","inputs":[
        {"type":"multiple_choice","id":"c","question":"Pick colors","options":[{"value":"red"},{"value":"blue"}],
         "multiple":true,"answer":{"values":["red","blue"],"skipped":false}},
        {"type":"freeform","id":"n","question":"Anything else?","answer":{"values":[],"skipped":true}},
        {"type":"freeform","id":"m","question":"Missing answer?"}]})")});
  CHECK(only_text(out) ==
        "A structured input request was displayed to the user with the following status: answered\n"
        "<StructuredInput>\n"
        "- Pick colors: red, blue\n"
        "- Anything else?: skipped\n"
        "- Missing answer?: unanswered\n"
        "</StructuredInput>");
  CHECK(out[0].at("role") == "user");
  CHECK(out[0].at("type") == "message");

  auto pending = convert(
      {item(R"({"type":"structured_input","id":"msg_s","thread_id":"thr_1","created_at":"2026-11-25T10:00:00",
      "inputs":[{"type":"freeform","id":"n","question":"Name?"}]})")});
  CHECK(only_text(pending) ==
        "A structured input request was displayed to the user with the following status: pending\n"
        "<StructuredInput>\n- Name?: unanswered\n</StructuredInput>");
}

// ---- task and workflow
// ---------------------------------------------------------------------------------------

namespace {
std::string task_text(std::string_view body) {
  return "A message was displayed to the user that the following task was performed:\n<Task>\n" +
         std::string(body) + "\n</Task>";
}
thread_item task_item(std::string_view task_json) {
  return item(
      R"({"type":"task","id":"tsk_1","thread_id":"thr_1","created_at":"2026-11-25T10:00:00","task":)" +
      std::string(task_json) + "}");
}
}  // namespace

TEST_CASE("thread_item_converter: task", "[agents][thread_item_converter]") {
  CHECK(only_text(convert({task_item(R"({"type":"custom","title":"Searched","content":"3 orders"})")})) ==
        task_text("Searched: 3 orders"));
  CHECK(only_text(convert({task_item(R"({"type":"custom","title":"Searched"})")})) == task_text("Searched"));
  CHECK(only_text(convert({task_item(R"({"type":"custom","content":"3 orders","icon":"search"})")})) ==
        task_text("3 orders"));
  CHECK(only_text(convert({task_item(R"({"type":"custom","title":"","content":"only content"})")})) ==
        task_text("only content"));
  CHECK(convert({task_item(R"({"type":"custom","icon":"search"})")}).empty());
  CHECK(convert({task_item(R"({"type":"custom","title":"","content":""})")}).empty());
  CHECK(convert({task_item(R"({"type":"thought","title":"Thinking","content":"hmm"})")}).empty());
  CHECK(convert({task_item(R"({"type":"web_search","title":"Search","queries":["q"]})")}).empty());
  CHECK(convert({task_item(R"({"type":"file","title":"Files"})")}).empty());
  CHECK(convert({task_item(R"({"type":"image","title":"Image"})")}).empty());
  check_json(convert({task_item(R"({"type":"custom","title":"T"})")}),
             R"([{"role":"user","type":"message","content":[{"type":"input_text","text":)" +
                 json::serialize(json::string(task_text("T"))) + "}]}]");
}

TEST_CASE("thread_item_converter: workflow, one message per custom task with title or content",
          "[agents][thread_item_converter]") {
  auto out =
      convert({item(R"({"type":"workflow","id":"wf_1","thread_id":"thr_1","created_at":"2026-11-25T10:00:00",
      "workflow":{"type":"custom","expanded":false,"summary":{"duration":3},"tasks":[
        {"type":"thought","content":"reasoning is not replayed"},
        {"type":"custom","title":"Looked up order","content":"#42"},
        {"type":"custom","icon":"bolt"},
        {"type":"web_search","queries":["x"]},
        {"type":"custom","content":"Shipped"}]}})")});
  REQUIRE(out.size() == 2);
  CHECK(std::string(out[0].at("content").at(0).at("text").as_string()) == task_text("Looked up order: #42"));
  CHECK(std::string(out[1].at("content").at(0).at("text").as_string()) == task_text("Shipped"));
  CHECK(out[1].at("role") == "user");

  CHECK(
      convert({item(R"({"type":"workflow","id":"wf_2","thread_id":"thr_1","created_at":"2026-11-25T10:00:00",
      "workflow":{"type":"reasoning","tasks":[{"type":"thought","content":"x"}]}})")})
          .empty());
}

// ---- hidden context, end of turn
// -----------------------------------------------------------------------------

TEST_CASE("thread_item_converter: hidden context items", "[agents][thread_item_converter]") {
  const std::string wrapped =
      "Hidden context for the agent (not shown to the user):\n<HiddenContext>\nThe user is on the pricing "
      "page\n"
      "</HiddenContext>";
  SECTION("hidden_context_item with string content") {
    check_json(
        convert({item(
            R"({"type":"hidden_context_item","id":"msg_h","thread_id":"thr_1","created_at":"2026-11-25T10:00:00",
        "content":"The user is on the pricing page"})")}),
        R"([{"role":"user","type":"message","content":[{"type":"input_text","text":)" +
            json::serialize(json::string(wrapped)) + "}]}]");
  }
  SECTION("sdk_hidden_context, same wrapper") {
    CHECK(
        only_text(convert({item(
            R"({"type":"sdk_hidden_context","id":"shcx_1","thread_id":"thr_1","created_at":"2026-11-25T10:00:00",
        "content":"The user is on the pricing page"})")})) == wrapped);
  }
  SECTION("non-string content: user_error by default, converted by an override") {
    const auto structured = item(
        R"({"type":"hidden_context_item","id":"msg_h2","thread_id":"thr_1","created_at":"2026-11-25T10:00:00",
        "content":{"page":"pricing"}})");
    CHECK_THROWS_AS(convert({structured}), chatkit::agents::user_error);
    CHECK_THROWS_WITH(convert({structured}),
                      Catch::Contains("hidden_context_to_input") && Catch::Contains("msg_h2"));

    struct page_converter : thread_item_converter {
      awaitable<void> hidden_context_to_input(const chatkit::protocol::hidden_context_item& h,
                                              json::array& out) override {
        out.push_back(
            chatkit::agents::user_text_message("page=" + std::string(h.content.at("page").as_string())));
        co_return;
      }
    } conv;
    check_json(
        convert(conv, {structured}),
        R"([{"role":"user","type":"message","content":[{"type":"input_text","text":"page=pricing"}]}])");
  }
}

TEST_CASE("thread_item_converter: end_of_turn converts to nothing", "[agents][thread_item_converter]") {
  CHECK(
      convert(
          {item(
              R"({"type":"end_of_turn","id":"eot","thread_id":"thr_1","created_at":"2026-11-25T10:00:00"})")})
          .empty());
  CHECK(convert({}).empty());
}

// ---- whole threads
// -------------------------------------------------------------------------------------------

TEST_CASE("thread_item_converter: a worked example", "[agents][thread_item_converter]") {
  struct example_converter : thread_item_converter {
    awaitable<json::object> tag_to_message_content(const chatkit::protocol::input_tag&) override {
      co_return json::object{{"type", "input_text"}, {"text", "<whatever tag_to_message_content returned>"}};
    }
  } conv;
  auto out = convert(
      conv,
      {item(R"({"type":"user_message","id":"msg_1","thread_id":"thr_1","created_at":"2026-11-25T10:00:00",
          "content":[{"type":"input_text","text":"Hi "},{"type":"input_tag","id":"ent_ada","text":"Ada","data":{}}],
          "inference_options":{}})"),
       item(
           R"({"type":"assistant_message","id":"msg_2","thread_id":"thr_1","created_at":"2026-11-25T10:00:01",
          "content":[{"type":"output_text","text":"Hello","annotations":[]}]})"),
       item(R"({"type":"client_tool_call","id":"tc_1","thread_id":"thr_1","created_at":"2026-11-25T10:00:02",
          "status":"completed","call_id":"call_1","name":"f","arguments":{"a":1},"output":{"ok":true}})")});
  // The expected model input, written out in full.
  check_json(out, R"([{"role":"user","type":"message","content":[{"type":"input_text","text":"Hi @Ada"}]},
 {"role":"user","type":"message","content":[{"type":"input_text","text":"# User-provided context for @-mentions\n- When referencing resolved entities, use their canonical names **without** '@'.\n- The '@' form appears only in user text and should not be echoed."},{"type":"input_text","text":"<whatever tag_to_message_content returned>"}]},
 {"type":"message","role":"assistant","content":[{"type":"output_text","text":"Hello","annotations":[],"logprobs":null}]},
 {"type":"function_call","call_id":"call_1","name":"f","arguments":"{\"a\": 1}"},
 {"type":"function_call_output","call_id":"call_1","output":"{\"ok\": true}"}])");
}

TEST_CASE(
    "converter: a thread in order, quoted text of earlier user messages dropped, hooks dispatched virtually",
    "[agents][thread_item_converter]") {
  // Overriding one hook changes only that item's conversion; to_agent_input reaches it through item_to_input.
  struct widget_as_copy_text : thread_item_converter {
    awaitable<void> widget_to_input(const chatkit::protocol::widget_item& w, json::array& out) override {
      out.push_back(chatkit::agents::user_text_message("widget: " + w.copy_text.value_or("")));
      co_return;
    }
  } conv;
  auto out = convert(
      conv,
      {item(R"({"type":"user_message","id":"m1","thread_id":"t","created_at":"2026-11-25T10:00:00",
          "content":[{"type":"input_text","text":"first"}],"quoted_text":"old quote","inference_options":{}})"),
       item(R"({"type":"widget","id":"w1","thread_id":"t","created_at":"2026-11-25T10:00:01",
          "widget":{"type":"Card","children":[]},"copy_text":"card"})"),
       item(R"({"type":"client_tool_call","id":"tc","thread_id":"t","created_at":"2026-11-25T10:00:02",
          "status":"pending","call_id":"c","name":"f","arguments":{}})"),
       item(
           R"({"type":"sdk_hidden_context","id":"h","thread_id":"t","created_at":"2026-11-25T10:00:03","content":"cancelled"})"),
       item(R"({"type":"user_message","id":"m2","thread_id":"t","created_at":"2026-11-25T10:00:04",
          "content":[{"type":"input_text","text":"second"}],"quoted_text":"new quote","inference_options":{}})")});
  check_json(out, R"([
    {"role":"user","type":"message","content":[{"type":"input_text","text":"first"}]},
    {"role":"user","type":"message","content":[{"type":"input_text","text":"widget: card"}]},
    {"role":"user","type":"message","content":[{"type":"input_text","text":"Hidden context for the agent (not shown to the user):\n<HiddenContext>\ncancelled\n</HiddenContext>"}]},
    {"role":"user","type":"message","content":[{"type":"input_text","text":"second"}]},
    {"role":"user","type":"message","content":[{"type":"input_text","text":"The user is referring to this in particular: \nnew quote"}]}])");
}

TEST_CASE("thread_item_converter: user_text_message builds the wrapped user message",
          "[agents][thread_item_converter]") {
  CHECK(json::value(chatkit::agents::user_text_message("hi \"there\"")) ==
        json::parse(
            R"({"role":"user","type":"message","content":[{"type":"input_text","text":"hi \"there\""}]})"));
}
