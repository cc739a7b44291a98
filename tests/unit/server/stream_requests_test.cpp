// Scenario tests of the streaming requests against the echo bot: full event sequences and store contents.
#include "harness.hpp"

#include <catch2/catch.hpp>

using namespace chatkit::testing;
namespace cp = chatkit::protocol;

namespace {
using types = std::vector<std::string>;
const std::string added = "thread.item.added";
const std::string done = "thread.item.done";
const std::string part_added = "thread.item.updated:assistant_message.content_part.added";
const std::string delta = "thread.item.updated:assistant_message.content_part.text_delta";
const std::string part_done = "thread.item.updated:assistant_message.content_part.done";
}  // namespace

TEST_CASE("threads.create streams the golden order and persists thread, user message and reply",
          "[server][create]") {
  harness h;
  auto s = h.stream(create_body("Hello"));
  CHECK(s.types() == types{"thread.created", done, "stream_options", added, "thread.updated", part_added,
                           delta, delta, delta, part_done, done});
  const auto& created = s.events[0].at("thread");
  CHECK(!created.as_object().contains("title"));
  CHECK(created.at("items") == json::parse(R"({"data":[],"has_more":false})"));
  CHECK(s.events[1].at("item").at("type") == "user_message");
  CHECK(s.events[2].at("stream_options") == json::parse(R"({"allow_cancel":true})"));
  CHECK(s.events[4].at("thread").at("title") == "Hello");
  // "You said: Hello" has 15 code points: thirds of 5.
  CHECK(s.events[6].at("update").at("delta") == "You s");
  CHECK(s.events[7].at("update").at("delta") == "aid: ");
  CHECK(s.events[8].at("update").at("delta") == "Hello");
  CHECK(s.events[10].at("item").at("content") ==
        json::parse(R"([{"annotations":[],"text":"You said: Hello","type":"output_text"}])"));

  const auto id = thread_id_of(s);
  auto thread = run_sync(h.ioc, h.store->load_thread(id, h.alice));
  CHECK(thread.title == "Hello");
  auto items = h.stored_items(id, h.alice);
  REQUIRE(items.size() == 2);
  CHECK(cp::item_type(items[0]) == "user_message");
  CHECK(std::get<cp::assistant_message_item>(items[1]).content.at(0).text == "You said: Hello");
  CHECK(cp::item_id(items[1]) == std::string(s.events[10].at("item").at("id").as_string()));
}

TEST_CASE("titles keep the first 20 code points", "[server][create]") {
  harness h;
  auto s = h.stream(create_body("héllo wörld ✓ this is a long message"));
  CHECK(s.events[4].at("thread").at("title") == "héllo wörld ✓ this i");
}

TEST_CASE("threads.add_user_message answers in an existing thread and keeps its title",
          "[server][add_user_message]") {
  harness h;
  const auto id = thread_id_of(h.stream(create_body("first")));
  auto s = h.stream(add_message_body(id, "second"));
  CHECK(s.types() == types{done, "stream_options", added, part_added, delta, delta, delta, part_done, done});
  CHECK(h.stored_items(id, h.alice).size() == 4);
  CHECK(run_sync(h.ioc, h.store->load_thread(id, h.alice)).title == "first");
}

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

TEST_CASE("client tool call, then its output continues the turn", "[server][client_tool]") {
  harness h;
  auto s = h.stream(create_body("client tool"));
  CHECK(s.types() == types{"thread.created", done, "stream_options", done, "thread.updated"});
  const auto& call = s.events[3].at("item");
  CHECK(call.at("type") == "client_tool_call");
  CHECK(call.at("status") == "pending");
  CHECK(call.at("name") == "get_selection");
  CHECK(std::string_view(call.at("id").as_string()).starts_with("tc_"));
  CHECK(std::string_view(call.at("call_id").as_string()).starts_with("tc_"));
  CHECK(!call.as_object().contains("output"));
  const auto id = thread_id_of(s);

  auto out = h.stream(R"({"type":"threads.add_client_tool_output","params":{"thread_id":")" + id +
                      R"(","result":{"text":"selected words"}}})");
  CHECK(out.types() == types{"stream_options", added, part_added, delta, delta, delta, part_done, done});
  CHECK(out.events.back().at("item").at("content").at(0).at("text") == "Continuing.");
  auto items = h.stored_items(id, h.alice);
  REQUIRE(items.size() == 3);
  const auto& stored = std::get<cp::client_tool_call_item>(items[1]);
  CHECK(stored.status == cp::client_tool_call_status::completed);
  CHECK(stored.output == json::parse(R"({"text":"selected words"})"));

  // The newest item is no longer a pending call.
  chatkit::errc code{};
  CHECK(h.error_of(R"({"type":"threads.add_client_tool_output","params":{"thread_id":")" + id +
                       R"(","result":null}})",
                   h.alice, &code) == "Last thread item in " + id + " was not a ClientToolCallItem");
  CHECK(code == chatkit::errc::conflict);
}

