// Scenario tests of the non-streaming requests, and isolation between users for every request type.
#include "harness.hpp"

#include <catch2/catch.hpp>

using namespace chatkit::testing;
namespace cp = chatkit::protocol;

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
