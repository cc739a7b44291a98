#include <chatkit/protocol.hpp>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

namespace cp = chatkit::protocol;

TEST_CASE("strings are escaped as JSON requires and UTF-8 passes through", "[protocol][writer]") {
  std::string out;
  cp::append_json_string(out, "a\"b\\c\nd\te\x01 héllo ✓ 😀");
  CHECK(out == "\"a\\\"b\\\\c\\nd\\te\\u0001 héllo ✓ 😀\"");
  CHECK(boost::json::parse(out).as_string() == "a\"b\\c\nd\te\x01 héllo ✓ 😀");
}

TEST_CASE("invalid_utf8::replace writes U+FFFD for each bad byte, on the fast and the slow path",
          "[protocol][writer]") {
  // Valid sequences of 2, 3 and 4 bytes pass; a stray continuation byte, a truncated sequence, an overlong
  // form, a surrogate and a byte above F4 are each replaced; DEL is escaped.
  const std::string text = std::string("clean ascii run ") + "\xc3\xa9\xe2\x9c\x93\xf0\x9f\x98\x80 " +
                           "\x80|\xe2\x9c|\xc0\xaf|\xed\xa0\x80|\xf5\x7f\x01";
  std::string out;
  cp::append_json_string(out, text, cp::invalid_utf8::replace);
  CHECK(out ==
        "\"clean ascii run \xc3\xa9\xe2\x9c\x93\xf0\x9f\x98\x80 "
        "\\ufffd|\\ufffd\\ufffd|\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd|\\ufffd\\u007f\\u0001\"");
  CHECK(boost::json::parse(out).is_string());
  // A long valid text is copied unchanged; the default policy copies bad bytes as they are.
  const std::string long_valid = std::string(40, 'a') + "\xc3\xa9" + std::string(40, 'b');
  out.clear();
  cp::append_json_string(out, long_valid, cp::invalid_utf8::replace);
  CHECK(out == '"' + long_valid + '"');
  out.clear();
  cp::append_json_string(out, "a\xff\x7f");
  CHECK(out == "\"a\xff\x7f\"");
}

TEST_CASE("null fields are omitted, empty containers and false are kept", "[protocol][writer]") {
  cp::user_message_item item;
  item.id = "msg_1";
  item.thread_id = "thr_1";
  item.created_at = cp::timestamp::from_civil(2025, 1, 2, 3, 4, 5);
  item.content.push_back(cp::input_tag{"e", "Ada", {}, std::nullopt, false});
  CHECK(cp::to_json(cp::thread_item{item}) ==
        R"({"id":"msg_1","thread_id":"thr_1","created_at":"2025-01-02T03:04:05","type":"user_message",)"
        R"("content":[{"type":"input_tag","id":"e","text":"Ada","data":{},"interactive":false}],)"
        R"("attachments":[],"inference_options":{}})");
}

TEST_CASE("an optional free JSON field holding null is written as absent", "[protocol][writer]") {
  cp::client_tool_call_item call;
  call.id = "tc_1";
  call.thread_id = "thr_1";
  call.created_at = cp::timestamp::from_civil(2025, 1, 2, 3, 4, 5);
  call.status = cp::client_tool_call_status::completed;
  call.call_id = "tc_2";
  call.name = "get_selection";
  call.arguments["scope"] = nullptr;  // free JSON inside a field is kept as given
  call.output = boost::json::value(nullptr);
  for (const auto who : {cp::audience::client, cp::audience::storage}) {
    const auto text = cp::to_json(cp::thread_item{call}, who);
    CHECK(text.find("output") == std::string::npos);
    CHECK(text.find(R"("arguments":{"scope":null})") != std::string::npos);
    CHECK_FALSE(std::get<cp::client_tool_call_item>(cp::from_json_text<cp::thread_item>(text)).output);
  }
  call.output = boost::json::value{{"a", nullptr}};
  CHECK(cp::to_json(cp::thread_item{call}).find(R"("output":{"a":null})") != std::string::npos);
  const cp::action press{"press", boost::json::value(nullptr)};
  CHECK(cp::to_json(press) == R"({"type":"press"})");
}

