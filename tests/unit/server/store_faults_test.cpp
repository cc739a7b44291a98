// Fault injection, exhaustively (docs/server.md#store-failures): every request type of the protocol runs once
// against a healthy store to count its store calls, then once per call N with the Nth call failing (and once
// with every call from the Nth on failing, a database that went away). Each run must end with a clear error
// (an exception before the first frame, which a transport turns into an HTTP status, or an `error` event),
// leave the store exactly as the protocol promises (unchanged after an HTTP-level error; otherwise what the
// frames announced: an item whose thread.item.done went out is stored, nothing else is), and an HTTP-level
// error must leave the request retryable: the same request then succeeds on the healthy store.
#include "echo_bot.hpp"
#include "support/collecting_sink.hpp"
#include "support/failing_store.hpp"
#include "support/run_sync.hpp"

#include <chatkit/protocol.hpp>
#include <chatkit/server/chatkit_server.hpp>
#include <chatkit/store/memory_store.hpp>

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

using namespace chatkit;
using namespace chatkit::testing;
namespace json = boost::json;

namespace {

// What a user's store holds: every thread (title and items in order) and whether each known attachment
// exists.
struct state {
  struct thread_state {
    json::value title;
    std::vector<json::value> items;
    bool operator==(const thread_state&) const = default;
  };
  std::map<std::string, thread_state> threads;
  std::map<std::string, bool> attachments;
  bool operator==(const state&) const = default;

  std::string describe() const {
    std::string s;
    for (const auto& [id, t] : threads) {
      s += id + " title=" + json::serialize(t.title) + "\n";
      for (const auto& i : t.items) s += "  " + json::serialize(i) + "\n";
    }
    for (const auto& [id, exists] : attachments) s += id + (exists ? " exists\n" : " missing\n");
    return s;
  }
};

struct outcome {
  bool http_error = false;   // thrown before any frame: the transport answers with a status
  bool escaped = false;      // thrown after frames without an error event: never allowed
  bool error_event = false;  // an `error` event was written
  bool stream = false;       // the answer was an event stream
  std::string message;
  std::vector<json::value> events;
  bool failed() const { return http_error || error_event; }
};

struct bench {
  boost::asio::io_context ioc;
  std::shared_ptr<store::memory_store> inner = std::make_shared<store::memory_store>();
  std::shared_ptr<failing_store> faulty = std::make_shared<failing_store>(inner);
  std::shared_ptr<examples::echo_attachment_store> attachments =
      std::make_shared<examples::echo_attachment_store>();
  examples::echo_bot bot{faulty, attachments};
  request_context alice{"alice", {}, {}};
  std::vector<std::string> known_attachments;

  outcome run(const std::string& body) {
    outcome o;
    server::process_result r;
    try {
      r = run_sync(ioc, bot.process(body, alice));
    } catch (const std::exception& e) {
      o.http_error = true;
      o.message = e.what();
      return o;
    }
    if (auto* j = std::get_if<server::json_response>(&r)) {
      o.events.push_back(json::parse(j->body));
      return o;
    }
    o.stream = true;
    collecting_sink sink;
    try {
      run_sync(ioc, std::get<server::event_stream>(r).run(sink));
    } catch (const std::exception& e) {
      o.message = e.what();
      if (sink.events.empty())
        o.http_error = true;
      else
        o.escaped = true;
    }
    o.events = std::move(sink.events);
    for (const auto& e : o.events)
      if (e.is_object() && e.as_object().contains("type") && e.at("type") == "error") o.error_event = true;
    return o;
  }

  // Setup steps run on the healthy store.
  std::vector<json::value> stream(const std::string& body) {
    faulty->disarm();
    auto o = run(body);
    if (o.failed() || o.escaped) throw std::logic_error("setup failed: " + body + ": " + o.message);
    return o.events;
  }
  json::value call(const std::string& body) { return stream(body).at(0); }

