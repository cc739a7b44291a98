// Seeded random request sequences against the echo bot over real sockets (127.0.0.1).
//
// Each sequence interleaves the requests of 2-3 users (15-40 each), drawn from every request type the echo
// bot supports and always valid for the state built so far. A model of each user's threads is kept from
// what the server itself announced (stream events, JSON answers), so the checks need no reference server:
//   * no null anywhere: JSON bodies, every SSE event, every stored item as the store writes it;
//   * every listed thread can be read by its owner and by nobody else (another user gets 404);
//   * paging with `after`, in both orders and with small limits, neither repeats nor skips;
//   * titles and items read back are the ones last written;
//   * the expected status of each request (e.g. 501 for the echo bot's unimplemented sync action).
// The seeds are fixed; a failure names the seed, the step, the request and the answer.
#include "echo_http.hpp"

#include "support/run_sync.hpp"

#include <chatkit/protocol.hpp>

#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace json = boost::json;
namespace cp = chatkit::protocol;
using chatkit::testing::first_null;
using chatkit::testing::http_answer;

namespace {

// A thread as its owner last saw it announced. `items` holds the stored items in order; hidden items (never
// sent to clients, but counted by the server's own item windows) are kept as placeholders.
struct model_thread {
  std::string id;
  std::optional<std::string> title;
  std::vector<json::object> items;  // a placeholder is {"type":"hidden"}
};

struct model_user {
  std::string name;
  std::vector<model_thread> threads;     // creation order
  std::vector<std::string> attachments;  // created and not deleted
  std::vector<std::string> unused;       // created, not yet put in a message
};

bool is_placeholder(const json::object& item) {
  return item.at("type") == "hidden";
}

// Whether `v` is the string `s`.
bool is(const json::value& v, std::string_view s) {
  return v.is_string() && v.get_string() == s;
}

std::string str(const json::value& v) {
  return std::string(v.as_string());
}

std::string quoted(const std::string& s) {
  return json::serialize(json::value(s));
}

class sequence_failure : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The texts the users send: the echo bot's triggers and plain text to echo.
const std::vector<std::string> texts = {"Hello",         "a longer message that makes a title",
                                        "client tool",   "question",
                                        "static widget", "widget",
                                        "progress",      "notice",
                                        "effect",        "hidden",
                                        "fail",          "custom error",
                                        "stream error",  "x",
                                        "client tool",   "static widget"};

const std::vector<std::string> tool_results = {"null", "1",  R"("done")", R"({"a":1,"b":[1,2]})",
                                               "true", "[]", "{}"};

class sequence {
 public:
  sequence(std::uint16_t port, chatkit::store::memory_store& store, unsigned seed,
           std::map<std::string, int>& sent)
      : port_(port), store_(store), seed_(seed), rng_(seed), sent_(sent) {}

  void run() {
    const int user_count = pick(2, 3);
    std::vector<int> turns;
    for (int u = 0; u < user_count; ++u) {
      users_.push_back(model_user{"user" + std::to_string(seed_) + "_" + std::to_string(u), {}, {}, {}});
      for (int n = pick(15, 40); n > 0; --n) turns.push_back(u);
    }
    std::shuffle(turns.begin(), turns.end(), rng_);
    for (int u : turns) {
      ++step_;
      one_request(users_[static_cast<std::size_t>(u)]);
    }
    // Finally, every user's whole state read back, and the store's own view of every item.
    for (auto& u : users_) {
      check_thread_list(u);
      for (auto& t : u.threads) check_items(u, t);
    }
    check_stored_items();
  }

 private:
  std::uint16_t port_;
  chatkit::store::memory_store& store_;
  unsigned seed_;
  std::mt19937 rng_;
  std::map<std::string, int>& sent_;  // requests sent, by type
  int step_ = 0;
  std::vector<model_user> users_;
  std::string request_;  // the last request sent, for failure messages
  std::string answer_;

  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  template <class V>
  auto& pick_of(V& v) {
    return v[static_cast<std::size_t>(pick(0, static_cast<int>(v.size()) - 1))];
  }
  bool chance(int percent) { return pick(1, 100) <= percent; }

