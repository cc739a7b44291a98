// The single-pass request reader against the tree reader (detail/request_parser.hpp): on the request
// fixtures, the fuzz seeds, every truncation and many one-byte mutations of them, and bodies made to reach
// the parser's partial strings, duplicate members and the limits. Wherever the single pass gives a request,
// it is the tree reader's request; wherever it throws, the tree reader throws the same error; parse_request
// always answers what the tree reader answers.
#include "protocol/detail/request_parser.hpp"
#include "support/fixtures.hpp"

#include <chatkit/protocol.hpp>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace cp = chatkit::protocol;
using chatkit::testing::fixtures_dir;
using chatkit::testing::json_files;
using chatkit::testing::read_file;

namespace {

// A reader's answer: the request written with every field, or the error (code, path, message).
struct outcome {
  bool parsed = false;
  std::string text;
  bool operator==(const outcome&) const = default;
};

outcome from_error(const chatkit::error& e) {
  return {false, std::to_string(e.code().value()) + " [" + e.path() + "] " + e.message()};
}

outcome tree(std::string_view body, const cp::read_limits& limits) {
  try {
    return {true, cp::to_json(cp::detail::read_request_tree(body, limits), cp::audience::storage)};
  } catch (const chatkit::error& e) {
    return from_error(e);
  }
}

outcome public_parse(std::string_view body, const cp::read_limits& limits) {
  try {
    return {true, cp::to_json(cp::parse_request(body, limits), cp::audience::storage)};
  } catch (const chatkit::error& e) {
    return from_error(e);
  }
}

// The single pass's answer, or std::nullopt when it hands the body back.
std::optional<outcome> single(std::string_view body, const cp::read_limits& limits) {
  try {
    auto r = cp::detail::read_request_single_pass(body, limits);
    if (!r) return std::nullopt;
    return outcome{true, cp::to_json(*r, cp::audience::storage)};
  } catch (const chatkit::error& e) {
    return from_error(e);
  }
}

struct tally {
  int answered = 0;  // the single pass parsed or threw
  int handed_back = 0;
};

// The property, for one body; returns whether the single pass answered itself.
void check_same(std::string_view body, const cp::read_limits& limits, tally& t) {
  const outcome reference = tree(body, limits);
  const auto fast = single(body, limits);
  if (fast) {
    ++t.answered;
    if (*fast != reference) {
      INFO("body: " << body);
      CHECK(fast->text == reference.text);
      CHECK(fast->parsed == reference.parsed);
    }
  } else {
    ++t.handed_back;
  }
  const outcome answer = public_parse(body, limits);
  if (answer != reference) {
    INFO("body: " << body);
    CHECK(answer.text == reference.text);
  }
}

std::vector<std::string> request_fixtures() {
  std::vector<std::string> bodies;
  for (const auto& f : json_files(fixtures_dir() / "protocol" / "requests")) bodies.push_back(read_file(f));
  return bodies;
}

std::vector<std::string> fuzz_seeds() {
  std::vector<std::string> bodies;
  const auto dir = fixtures_dir().parent_path() / "fuzz" / "corpus" / "request_parser";
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.is_regular_file()) bodies.push_back(read_file(e.path()));
  return bodies;
}

cp::read_limits small_limits() {
  cp::read_limits limits;
  limits.max_depth = 6;
  limits.max_string_bytes = 24;
  limits.max_array_items = 2;
  return limits;
}

}  // namespace

TEST_CASE("the single pass reads every request fixture itself, to the tree reader's request",
          "[protocol][request_parser]") {
  const auto bodies = request_fixtures();
  REQUIRE(bodies.size() >= 16);
  for (const auto& body : bodies) {
    INFO(body);
    const auto fast = single(body, {});
    REQUIRE(fast.has_value());  // the plain form of every request is the single pass's own
    CHECK(fast->parsed);
    CHECK(*fast == tree(body, {}));
    // Written back (the server's form) and read again: still the pass's own, still the same.
    const std::string written = cp::to_json(cp::parse_request(body));
    const auto again = single(written, {});
    REQUIRE(again.has_value());
    CHECK(*again == tree(written, {}));
  }
}

TEST_CASE("the single pass agrees with the tree reader on the fuzz seeds", "[protocol][request_parser]") {
  const auto seeds = fuzz_seeds();
  REQUIRE(seeds.size() >= 30);
  tally t;
  for (const auto& body : seeds) {
    check_same(body, {}, t);
    check_same(body, small_limits(), t);
  }
  CHECK(t.answered >= 30);  // the valid seeds at least
}