TEST_CASE("attachment and thread metadata are private to storage", "[protocol][writer]") {
  cp::attachment a{"atc_1",      "a.txt", "text/plain", cp::attachment_type::file,
                   std::nullopt, "thr_1", std::nullopt, {}};
  a.metadata["secret"] = "s3";
  CHECK(cp::to_json(a) ==
        R"({"id":"atc_1","name":"a.txt","mime_type":"text/plain","type":"file","thread_id":"thr_1"})");
  CHECK(cp::to_json(a, cp::audience::storage).find("\"secret\":\"s3\"") != std::string::npos);
  CHECK(cp::from_json_text<cp::attachment>(cp::to_json(a, cp::audience::storage)).metadata == a.metadata);

  cp::thread_metadata t{"thr_1", std::nullopt, cp::timestamp::from_civil(2025, 1, 2), {}, std::nullopt, {}};
  t.metadata["owner_note"] = 1;
  CHECK(cp::to_json(t) ==
        R"({"id":"thr_1","created_at":"2025-01-02T00:00:00","status":{"type":"active"},"metadata":{},)"
        R"("items":{"data":[],"has_more":false}})");
  CHECK(cp::from_json_text<cp::thread_metadata>(cp::to_json(t, cp::audience::storage)) == t);
}

TEST_CASE("widgets drop null props at every depth but keep children", "[protocol][writer]") {
  cp::widget_root w{
      boost::json::parse(
          R"({"type":"Card","size":null,"children":[{"type":"Text","value":"x","color":null}]})")
          .as_object()};
  CHECK(cp::to_json(w) == R"({"type":"Card","children":[{"type":"Text","value":"x"}]})");
  cp::widget_root empty{boost::json::parse(R"({"type":"Card","children":null})").as_object()};
  CHECK(cp::to_json(empty) == R"({"type":"Card","children":null})");
}

// A widget whose props hold nulls (left out) and whose action payloads hold nulls at several depths (kept).
const char* const widget_with_nulls =
    R"({"type":"Card","size":null,"confirm":{"label":"Go","icon":null,"action":{"type":"go","payload":)"
    R"({"z":null,"deep":{"q":null}},"handler":null}},"children":[{"type":"Button","label":"B","color":null,)"
    R"("onClickAction":{"type":"press","payload":{"n":1,"z":null,"deep":{"q":null,"list":[null,{"r":null}]}},)"
    R"("handler":"server","loadingBehavior":"auto","streaming":true}},{"type":"Form","onSubmitAction":)"
    R"({"type":"send","payload":[null,{"a":null}]},"children":[{"type":"Input","name":"x","defaultValue":null}]}]})";
const char* const widget_with_nulls_written =
    R"({"type":"Card","confirm":{"label":"Go","action":{"type":"go","payload":{"z":null,"deep":{"q":null}}}},)"
    R"("children":[{"type":"Button","label":"B","onClickAction":{"type":"press","payload":)"
    R"({"n":1,"z":null,"deep":{"q":null,"list":[null,{"r":null}]}},"handler":"server","loadingBehavior":"auto",)"
    R"("streaming":true}},{"type":"Form","onSubmitAction":{"type":"send","payload":[null,{"a":null}]},)"
    R"("children":[{"type":"Input","name":"x"}]}]})";