  [[noreturn]] void fail(const std::string& what) {
    throw sequence_failure("seed " + std::to_string(seed_) + ", step " + std::to_string(step_) + ": " + what +
                           "\n  request: " + request_ + "\n  answer: " + answer_.substr(0, 2000));
  }
  void expect(bool ok, const std::string& what) {
    if (!ok) fail(what);
  }

  // Sends one request as `user` and checks the status and that no null appears in the answer.
  http_answer call(const std::string& user, const std::string& body, unsigned status) {
    request_ = user + " " + body;
    ++sent_[str(json::parse(body).at("type"))];
    auto a = chatkit::testing::post(port_, body, user);
    answer_ = std::to_string(a.status) + " " + a.body;
    expect(a.status == status, "expected status " + std::to_string(status));
    if (a.is_stream()) {
      for (const auto& e : a.events)
        if (auto p = first_null(e); !p.empty()) fail("null at " + p + " of an event");
    } else if (!a.body.empty()) {
      if (auto p = first_null(a.json()); !p.empty()) fail("null at " + p);
    }
    return a;
  }

  model_user* other_user(const model_user& u) {
    for (auto& o : users_)
      if (&o != &u) return &o;
    return nullptr;
  }

  model_thread* find_thread(model_user& u, const std::string& id) {
    for (auto& t : u.threads)
      if (t.id == id) return &t;
    return nullptr;
  }

  // ---- the model, fed by a stream's events ----

  static void upsert(model_thread& t, const json::object& item) {
    for (auto& i : t.items)
      if (!is_placeholder(i) && i.at("id") == item.at("id")) {
        i = item;
        return;
      }
    t.items.push_back(item);
  }

  // `respond_text` is the text the bot answers in this stream (empty when it answers no user message).
  void apply_stream(model_thread& t, const http_answer& a, const std::string& respond_text) {
    expect(a.is_stream(), "expected an event stream");
    for (const auto& ev : a.events) {
      const auto& e = ev.as_object();
      const auto type = str(e.at("type"));
      if (type == "thread.created" || type == "thread.updated") {
        const auto& th = e.at("thread").as_object();
        expect(str(th.at("id")) == t.id, "event for another thread");
        t.title = th.contains("title") ? std::optional(str(th.at("title"))) : std::nullopt;
      } else if (type == "stream_options") {
        // The bot's "hidden" answer stores a hidden item first (its event is swallowed).
        if (respond_text == "hidden") t.items.push_back(json::object{{"type", "hidden"}});
      } else if (type == "thread.item.done" || type == "thread.item.replaced") {
        const auto& item = e.at("item").as_object();
        expect(item.at("type") != "hidden_context_item" && item.at("type") != "sdk_hidden_context",
               "a hidden item was sent to the client");
        upsert(t, item);
        if (item.at("type") == "user_message")
          for (const auto& att : item.at("attachments").as_array())
            expect(att.at("thread_id") == json::value(t.id), "attachment not bound to the thread");
      } else if (type == "thread.item.removed") {
        const auto id = str(e.at("item_id"));
        std::erase_if(t.items,
                      [&](const json::object& i) { return !is_placeholder(i) && is(i.at("id"), id); });
      }
    }
  }

  // ---- requests ----

  std::string input_json(model_user& u, const std::string& text) {
    std::string atts;
    if (!u.unused.empty() && chance(50)) {
      atts = quoted(u.unused.back());
      u.unused.pop_back();
    }
    return R"({"content":[{"type":"input_text","text":)" + quoted(text) + R"(}],"attachments":[)" + atts +
           R"(],"inference_options":{}})";
  }

