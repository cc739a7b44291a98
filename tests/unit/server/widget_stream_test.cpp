// widget_stream through the echo bot: a streamed widget becomes value deltas, one root update and a done.
#include "harness.hpp"

#include <chatkit/server/widget_stream.hpp>

#include <catch2/catch.hpp>

using namespace chatkit::testing;
using namespace chatkit::testing::frames;
namespace cp = chatkit::protocol;

TEST_CASE("a streamed widget becomes value deltas, a root update and a done", "[server][widget]") {
  harness h;
  auto s = h.stream(create_body("widget"));
  CHECK(s.types() == types{"thread.created", done, "stream_options", added, "thread.updated",
                           "thread.item.updated:widget.streaming_text.value_delta",
                           "thread.item.updated:widget.streaming_text.value_delta",
                           "thread.item.updated:widget.root.updated", done});
  CHECK(
      s.events[5].at("update") ==
      json::parse(
          R"({"type":"widget.streaming_text.value_delta","component_id":"echo_text","delta":"You said","done":false})"));
  CHECK(s.events[6].at("update").at("delta") == ": widget");
  CHECK(s.events[8].at("item").at("copy_text") == "You said: widget");
  CHECK(
      s.events[8].at("item").at("widget") ==
      json::parse(
          R"({"type":"Card","children":[{"type":"Text","id":"echo_text","value":"You said: widget","streaming":false}]})"));
  auto items = h.stored_items(thread_id_of(s), h.alice);
  REQUIRE(items.size() == 2);
  CHECK(cp::item_type(items[1]) == "widget");
}

TEST_CASE("a static widget is one done event", "[server][widget]") {
  harness h;
  auto s = h.stream(create_body("static widget"));
  CHECK(s.types() == types{"thread.created", done, "stream_options", done, "thread.updated"});
  CHECK(!s.events[3].at("item").as_object().contains("copy_text"));
  CHECK(s.events[3].at("item").at("widget").at("children").at(1).at("onClickAction").at("loadingBehavior") ==
        "auto");
}

namespace {

cp::widget_root root_of(std::string_view text) {
  return {json::parse(text).as_object()};
}

// The value deltas of `updates` as "component_id:delta" (an empty list if any update is something else).
std::vector<std::string> deltas_of(const std::vector<cp::item_update>& updates) {
  std::vector<std::string> out;
  for (const auto& u : updates) {
    const auto* d = std::get_if<cp::widget_streaming_text_value_delta>(&u);
    if (!d) return {};
    out.push_back(d->component_id + ":" + d->delta);
  }
  return out;
}

bool is_root_update(const std::vector<cp::item_update>& updates) {
  return updates.size() == 1 && std::holds_alternative<cp::widget_root_updated>(updates[0]);
}

}  // namespace

TEST_CASE("value deltas follow the document order of the tree, not the order of the ids",
          "[server][widget]") {
  // "title" sorts after "body" but comes first in the tree; "mid" is nested one level deeper in between.
  const auto before =
      root_of(R"({"type":"Card","children":[{"type":"Text","id":"title","value":"T","streaming":true},)"
              R"({"type":"Col","children":[{"type":"Markdown","id":"mid","value":"M","streaming":true}]},)"
              R"({"type":"Text","id":"body","value":"B","streaming":true}]})");
  const auto after =
      root_of(R"({"type":"Card","children":[{"type":"Text","id":"title","value":"Title","streaming":true},)"
              R"({"type":"Col","children":[{"type":"Markdown","id":"mid","value":"Mid","streaming":true}]},)"
              R"({"type":"Text","id":"body","value":"Body","streaming":true}]})");
  CHECK(deltas_of(chatkit::server::diff_widget(before, after)) ==
        std::vector<std::string>{"title:itle", "mid:id", "body:ody"});
}

TEST_CASE("value deltas: a Transition's single child is walked too", "[server][widget]") {
  const auto before = root_of(
      R"({"type":"Card","children":[{"type":"Transition","children":{"type":"Text","id":"z","value":"a"}},)"
      R"({"type":"Text","id":"a","value":"x"}]})");
  const auto after = root_of(
      R"({"type":"Card","children":[{"type":"Transition","children":{"type":"Text","id":"z","value":"ab"}},)"
      R"({"type":"Text","id":"a","value":"xy"}]})");
  const auto updates = chatkit::server::diff_widget(before, after);
  CHECK(deltas_of(updates) == std::vector<std::string>{"z:b", "a:y"});
  REQUIRE(updates.size() == 2);
  CHECK(std::get<cp::widget_streaming_text_value_delta>(updates[0]).done);  // not streaming
}

TEST_CASE("a Text-shaped object outside children is a prop: when it changes, the whole root is sent",
          "[server][widget]") {
  // Only nodes under `children` are components; any other object is compared as a plain value.
  const auto before =
      root_of(R"({"type":"Card","extra":{"type":"Text","id":"p","value":"a"},"children":[]})");
  const auto after =
      root_of(R"({"type":"Card","extra":{"type":"Text","id":"p","value":"ab"},"children":[]})");
  CHECK(is_root_update(chatkit::server::diff_widget(before, after)));
}

TEST_CASE("an action payload is compared exactly: a null that appears or goes is a change",
          "[server][widget]") {
  const auto with_null = root_of(
      R"({"type":"Card","children":[{"type":"Button","onClickAction":{"type":"x","payload":{"a":null}}}]})");
  const auto without =
      root_of(R"({"type":"Card","children":[{"type":"Button","onClickAction":{"type":"x","payload":{}}}]})");
  CHECK(is_root_update(chatkit::server::diff_widget(with_null, without)));
  CHECK(is_root_update(chatkit::server::diff_widget(without, with_null)));
  CHECK(chatkit::server::diff_widget(with_null, with_null).empty());
  // A null prop is the same as an absent one (neither is written).
  const auto null_prop =
      root_of(R"({"type":"Card","size":null,"children":[{"type":"Button","color":null}]})");
  const auto no_prop = root_of(R"({"type":"Card","children":[{"type":"Button"}]})");
  CHECK(chatkit::server::diff_widget(null_prop, no_prop).empty());
}
