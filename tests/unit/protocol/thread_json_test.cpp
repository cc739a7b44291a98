// A client's view of a thread is written by a raw-pointer fast path when the thread is plain (status without
// a reason, no image domains) and by the member-by-member writer otherwise: both must give the bytes the wire
// format asks for, escapes included, alone and inside a page.
#include <chatkit/protocol.hpp>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <random>

namespace cp = chatkit::protocol;

namespace {

cp::thread_metadata thread(std::string id, std::optional<std::string> title, cp::timestamp at) {
  return cp::thread_metadata{std::move(id), std::move(title), at, {}, std::nullopt, {}};
}

constexpr std::string_view empty_items = R"("metadata":{},"items":{"data":[],"has_more":false}})";

}  // namespace

TEST_CASE("a plain thread is written with every escape a title can need", "[protocol][writer][thread]") {
  auto t = thread("thr_1", std::string("q\"b\\n\nt\tc\x01\x1f del\x7f é ✓ 😀"),
                  cp::timestamp::from_civil(2026, 11, 30, 6, 5, 4, 123456));
  t.metadata["private"] = "never sent";
  CHECK(cp::to_json(t) == std::string(R"({"title":"q\"b\\n\nt\tc\u0001\u001f del)") + "\x7f" +
                              R"( é ✓ 😀","id":"thr_1","created_at":"2026-11-30T06:05:04.123456",)" +
                              R"("status":{"type":"active"},)" + std::string(empty_items));

  auto untitled = thread("thr_2", std::nullopt, cp::timestamp::from_civil(1999, 1, 2));
  untitled.status.type = cp::thread_status_type::closed;
  CHECK(cp::to_json(untitled) == std::string(R"({"id":"thr_2","created_at":"1999-01-02T00:00:00",)") +
                                     R"("status":{"type":"closed"},)" + std::string(empty_items));
  untitled.status.type = cp::thread_status_type::locked;
  CHECK(cp::to_json(untitled).find(R"("status":{"type":"locked"},)") != std::string::npos);
}

TEST_CASE("threads with a status reason or image domains are written member by member",
          "[protocol][writer][thread]") {
  auto t = thread("thr_3", std::string("T"), cp::timestamp::from_civil(2026, 1, 1));
  t.status = cp::thread_status{cp::thread_status_type::locked, std::string("read \"only\"")};
  CHECK(cp::to_json(t) == std::string(R"({"title":"T","id":"thr_3","created_at":"2026-01-01T00:00:00",)") +
                              R"("status":{"type":"locked","reason":"read \"only\""},)" +
                              std::string(empty_items));
  t.status = {};
  t.allowed_image_domains = std::vector<std::string>{"a.example", "b.example"};
  CHECK(cp::to_json(t) ==
        std::string(R"({"title":"T","id":"thr_3","created_at":"2026-01-01T00:00:00",)") +
            R"("status":{"type":"active"},"allowed_image_domains":["a.example","b.example"],)" +
            std::string(empty_items));
}

TEST_CASE("a page of threads mixes both writers with the right separators", "[protocol][writer][thread]") {
  cp::thread_page page;
  page.data.push_back(thread("thr_a", std::string("A"), cp::timestamp::from_civil(2026, 1, 1)));
  page.data.push_back(thread("thr_b", std::nullopt, cp::timestamp::from_civil(2026, 1, 2)));
  page.data.back().status.reason = "why";  // the general path between two fast ones
  page.data.push_back(thread("thr_c", std::string(""), cp::timestamp::from_civil(2026, 1, 3)));
  page.has_more = true;
  page.after = "thr_c";
  const std::string expected =
      std::string(R"({"data":[{"title":"A","id":"thr_a","created_at":"2026-01-01T00:00:00",)") +
      R"("status":{"type":"active"},)" + std::string(empty_items) + "," +
      R"({"id":"thr_b","created_at":"2026-01-02T00:00:00","status":{"type":"active","reason":"why"},)" +
      std::string(empty_items) + "," +
      R"({"title":"","id":"thr_c","created_at":"2026-01-03T00:00:00","status":{"type":"active"},)" +
      std::string(empty_items) + R"(],"has_more":true,"after":"thr_c"})";
  CHECK(cp::to_json(page) == expected);
  // Storage keeps everything and never takes the client's fast path.
  CHECK(cp::from_json_text<cp::thread_page>(cp::to_json(page, cp::audience::storage)).data == page.data);
}

TEST_CASE("random titles and ids read back as written", "[protocol][writer][thread]") {
  std::mt19937 rng(20261130);
  // ASCII (every control character included) and a few multi-byte UTF-8 sequences.
  const std::vector<std::string> pieces{"é", "✓", "😀", "\"", "\\", "/"};
  auto random_text = [&](std::size_t max) {
    std::string s;
    const std::size_t n = rng() % (max + 1);
    for (std::size_t i = 0; i < n; ++i) {
      if (rng() % 5 == 0)
        s += pieces[rng() % pieces.size()];
      else
        s.push_back(static_cast<char>(rng() % 128));
    }
    return s;
  };
  for (int i = 0; i < 2000; ++i) {
    auto t = thread(random_text(40), rng() % 4 ? std::optional<std::string>(random_text(80)) : std::nullopt,
                    cp::timestamp{static_cast<std::int64_t>(rng()) * 1'000'003});
    const auto text = cp::to_json(t);
    INFO(text);
    const auto v = boost::json::parse(text).as_object();
    CHECK(v.at("id").as_string() == t.id);
    if (t.title)
      CHECK(v.at("title").as_string() == *t.title);
    else
      CHECK_FALSE(v.contains("title"));
    CHECK(v.at("created_at").as_string() == cp::to_string(t.created_at));
    CHECK(cp::from_json_text<cp::thread_metadata>(text).title == t.title);
  }
}
