// End to end over real sockets with the demo model: a chat turn through /chatkit (the SDK's Responses
// client against the local demo model, the run loop, the bound tools, the ChatKit bridge) changes the
// database, and the change reaches that user's /api/tasks/events stream and no one else's.
#include "running_task_bot.hpp"
#include "sqlite_task_store.hpp"
#include "support/prometheus_check.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <sstream>
#include <thread>

using namespace task_bot_test;

namespace {

std::string create_thread(const std::string& text) {
  return R"({"type":"threads.create","params":{"input":{"content":[{"type":"input_text","text":")" + text +
         R"("}],"attachments":[],"inference_options":{}}}})";
}

std::string temp_db() {
  return (std::filesystem::temp_directory_path() /
          ("task_bot_e2e_" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) +
           ".db"))
      .string();
}

// CHATKIT_TEST_PG ("host=... port=... user=... dbname=...") as the postgresql:// URL the task bot takes.
std::string pg_url(const std::string& conninfo) {
  std::map<std::string, std::string> kv;
  std::istringstream in(conninfo);
  for (std::string word; in >> word;)
    if (auto eq = word.find('='); eq != std::string::npos) kv[word.substr(0, eq)] = word.substr(eq + 1);
  return "postgresql://" + kv["user"] + "@" + kv["host"] + ":" + kv["port"] + "/" + kv["dbname"];
}

}  // namespace

TEST_CASE("e2e: chat 'add a task to buy milk' stores it and pushes task.created to that user only",
          "[task_bot][e2e]") {
  const auto path = temp_db();
  {
    running_task_bot bot(test_config("sqlite:" + path));
    const auto alice = bot.sign_in("alice");
    const auto bob = bot.sign_in("bob");
    sse_reader alice_events(bot.port(), "/api/tasks/events", alice);
    sse_reader bob_events(bot.port(), "/api/tasks/events?access_token=" + bob, {});
    REQUIRE(alice_events.wait_for(": connected"));
    REQUIRE(bob_events.wait_for(": connected"));

    auto chat = http_call(bot.port(), "POST", "/chatkit", create_thread("add a task to buy milk"), alice);
    CHECK(chat.status == 200);
    CHECK(chat.body.find(R"(Added \"buy milk\" (pending).)") != std::string::npos);
    // The tool's progress reaches the chat before its answer.
    const auto progress = chat.body.find(R"({"type":"progress_update","icon":"check-circle","text":"Adding the task…"})");
    CHECK(progress != std::string::npos);
    CHECK(progress < chat.body.find("Added "));

    CHECK(alice_events.wait_for(R"("type":"task.created")"));
    CHECK(alice_events.received().find(R"("title":"buy milk")") != std::string::npos);
    CHECK(bob_events.wait_for(": ping"));                             // bob's stream is alive (heartbeat) ...
    CHECK(bob_events.received().find("task.") == std::string::npos);  // ... and got nothing of alice's

    // Bob's chat cannot touch alice's task.
    auto bobs = http_call(bot.port(), "POST", "/chatkit", create_thread("complete buy milk"), bob);
    CHECK(bobs.body.find(R"(There is no task \"buy milk\".)") != std::string::npos);

    // Alice completes it by chat; the dashboard stream sees the update.
    http_call(bot.port(), "POST", "/chatkit", create_thread("complete buy milk"), alice);
    CHECK(alice_events.wait_for(R"("type":"task.updated")"));
    auto listed = http_call(bot.port(), "POST", "/chatkit", create_thread("what are my tasks"), alice);
    CHECK(listed.body.find(R"(You have 1 task: \"buy milk\" (completed).)") != std::string::npos);

    // Shutdown ends the open streams.
    bot.app->stop();
    CHECK(alice_events.wait_for_end());
  }
  // The task is in the database file, beside the ChatKit threads.
  task_bot::sqlite_task_store db(path);
  auto tasks = db.list("alice", {});
  REQUIRE(tasks.size() == 1);
  CHECK(tasks[0].title == "buy milk");
  CHECK(tasks[0].status == task_bot::task_status::completed);
  CHECK(db.list("bob", {}).empty());
  std::filesystem::remove(path);
}

TEST_CASE("e2e: a dashboard that goes away is unsubscribed at once", "[task_bot][e2e]") {
  auto c = test_config();
  c.heartbeat = std::chrono::seconds(60);  // not the heartbeat: the server notices the closed socket
  running_task_bot bot(c);
  const auto alice = bot.sign_in("alice");
  auto& bus = bot.app->tasks().bus();
  {
    sse_reader events(bot.port(), "/api/tasks/events", alice);
    REQUIRE(events.wait_for(": connected"));
    CHECK(bus.subscribers() == 1);
  }
  for (int i = 0; i < 200 && bus.subscribers() != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(bus.subscribers() == 0);
}

#if defined(TASK_BOT_WITH_POSTGRES)
TEST_CASE("e2e: two task bots on one PostgreSQL see each other's changes", "[task_bot][e2e][postgres]") {
  const char* pg = std::getenv("CHATKIT_TEST_PG");
  if (!pg || !*pg) {
    WARN("CHATKIT_TEST_PG not set: cross-process events not tested");
    return;
  }
  running_task_bot one(test_config(pg_url(pg)));
  running_task_bot two(test_config(pg_url(pg)));
  const auto user = "carol_" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  const auto token = one.sign_in(user);
  sse_reader on_two(two.port(), "/api/tasks/events", token);
  REQUIRE(on_two.wait_for(": connected"));
  auto created = http_call(one.port(), "POST", "/api/tasks", R"({"title":"shared"})", token);
  REQUIRE(created.status == 201);
  CHECK(on_two.wait_for(R"("title":"shared")"));
  CHECK(on_two.received().find(R"("type":"task.created")") != std::string::npos);
}
#endif

TEST_CASE("e2e: /metrics (with its token) counts a chat turn, its stream and its tool call",
          "[task_bot][e2e][metrics]") {
  auto config = test_config();
  config.metrics = true;
  config.metrics_token = "scrape-token-for-tests";
  running_task_bot bot(std::move(config));
  CHECK(http_call(bot.port(), "GET", "/healthz").status == 200);
  CHECK(http_call(bot.port(), "GET", "/metrics").status == 401);
  auto scrape = [&] {
    auto r = http_call(bot.port(), "GET", "/metrics", {}, "scrape-token-for-tests");
    REQUIRE(r.status == 200);
    auto e = chatkit::testing::check_prometheus(r.body);
    for (const auto& err : e.errors) UNSCOPED_INFO(err);
    CHECK(e.errors.empty());
    return e;
  };
  const auto before = scrape();
  const auto alice = bot.sign_in("alice");
  auto chat = http_call(bot.port(), "POST", "/chatkit", create_thread("add a task to buy bread"), alice);
  REQUIRE(chat.status == 200);
  const auto after = scrape();
  auto delta = [&](const std::string& key) { return after.value(key) - before.value(key); };
  CHECK(delta(R"(chatkit_requests_total{type="threads.create",status="200"})") == 1);
  CHECK(delta("chatkit_streams_total") == 1);
  CHECK(delta("chatkit_events_sent_total") > 3);
  CHECK(delta(R"(chatkit_tool_calls_total{tool="add_task",outcome="ok"})") == 1);
  CHECK(delta(R"(chatkit_model_calls_total{outcome="ok"})") >= 2);  // the tool call, then the answer
  CHECK(delta("chatkit_model_first_event_seconds_count") >= 2);
  for (const auto& [key, v] : after.samples) CHECK(key.find("alice") == std::string::npos);
}
