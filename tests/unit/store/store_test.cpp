// store.hpp without a store: id generation (docs/stores.md#ids), prefixes and the random part.
#include <chatkit/store/memory_store.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <set>
#include <string>
#include <thread>

using namespace chatkit::store;

TEST_CASE("id_prefix gives the documented prefix for every kind", "[ids]") {
  CHECK(id_prefix(id_kind::thread) == "thr");
  CHECK(id_prefix(id_kind::message) == "msg");
  CHECK(id_prefix(id_kind::tool_call) == "tc");
  CHECK(id_prefix(id_kind::task) == "tsk");
  CHECK(id_prefix(id_kind::workflow) == "wf");
  CHECK(id_prefix(id_kind::attachment) == "atc");
  CHECK(id_prefix(id_kind::sdk_hidden_context) == "shcx");
}

TEST_CASE("default ids are <prefix>_<12 hex: time><24 hex: 96 random bits> and do not repeat", "[ids]") {
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    auto id = default_id(id_kind::message);
    REQUIRE(id.size() == 4 + 12 + 24);
    CHECK(id.rfind("msg_", 0) == 0);
    for (char ch : id.substr(4)) CHECK(((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')));
    seen.insert(id);
  }
  CHECK(seen.size() == 2000);
}

TEST_CASE("default ids lead with the time in milliseconds, so later ids sort after earlier ones", "[ids]") {
  using namespace std::chrono;
  const auto before = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  const auto first = default_id(id_kind::thread);
  const auto after = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  const auto stamped = static_cast<long long>(std::stoull(first.substr(4, 12), nullptr, 16));
  CHECK(stamped >= before);
  CHECK(stamped <= after);
  std::this_thread::sleep_for(milliseconds(2));
  const auto second = default_id(id_kind::thread);
  CHECK(second > first);
  CHECK(second.substr(4, 12) > first.substr(4, 12));
}

TEST_CASE("default ids use every one of their 96 random bits", "[ids]") {
  // Each random hex digit position takes many values over a few hundred ids: no position is fixed, as it
  // would be with a 32-bit generator padded out.
  std::vector<std::set<char>> digits(24);
  for (int i = 0; i < 400; ++i) {
    const auto id = default_id(id_kind::thread);
    for (std::size_t k = 0; k < 24; ++k) digits[k].insert(id[4 + 12 + k]);
  }
  for (const auto& d : digits) CHECK(d.size() >= 8);
}

TEST_CASE("store's id generators use the default ids", "[ids]") {
  memory_store s;
  chatkit::request_context ctx;
  ctx.user_id = "u";
  CHECK(s.generate_thread_id(ctx).rfind("thr_", 0) == 0);
  chatkit::protocol::thread_metadata t;
  CHECK(s.generate_item_id(id_kind::sdk_hidden_context, t, ctx).rfind("shcx_", 0) == 0);
  CHECK(s.generate_item_id(id_kind::tool_call, t, ctx).rfind("tc_", 0) == 0);
}