TEST_CASE("the single pass agrees with the tree reader on every truncation and on one-byte mutations",
          "[protocol][request_parser]") {
  auto bodies = request_fixtures();
  for (auto& s : fuzz_seeds()) bodies.push_back(std::move(s));
  // Bytes that change a JSON's shape: quotes, brackets, separators, escapes, scalars' first letters, a digit.
  const std::string replacements = "\"{}[],:\\ntf0- x";
  tally t;
  for (const auto& body : bodies) {
    for (std::size_t n = 0; n < body.size(); ++n) check_same(std::string_view(body).substr(0, n), {}, t);
    for (std::size_t i = 0; i < body.size(); ++i) {
      for (char c : replacements) {
        if (body[i] == c) continue;
        std::string mutated = body;
        mutated[i] = c;
        check_same(mutated, {}, t);
      }
      std::string without = body;
      without.erase(i, 1);
      check_same(without, {}, t);
    }
  }
  // Most mutants are malformed JSON, which the single pass reports itself; the rest are handed back.
  CHECK(t.answered > 1000);
  CHECK(t.handed_back > 1000);
}

TEST_CASE("the single pass: bodies out of its plain form are handed back, and parse_request still reads them",
          "[protocol][request_parser]") {
  const std::string cases[] = {
      // `type` after another member: the tree reader takes it; the pass hands it back.
      R"({"params":{"thread_id":"t"},"type":"threads.get_by_id"})",
      R"({"type":"threads.create","params":{"input":{"content":[{"text":"hi","type":"input_text"}],"attachments":[],"inference_options":{}}}})",
      // A member given twice (the tree reader keeps the last).
      R"({"type":"threads.get_by_id","params":{"thread_id":"a","thread_id":"b"}})",
      R"({"type":"threads.get_by_id","params":{"thread_id":5},"params":{"thread_id":"a"}})",
      R"({"type":"threads.add_structured_input","params":{"thread_id":"t","item_id":"i","input":{"answers":{"a":{"values":["x"]},"a":{"skipped":true}}}}})",
      R"({"type":"threads.get_by_id","params":{"thread_id":"a"},"type":"threads.delete"})",
  };
  tally t;
  for (const auto& body : cases) {
    INFO(body);
    CHECK_FALSE(single(body, {}).has_value());
    CHECK(public_parse(body, {}).parsed);
    check_same(body, {}, t);
  }
  CHECK(std::get<cp::threads_get_by_id>(cp::parse_request(cases[2])).params.thread_id == "b");
}

TEST_CASE("the single pass: free JSON, skipped members, nulls and numbers as the tree reader has them",
          "[protocol][request_parser]") {
  const std::string cases[] = {
      R"({"type":"threads.custom_action","params":{"thread_id":"t","item_id":null,"action":{"type":"x","payload":{"a":[1,-2,3.5,true,false,null,"s",{"b":{}},[]],"a":0}}},"metadata":{"k":[{"z":null}],"k":1}})",
      R"({"type":"threads.custom_action","params":{"thread_id":"t","action":{"type":"x","payload":null}}})",
      R"({"type":"threads.sync_custom_action","params":{"thread_id":"t","action":{"type":"x","payload":"text"}}})",
      R"({"type":"threads.add_client_tool_output","params":{"thread_id":"t","result":null}})",
      R"({"type":"threads.add_client_tool_output","params":{"thread_id":"t","result":18446744073709551615}})",
      R"({"type":"threads.add_client_tool_output","params":{"thread_id":"t","result":[[[[]]],{"x":{"y":[1e300]}}]}})",
      R"({"type":"threads.list","params":{"limit":9223372036854775807,"order":null,"after":null},"zz":{"a":[{"b":[[{}]]}]},"yy":[1,{"c":"d"}],"xx":"s"})",
      R"({"type":"threads.list","params":{"limit":9223372036854775808}})",
      R"({"type":"threads.list","params":{"limit":-0}})",
      R"({"type":"threads.list","params":{"limit":1.0}})",
      R"({"type":"attachments.create","params":{"name":"a","size":-9223372036854775808,"mime_type":"m"}})",
      R"({"type":"items.feedback","params":{"thread_id":"t","item_ids":[],"kind":"negative"}})",
      R"({"type":"threads.add_structured_input","params":{"thread_id":"t","item_id":"i","input":{}}})",
      R"({"type":"threads.add_structured_input","params":{"thread_id":"t","item_id":"i","input":{"status":"skipped","answers":{"":{},"b":{"values":[],"skipped":true,"other":[1]}}}}})",
      R"({"type":"threads.create","params":{"input":{"content":[{"type":"input_tag","id":"e","text":"t","data":{},"group":null,"type":"input_tag"}],"attachments":["a","b"],"quoted_text":null,"inference_options":{"tool_choice":null,"model":null}}}})",
      R"({"type":"threads.create","params":{"input":{"content":[{"type":"input_tag","id":"e","text":"t","data":{},"type":"input_text"}],"attachments":[],"inference_options":{}}}})",
      R"({"type":"threads.create","params":{"input":{"content":[{"type":"input_text","text":"t"}],"attachments":[],"inference_options":{}},"input":{}}})",
      R"({"type":"threads.update","params":{"thread_id":"t","title":""},"metadata":null})",
      R"({"type":"threads.update","params":{"thread_id":"t","title":"x"},"metadata":{}} )",
      R"( {"type":"threads.delete","params":{"thread_id":"t"}})",
      R"({"type":"threads.delete","params":{"thread_id":"t"},"params":{"thread_id":"t"}})",
      R"({"type":"threads.delete","params":{"\u0074hread_id":"t\u00e9\ud83d\ude00"}})",
      R"({"\u0074ype":"threads.delete","params":{"thread_id":"t"}})",
      R"({"type":"threads.delete","params":{"thread_id":"t"}}{})",
      R"({"type":"input.transcribe","params":{"audio_base64":"aGk=","mime_type":"audio/webm"}})",
  };
  tally t;
  for (const auto& body : cases) {
    check_same(body, {}, t);
    check_same(body, small_limits(), t);
  }
  CHECK(t.answered >= 20);
}