  void create(model_user& u) {
    const auto text = pick_of(texts);
    const auto a =
        call(u.name, R"({"type":"threads.create","params":{"input":)" + input_json(u, text) + "}}", 200);
    expect(!a.events.empty() && a.events[0].at("type") == "thread.created", "no thread.created first");
    u.threads.push_back(model_thread{str(a.events[0].at("thread").at("id")), std::nullopt, {}});
    apply_stream(u.threads.back(), a, text);
    // The echo bot names a new thread after the first 20 characters of its first message.
    expect(u.threads.back().title == text.substr(0, 20), "the title is not the first message's start");
  }

  void add_user_message(model_user& u, model_thread& t) {
    const auto text = pick_of(texts);
    const auto a = call(u.name,
                        R"({"type":"threads.add_user_message","params":{"thread_id":)" + quoted(t.id) +
                            R"(,"input":)" + input_json(u, text) + "}}",
                        200);
    apply_stream(t, a, text);
  }

  static bool pending_call(const json::object& i) {
    return i.at("type") == "client_tool_call" && i.at("status") == "pending";
  }

  void add_client_tool_output(model_user& u, model_thread& t) {
    const auto& result = pick_of(tool_results);
    const auto a = call(u.name,
                        R"({"type":"threads.add_client_tool_output","params":{"thread_id":)" + quoted(t.id) +
                            R"(,"result":)" + result + "}}",
                        200);
    // The call is completed with the result (no output field for a null result) and the other pending
    // calls among the newest 20 stored items are removed; no event announces either.
    auto& call_item = t.items.back();
    call_item["status"] = "completed";
    if (result != "null") call_item["output"] = json::parse(result);
    const std::size_t from = t.items.size() > 20 ? t.items.size() - 20 : 0;
    for (std::size_t i = t.items.size(); i-- > from;)
      if (pending_call(t.items[i])) t.items.erase(t.items.begin() + static_cast<std::ptrdiff_t>(i));
    apply_stream(t, a, "");
  }

  void add_structured_input(model_user& u, model_thread& t, const std::string& item_id) {
    static const std::vector<std::string> submissions = {
        R"({"status":"answered","answers":{"color":{"values":["blue","red"]},"toppings":{"values":["ham","cheese"]},"note":{"values":["none"]}}})",
        R"({"status":"answered","answers":{"color":{"values":[],"skipped":true}}})",
        R"({"status":"skipped"})",
        R"({})",
    };
    const auto a = call(u.name,
                        R"({"type":"threads.add_structured_input","params":{"thread_id":)" + quoted(t.id) +
                            R"(,"item_id":)" + quoted(item_id) + R"(,"input":)" + pick_of(submissions) + "}}",
                        200);
    expect(a.events.size() > 1 && a.events[1].at("type") == "thread.item.replaced",
           "no thread.item.replaced");
    expect(a.events[1].at("item").at("status") != "pending", "the answered item is still pending");
    apply_stream(t, a, "");
  }

  // The ids of the thread's items of one type (placeholders excluded).
  static std::vector<std::string> ids_of(const model_thread& t, std::string_view type = {}) {
    std::vector<std::string> out;
    for (const auto& i : t.items)
      if (!is_placeholder(i) && (type.empty() || is(i.at("type"), type))) out.push_back(str(i.at("id")));
    return out;
  }

  void custom_action(model_user& u, model_thread& t, bool sync) {
    const auto widgets = ids_of(t, "widget");
    const auto all = ids_of(t);
    std::string item;  // empty: no sender
    bool widget = false;
    const int which = pick(0, 2);
    if (which == 1 && !widgets.empty()) {
      item = widgets[static_cast<std::size_t>(pick(0, static_cast<int>(widgets.size()) - 1))];
      widget = true;
    } else if (which == 2 && !all.empty()) {
      item = all[static_cast<std::size_t>(pick(0, static_cast<int>(all.size()) - 1))];
      widget = std::any_of(widgets.begin(), widgets.end(), [&](const std::string& w) { return w == item; });
    }
    const std::string action_type = chance(50) ? "press" : "toggle";
    const std::string body =
        std::string(R"({"type":")") + (sync ? "threads.sync_custom_action" : "threads.custom_action") +
        R"(","params":{"thread_id":)" + quoted(t.id) + (item.empty() ? "" : R"(,"item_id":)" + quoted(item)) +
        R"(,"action":{"type":)" + quoted(action_type) + (chance(50) ? R"(,"payload":{"n":1}})" : "}") + "}}";
    const bool refused = !item.empty() && !widget;
    if (sync) {
      // The echo bot does not implement the hook (501); a sender that is no widget is a request error.
      const auto a = call(u.name, body, refused ? 400 : 501);
      expect(!a.is_stream(), "sync action answered with a stream");
      return;
    }
    const auto a = call(u.name, body, 200);
    if (refused) {
      expect(a.events.size() == 1 && a.events[0].at("type") == "error", "non-widget sender: not one error");
      return;
    }
    expect(a.events.back().at("type") == "thread.item.done" &&
               a.events.back().at("item").at("content").at(0).at("text") ==
                   json::value("Action: " + action_type),
           "the action's echo is missing");
    apply_stream(t, a, "");
  }

