#include <chatkit/openai/error.hpp>
#include <chatkit/openai/sse_parser.hpp>

#include "fixtures.hpp"

using chatkit::openai::sse_parser;

namespace {

struct ev {
  std::string event, data, id;
  bool operator==(const ev&) const = default;
};

std::ostream& operator<<(std::ostream& os, const ev& e) {
  return os << "{event:" << e.event << " data:" << e.data << " id:" << e.id << "}";
}

void drain(sse_parser& p, std::vector<ev>& out) {
  boost::system::error_code ec;
  while (auto e = p.next(ec))
    out.push_back({std::string(e->event), std::string(e->data), std::string(e->id)});
  REQUIRE_FALSE(ec);
}

std::vector<ev> parse_chunks(const std::vector<std::string_view>& chunks, sse_parser* keep = nullptr) {
  sse_parser local;
  sse_parser& p = keep ? *keep : local;
  std::vector<ev> out;
  for (auto c : chunks) {
    p.feed(c);
    drain(p, out);
  }
  p.finish();
  drain(p, out);
  return out;
}

// The same input must give the same events whole, one byte at a time and split at every position.
void check_all_splits(std::string_view input, const std::vector<ev>& expected) {
  INFO("input: " << input);
  CHECK(parse_chunks({input}) == expected);
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < input.size(); ++i) bytes.push_back(input.substr(i, 1));
  CHECK(parse_chunks(bytes) == expected);
  for (std::size_t i = 0; i <= input.size(); ++i) {
    INFO("split at " << i);
    CHECK(parse_chunks({input.substr(0, i), input.substr(i)}) == expected);
  }
}

}  // namespace

TEST_CASE("sse_parser: the framing rules' conformance table, at every split", "[openai][sse]") {
  check_all_splits("data: a\n\n", {{"", "a", ""}});
  check_all_splits("data: a\r\n\r\n", {{"", "a", ""}});
  check_all_splits("data: a\r\rdata: b\n\n", {{"", "a", ""}, {"", "b", ""}});
  check_all_splits("data:a\n\n", {{"", "a", ""}});
  check_all_splits("data:  a\n\n", {{"", " a", ""}});
  check_all_splits("data: a\ndata: b\n\n", {{"", "a\nb", ""}});
  check_all_splits(": ping\n\ndata: x\n\n", {{"", "x", ""}});
  check_all_splits("event: e1\ndata: {}\n\n", {{"e1", "{}", ""}});
  check_all_splits("id: 7\ndata: x\n\ndata: y\n\n", {{"", "x", "7"}, {"", "y", "7"}});
  check_all_splits("event: x\n\ndata: y\n\n", {{"", "y", ""}});
  check_all_splits("retry: 15x\ndata: z\n\n", {{"", "z", ""}});
  check_all_splits("data\n\n", {{"", "", ""}});
  check_all_splits("foo: bar\ndata: x\n\n", {{"", "x", ""}});
  check_all_splits("data: \xC3\xA9\n\n", {{"", "\xC3\xA9", ""}});
  check_all_splits("data: x\n", {});
  check_all_splits("data: x", {});
  check_all_splits(
      "\xEF\xBB\xBF"
      "data: bom\n\n",
      {{"", "bom", ""}});
  check_all_splits("data: a\r\n\r\ndata: b\r\r", {{"", "a", ""}, {"", "b", ""}});
}

TEST_CASE("sse_parser: retry and id bookkeeping", "[openai][sse]") {
  sse_parser p;
  CHECK(parse_chunks({"retry: 1500\n\n"}, &p).empty());
  REQUIRE(p.retry());
  CHECK(*p.retry() == 1500);

  sse_parser q;
  parse_chunks({"retry: 100\n\nretry: 15x\n\n"}, &q);
  CHECK(*q.retry() == 100);

  sse_parser r;
  parse_chunks({"id: a\0b\ndata: x\n\n"}, &r);  // the NUL is cut by the literal: id "a"
  CHECK(r.last_event_id() == "a");
  const std::string with_nul("id: a\0b\ndata: x\n\n", 17);
  sse_parser s;
  CHECK(parse_chunks({with_nul}, &s) == std::vector<ev>{{"", "x", ""}});  // an id with NUL is ignored
  CHECK(s.last_event_id().empty());
}

TEST_CASE("sse_parser: a final unterminated line still sets fields but is never dispatched",
          "[openai][sse]") {
  sse_parser p;
  p.feed("data: x\n\nid: 9");
  std::vector<ev> out;
  drain(p, out);
  CHECK(out.size() == 1);
  CHECK(p.finish());
  CHECK(p.last_event_id() == "9");
  drain(p, out);
  CHECK(out.size() == 1);

  sse_parser clean;
  clean.feed("data: x\n\n");
  drain(clean, out);
  CHECK_FALSE(clean.finish());
}