TEST_CASE("a widget's action payloads are written exactly as given, nulls included; its null props are not",
          "[protocol][writer][widget]") {
  const cp::widget_root w{boost::json::parse(widget_with_nulls).as_object()};
  CHECK(cp::to_json(w) == widget_with_nulls_written);
  CHECK(cp::to_json(w, cp::audience::storage) == widget_with_nulls_written);

  cp::widget_item item;
  item.id = "msg_1";
  item.thread_id = "thr_1";
  item.created_at = cp::timestamp::from_civil(2025, 1, 2);
  item.widget = w;
  const std::string head =
      R"({"id":"msg_1","thread_id":"thr_1","created_at":"2025-01-02T00:00:00","type":"widget",)";
  const std::string item_json = head + R"("widget":)" + widget_with_nulls_written + "}";
  for (const auto audience : {cp::audience::client, cp::audience::storage}) {
    CHECK(cp::to_json(item, audience) == item_json);
    // Read back (as a store or a client's echo would) and written again: byte for byte the same.
    const auto again = cp::from_json_text<cp::thread_item>(cp::to_json(item, audience));
    CHECK(cp::to_json(again, audience) == item_json);
    CHECK(std::get<cp::widget_item>(again).widget.tree == boost::json::parse(widget_with_nulls_written));
  }
  // The events that carry a widget: thread.item.done and widget.root.updated.
  CHECK(cp::to_json(cp::stream_event{cp::item_done_event{item}}) ==
        R"({"type":"thread.item.done","item":)" + item_json + "}");
  CHECK(cp::to_json(cp::stream_event{cp::item_updated_event{"msg_1", cp::widget_root_updated{w}}}) ==
        std::string(
            R"({"type":"thread.item.updated","item_id":"msg_1","update":{"type":"widget.root.updated",)") +
            R"("widget":)" + widget_with_nulls_written + "}}");
}

TEST_CASE("widget.component.updated writes its component as a widget node", "[protocol][writer][widget]") {
  const auto component = boost::json::parse(
      R"({"type":"Button","id":"b","color":null,"onClickAction":{"type":"x","payload":{"a":null},"handler":null}})");
  const cp::item_update u = cp::widget_component_updated{"b", component.as_object()};
  CHECK(cp::to_json(u) ==
        R"({"type":"widget.component.updated","component_id":"b","component":{"type":"Button","id":"b",)"
        R"("onClickAction":{"type":"x","payload":{"a":null}}}})");
  CHECK(cp::to_json(cp::from_json_text<cp::item_update>(cp::to_json(u))) == cp::to_json(u));
}

TEST_CASE("a null action payload is left out like any null prop", "[protocol][writer][widget]") {
  auto card = cp::widgets::card({cp::widgets::button("B", cp::widgets::action("press"))});
  CHECK(cp::to_json(card) ==
        R"({"type":"Card","children":[{"type":"Button","label":"B","onClickAction":{"type":"press",)"
        R"("handler":"server","loadingBehavior":"auto","streaming":true}}]})");
}

TEST_CASE("SSE frames are data lines with compact JSON", "[protocol][writer]") {
  std::string out;
  cp::append_sse_frame(out, cp::stream_options_event{});
  cp::append_sse_frame(out, cp::error_event{"stream.error", std::nullopt, true});
  CHECK(out ==
        "data: {\"type\":\"stream_options\",\"stream_options\":{\"allow_cancel\":true}}\n\n"
        "data: {\"type\":\"error\",\"code\":\"stream.error\",\"allow_retry\":true}\n\n");
}

TEST_CASE("Boost.JSON value_from / value_to interoperate", "[protocol][interop]") {
  cp::task_item t;
  t.id = "tsk_1";
  t.thread_id = "thr_1";
  t.task = cp::thought_task{std::nullopt, "thinking", cp::status_indicator::loading};
  const boost::json::value v = boost::json::value_from(cp::thread_item{t});
  CHECK(v.at("task").at("type") == "thought");
  const auto back = boost::json::value_to<cp::thread_item>(v);
  CHECK(std::get<cp::thought_task>(std::get<cp::task_item>(back).task).content == "thinking");
}

TEST_CASE("builders produce the documented widget JSON", "[protocol][widgets]") {
  namespace w = cp::widgets;
  auto card = w::card(
      {w::text("static", "t1"), w::button("Press", w::action("press", boost::json::object{{"n", 1}}))});
  CHECK(
      cp::to_json(card) ==
      R"({"type":"Card","children":[{"type":"Text","id":"t1","value":"static"},{"type":"Button","label":"Press",)"
      R"("onClickAction":{"type":"press","payload":{"n":1},"handler":"server","loadingBehavior":"auto","streaming":true}}]})");
}