TEST_CASE("structured input: question, answers applied, replaced item first", "[server][structured_input]") {
  harness h;
  auto s = h.stream(create_body("question"));
  CHECK(s.types() == types{"thread.created", done, "stream_options", done, "thread.updated"});
  const auto id = thread_id_of(s);
  const std::string item_id(s.events[3].at("item").at("id").as_string());
  auto out = h.stream(
      R"({"type":"threads.add_structured_input","params":{"thread_id":")" + id + R"(","item_id":")" +
      item_id +
      R"(","input":{"answers":{"color":{"values":["blue","red"]},"toppings":{"values":["cheese","ham"]},"zzz":{"values":["x"]}}}}})");
  CHECK(out.types() == types{"stream_options", "thread.item.replaced", added, part_added, delta, delta, delta,
                             part_done, done});
  const auto& replaced = out.events[1].at("item");
  CHECK(replaced.at("status") == "answered");
  CHECK(replaced.at("inputs").at(0).at("answer") == json::parse(R"({"values":["blue"],"skipped":false})"));
  CHECK(replaced.at("inputs").at(1).at("answer") ==
        json::parse(R"({"values":["cheese","ham"],"skipped":false})"));
  CHECK(replaced.at("inputs").at(2).at("answer") == json::parse(R"({"values":[],"skipped":true})"));
  auto stored = run_sync(h.ioc, h.store->load_item(id, item_id, h.alice));
  CHECK(std::get<cp::structured_input_item>(stored).status == cp::structured_input_status::answered);

  chatkit::errc code{};
  CHECK(h.error_of(R"({"type":"threads.add_structured_input","params":{"thread_id":")" + id +
                       R"(","item_id":")" + item_id + R"(","input":{}}})",
                   h.alice, &code) == "Structured input item " + item_id + " is not pending");
  CHECK(code == chatkit::errc::conflict);
  const std::string user_item(s.events[1].at("item").at("id").as_string());
  CHECK(h.error_of(R"({"type":"threads.add_structured_input","params":{"thread_id":")" + id +
                       R"(","item_id":")" + user_item + R"(","input":{}}})",
                   h.alice, &code) == "Item " + user_item + " is not a StructuredInputItem");
  CHECK(code == chatkit::errc::invalid_request);
}

TEST_CASE("a skipped submission skips every question", "[server][structured_input]") {
  harness h;
  auto s = h.stream(create_body("question"));
  const auto id = thread_id_of(s);
  const std::string item_id(s.events[3].at("item").at("id").as_string());
  auto out =
      h.stream(R"({"type":"threads.add_structured_input","params":{"thread_id":")" + id + R"(","item_id":")" +
               item_id + R"(","input":{"status":"skipped","answers":{"color":{"values":["red"]}}}}})");
  const auto& replaced = out.events[1].at("item");
  CHECK(replaced.at("status") == "skipped");
  for (const auto& q : replaced.at("inputs").as_array()) CHECK(q.at("answer").at("skipped") == true);
}