  void retry_after_item(model_user& u, model_thread& t) {
    const auto users_msgs = ids_of(t, "user_message");
    const auto all = ids_of(t);
    if (chance(15) && !all.empty()) {
      // Retrying after an item that is no user message is a request error, and deletes nothing.
      const auto& id = all[static_cast<std::size_t>(pick(0, static_cast<int>(all.size()) - 1))];
      const auto it = std::find_if(t.items.begin(), t.items.end(), [&](const json::object& i) {
        return !is_placeholder(i) && is(i.at("id"), id);
      });
      if (it->at("type") != "user_message") {
        call(u.name,
             R"({"type":"threads.retry_after_item","params":{"thread_id":)" + quoted(t.id) +
                 R"(,"item_id":)" + quoted(id) + "}}",
             400);
        return;
      }
    }
    if (users_msgs.empty()) return;
    const auto& id = users_msgs[static_cast<std::size_t>(pick(0, static_cast<int>(users_msgs.size()) - 1))];
    const auto a = call(u.name,
                        R"({"type":"threads.retry_after_item","params":{"thread_id":)" + quoted(t.id) +
                            R"(,"item_id":)" + quoted(id) + "}}",
                        200);
    auto it = std::find_if(t.items.begin(), t.items.end(),
                           [&](const json::object& i) { return !is_placeholder(i) && is(i.at("id"), id); });
    std::string text;
    for (const auto& part : it->at("content").as_array())
      if (part.at("type") == "input_text") text += str(part.at("text"));
    t.items.erase(it + 1, t.items.end());
    apply_stream(t, a, text);
  }

  void get_by_id(model_user& u, model_thread& t) {
    const auto a =
        call(u.name, R"({"type":"threads.get_by_id","params":{"thread_id":)" + quoted(t.id) + "}}", 200);
    const auto th = a.json().as_object();
    check_title(t, th);
    // The first 20 stored items, hidden ones left out.
    std::vector<json::object> expected;
    for (std::size_t i = 0; i < t.items.size() && i < 20; ++i)
      if (!is_placeholder(t.items[i])) expected.push_back(t.items[i]);
    const auto& data = th.at("items").at("data").as_array();
    expect(data.size() == expected.size(), "get_by_id: " + std::to_string(data.size()) + " items, expected " +
                                               std::to_string(expected.size()));
    for (std::size_t i = 0; i < data.size(); ++i)
      expect(data[i] == json::value(expected[i]),
             "get_by_id: item " + std::to_string(i) +
                 " is not as last written: " + json::serialize(expected[i]));
    if (auto* o = other_user(u)) {
      call(o->name, R"({"type":"threads.get_by_id","params":{"thread_id":)" + quoted(t.id) + "}}", 404);
      call(o->name, R"({"type":"items.list","params":{"thread_id":)" + quoted(t.id) + "}}", 404);
    }
  }

  void check_title(const model_thread& t, const json::object& th) {
    expect(str(th.at("id")) == t.id, "another thread answered");
    const std::optional<std::string> title =
        th.contains("title") ? std::optional(str(th.at("title"))) : std::nullopt;
    expect(title == t.title, "title is not the one last written (" + t.title.value_or("<none>") + ")");
  }

