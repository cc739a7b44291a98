// chatkit::log: the level threshold, the sink swap, the default JSON-lines format
// (docs/guide-operations.md#logging).
#include "support/log_capture.hpp"

#include <chatkit/log.hpp>

#include <boost/json/parse.hpp>

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include <unistd.h>

namespace lg = chatkit::log;
using chatkit::testing::log_capture;

TEST_CASE("log: records below the threshold never reach the sink") {
  log_capture cap(lg::level::warn);
  lg::info("test", "quiet", {{"k", 1}});
  lg::debug("test", "quiet");
  lg::warn("test", "loud", {{"k", 2}});
  lg::error("test", "louder");
  CHECK(cap.count("test", "quiet") == 0);
  REQUIRE(cap.count("test", "loud") == 1);
  CHECK(cap.find("test", "loud")->field("k") == "2");
  CHECK(cap.find("test", "loud")->severity == lg::level::warn);
  CHECK(cap.count("test", "louder") == 1);

  CHECK_FALSE(lg::enabled(lg::level::info));
  CHECK(lg::enabled(lg::level::error));
  lg::set_level(lg::level::off);
  CHECK_FALSE(lg::enabled(lg::level::error));
  lg::error("test", "silenced");
  CHECK(cap.count("test", "silenced") == 0);
  CHECK_FALSE(lg::enabled(lg::level::off));
}

TEST_CASE("log: fields keep their types; set_sink returns the previous sink and restores the default") {
  std::vector<std::string> kinds;
  auto previous = lg::set_sink([&](const lg::record& r) {
    for (const auto& f : r.fields) kinds.push_back(std::to_string(f.value.index()));
  });
  const auto level_before = lg::get_level();
  lg::set_level(lg::level::info);
  std::string owned = "text";
  lg::info("test", "types",
           {{"a", "c string"}, {"b", owned}, {"c", -3}, {"d", std::size_t{4}}, {"e", 1.5}, {"f", true}});
  CHECK(kinds == std::vector<std::string>{"0", "0", "1", "2", "3", "4"});
  lg::set_sink(std::move(previous));
  lg::set_level(level_before);
}

TEST_CASE("log: format_json escapes control characters and invalid UTF-8 into one valid JSON object") {
  const std::string nasty =
      std::string("line1\nline2\t\"quoted\" back\\slash \x01\x1f\x7f bad:\xff\xc3 ok:\xc3\xa9 ") +
      std::string(1, '\0') + "end";
  const lg::field fields[] = {{"text", nasty}, {"n", std::int64_t{-42}}, {"u", std::uint64_t{7}},
                              {"d", 0.25},     {"inf", 1e308 * 10},      {"yes", false}};
  lg::record r{lg::level::warn, "comp\n", "msg \x02", fields, std::chrono::system_clock::time_point{}};
  const std::string line = lg::format_json(r);
  CHECK(line.find('\n') == std::string::npos);
  for (char c : line) CHECK(static_cast<unsigned char>(c) >= 0x20);
  auto v = boost::json::parse(line).as_object();
  CHECK(v.at("time").as_string() == "1970-01-01T00:00:00.000000Z");
  CHECK(v.at("level").as_string() == "warn");
  CHECK(v.at("component").as_string() == "comp\n");
  CHECK(v.at("message").as_string() == "msg \x02");
  const std::string text(v.at("text").as_string());
  CHECK(text.find("line1\nline2\t\"quoted\" back\\slash \x01\x1f\x7f") == 0);
  CHECK(text.find("bad:\xef\xbf\xbd\xef\xbf\xbd ok:\xc3\xa9") != std::string::npos);  // U+FFFD twice
  CHECK(text.size() > 4);
  CHECK(text.substr(text.size() - 4) == std::string(1, '\0') + "end");
  CHECK(v.at("n").as_int64() == -42);
  CHECK(v.at("u").to_number<std::uint64_t>() == 7);
  CHECK(v.at("d").as_double() == 0.25);
  CHECK(v.at("inf").is_null());
  CHECK(v.at("yes").as_bool() == false);
}

TEST_CASE("log: a bad UTF-8 byte and a control character in a field are written as escapes") {
  const lg::field fields[] = {{"user", std::string_view("a\xff\x1b[2Jb")}};
  lg::record r{lg::level::info, "http", "m", fields, std::chrono::system_clock::time_point{}};
  const std::string line = lg::format_json(r);
  CHECK(line.find(R"("user":"a\ufffd\u001b[2Jb")") != std::string::npos);
  CHECK(boost::json::parse(line).as_object().at("user").as_string() == "a\xef\xbf\xbd\x1b[2Jb");
}

TEST_CASE(
    "log: the default sink writes one JSON line per record on stderr, whole lines from several threads") {
  // Point stderr at a file for the duration of the test.
  char path[] = "/tmp/chatkit_log_test_XXXXXX";
  const int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  std::fflush(stderr);
  const int saved = ::dup(2);
  REQUIRE(saved >= 0);
  REQUIRE(::dup2(fd, 2) == 2);
  auto previous = lg::set_sink({});  // the default
  const auto level_before = lg::get_level();
  lg::set_level(lg::level::info);
  {
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([t] {
        for (int i = 0; i < 50; ++i)
          lg::info("test", "from a thread", {{"thread", t}, {"i", i}, {"ctl", "a\rb"}});
      });
    for (auto& th : threads) th.join();
  }
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  ::close(fd);
  lg::set_sink(std::move(previous));
  lg::set_level(level_before);

  std::ifstream in(path);
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    if (line.find("\"from a thread\"") == std::string::npos) continue;  // another test's output
    auto v = boost::json::parse(line).as_object();
    CHECK(v.at("component").as_string() == "test");
    CHECK(v.at("ctl").as_string() == "a\rb");
    ++lines;
  }
  std::remove(path);
  CHECK(lines == 200);
}

TEST_CASE("log: level names") {
  CHECK(lg::parse_level("debug") == lg::level::debug);
  CHECK(lg::parse_level("WARN") == lg::level::warn);
  CHECK(lg::parse_level("Warning") == lg::level::warn);
  CHECK(lg::parse_level("off") == lg::level::off);
  CHECK_FALSE(lg::parse_level("verbose"));
  CHECK_FALSE(lg::parse_level(""));
  CHECK_FALSE(lg::parse_level("errorerrorerrorerror"));
  for (auto l : {lg::level::trace, lg::level::debug, lg::level::info, lg::level::warn, lg::level::error})
    CHECK(lg::parse_level(lg::to_string(l)) == l);
}