TEST_CASE("hook errors become error events; persisted state matches what was sent", "[server][errors]") {
  harness h;
  SECTION("an exception after the first delta") {
    auto s = h.stream(create_body("fail"));
    CHECK(s.types() == types{"thread.created", done, "stream_options", added, "thread.updated", part_added,
                             delta, "error"});
    CHECK(s.events.back() == json::parse(R"({"type":"error","code":"stream.error","allow_retry":true})"));
    CHECK(h.stored_items(thread_id_of(s), h.alice).size() == 1);  // the pending reply is not persisted
  }
  SECTION("a custom error before anything, title announced after it") {
    auto s = h.stream(create_body("custom error"));
    CHECK(s.types() == types{"thread.created", done, "stream_options", "error", "thread.updated"});
    CHECK(s.events[3] ==
          json::parse(
              R"({"type":"error","code":"custom","message":"The echo bot refused.","allow_retry":true})"));
    CHECK(run_sync(h.ioc, h.store->load_thread(thread_id_of(s), h.alice)).title == "custom error");
  }
  SECTION("a coded error") {
    auto s = h.stream(create_body("stream error"));
    CHECK(s.events[3] == json::parse(R"({"type":"error","code":"stream.error","allow_retry":false})"));
  }
}

TEST_CASE("progress, notice and client effects are relayed untouched", "[server][events]") {
  harness h;
  auto p = h.stream(create_body("progress"));
  CHECK(p.events[3] == json::parse(R"({"type":"progress_update","icon":"sparkle","text":"Thinking..."})"));
  CHECK(p.events[4].at("type") == "thread.updated");
  auto n = h.stream(create_body("notice"));
  CHECK(n.events[3] ==
        json::parse(R"({"type":"notice","level":"warning","message":"Heads **up**","title":"Note"})"));
  auto e = h.stream(create_body("effect"));
  CHECK(e.events[3] ==
        json::parse(R"({"type":"client_effect","name":"highlight","data":{"color":"yellow"}})"));
  CHECK(h.stored_items(thread_id_of(e), h.alice).size() == 2);  // effects are not persisted
}

TEST_CASE("hidden context is persisted but never sent", "[server][hidden]") {
  harness h;
  auto s = h.stream(create_body("hidden"));
  // The swallowed done is still the first event, so the title change is announced right after it.
  CHECK(s.types() == types{"thread.created", done, "stream_options", "thread.updated", added, part_added,
                           delta, delta, delta, part_done, done});
  const auto id = thread_id_of(s);
  auto items = h.stored_items(id, h.alice);
  REQUIRE(items.size() == 3);
  CHECK(cp::item_type(items[1]) == "hidden_context_item");
  const auto page = h.call(R"({"type":"items.list","params":{"thread_id":")" + id + R"(","order":"asc"}})");
  CHECK(page.at("data").as_array().size() == 2);
  const auto thread = h.call(R"({"type":"threads.get_by_id","params":{"thread_id":")" + id + R"("}})");
  CHECK(thread.at("items").at("data").as_array().size() == 2);
}

TEST_CASE("threads.retry_after_item deletes what followed the message and answers again", "[server][retry]") {
  harness h;
  const auto id = thread_id_of(h.stream(create_body("one")));
  h.stream(add_message_body(id, "hidden"));
  auto items = h.stored_items(id, h.alice);
  REQUIRE(items.size() == 5);  // user, reply, user, hidden, reply
  const auto second_user = cp::item_id(items[2]);
  auto s = h.stream(R"({"type":"threads.retry_after_item","params":{"thread_id":")" + id +
                    R"(","item_id":")" + second_user + R"("}})");
  CHECK(s.types() == types{"stream_options", added, part_added, delta, delta, delta, part_done, done});
  CHECK(s.events.back().at("item").at("content").at(0).at("text") == "You said: hidden");
  items = h.stored_items(id, h.alice);
  REQUIRE(items.size() == 5);  // the hidden note and the reply were replaced by new ones
  CHECK(cp::item_id(items[2]) == second_user);
  CHECK(cp::item_id(items[4]) == std::string(s.events.back().at("item").at("id").as_string()));

  chatkit::errc code{};
  const auto reply = cp::item_id(items[4]);
  CHECK(h.error_of(R"({"type":"threads.retry_after_item","params":{"thread_id":")" + id + R"(","item_id":")" +
                       reply + R"("}})",
                   h.alice, &code) == "Item " + reply + " is not a user message");
  CHECK(h.stored_items(id, h.alice).size() == 5);

  auto none = h.stream(R"({"type":"threads.retry_after_item","params":{"thread_id":")" + id +
                       R"(","item_id":"msg_nope"}})");
  CHECK(none.events.empty());
  CHECK(h.stored_items(id, h.alice).size() == 5);
}