TEST_CASE("a widget action's payload keeps its nulls at every depth, with either reader",
          "[protocol][request_parser][widget]") {
  const std::string payload = R"({"n":1,"z":null,"deep":{"q":null,"list":[null,{"r":null}]}})";
  for (const std::string type : {"threads.custom_action", "threads.sync_custom_action"}) {
    const std::string body = R"({"type":")" + type + R"(","params":{"thread_id":"t","item_id":"msg_1",)" +
                             R"("action":{"type":"press","payload":)" + payload + "}}}";
    INFO(body);
    const auto expected = boost::json::parse(payload);
    const auto check = [&](const cp::request& r) {
      const auto& action = type == "threads.custom_action"
                               ? std::get<cp::threads_custom_action>(r).params.action
                               : std::get<cp::threads_sync_custom_action>(r).params.action;
      REQUIRE(action.payload.has_value());
      CHECK(*action.payload == expected);
      CHECK(cp::to_json(r).find(R"("payload":)" + payload) != std::string::npos);
    };
    check(cp::parse_request(body));
    check(cp::detail::read_request_tree(body, {}));
    const auto fast = cp::detail::read_request_single_pass(body, {});
    REQUIRE(fast.has_value());
    check(*fast);
  }
}

TEST_CASE("the single pass: strings and member names the parser hands over in parts",
          "[protocol][request_parser]") {
  // Escapes make the parser copy a string through its own buffer, which it passes on in parts when full.
  std::string escaped;
  for (int i = 0; i < 3000; ++i) escaped += i % 3 == 0 ? "\\n\\u00e9" : "ab\\\"";
  const std::string bodies[] = {
      R"({"type":"threads.update","params":{"thread_id":"t","title":")" + escaped + R"("}})",
      R"({"type":"threads.update","params":{"thread_id":"t","title":"x",")" + escaped + R"(":1}})",
      R"({"type":"threads.create","params":{"input":{"content":[{"type":"input_tag","id":"e","text":"t","data":{")" +
          escaped + R"(":")" + escaped + R"("}}],"attachments":[],"inference_options":{}}}})",
      R"({"type":"threads.list","params":{},"note":")" + escaped + R"("})",
  };
  cp::read_limits limits;
  tally t;
  for (const auto& body : bodies) {
    check_same(body, limits, t);
    check_same(body.substr(0, body.size() - 3), limits, t);
  }
  CHECK(t.answered >= 4);
  // At and just past the string limit: the part that crosses it hands the body back, with the tree reader's
  // error.
  const std::size_t decoded = std::get<cp::threads_update>(cp::parse_request(bodies[0])).params.title.size();
  for (std::size_t limit : {decoded - 1, decoded, decoded + 1, std::size_t{4096}, std::size_t{4095}}) {
    limits.max_string_bytes = limit;
    for (const auto& body : bodies) check_same(body, limits, t);
  }
}

TEST_CASE("the single pass: the limits, as the tree reader applies them", "[protocol][request_parser]") {
  std::string deep_payload =
      R"({"type":"threads.custom_action","params":{"thread_id":"t","action":{"type":"x","payload":)";
  deep_payload += std::string(10, '[') + std::string(10, ']') + "}}}";
  const std::string cases[] = {
      deep_payload,
      R"({"type":"items.feedback","params":{"thread_id":"t","item_ids":["a","b","c"],"kind":"positive"}})",
      R"({"type":"threads.list","params":{},"extra":[1,2,3]})",
      R"({"type":"threads.list","params":{},"extra":{"a":{"b":{"c":{"d":{"e":{}}}}}}})",
      R"({"type":"threads.list","params":{},"a_member_name_of_30_bytes____":1})",
      R"({"type":"threads.update","params":{"thread_id":"t","title":"a title of exactly 24 b."}})",
      R"({"type":"threads.update","params":{"thread_id":"t","title":"a title of exactly 25 by."}})",
      R"({"type":"threads.update","params":{"thread_id":"t","title":"a title of exactly 25 by."} x)",
      R"({"type":"threads.custom_action","params":{"thread_id":"t","action":{"type":"x","payload":[1,2,3]}}} x)",
      R"({"type":"threads.list","params":{"limit":)" + std::string(2000, '1') + "}}",
  };
  const cp::read_limits limits = small_limits();
  tally t;
  for (const auto& body : cases) {
    check_same(body, limits, t);
    check_same(body, {}, t);
    cp::read_limits tiny_body;
    tiny_body.max_body_bytes = 40;
    check_same(body, tiny_body, t);
  }
  check_same("", {}, t);
  check_same("   ", {}, t);
}
