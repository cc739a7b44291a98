// widget_stream through the echo bot: a streamed widget becomes value deltas, one root update and a done.
#include "harness.hpp"

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