TEST_CASE("retry walks more than one page of items", "[server][retry]") {
  harness h;
  const auto id = thread_id_of(h.stream(create_body("first")));
  const auto first_user = cp::item_id(h.stored_items(id, h.alice)[0]);
  for (int i = 0; i < 12; ++i) h.stream(add_message_body(id, "m" + std::to_string(i)));
  REQUIRE(h.stored_items(id, h.alice).size() == 26);
  auto s = h.stream(R"({"type":"threads.retry_after_item","params":{"thread_id":")" + id +
                    R"(","item_id":")" + first_user + R"("}})");
  CHECK(s.events.back().at("item").at("content").at(0).at("text") == "You said: first");
  CHECK(h.stored_items(id, h.alice).size() == 2);
}

TEST_CASE("custom actions: widget sender answered, other senders refused with one frame",
          "[server][action]") {
  harness h;
  auto s = h.stream(create_body("static widget"));
  const auto id = thread_id_of(s);
  const std::string widget_id(s.events[3].at("item").at("id").as_string());
  const std::string user_id(s.events[1].at("item").at("id").as_string());
  auto a = h.stream(R"({"type":"threads.custom_action","params":{"thread_id":")" + id + R"(","item_id":")" +
                    widget_id + R"(","action":{"type":"press","payload":{"n":1}}}})");
  CHECK(a.types() == types{"stream_options", added, part_added, delta, delta, delta, part_done, done});
  CHECK(a.events.back().at("item").at("content").at(0).at("text") == "Action: press");
  auto no_item = h.stream(R"({"type":"threads.custom_action","params":{"thread_id":")" + id +
                          R"(","action":{"type":"x"}}})");
  CHECK(no_item.events.back().at("item").at("content").at(0).at("text") == "Action: x");
  auto refused = h.stream(R"({"type":"threads.custom_action","params":{"thread_id":")" + id +
                          R"(","item_id":")" + user_id + R"(","action":{"type":"press"}}})");
  CHECK(refused.types() == types{"error"});
  CHECK(refused.events[0] == json::parse(R"({"type":"error","code":"stream.error","allow_retry":false})"));
}

TEST_CASE("the base action hook surfaces as a retryable stream error", "[server][action]") {
  struct plain_bot : chatkit::server::chatkit_server {
    using chatkit_server::chatkit_server;
    boost::asio::awaitable<void> respond(chatkit::server::respond_args,
                                         chatkit::server::event_emitter& out) override {
      co_await chatkit::examples::stream_echo(out, "hi");
    }
  };
  harness h{std::in_place_type<plain_bot>};
  const auto id = thread_id_of(h.stream(create_body("x")));
  auto a = h.stream(R"({"type":"threads.custom_action","params":{"thread_id":")" + id +
                    R"(","action":{"type":"x"}}})");
  CHECK(a.types() == types{"stream_options", "error"});
  CHECK(a.events[1].at("allow_retry") == true);
}

TEST_CASE("removing an item that was only pending is not an error", "[server][events]") {
  struct remover : chatkit::server::chatkit_server {
    using chatkit_server::chatkit_server;
    boost::asio::awaitable<void> respond(chatkit::server::respond_args args,
                                         chatkit::server::event_emitter& out) override {
      cp::assistant_message_item draft;
      draft.id = out.new_item_id(chatkit::store::id_kind::message);
      draft.thread_id = args.thread.id;
      draft.created_at = cp::timestamp::now();
      co_await out.emit(cp::item_added_event{draft});
      co_await out.emit(cp::item_removed_event{draft.id});
      co_await chatkit::examples::stream_echo(out, "kept");
    }
  };
  harness h{std::in_place_type<remover>};
  auto s = h.stream(create_body("x"));
  CHECK(s.types() == types{"thread.created", done, "stream_options", added, "thread.item.removed", added,
                           part_added, delta, delta, delta, part_done, done});
  CHECK(h.stored_items(thread_id_of(s), h.alice).size() == 2);
}