  // Walks all pages of a list request in one order with a small limit; checks the cursor rules.
  std::vector<json::object> walk(const std::string& user, const std::string& type, const std::string& thread,
                                 const std::string& order, int limit) {
    std::vector<json::object> all;
    std::optional<std::string> after;
    for (int page = 0; page < 1000; ++page) {
      std::string params = thread.empty() ? "" : R"("thread_id":)" + quoted(thread) + ",";
      params += R"("order":")" + order + R"(","limit":)" + std::to_string(limit);
      if (after) params += R"(,"after":)" + quoted(*after);
      const auto a = call(user, R"({"type":")" + type + R"(","params":{)" + params + "}}", 200);
      const auto body = a.json().as_object();
      for (const auto& e : body.at("data").as_array()) all.push_back(e.as_object());
      if (!body.at("has_more").as_bool()) {
        expect(!body.contains("after"), "the last page has an `after`");
        return all;
      }
      expect(body.contains("after"), "a page with more has no `after`");
      after = str(body.at("after"));
    }
    fail("paging does not end");
  }

  static std::vector<std::string> ids(const std::vector<json::object>& v) {
    std::vector<std::string> out;
    for (const auto& e : v) out.push_back(str(e.at("id")));
    return out;
  }

  void check_thread_list(model_user& u) {
    std::vector<std::string> expected;
    for (const auto& t : u.threads) expected.push_back(t.id);
    const int limit = pick(1, 4);
    const auto asc = walk(u.name, "threads.list", "", "asc", limit);
    expect(ids(asc) == expected,
           "threads.list asc (limit " + std::to_string(limit) + ") repeats, skips or reorders");
    const auto desc = walk(u.name, "threads.list", "", "desc", pick(1, 4));
    std::reverse(expected.begin(), expected.end());
    expect(ids(desc) == expected, "threads.list desc repeats, skips or reorders");
    const auto whole = call(u.name, R"({"type":"threads.list","params":{"limit":100}})", 200).json();
    std::vector<json::object> whole_data;
    for (const auto& e : whole.at("data").as_array()) whole_data.push_back(e.as_object());
    expect(ids(whole_data) == expected, "threads.list in one page differs from the pages");
    for (const auto& listed : asc) {
      auto* t = find_thread(u, str(listed.at("id")));
      check_title(*t, listed);
      expect(listed.at("items").at("data").as_array().empty(), "a listed thread carries items");
      // Readable by its owner, by nobody else.
      call(u.name, R"({"type":"threads.get_by_id","params":{"thread_id":)" + quoted(t->id) + "}}", 200);
      for (const auto& o : users_)
        if (&o != &u)
          call(o.name, R"({"type":"threads.get_by_id","params":{"thread_id":)" + quoted(t->id) + "}}", 404);
    }
  }

  void check_items(model_user& u, model_thread& t) {
    std::vector<json::object> expected;
    for (const auto& i : t.items)
      if (!is_placeholder(i)) expected.push_back(i);
    const auto asc = walk(u.name, "items.list", t.id, "asc", pick(1, 5));
    expect(asc.size() == expected.size(), "items.list asc: " + std::to_string(asc.size()) +
                                              " items, expected " + std::to_string(expected.size()));
    for (std::size_t i = 0; i < asc.size(); ++i)
      expect(json::value(asc[i]) == json::value(expected[i]),
             "items.list: item " + std::to_string(i) +
                 " is not as last written: " + json::serialize(expected[i]));
    auto desc = walk(u.name, "items.list", t.id, "desc", pick(1, 5));
    std::reverse(desc.begin(), desc.end());
    expect(ids(desc) == ids(asc), "items.list desc repeats, skips or reorders");
  }

