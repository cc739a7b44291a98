// chatkit_server: every request against the echo bot. Streaming requests are checked by their full event
// sequences and store contents, the others by their JSON answers; then isolation between users.
#include "harness.hpp"
#include "support/failing_store.hpp"
#include "support/log_capture.hpp"
#include "support/prometheus_check.hpp"

#include <chatkit/metrics.hpp>

#include <catch2/catch.hpp>

using namespace chatkit::testing;
using namespace chatkit::testing::frames;
namespace cp = chatkit::protocol;

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

// ---- non-streaming requests ----

TEST_CASE("threads.get_by_id returns metadata and the first page of visible items", "[server][get_by_id]") {
  harness h;
  const auto id = thread_id_of(h.stream(create_body("Hello")));
  const auto t = h.call(R"({"type":"threads.get_by_id","params":{"thread_id":")" + id + R"("}})");
  CHECK(t.at("id").as_string() == id);
  CHECK(t.at("title") == "Hello");
  CHECK(t.at("metadata") == json::object{});
  CHECK(t.at("status") == json::parse(R"({"type":"active"})"));
  CHECK(t.at("items").at("data").as_array().size() == 2);
  CHECK(t.at("items").at("data").at(0).at("type") == "user_message");
  CHECK(t.at("items").at("has_more") == false);
}

TEST_CASE("threads.list pages by creation order in both directions", "[server][list]") {
  harness h;
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(thread_id_of(h.stream(create_body("t" + std::to_string(i)))));
  auto page = h.call(R"({"type":"threads.list","params":{"limit":2}})");
  CHECK(page.at("data").as_array().size() == 2);
  CHECK(page.at("data").at(0).at("id").as_string() == ids[4]);
  CHECK(page.at("data").at(0).at("items") == json::parse(R"({"data":[],"has_more":false})"));
  CHECK(page.at("has_more") == true);
  CHECK(page.at("after").as_string() == ids[3]);
  page = h.call(R"({"type":"threads.list","params":{"limit":2,"after":")" + ids[3] + R"("}})");
  CHECK(page.at("data").at(0).at("id").as_string() == ids[2]);
  page = h.call(R"({"type":"threads.list","params":{"limit":10,"order":"asc"}})");
  CHECK(page.at("data").as_array().size() == 5);
  CHECK(page.at("data").at(0).at("id").as_string() == ids[0]);
  CHECK(page.at("has_more") == false);
  CHECK(!page.as_object().contains("after"));
  CHECK(h.call(R"({"type":"threads.list","params":{"limit":0}})").at("data").as_array().size() == 5);
  chatkit::errc code{};
  CHECK(h.error_of(R"({"type":"threads.list","params":{"limit":-1}})", h.alice, &code) ==
        "params.limit: must not be negative");
  CHECK(code == chatkit::errc::invalid_request);
  // Bob sees none of Alice's threads.
  CHECK(h.call(R"({"type":"threads.list","params":{}})", h.bob).at("data").as_array().empty());
}

TEST_CASE("threads.update renames, threads.delete removes thread and items", "[server][update][delete]") {
  harness h;
  const auto id = thread_id_of(h.stream(create_body("Hello")));
  const auto t =
      h.call(R"({"type":"threads.update","params":{"thread_id":")" + id + R"(","title":"Renamed"}})");
  CHECK(t.at("title") == "Renamed");
  CHECK(t.at("items") == json::parse(R"({"data":[],"has_more":false})"));
  CHECK(run_sync(h.ioc, h.store->load_thread(id, h.alice)).title == "Renamed");
  CHECK(h.call(R"({"type":"threads.delete","params":{"thread_id":")" + id + R"("}})") == json::object{});
  chatkit::errc code{};
  h.error_of(R"({"type":"threads.get_by_id","params":{"thread_id":")" + id + R"("}})", h.alice, &code);
  CHECK(code == chatkit::errc::not_found);
  h.error_of(R"({"type":"threads.delete","params":{"thread_id":")" + id + R"("}})", h.alice, &code);
  CHECK(code == chatkit::errc::not_found);
}