  state snapshot() {
    state s;
    auto threads = run_sync(ioc, inner->load_threads(1000, std::nullopt, protocol::sort_order::asc, alice));
    for (const auto& t : threads.data) {
      auto& ts = s.threads[t.id];
      ts.title = t.title ? json::value(*t.title) : json::value(nullptr);
      auto items =
          run_sync(ioc, inner->load_thread_items(t.id, std::nullopt, 1000, protocol::sort_order::asc, alice));
      for (const auto& i : items.data) ts.items.push_back(json::parse(protocol::to_json(i)));
    }
    for (const auto& id : known_attachments) {
      bool exists = true;
      try {
        (void)run_sync(ioc, inner->load_attachment(id, alice));
      } catch (const chatkit::error&) {
        exists = false;
      }
      s.attachments[id] = exists;
    }
    return s;
  }
};

std::string id_of(const json::value& v) {
  return std::string(v.at("id").as_string());
}

// The state the frames of a stream promise, applied to the state before it.
state replay(state s, const std::vector<json::value>& events) {
  std::string thread;
  for (const auto& e : events) {
    const auto type = std::string(e.at("type").as_string());
    if (type == "thread.created") {
      thread = id_of(e.at("thread"));
      const auto* title = e.at("thread").as_object().if_contains("title");
      s.threads[thread] = {title ? *title : json::value(nullptr), {}};
    } else if (type == "thread.updated") {
      thread = id_of(e.at("thread"));
      const auto* title = e.at("thread").as_object().if_contains("title");
      s.threads[thread].title = title ? *title : json::value(nullptr);
    } else if (type == "thread.item.done") {
      const auto& item = e.at("item");
      s.threads[std::string(item.at("thread_id").as_string())].items.push_back(item);
    } else if (type == "thread.item.replaced") {
      const auto& item = e.at("item");
      for (auto& i : s.threads[std::string(item.at("thread_id").as_string())].items)
        if (id_of(i) == id_of(item)) i = item;
    } else if (type == "thread.item.removed") {
      for (auto& [id, t] : s.threads)
        std::erase_if(t.items, [&](const json::value& i) { return id_of(i) == e.at("item_id").as_string(); });
    }
  }
  return s;
}

struct scenario {
  std::string name;
  // Prepares the store (healthy) and returns the request body.
  std::function<std::string(bench&)> setup;
  // Writes a stream makes before its first frame without announcing them (applied when frames went out).
  std::function<void(state&)> silent;
  // A failure before the first frame may leave the thread a prefix of what it was (retry deletes newest
  // first).
  bool prefix_ok = false;
};

std::string create_body(const std::string& text, const std::string& attachment = "") {
  return R"({"type":"threads.create","params":{"input":{"content":[{"type":"input_text","text":")" + text +
         R"("}],"attachments":[)" + (attachment.empty() ? "" : "\"" + attachment + "\"") +
         R"(],"inference_options":{}}}})";
}
std::string add_body(const std::string& thread, const std::string& text) {
  return R"({"type":"threads.add_user_message","params":{"thread_id":")" + thread +
         R"(","input":{"content":[{"type":"input_text","text":")" + text +
         R"("}],"attachments":[],"inference_options":{}}}})";
}
std::string new_attachment(bench& b) {
  auto a =
      b.call(R"({"type":"attachments.create","params":{"name":"a.txt","size":3,"mime_type":"text/plain"}})");
  b.known_attachments.push_back(id_of(a));
  return id_of(a);
}
// A thread whose last message is `text`; returns (thread id, events of the last stream).
std::pair<std::string, std::vector<json::value>> thread_with(bench& b, const std::string& text) {
  auto ev = b.stream(create_body(text));
  return {id_of(ev.at(0).at("thread")), ev};
}
std::string item_of_type(const std::vector<json::value>& events, std::string_view type) {
  for (const auto& e : events)
    if (e.at("type") == "thread.item.done" && e.at("item").at("type").as_string() == type)
      return id_of(e.at("item"));
  throw std::logic_error("no item of that type");
}

