// server/error.hpp: the server error category, the stream errors a hook throws and the error events they
// become (docs/server.md#error-events), and what counts as a cancellation.
#include "harness.hpp"

#include <chatkit/server/error.hpp>

#include <boost/asio/error.hpp>
#include <catch2/catch.hpp>

using namespace chatkit::testing;
using namespace chatkit::testing::frames;
namespace cp = chatkit::protocol;
namespace srv = chatkit::server;

TEST_CASE("stream errors carry the error event's fields and the server category", "[server][errors]") {
  const srv::custom_stream_error custom("Nope.", true);
  CHECK(custom.code() == srv::errc::stream_error);
  CHECK(custom.code().category().name() == std::string("chatkit.server"));
  CHECK(custom.event_code() == "custom");
  CHECK(custom.message() == std::optional<std::string>("Nope."));
  CHECK(custom.allow_retry());
  CHECK_FALSE(srv::custom_stream_error("x").allow_retry());

  const srv::coded_stream_error coded("quota");
  CHECK(coded.event_code() == "quota");
  CHECK_FALSE(coded.message());
  CHECK_FALSE(coded.allow_retry());
  CHECK(srv::coded_stream_error().allow_retry());  // "stream.error" is retryable by default
  CHECK_FALSE(srv::coded_stream_error("stream.error", false).allow_retry());

  // Both are stream_error, hence boost::system::system_error.
  CHECK_THROWS_AS(throw srv::custom_stream_error("x"), srv::stream_error);
  CHECK_THROWS_AS(throw srv::coded_stream_error(), boost::system::system_error);
}

TEST_CASE("is_cancellation: stream_cancelled and aborted operations, nothing else", "[server][errors]") {
  CHECK(srv::is_cancellation(std::make_exception_ptr(srv::stream_cancelled())));
  CHECK(srv::is_cancellation(
      std::make_exception_ptr(boost::system::system_error(boost::asio::error::operation_aborted))));
  CHECK(srv::stream_cancelled().code() == srv::errc::stream_cancelled);
  CHECK_FALSE(srv::is_cancellation(std::make_exception_ptr(srv::coded_stream_error())));
  CHECK_FALSE(srv::is_cancellation(std::make_exception_ptr(std::runtime_error("x"))));
  CHECK_FALSE(srv::is_cancellation(nullptr));
}

TEST_CASE("hook errors become error events; persisted state matches what was sent", "[server][errors]") {
  harness h;
  SECTION("an exception after the first delta") {
    auto s = h.stream(create_body("fail"));
    CHECK(s.types() == types{"thread.created", done, "stream_options", added, "thread.updated", part_added,
                             delta, "error"});
    CHECK(s.events.back() == json::parse(R"({"type":"error","code":"stream.error","allow_retry":true})"));
    CHECK(h.stored_items(thread_id_of(s), h.alice).size() == 1);  // the pending reply is not persisted
  }
  SECTION("a custom error before anything, title announced after it") {
    auto s = h.stream(create_body("custom error"));
    CHECK(s.types() == types{"thread.created", done, "stream_options", "error", "thread.updated"});
    CHECK(s.events[3] ==
          json::parse(
              R"({"type":"error","code":"custom","message":"The echo bot refused.","allow_retry":true})"));
    CHECK(run_sync(h.ioc, h.store->load_thread(thread_id_of(s), h.alice)).title == "custom error");
  }
  SECTION("a coded error") {
    auto s = h.stream(create_body("stream error"));
    CHECK(s.events[3] == json::parse(R"({"type":"error","code":"stream.error","allow_retry":false})"));
  }
  SECTION("the echo bot's stream N above its bound: a clear error, nothing allocated or stored") {
    auto s = h.stream(create_body("stream 10001"));
    CHECK(s.types() == types{"thread.created", done, "stream_options", "error", "thread.updated"});
    CHECK(
        s.events[3] ==
        json::parse(
            R"({"type":"error","code":"custom","message":"stream N: N is at most 10000.","allow_retry":false})"));
    CHECK(h.stored_items(thread_id_of(s), h.alice).size() == 1);  // the user's message only
  }
}