TEST_CASE("sse_parser: an event over the size cap is a protocol error", "[openai][sse]") {
  sse_parser p(64);
  p.feed("data: " + std::string(100, 'x') + "\n\n");
  boost::system::error_code ec;
  CHECK_FALSE(p.next(ec));
  CHECK(ec == chatkit::openai::errc::stream_protocol_error);

  sse_parser unterminated(64);
  unterminated.feed(std::string(100, 'x'));
  CHECK_FALSE(unterminated.next(ec));
  CHECK(ec == chatkit::openai::errc::stream_protocol_error);

  sse_parser lines(64);  // many small data lines adding up
  for (int i = 0; i < 20; ++i) lines.feed("data: 0123456789\n");
  bool failed = false;
  while (!failed) {
    auto e = lines.next(ec);
    if (ec) failed = true;
    if (!e && !ec) break;
  }
  CHECK(failed);
}

TEST_CASE("sse_parser: memory stays bounded on a long stream", "[openai][sse]") {
  sse_parser p;
  std::vector<ev> out;
  for (int i = 0; i < 10000; ++i) {
    p.feed("event: e\ndata: {\"n\":" + std::to_string(i) + "}\n\n");
    boost::system::error_code ec;
    while (auto e = p.next(ec)) out.push_back({});
    CHECK(p.buffered() == 0);
  }
  CHECK(out.size() == 10000);
}

namespace {

std::vector<ev> expected_from_fixture(const std::string& name) {
  return parse_chunks({chatkit::openai::test::fixture(name)});
}

}  // namespace

TEST_CASE("sse_parser: every transcript split at every byte position", "[openai][sse]") {
  for (const char* name :
       {"T1_text.sse", "T2_tool_then_text_1.sse", "T2_tool_then_text_2.sse", "T3_parallel_calls_1.sse",
        "T3_parallel_calls_2.sse", "T5_error_mid_stream.sse", "T5b_error_nested.sse", "T5c_failed.sse",
        "T5d_incomplete.sse", "T5e_chat_error.sse", "T6_truncated.sse", "C1_text.sse",
        "C2_parallel_tools.sse", "P1_edge.sse"}) {
    INFO(name);
    const std::string bytes = chatkit::openai::test::fixture(name);
    const auto whole = expected_from_fixture(name);
    REQUIRE_FALSE(whole.empty());
    // Every event's data is one complete JSON document (or [DONE]); the framing lost nothing.
    for (const auto& e : whole) {
      if (e.data == "[DONE]") continue;
      boost::system::error_code ec;
      boost::json::parse(e.data, ec);
      CHECK_FALSE(ec);
    }
    const std::string_view view(bytes);
    for (std::size_t i = 0; i <= view.size(); ++i) {
      if (parse_chunks({view.substr(0, i), view.substr(i)}) != whole) FAIL("mismatch when split at " << i);
    }
    std::vector<std::string_view> ones;
    for (std::size_t i = 0; i < view.size(); ++i) ones.push_back(view.substr(i, 1));
    CHECK(parse_chunks(ones) == whole);
    std::vector<std::string_view> sevens;
    for (std::size_t i = 0; i < view.size(); i += 7) sevens.push_back(view.substr(i, 7));
    CHECK(parse_chunks(sevens) == whole);
  }
}

TEST_CASE("sse_parser: transcript shapes", "[openai][sse]") {
  const auto t1 = expected_from_fixture("T1_text.sse");
  REQUIRE(t1.size() == 11);
  CHECK(t1.front().event == "response.created");
  CHECK(t1.back().event == "response.completed");

  const auto c1 = expected_from_fixture("C1_text.sse");
  REQUIRE(c1.size() == 6);
  CHECK(c1.back().data == "[DONE]");
  CHECK(c1.front().event.empty());

  // The truncated transcript: four events, the partial fifth is discarded.
  CHECK(expected_from_fixture("T6_truncated.sse").size() == 4);

  sse_parser p;
  const auto p1 = parse_chunks({chatkit::openai::test::fixture("P1_edge.sse")}, &p);
  REQUIRE(p1.size() == 11);
  CHECK(p1.front().id == "42");
  CHECK(p1.front().data.find("\n\"response\"") != std::string::npos);  // two data lines joined by LF
  CHECK(p.last_event_id() == "42");
  REQUIRE(p.retry());
  CHECK(*p.retry() == 3000);
}