  void update(model_user& u, model_thread& t) {
    const std::string title = "Title " + std::to_string(pick(0, 999));
    const auto a = call(u.name,
                        R"({"type":"threads.update","params":{"thread_id":)" + quoted(t.id) + R"(,"title":)" +
                            quoted(title) + "}}",
                        200);
    t.title = title;
    check_title(t, a.json().as_object());
  }

  void remove(model_user& u, std::size_t index) {
    const auto id = u.threads[index].id;
    if (auto* o = other_user(u))
      call(o->name, R"({"type":"threads.delete","params":{"thread_id":)" + quoted(id) + "}}", 404);
    const auto a =
        call(u.name, R"({"type":"threads.delete","params":{"thread_id":)" + quoted(id) + "}}", 200);
    expect(a.body == "{}", "threads.delete did not answer {}");
    u.threads.erase(u.threads.begin() + static_cast<std::ptrdiff_t>(index));
    call(u.name, R"({"type":"threads.get_by_id","params":{"thread_id":)" + quoted(id) + "}}", 404);
    call(u.name, R"({"type":"threads.delete","params":{"thread_id":)" + quoted(id) + "}}", 404);
  }

  void feedback(model_user& u, model_thread& t) {
    const auto all = ids_of(t);
    if (all.empty()) return;
    std::string ids = quoted(all[static_cast<std::size_t>(pick(0, static_cast<int>(all.size()) - 1))]);
    if (chance(50))
      ids += "," + quoted(all[static_cast<std::size_t>(pick(0, static_cast<int>(all.size()) - 1))]);
    const std::string kind = chance(50) ? "positive" : "negative";
    const auto body = R"({"type":"items.feedback","params":{"thread_id":)" + quoted(t.id) +
                      R"(,"item_ids":[)" + ids + R"(],"kind":")" + kind + R"("}})";
    expect(call(u.name, body, 200).body == "{}", "items.feedback did not answer {}");
    // Another user naming this thread, or this user naming another user's item: 404.
    if (auto* o = other_user(u)) {
      call(o->name, body, 404);
      for (const auto& ot : o->threads)
        if (const auto theirs = ids_of(ot); !theirs.empty()) {
          call(u.name,
               R"({"type":"items.feedback","params":{"thread_id":)" + quoted(t.id) + R"(,"item_ids":[)" +
                   quoted(theirs.front()) + R"(],"kind":")" + kind + R"("}})",
               404);
          break;
        }
    }
  }

  void attachments_create(model_user& u) {
    const bool image = chance(40);
    const int size = pick(0, 5000);
    const auto a =
        call(u.name,
             R"({"type":"attachments.create","params":{"name":"f)" + std::to_string(size) +
                 (image ? R"(.png","mime_type":"image/png")" : R"(.txt","mime_type":"text/plain")") +
                 R"(,"size":)" + std::to_string(size) + "}}",
             200);
    const auto att = a.json().as_object();
    const auto id = str(att.at("id"));
    expect(id.starts_with("atc_"), "attachment id");
    expect(att.at("type") == (image ? "image" : "file"), "attachment type");
    expect(att.contains("preview_url") == image, "preview_url only for images");
    expect(!att.contains("metadata"), "integration metadata sent to the client");
    expect(!att.contains("thread_id"), "a new attachment is bound to a thread");
    expect(att.at("upload_descriptor").at("url") == json::value("https://uploads.example.test/" + id),
           "upload url");
    u.attachments.push_back(id);
    u.unused.push_back(id);
  }

  void attachments_delete(model_user& u) {
    const auto id = pick_of(u.attachments);
    const auto body = R"({"type":"attachments.delete","params":{"attachment_id":)" + quoted(id) + "}}";
    if (auto* o = other_user(u)) call(o->name, body, 404);
    expect(call(u.name, body, 200).body == "{}", "attachments.delete did not answer {}");
    call(u.name, body, 404);
    std::erase(u.attachments, id);
    std::erase(u.unused, id);
  }