std::vector<scenario> scenarios() {
  std::vector<scenario> out;
  out.push_back({"threads.create", [](bench&) { return create_body("hello"); }, {}, false});
  out.push_back({"threads.create with an attachment",
                 [](bench& b) { return create_body("hello", new_attachment(b)); },
                 {},
                 false});
  out.push_back({"threads.add_user_message",
                 [](bench& b) { return add_body(thread_with(b, "first").first, "second"); },
                 {},
                 false});
  out.push_back({"threads.add_client_tool_output",
                 [](bench& b) {
                   auto [id, ev] = thread_with(b, "client tool");
                   return R"({"type":"threads.add_client_tool_output","params":{"thread_id":")" + id +
                          R"(","result":{"text":"words"}}})";
                 },
                 [](state& s) {
                   for (auto& [id, t] : s.threads)
                     for (auto& i : t.items)
                       if (i.at("type") == "client_tool_call" && i.at("status") == "pending") {
                         i.as_object()["status"] = "completed";
                         i.as_object()["output"] = json::parse(R"({"text":"words"})");
                       }
                 },
                 false});
  out.push_back({"threads.add_structured_input",
                 [](bench& b) {
                   auto [id, ev] = thread_with(b, "question");
                   return R"({"type":"threads.add_structured_input","params":{"thread_id":")" + id +
                          R"(","item_id":")" + item_of_type(ev, "structured_input") +
                          R"(","input":{"answers":{"color":{"values":["red"]}}}}})";
                 },
                 {},
                 false});
  out.push_back({"threads.custom_action",
                 [](bench& b) {
                   auto [id, ev] = thread_with(b, "static widget");
                   return R"({"type":"threads.custom_action","params":{"thread_id":")" + id +
                          R"(","item_id":")" + item_of_type(ev, "widget") +
                          R"(","action":{"type":"press","payload":{"n":1}}}})";
                 },
                 {},
                 false});
  out.push_back({"threads.retry_after_item",
                 [](bench& b) {
                   auto [id, ev] = thread_with(b, "first");
                   b.stream(add_body(id, "second"));
                   return R"({"type":"threads.retry_after_item","params":{"thread_id":")" + id +
                          R"(","item_id":")" + item_of_type(ev, "user_message") + R"("}})";
                 },
                 [](state& s) {
                   for (auto& [id, t] : s.threads) t.items.resize(1);  // only the retried message is kept
                 },
                 true});
  out.push_back({"threads.get_by_id",
                 [](bench& b) {
                   return R"({"type":"threads.get_by_id","params":{"thread_id":")" +
                          thread_with(b, "x").first + R"("}})";
                 },
                 {},
                 false});
  out.push_back({"threads.list",
                 [](bench& b) {
                   thread_with(b, "x");
                   return std::string(R"({"type":"threads.list","params":{}})");
                 },
                 {},
                 false});
  out.push_back({"threads.update",
                 [](bench& b) {
                   return R"({"type":"threads.update","params":{"thread_id":")" + thread_with(b, "x").first +
                          R"(","title":"Renamed"}})";
                 },
                 {},
                 false});
  out.push_back({"threads.delete",
                 [](bench& b) {
                   return R"({"type":"threads.delete","params":{"thread_id":")" + thread_with(b, "x").first +
                          R"("}})";
                 },
                 {},
                 false});
  out.push_back({"items.list",
                 [](bench& b) {
                   return R"({"type":"items.list","params":{"thread_id":")" + thread_with(b, "x").first +
                          R"("}})";
                 },
                 {},
                 false});
  out.push_back({"items.feedback",
                 [](bench& b) {
                   auto [id, ev] = thread_with(b, "x");
                   return R"({"type":"items.feedback","params":{"thread_id":")" + id + R"(","item_ids":[")" +
                          item_of_type(ev, "user_message") + R"(",")" +
                          item_of_type(ev, "assistant_message") + R"("],"kind":"positive"}})";
                 },
                 {},
                 false});
  out.push_back(
      {"attachments.create",
       [](bench&) {
         return std::string(
             R"({"type":"attachments.create","params":{"name":"a.png","size":9,"mime_type":"image/png"}})");
       },
       {},
       false});
  out.push_back({"attachments.delete",
                 [](bench& b) {
                   return R"({"type":"attachments.delete","params":{"attachment_id":")" + new_attachment(b) +
                          R"("}})";
                 },
                 {},
                 false});
  out.push_back(
      {"input.transcribe",
       [](bench&) {
         return std::string(
             R"({"type":"input.transcribe","params":{"audio_base64":"aGk=","mime_type":"audio/ogg"}})");
       },
       {},
       false});
  out.push_back({"threads.sync_custom_action",
                 [](bench& b) {
                   auto [id, ev] = thread_with(b, "static widget");
                   return R"({"type":"threads.sync_custom_action","params":{"thread_id":")" + id +
                          R"(","item_id":")" + item_of_type(ev, "widget") +
                          R"(","action":{"type":"press"}}})";
                 },
                 {},
                 false});
  return out;
}

