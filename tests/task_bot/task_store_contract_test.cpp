// The task store contract, run against every implementation: memory, SQLite (a temporary file) and, when
// CHATKIT_TEST_PG names a server (scripts/test-services.sh), PostgreSQL. Isolation included: a task of
// another owner is invisible to every call.
#include "memory_task_store.hpp"
#include "sqlite_task_store.hpp"
#if defined(TASK_BOT_WITH_POSTGRES)
#include "postgres_task_store.hpp"
#endif

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <thread>

using namespace task_bot;

namespace {

new_task make(std::string title, task_priority p = task_priority::medium) {
  new_task n;
  n.title = std::move(title);
  n.priority = p;
  return n;
}

std::string temp_db(const std::string& name) {
  auto p = std::filesystem::temp_directory_path() /
           (name + "_" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) + ".db");
  return p.string();
}

void run_contract(const std::function<std::shared_ptr<task_store>()>& open, const std::string& suffix) {
  auto store = open();
  const std::string alice = "alice" + suffix, bob = "bob" + suffix;

  SECTION("create, get, list newest first") {
    const auto a = store->create(alice, make("first"));
    const auto b = store->create(alice, make("second", task_priority::high));
    CHECK(a.id.starts_with("task_"));
    CHECK(a.status == task_status::pending);
    CHECK(a.created_at == a.updated_at);
    CHECK(store->get(alice, a.id)->title == "first");
    const auto all = store->list(alice, {});
    REQUIRE(all.size() == 2);
    CHECK(all[0].id == b.id);
    CHECK(all[1].id == a.id);
  }
  SECTION("filters: status, priority, text") {
    const auto a = store->create(alice, make("Buy milk", task_priority::high));
    store->create(alice, make("call mom", task_priority::low));
    task_patch done;
    done.status = task_status::completed;
    store->update(alice, a.id, done);
    CHECK(store->list(alice, {task_status::completed, {}, {}}).size() == 1);
    CHECK(store->list(alice, {task_status::pending, {}, {}}).front().title == "call mom");
    CHECK(store->list(alice, {{}, task_priority::low, {}}).size() == 1);
    CHECK(store->list(alice, {{}, {}, std::string("MILK")}).front().id == a.id);
    CHECK(store->list(alice, {{}, {}, std::string("bread")}).empty());
  }
  SECTION("update any subset, clear optional fields") {
    new_task n = make("walk");
    n.description = "the dog";
    n.due_date = "2026-12-01";
    const auto t = store->create(alice, n);
    task_patch p;
    p.priority = task_priority::low;
    p.description = std::optional<std::string>{};
    auto u = store->update(alice, t.id, p);
    REQUIRE(u);
    CHECK(u->priority == task_priority::low);
    CHECK_FALSE(u->description);
    CHECK(u->due_date == "2026-12-01");
    CHECK(u->title == "walk");
    CHECK(store->get(alice, t.id)->priority == task_priority::low);
  }
  SECTION("remove returns the task as it was") {
    const auto t = store->create(alice, make("gone"));
    CHECK(store->remove(alice, t.id)->title == "gone");
    CHECK_FALSE(store->get(alice, t.id));
    CHECK_FALSE(store->remove(alice, t.id));
  }
  SECTION("isolation: another owner's task is invisible to every call") {
    const auto t = store->create(alice, make("alice's"));
    CHECK_FALSE(store->get(bob, t.id));
    CHECK(store->list(bob, {}).empty());
    task_patch p;
    p.title = "mine now";
    CHECK_FALSE(store->update(bob, t.id, p));
    CHECK_FALSE(store->remove(bob, t.id));
    CHECK(store->get(alice, t.id)->title == "alice's");
  }
  SECTION("unknown ids") {
    CHECK_FALSE(store->get(alice, "task_nope"));
    CHECK_FALSE(store->update(alice, "task_nope", {}));
  }
}

}  // namespace

TEST_CASE("task store contract: memory", "[task_bot][store]") {
  run_contract([] { return std::make_shared<memory_task_store>(); }, "");
}

TEST_CASE("task store contract: sqlite", "[task_bot][store]") {
  const auto path = temp_db("task_bot_contract");
  run_contract([&] { return std::make_shared<sqlite_task_store>(path); }, "");
  std::filesystem::remove(path);
}

TEST_CASE("sqlite task store: tasks survive reopening, beside the ChatKit tables", "[task_bot][store]") {
  const auto path = temp_db("task_bot_reopen");
  std::string id;
  {
    sqlite_task_store s(path);
    id = s.create("alice", make("persisted")).id;
  }
  sqlite_task_store again(path);
  CHECK(again.get("alice", id)->title == "persisted");
  std::filesystem::remove(path);
}

#if defined(TASK_BOT_WITH_POSTGRES)
TEST_CASE("task store contract: postgres", "[task_bot][store][postgres]") {
  const char* pg = std::getenv("CHATKIT_TEST_PG");
  if (!pg || !*pg) {
    WARN("CHATKIT_TEST_PG not set: PostgreSQL task store not tested");
    return;
  }
  // Owners unique to this run: the database is shared by every run of the suite.
  const auto suffix = "_" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  run_contract([&] { return std::make_shared<postgres_task_store>(pg); }, suffix);
}
#endif