  void transcribe(model_user& u) {
    static const std::vector<std::pair<std::string, std::string>> audio = {
        {"", "0"}, {"AAAA", "3"}, {"AAAAAA==", "4"}, {"aGVsbG8gd29ybGQ=", "11"}};
    const auto& [b64, bytes] = pick_of(audio);
    const std::string mime = chance(50) ? "audio/webm;codecs=opus" : "audio/ogg";
    const auto a = call(u.name,
                        R"({"type":"input.transcribe","params":{"audio_base64":)" + quoted(b64) +
                            R"(,"mime_type":)" + quoted(mime) + "}}",
                        200);
    expect(a.json() == json::value{{"text", bytes + " bytes of " + mime.substr(0, mime.find(';'))}},
           "transcription text");
  }

  // One valid request of a random type for `u`.
  void one_request(model_user& u) {
    if (u.threads.empty() || chance(12)) return create(u);
    const std::size_t index = static_cast<std::size_t>(pick(0, static_cast<int>(u.threads.size()) - 1));
    auto& t = u.threads[index];
    switch (pick(0, 15)) {
      case 0:
      case 1:
        return add_user_message(u, t);
      case 2: {
        // A thread whose newest stored item is a pending client tool call.
        for (auto& c : u.threads)
          if (!c.items.empty() && pending_call(c.items.back())) return add_client_tool_output(u, c);
        // None: the output is refused (409) and nothing changes.
        call(u.name,
             R"({"type":"threads.add_client_tool_output","params":{"thread_id":)" + quoted(t.id) +
                 R"(,"result":1}})",
             409);
        return;
      }
      case 3:
        for (auto& c : u.threads)
          for (const auto& i : c.items)
            if (i.at("type") == "structured_input" && i.at("status") == "pending")
              return add_structured_input(u, c, str(i.at("id")));
        return add_user_message(u, t);
      case 4:
        return custom_action(u, t, false);
      case 5:
        return custom_action(u, t, true);
      case 6:
        return retry_after_item(u, t);
      case 7:
        return get_by_id(u, t);
      case 8:
        return check_thread_list(u);
      case 9:
        return update(u, t);
      case 10:
        if (chance(40)) return remove(u, index);
        return check_items(u, t);
      case 11:
        return check_items(u, t);
      case 12:
        return feedback(u, t);
      case 13:
        return attachments_create(u);
      case 14:
        if (!u.attachments.empty()) return attachments_delete(u);
        return attachments_create(u);
      default:
        return transcribe(u);
    }
  }

  // Every item of every thread, as the store writes it for itself, has no null.
  void check_stored_items() {
    boost::asio::io_context ioc;
    for (const auto& u : users_) {
      const chatkit::request_context ctx{u.name, {}, {}};
      for (const auto& t : u.threads) {
        auto page = chatkit::testing::run_sync(
            ioc, store_.load_thread_items(t.id, std::nullopt, 1000, cp::sort_order::asc, ctx));
        for (const auto& item : page.data) {
          const auto stored = json::parse(cp::to_json(item, cp::audience::storage));
          if (auto p = first_null(stored); !p.empty())
            fail("stored item " + cp::item_id(item) + ": null at " + p + ": " + json::serialize(stored));
        }
      }
    }
  }
};

}  // namespace

TEST_CASE("random request sequences keep the protocol's invariants", "[integration][http][random]") {
  chatkit::testing::running_echo_server<> srv;
  std::map<std::string, int> sent;
  for (unsigned seed = 1; seed <= 20; ++seed) {
    try {
      sequence(srv.port(), *srv.store, seed, sent).run();
    } catch (const sequence_failure& e) {
      FAIL_CHECK(e.what());
    }
  }
  // The sequences did exercise every request type the echo bot supports.
  for (const char* type :
       {"threads.create", "threads.add_user_message", "threads.add_client_tool_output",
        "threads.add_structured_input", "threads.custom_action", "threads.sync_custom_action",
        "threads.retry_after_item", "threads.get_by_id", "threads.list", "threads.update", "threads.delete",
        "items.list", "items.feedback", "attachments.create", "attachments.delete", "input.transcribe"}) {
    INFO(type);
    CHECK(sent[type] > 0);
  }
}