TEST_CASE("items.list pages items and drops hidden ones after reading the page", "[server][items]") {
  harness h;
  const auto id = thread_id_of(h.stream(create_body("one")));
  h.stream(add_message_body(id, "two"));
  auto page =
      h.call(R"({"type":"items.list","params":{"thread_id":")" + id + R"(","limit":3,"order":"asc"}})");
  CHECK(page.at("data").as_array().size() == 3);
  CHECK(page.at("has_more") == true);
  const std::string after(page.at("after").as_string());
  page = h.call(R"({"type":"items.list","params":{"thread_id":")" + id +
                R"(","limit":3,"order":"asc","after":")" + after + R"("}})");
  CHECK(page.at("data").as_array().size() == 1);
  CHECK(page.at("has_more") == false);
  page = h.call(R"({"type":"items.list","params":{"thread_id":")" + id + R"("}})");
  CHECK(page.at("data").at(0).at("type") == "assistant_message");  // desc by default
}

TEST_CASE("items.list answers a stored widget with its action payload as sent, nulls included",
          "[server][items][widget]") {
  harness h;
  const auto id = thread_id_of(h.stream(create_body("one")));
  cp::widget_item w;
  w.id = "msg_widget";
  w.thread_id = id;
  w.created_at = cp::timestamp::from_civil(2030, 1, 1);
  w.widget.tree =
      json::parse(R"({"type":"Card","size":null,"children":[{"type":"Button","label":"B","color":null,)"
                  R"("onClickAction":{"type":"press","payload":{"n":1,"z":null,"deep":{"q":null}},)"
                  R"("handler":"server","loadingBehavior":"auto","streaming":true}}]})")
          .as_object();
  run_sync(h.ioc, h.store->add_thread_item(id, cp::thread_item{w}, h.alice));
  auto r = h.process(R"({"type":"items.list","params":{"thread_id":")" + id + R"(","limit":1}})", h.alice);
  auto* answer = std::get_if<chatkit::server::json_response>(&r);
  REQUIRE(answer);
  CHECK(
      answer->body.find(R"("widget":{"type":"Card","children":[{"type":"Button","label":"B","onClickAction":)"
                        R"({"type":"press","payload":{"n":1,"z":null,"deep":{"q":null}},"handler":"server",)"
                        R"("loadingBehavior":"auto","streaming":true}}]})") != std::string::npos);
}

TEST_CASE("items.feedback checks that thread and items belong to the caller", "[server][feedback]") {
  struct feedback_bot : chatkit::examples::echo_bot {
    using echo_bot::echo_bot;
    std::vector<std::string> seen;
    boost::asio::awaitable<void> add_feedback(const std::string&, const std::vector<std::string>& ids,
                                              cp::feedback_kind kind,
                                              const chatkit::request_context& ctx) override {
      for (const auto& id : ids)
        seen.push_back(ctx.user_id + ":" + id + ":" + (kind == cp::feedback_kind::positive ? "+" : "-"));
      co_return;
    }
  };
  harness h{std::in_place_type<feedback_bot>};
  auto& bot = static_cast<feedback_bot&>(*h.bot);
  const auto s = h.stream(create_body("Hello"));
  const auto id = thread_id_of(s);
  const std::string reply(s.events.back().at("item").at("id").as_string());
  const std::string body = R"({"type":"items.feedback","params":{"thread_id":")" + id + R"(","item_ids":[")" +
                           reply + R"("],"kind":"negative"}})";
  CHECK(h.call(body) == json::object{});
  CHECK(bot.seen == std::vector<std::string>{"alice:" + reply + ":-"});
  chatkit::errc code{};
  h.error_of(body, h.bob, &code);
  CHECK(code == chatkit::errc::not_found);
  h.error_of(R"({"type":"items.feedback","params":{"thread_id":")" + id +
                 R"(","item_ids":["msg_unknown"],"kind":"positive"}})",
             h.alice, &code);
  CHECK(code == chatkit::errc::not_found);
  CHECK(bot.seen.size() == 1);
}

