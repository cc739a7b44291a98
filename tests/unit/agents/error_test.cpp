// error.hpp: one category, one errc per kind, typed exceptions carrying those codes with what() = message.
#include <chatkit/agents/error.hpp>

#include <catch2/catch.hpp>

using namespace chatkit::agents;

TEST_CASE("error: every typed exception carries its errc in the agents category", "[agents][error]") {
  CHECK(std::string(agents_category().name()) == "chatkit.agents");
  CHECK(make_error_code(errc::tool_timeout).category() == agents_category());
  const boost::system::error_code ec = errc::max_turns_exceeded;  // is_error_code_enum
  CHECK(ec.message() == "max turns exceeded");

  const max_turns_exceeded turns(3);
  CHECK(turns.code() == errc::max_turns_exceeded);
  CHECK(std::string(turns.what()) == "max turns (3) exceeded");  // the message alone
  CHECK(turns.max_turns() == 3);

  CHECK(user_error("no model").code() == errc::user_error);
  CHECK(model_behavior_error("refused").code_value() == errc::model_behavior);
  const model_response_error failed("incomplete", "max_output_tokens", "");
  CHECK(failed.code() == errc::model_response);
  CHECK(std::string(failed.what()) == "model response incomplete (max_output_tokens)");
  CHECK(failed.reason() == "max_output_tokens");
  CHECK(tool_timeout_error("slow", 0.5).code() == errc::tool_timeout);

  // A tool's argument refusal is a system_error too, but not a run error.
  const tool_argument_error bad("$.city: expected string");
  CHECK(bad.code() == errc::invalid_tool_arguments);
  CHECK(std::string(bad.what()) == "$.city: expected string");
  CHECK_FALSE(std::is_base_of_v<agent_error, tool_argument_error>);
  CHECK(std::is_base_of_v<boost::system::system_error, agent_error>);
}