bool is_prefix_keeping_first(const state& before, const state& after) {
  if (before.attachments != after.attachments || before.threads.size() != after.threads.size()) return false;
  for (const auto& [id, t] : before.threads) {
    auto it = after.threads.find(id);
    if (it == after.threads.end() || it->second.title != t.title) return false;
    const auto& a = it->second.items;
    if (a.empty() || a.size() > t.items.size() || !std::equal(a.begin(), a.end(), t.items.begin()))
      return false;
  }
  return true;
}

// Runs one scenario with the store failing at call n (and after, with `sticky`).
void check_failure(const scenario& sc, std::size_t n, bool sticky, bool healthy_fails) {
  bench b;
  const std::string body = sc.setup(b);
  const state before = b.snapshot();
  b.faulty->arm(n, sticky);
  const auto o = b.run(body);
  std::string ops;
  for (const auto& op : b.faulty->log()) ops += op + " ";
  INFO(sc.name << ": store call " << n << (sticky ? " and every later one" : "") << " fails; calls: " << ops
               << "\nresult: " << o.message);
  REQUIRE(b.faulty->failures() >= 1);
  // A clear error: an HTTP-level error or an error event, never a stream that just stops.
  CHECK_FALSE(o.escaped);
  CHECK(o.failed());
  b.faulty->disarm();
  const state after = b.snapshot();
  if (o.http_error || o.events.empty()) {
    INFO("before:\n" << before.describe() << "after:\n" << after.describe());
    if (sc.prefix_ok)
      CHECK(is_prefix_keeping_first(before, after));
    else
      CHECK(after == before);
    // Nothing was announced: the request can be sent again and succeeds.
    if (!healthy_fails) {
      const auto again = b.run(body);
      INFO("sent again: " << again.message);
      CHECK_FALSE(again.failed());
      CHECK_FALSE(again.escaped);
    }
  } else {
    state expected = before;
    if (sc.silent) sc.silent(expected);
    expected = replay(std::move(expected), o.events);
    std::string frames;
    for (const auto& e : o.events) frames += json::serialize(e) + "\n";
    INFO("frames:\n" << frames << "expected:\n" << expected.describe() << "stored:\n" << after.describe());
    CHECK(after == expected);
  }
}

}  // namespace

TEST_CASE("store faults: every request type, every store call failing, ends cleanly", "[server][faults]") {
  for (const auto& sc : scenarios()) {
    // The healthy run: how many store calls the request makes, and what it promises.
    std::size_t calls = 0;
    bool healthy_fails = false;
    {
      bench b;
      const std::string body = sc.setup(b);
      const state before = b.snapshot();
      b.faulty->arm(0);
      const auto o = b.run(body);
      calls = b.faulty->calls();
      healthy_fails = o.failed();
      INFO(sc.name << ": " << o.message);
      CHECK_FALSE(o.escaped);
      if (o.stream && !healthy_fails) {
        // A stream: the store holds exactly what its frames announced.
        state expected = before;
        if (sc.silent) sc.silent(expected);
        CHECK(b.snapshot() == replay(std::move(expected), o.events));
      }
    }
    // sync_custom_action is not implemented by the echo bot: its answer is an error in any case.
    CHECK(healthy_fails == (sc.name == "threads.sync_custom_action"));
    if (sc.name == "input.transcribe")
      CHECK(calls == 0);
    else
      CHECK(calls >= 1);
    for (std::size_t n = 1; n <= calls; ++n) {
      check_failure(sc, n, false, healthy_fails);
      check_failure(sc, n, true, healthy_fails);
    }
  }
}