TEST_CASE("attachments: create hides metadata, binds to the thread on use, delete checks ownership",
          "[server][attachments]") {
  harness h;
  const auto a = h.call(
      R"({"type":"attachments.create","params":{"name":"cat.png","size":2048,"mime_type":"image/png"}})");
  CHECK(a.at("type") == "image");
  CHECK(!a.as_object().contains("metadata"));
  const std::string aid(a.at("id").as_string());
  CHECK(aid.starts_with("atc_"));
  CHECK(a.at("preview_url").as_string() == "https://uploads.example.test/" + aid + "/preview");
  CHECK(a.at("upload_descriptor") == json::parse(R"({"url":"https://uploads.example.test/)" + aid +
                                                 R"(","method":"PUT","headers":{"x-upload":"1"}})"));
  auto stored = run_sync(h.ioc, h.store->load_attachment(aid, h.alice));
  CHECK(stored.metadata.at("owner") == "alice");

  // Bob cannot use Alice's attachment: nothing is written (no empty thread left behind).
  const std::string with_attachment =
      R"({"type":"threads.create","params":{"input":{"content":[{"type":"input_text","text":"look"}],"attachments":[")" +
      aid + R"("],"inference_options":{}}}})";
  chatkit::errc code{};
  h.error_of(with_attachment, h.bob, &code);
  CHECK(code == chatkit::errc::not_found);
  CHECK(h.call(R"({"type":"threads.list","params":{}})", h.bob).at("data").as_array().empty());

  auto s = h.stream(with_attachment);
  const auto& msg = s.events[1].at("item");
  CHECK(msg.at("attachments").at(0).at("id").as_string() == aid);
  CHECK(msg.at("attachments").at(0).at("thread_id").as_string() == thread_id_of(s));
  CHECK(!msg.at("attachments").at(0).as_object().contains("metadata"));
  CHECK(run_sync(h.ioc, h.store->load_attachment(aid, h.alice)).thread_id == thread_id_of(s));

  const std::string del = R"({"type":"attachments.delete","params":{"attachment_id":")" + aid + R"("}})";
  h.error_of(del, h.bob, &code);
  CHECK(code == chatkit::errc::not_found);
  CHECK(h.call(del) == json::object{});
  h.error_of(del, h.alice, &code);
  CHECK(code == chatkit::errc::not_found);

  const auto f = h.call(
      R"({"type":"attachments.create","params":{"name":"notes.txt","size":1,"mime_type":"text/plain"}})");
  CHECK(f.at("type") == "file");
  CHECK(!f.as_object().contains("preview_url"));
  h.error_of(R"({"type":"attachments.create","params":{"name":"x","size":-5,"mime_type":"text/plain"}})",
             h.alice, &code);
  CHECK(code == chatkit::errc::invalid_request);
}

TEST_CASE("attachments without an attachment store are not implemented", "[server][attachments]") {
  boost::asio::io_context ioc;
  chatkit::examples::echo_bot bot(std::make_shared<chatkit::store::memory_store>());
  try {
    run_sync(ioc,
             bot.process(
                 R"({"type":"attachments.create","params":{"name":"a","size":1,"mime_type":"text/plain"}})",
                 chatkit::request_context{"alice", {}, {}}));
    FAIL("no error");
  } catch (const chatkit::error& e) {
    CHECK(e.code_value() == chatkit::errc::not_implemented);
    CHECK(e.message() == "AttachmentStore is not configured for this server");
  }
}

