// Fidelity: every item type, big items, and ids and text that trip up naive serialisation or SQL.
#include "check_context.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <set>
#include <variant>

namespace chatkit::store::testing::detail {

namespace {

using protocol::sort_order;

void every_item_type_round_trips(check_context& c) {
  REQUIRE(item_fixture_count > 0);
  auto t = c.new_thread(c.alice);
  std::vector<protocol::thread_item> saved;
  std::set<std::string> types;
  for (std::size_t i = 0; i < item_fixture_count; ++i) {
    INFO("fixture " << item_fixtures[i].name);
    auto item = protocol::from_json<protocol::thread_item>(boost::json::parse(item_fixtures[i].json));
    auto& b = protocol::base(item);
    b.id = c.id(b.id);  // unique per run, still carrying the fixture's id
    b.thread_id = t.id;
    b.created_at = at(static_cast<std::int64_t>(i));
    types.insert(std::string(protocol::item_type(item)));
    c.run(c.s->add_thread_item(t.id, item, c.alice));
    CHECK(json_of(c.run(c.s->load_item(t.id, b.id, c.alice))) == json_of(item));
    saved.push_back(std::move(item));
  }
  CHECK(types.size() == std::variant_size_v<protocol::thread_item>);  // the fixtures cover every type
  auto page = c.run(c.s->load_thread_items(t.id, std::nullopt, 1000, sort_order::asc, c.alice));
  REQUIRE(page.data.size() == saved.size());
  for (std::size_t i = 0; i < saved.size(); ++i) CHECK(json_of(page.data[i]) == json_of(saved[i]));
}

void item_types_survive_save_item(check_context& c) {
  auto t = c.new_thread(c.alice);
  for (std::size_t i = 0; i < item_fixture_count; ++i) {
    INFO("fixture " << item_fixtures[i].name);
    auto item = protocol::from_json<protocol::thread_item>(boost::json::parse(item_fixtures[i].json));
    auto& b = protocol::base(item);
    b.id = c.id(b.id);
    b.thread_id = t.id;
    c.run(c.s->save_item(t.id, item, c.alice));
    c.run(c.s->save_item(t.id, item, c.alice));  // the same version twice: still one item
    CHECK(json_of(c.run(c.s->load_item(t.id, b.id, c.alice))) == json_of(item));
  }
  CHECK(c.run(c.s->load_thread_items(t.id, std::nullopt, 1000, sort_order::asc, c.alice)).data.size() ==
        item_fixture_count);
}

void big_items_round_trip(check_context& c) {
  auto t = c.new_thread(c.alice);
  // Several parts (each well under the protocol's per-string read limit) of varied text.
  const std::string pattern = "lorem \"ipsum\" \\ é ✓ 🐱 \n\t";
  const std::size_t total = std::max<std::size_t>(c.options.big_item_bytes, 1024);
  protocol::assistant_message_item m;
  m.id = c.id("msg");
  m.thread_id = t.id;
  m.created_at = at(1);
  std::size_t written = 0;
  while (written < total) {
    protocol::output_text text;
    while (text.text.size() < 256 * 1024 && written + text.text.size() < total) text.text += pattern;
    written += text.text.size();
    m.content.push_back(std::move(text));
  }
  c.run(c.s->add_thread_item(t.id, m, c.alice));
  auto loaded = c.run(c.s->load_item(t.id, m.id, c.alice));
  CHECK(json_of(loaded) == json_of(protocol::thread_item(m)));
  auto page = c.run(c.s->load_thread_items(t.id, std::nullopt, 5, sort_order::desc, c.alice));
  REQUIRE(page.data.size() == 1);
  CHECK(json_of(page.data[0]) == json_of(protocol::thread_item(m)));
}

// Quotes of every kind, backslashes, SQL and LIKE metacharacters, non-ASCII, a NUL-free control char.
const std::string nasty = "'\"`\\%_*?;--/*x*/ DROP TABLE threads; é ✓ 日本 🐱 \x01";

void awkward_ids_round_trip(check_context& c) {
  request_context who;
  who.user_id = "user " + nasty + c.id("u");
  protocol::thread_metadata t;
  t.id = c.id("thr") + nasty;
  t.title = nasty;
  t.created_at = at(1);
  t.metadata = boost::json::object{{nasty, nasty}};
  c.run(c.s->save_thread(t, who));
  CHECK(c.run(c.s->load_thread(t.id, who)) == t);
  CHECK(ids_of(c.run(c.s->load_threads(5, std::nullopt, sort_order::asc, who))) ==
        std::vector<std::string>{t.id});

  auto first = assistant_message(t.id, c.id("msg") + nasty, at(1), nasty);
  auto second = assistant_message(t.id, c.id("msg") + nasty + "2", at(2), nasty);
  c.run(c.s->add_thread_item(t.id, first, who));
  c.run(c.s->add_thread_item(t.id, second, who));
  CHECK(json_of(c.run(c.s->load_item(t.id, protocol::item_id(first), who))) == json_of(first));
  // The awkward ids work as cursors too.
  auto page = c.run(c.s->load_thread_items(t.id, protocol::item_id(first), 5, sort_order::asc, who));
  CHECK(ids_of(page) == std::vector<std::string>{protocol::item_id(second)});

  protocol::attachment a;
  a.id = c.id("atc") + nasty;
  a.name = nasty;
  a.mime_type = "text/plain";
  a.metadata = boost::json::object{{"k", nasty}};
  c.run(c.s->save_attachment(a, who));
  CHECK(json_of(c.run(c.s->load_attachment(a.id, who))) == json_of(a));

  // The awkward user is still isolated from a plain one, and a plain one from it.
  expect_error(chatkit::errc::not_found, [&] { c.run(c.s->load_thread(t.id, c.alice)); });
  c.run(c.s->delete_thread_item(t.id, protocol::item_id(first), who));
  c.run(c.s->delete_attachment(a.id, who));
  c.run(c.s->delete_thread(t.id, who));
  expect_error(chatkit::errc::not_found, [&] { c.run(c.s->load_thread(t.id, who)); });
}

void timestamps_round_trip(check_context& c) {
  // Microseconds, a far past and a far future date: the store keeps created_at exactly.
  for (auto ts : {at(0, 1), at(0, 999999), protocol::timestamp::from_civil(1970, 1, 1),
                  protocol::timestamp::from_civil(1999, 12, 31, 23, 59, 59, 999999),
                  protocol::timestamp::from_civil(2999, 1, 1, 0, 0, 0, 500000)}) {
    INFO("created_at " << protocol::to_string(ts));
    protocol::thread_metadata t;
    t.id = c.id("thr");
    t.created_at = ts;
    c.run(c.s->save_thread(t, c.alice));
    CHECK(c.run(c.s->load_thread(t.id, c.alice)).created_at == ts);
    auto item = assistant_message(t.id, c.id("msg"), ts, "x");
    c.run(c.s->add_thread_item(t.id, item, c.alice));
    CHECK(protocol::base(c.run(c.s->load_item(t.id, protocol::item_id(item), c.alice))).created_at == ts);
  }
}

void widget_payload_nulls_round_trip(check_context& c) {
  // Nulls inside an action payload are free JSON and stay, at every depth, through add_thread_item, save_item
  // and a page; null props of the components may be dropped (they are never written).
  const auto sent = boost::json::parse(
      R"({"type":"Card","size":null,"children":[{"type":"Button","label":"B","color":null,"onClickAction":)"
      R"({"type":"press","payload":{"n":1,"z":null,"deep":{"q":null,"list":[null,{"r":null}]}},)"
      R"("handler":"server","loadingBehavior":"auto","streaming":true}}]})");
  const auto payload = boost::json::parse(R"({"n":1,"z":null,"deep":{"q":null,"list":[null,{"r":null}]}})");
  const std::string written =
      R"("widget":{"type":"Card","children":[{"type":"Button","label":"B","onClickAction":)"
      R"({"type":"press","payload":{"n":1,"z":null,"deep":{"q":null,"list":[null,{"r":null}]}},)"
      R"("handler":"server","loadingBehavior":"auto","streaming":true}}]})";
  auto t = c.new_thread(c.alice);
  protocol::widget_item w;
  w.id = c.id("msg");
  w.thread_id = t.id;
  w.created_at = at(1);
  w.widget.tree = sent.as_object();
  const auto payload_of = [](const protocol::thread_item& item) {
    return std::get<protocol::widget_item>(item)
        .widget.tree.at("children")
        .at(0)
        .at("onClickAction")
        .at("payload");
  };
  const auto check_loaded = [&](const protocol::thread_item& loaded) {
    CHECK(payload_of(loaded) == payload);
    CHECK(json_of(loaded) == json_of(protocol::thread_item{w}));
    CHECK(json_of(loaded).find(written) != std::string::npos);
  };
  c.run(c.s->add_thread_item(t.id, protocol::thread_item{w}, c.alice));
  check_loaded(c.run(c.s->load_item(t.id, w.id, c.alice)));
  auto page = c.run(c.s->load_thread_items(t.id, std::nullopt, 10, sort_order::asc, c.alice));
  REQUIRE(page.data.size() == 1);
  check_loaded(page.data[0]);

  w.widget.tree.at("children").as_array()[0].as_object()["color"] = "red";  // a new version, same payload
  c.run(c.s->save_item(t.id, protocol::thread_item{w}, c.alice));
  const auto saved = c.run(c.s->load_item(t.id, w.id, c.alice));
  CHECK(payload_of(saved) == payload);
  CHECK(json_of(saved) == json_of(protocol::thread_item{w}));
}

}  // namespace

void add_round_trip_checks(std::vector<check>& out) {
  out.push_back(
      {"every item type round-trips through add_thread_item", "[round_trip]", every_item_type_round_trips});
  out.push_back(
      {"every item type round-trips through save_item", "[round_trip]", item_types_survive_save_item});
  out.push_back({"a big item round-trips", "[round_trip]", big_items_round_trip});
  out.push_back({"ids, titles and users with quotes, SQL and non-ASCII round-trip", "[round_trip]",
                 awkward_ids_round_trip});
  out.push_back({"created_at round-trips to the microsecond", "[round_trip]", timestamps_round_trip});
  out.push_back({"widget action payloads keep their nulls at every depth", "[round_trip]",
                 widget_payload_nulls_round_trip});
}

}  // namespace chatkit::store::testing::detail