TEST_CASE("input.transcribe decodes base64 and passes the media type", "[server][transcribe]") {
  harness h;
  CHECK(
      h.call(
          R"({"type":"input.transcribe","params":{"audio_base64":"aGVsbG8gYXVkaW8=","mime_type":"audio/webm;codecs=opus"}})") ==
      json::parse(R"({"text":"11 bytes of audio/webm"})"));
  chatkit::errc code{};
  CHECK(h.error_of(
            R"({"type":"input.transcribe","params":{"audio_base64":"not base64!","mime_type":"audio/ogg"}})",
            h.alice, &code) == "params.audio_base64: not valid standard base64");
  CHECK(code == chatkit::errc::invalid_request);
}

TEST_CASE("threads.sync_custom_action is not implemented by the echo bot; a sender must be a widget",
          "[server][sync_action]") {
  harness h;
  auto s = h.stream(create_body("static widget"));
  const auto id = thread_id_of(s);
  const std::string user_id(s.events[1].at("item").at("id").as_string());
  const std::string widget_id(s.events[3].at("item").at("id").as_string());
  chatkit::errc code{};
  h.error_of(R"({"type":"threads.sync_custom_action","params":{"thread_id":")" + id + R"(","item_id":")" +
                 widget_id + R"(","action":{"type":"t"}}})",
             h.alice, &code);
  CHECK(code == chatkit::errc::not_implemented);
  // No item_id: the hook is called without a sender (and is not implemented either).
  h.error_of(
      R"({"type":"threads.sync_custom_action","params":{"thread_id":")" + id + R"(","action":{"type":"t"}}})",
      h.alice, &code);
  CHECK(code == chatkit::errc::not_implemented);
  CHECK(h.error_of(R"({"type":"threads.sync_custom_action","params":{"thread_id":")" + id +
                       R"(","item_id":")" + user_id + R"(","action":{"type":"t"}}})",
                   h.alice, &code) == "threads.sync_custom_action requires a widget sender item");
  CHECK(code == chatkit::errc::invalid_request);
}

TEST_CASE("a sync action returns the updated item without persisting it", "[server][sync_action]") {
  struct sync_bot : chatkit::examples::echo_bot {
    using echo_bot::echo_bot;
    boost::asio::awaitable<std::optional<cp::thread_item>> sync_action(
        chatkit::server::action_args args) override {
      auto w = *args.sender;
      w.widget = cp::widgets::card(json::array{cp::widgets::text("pressed", "t1")});
      co_return cp::thread_item{w};
    }
  };
  harness h{std::in_place_type<sync_bot>};
  auto s = h.stream(create_body("static widget"));
  const std::string widget_id(s.events[3].at("item").at("id").as_string());
  const auto r = h.call(R"({"type":"threads.sync_custom_action","params":{"thread_id":")" + thread_id_of(s) +
                        R"(","item_id":")" + widget_id + R"(","action":{"type":"t"}}})");
  CHECK(r.at("updated_item").at("widget").at("children").at(0).at("value") == "pressed");
  auto stored = run_sync(h.ioc, h.store->load_item(thread_id_of(s), widget_id, h.alice));
  CHECK(std::get<cp::widget_item>(stored).widget.tree.at("children").at(0).at("value") == "static");
}

TEST_CASE("another user's thread looks exactly like a missing one, for every request naming it",
          "[server][isolation]") {
  harness h;
  auto s = h.stream(create_body("client tool"));
  const auto id = thread_id_of(s);
  const std::string item(s.events[3].at("item").at("id").as_string());
  const std::vector<std::string> bodies = {
      R"({"type":"threads.get_by_id","params":{"thread_id":"THREAD"}})",
      R"({"type":"threads.update","params":{"thread_id":"THREAD","title":"x"}})",
      R"({"type":"threads.delete","params":{"thread_id":"THREAD"}})",
      R"({"type":"items.list","params":{"thread_id":"THREAD"}})",
      R"({"type":"items.feedback","params":{"thread_id":"THREAD","item_ids":["ITEM"],"kind":"positive"}})",
      R"({"type":"threads.add_user_message","params":{"thread_id":"THREAD","input":{"content":[],"attachments":[],"inference_options":{}}}})",
      R"({"type":"threads.add_client_tool_output","params":{"thread_id":"THREAD","result":1}})",
      R"({"type":"threads.add_structured_input","params":{"thread_id":"THREAD","item_id":"ITEM","input":{}}})",
      R"({"type":"threads.custom_action","params":{"thread_id":"THREAD","item_id":"ITEM","action":{"type":"x"}}})",
      R"({"type":"threads.sync_custom_action","params":{"thread_id":"THREAD","item_id":"ITEM","action":{"type":"x"}}})",
      R"({"type":"threads.retry_after_item","params":{"thread_id":"THREAD","item_id":"ITEM"}})",
  };
  auto subst = [](std::string b, const std::string& t, const std::string& i) {
    b.replace(b.find("THREAD"), 6, t);
    if (auto at = b.find("ITEM"); at != std::string::npos) b.replace(at, 4, i);
    return b;
  };
  for (const auto& b : bodies) {
    INFO(b);
    chatkit::errc foreign{}, missing{};
    const auto foreign_message = h.error_of(subst(b, id, item), h.bob, &foreign);
    const auto missing_message = h.error_of(subst(b, "thr_00000000", item), h.bob, &missing);
    CHECK(foreign == chatkit::errc::not_found);
    CHECK(missing == chatkit::errc::not_found);
    // The same words, whichever id was named: nothing reveals that the foreign thread exists.
    auto mask = [](std::string m, const std::string& tid) {
      for (auto at = m.find(tid); at != std::string::npos; at = m.find(tid))
        m.replace(at, tid.size(), "<id>");
      return m;
    };
    CHECK(mask(foreign_message, id) == mask(missing_message, "thr_00000000"));
  }
  // Nothing of Alice's changed.
  CHECK(h.stored_items(id, h.alice).size() == 2);
  CHECK(run_sync(h.ioc, h.store->load_thread(id, h.alice)).title == "client tool");
}

TEST_CASE("a request without a user is unauthorized", "[server][isolation]") {
  harness h;
  chatkit::errc code{};
  h.error_of(R"({"type":"threads.list","params":{}})", chatkit::request_context{}, &code);
  CHECK(code == chatkit::errc::unauthorized);
}

namespace {

namespace cs = chatkit::store;

// A memory store (memory_store is final, so by forwarding) whose generators hand out an id that is already
// taken on chosen draws, as a colliding generator would (docs/stores.md#ids).
struct colliding_ids_store : cs::store {
  std::shared_ptr<cs::memory_store> inner = std::make_shared<cs::memory_store>();
  int thread_draws = 0;
  int message_draws = 0;

  std::string generate_thread_id(const chatkit::request_context& ctx) override {
    ++thread_draws;
    if (thread_draws == 1 || thread_draws == 2 || thread_draws == 4) return "thr_same";
    return inner->generate_thread_id(ctx);
  }
  std::string generate_item_id(cs::id_kind kind, const cp::thread_metadata& thread,
                               const chatkit::request_context& ctx) override {
    if (kind == cs::id_kind::message) {
      ++message_draws;
      if (message_draws == 1 || message_draws == 3) return "msg_same";
    }
    return inner->generate_item_id(kind, thread, ctx);
  }

  cs::awaitable<cp::thread_metadata> load_thread(std::string id,
                                                 const chatkit::request_context& ctx) override {
    return inner->load_thread(std::move(id), ctx);
  }
  cs::awaitable<void> save_thread(const cp::thread_metadata& t,
                                  const chatkit::request_context& ctx) override {
    return inner->save_thread(t, ctx);
  }
  cs::awaitable<cp::thread_page> load_threads(std::size_t limit, std::optional<std::string> after,
                                              cp::sort_order order,
                                              const chatkit::request_context& ctx) override {
    return inner->load_threads(limit, std::move(after), order, ctx);
  }
  cs::awaitable<void> delete_thread(std::string id, const chatkit::request_context& ctx) override {
    return inner->delete_thread(std::move(id), ctx);
  }
  cs::awaitable<cp::item_page> load_thread_items(std::string id, std::optional<std::string> after,
                                                 std::size_t limit, cp::sort_order order,
                                                 const chatkit::request_context& ctx) override {
    return inner->load_thread_items(std::move(id), std::move(after), limit, order, ctx);
  }
  cs::awaitable<void> add_thread_item(std::string id, const cp::thread_item& item,
                                      const chatkit::request_context& ctx) override {
    return inner->add_thread_item(std::move(id), item, ctx);
  }
  cs::awaitable<void> save_item(std::string id, const cp::thread_item& item,
                                const chatkit::request_context& ctx) override {
    return inner->save_item(std::move(id), item, ctx);
  }
  cs::awaitable<cp::thread_item> load_item(std::string id, std::string item_id,
                                           const chatkit::request_context& ctx) override {
    return inner->load_item(std::move(id), std::move(item_id), ctx);
  }
  cs::awaitable<void> delete_thread_item(std::string id, std::string item_id,
                                         const chatkit::request_context& ctx) override {
    return inner->delete_thread_item(std::move(id), std::move(item_id), ctx);
  }
  cs::awaitable<void> save_attachment(const cp::attachment& a, const chatkit::request_context& ctx) override {
    return inner->save_attachment(a, ctx);
  }
  cs::awaitable<cp::attachment> load_attachment(std::string id,
                                                const chatkit::request_context& ctx) override {
    return inner->load_attachment(std::move(id), ctx);
  }
  cs::awaitable<void> delete_attachment(std::string id, const chatkit::request_context& ctx) override {
    return inner->delete_attachment(std::move(id), ctx);
  }
};

// The text of a stored user message (its first part).
std::string user_text(const cp::thread_item& item) {
  return std::get<cp::input_text>(std::get<cp::user_message_item>(item).content.at(0)).text;
}

}  // namespace

TEST_CASE("a generated id that is already taken is replaced: no request fails, no threads merge",
          "[server][ids]") {
  harness h;
  auto store = std::make_shared<colliding_ids_store>();
  h.store = store->inner;  // what the harness reads back
  h.bot = std::make_unique<chatkit::examples::echo_bot>(store, h.attachments);

  auto first = h.stream(create_body("first"));
  CHECK(thread_id_of(first) == "thr_same");
  // The same user draws the taken id again: a fresh id, a second thread.
  auto second = h.stream(create_body("second"));
  REQUIRE(second.events.at(0).at("type") == "thread.created");
  const auto second_id = thread_id_of(second);
  CHECK(second_id != "thr_same");
  // Another user draws it: a fresh id too, not a not-found error.
  auto theirs = h.stream(create_body("bob's"), h.bob);
  REQUIRE(theirs.events.at(0).at("type") == "thread.created");
  CHECK(thread_id_of(theirs) != "thr_same");
  CHECK(theirs.events.at(1).at("item").at("thread_id").as_string() == thread_id_of(theirs));

  auto threads = run_sync(h.ioc, store->load_threads(10, std::nullopt, cp::sort_order::asc, h.alice));
  REQUIRE(threads.data.size() == 2);
  CHECK(user_text(h.stored_items("thr_same", h.alice).at(0)) == "first");
  const auto second_items = h.stored_items(second_id, h.alice);
  REQUIRE(second_items.size() == 2);
  CHECK(user_text(second_items[0]) == "second");
  CHECK(std::get<cp::user_message_item>(second_items[0]).thread_id == second_id);

  // A user message whose generated id is taken in its thread: stored under a fresh id.
  auto more = h.stream(add_message_body("thr_same", "again"));
  CHECK(more.events.at(0).at("type") == "thread.item.done");
  const auto items = h.stored_items("thr_same", h.alice);
  REQUIRE(items.size() == 4);
  CHECK(cp::item_id(items[0]) == "msg_same");
  CHECK(cp::item_id(items[2]) != "msg_same");
  CHECK(user_text(items[2]) == "again");
}

// ---- operations: the log and the metrics (docs/guide-operations.md) ----

TEST_CASE(
    "a store failure is logged with the reference the client gets, never the database text for the client",
    "[server][log]") {
  log_capture cap;
  boost::asio::io_context ioc;
  auto inner = std::make_shared<chatkit::store::memory_store>();
  auto faulty = std::make_shared<failing_store>(inner);
  chatkit::examples::echo_bot bot{faulty};
  const chatkit::request_context alice{"alice", {}, {}};
  faulty->arm(1, true);
  std::string message;
  try {
    run_sync(ioc, bot.process(R"({"type":"threads.list","params":{}})", alice));
  } catch (const chatkit::error& e) {
    message = e.message();
  }
  REQUIRE(message.find("(reference ") != std::string::npos);
  CHECK(message.find("injected") == std::string::npos);
  const auto ref = message.substr(message.find("(reference ") + 11, 16);
  const auto rec = cap.find("server", "store error");
  REQUIRE(rec);
  CHECK(rec->severity == chatkit::log::level::error);
  CHECK(rec->field("reference") == ref);
  CHECK(rec->field("detail").find("injected failure") != std::string::npos);
  CHECK(rec->field("reason") == "the database is unavailable");
}

TEST_CASE("requests are counted by type and outcome; streams and their events too", "[server][metrics]") {
  harness h;
  const auto before = check_prometheus(chatkit::metrics::render_prometheus());
  auto sink = h.stream(create_body("count me"));
  (void)h.call(R"({"type":"threads.list","params":{}})");
  (void)h.error_of(R"({"type":"threads.get_by_id","params":{"thread_id":"thr_nope"}})", h.alice);
  (void)h.error_of(R"({"type":"no.such.request","params":{}})", h.alice);
  const auto after = check_prometheus(chatkit::metrics::render_prometheus());
  for (const auto& e : after.errors) UNSCOPED_INFO(e);
  CHECK(after.errors.empty());
  auto moved = [&](const std::string& key) { return after.value(key) - before.value(key); };
  CHECK(moved(R"(chatkit_requests_total{type="threads.create",status="200"})") == 1);
  CHECK(moved(R"(chatkit_requests_total{type="threads.list",status="200"})") == 1);
  CHECK(moved(R"(chatkit_requests_total{type="threads.get_by_id",status="404"})") == 1);
  CHECK(moved(R"(chatkit_requests_total{type="invalid",status="400"})") == 1);
  CHECK(moved("chatkit_streams_total") == 1);
  CHECK(moved("chatkit_events_sent_total") == static_cast<double>(sink.events.size()));
  CHECK(after.value("chatkit_open_streams") == before.value("chatkit_open_streams"));
}

TEST_CASE("a stream counts when the transport runs it, or under the status of its refusal",
          "[server][metrics]") {
  harness h;
  const auto value = [](const std::string& status) {
    return check_prometheus(chatkit::metrics::render_prometheus())
        .value(R"(chatkit_requests_total{type="threads.create",status=")" + status + "\"}");
  };
  const double ok = value("200"), refused = value("429");
  auto opened = h.process(create_body("not yet"), h.alice);
  auto& stream = std::get<chatkit::server::event_stream>(opened);
  CHECK(value("200") == ok);  // returned, not run: not counted yet
  REQUIRE(stream.refused);
  stream.refused(429);  // what http::server does when the user has too many streams
  CHECK(value("429") == refused + 1);
  CHECK(value("200") == ok);

  auto second = h.process(create_body("run me"), h.alice);
  collecting_sink sink;
  run_sync(h.ioc, std::get<chatkit::server::event_stream>(second).run(sink));
  CHECK(value("200") == ok + 1);
  CHECK_FALSE(sink.events.empty());
}
