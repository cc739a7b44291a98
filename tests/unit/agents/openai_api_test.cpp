// openai_api: the names OPENAI_API and --openai-api accept, and the model each one makes.
#include <chatkit/agents/openai_api.hpp>
#include <chatkit/agents/openai_chat_model.hpp>
#include <chatkit/agents/openai_responses_model.hpp>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <stdexcept>

using namespace chatkit::agents;

TEST_CASE("openai_api: names, environment and the model made", "[agents][openai_api]") {
  CHECK(parse_openai_api("chat") == openai_api::chat);
  CHECK(parse_openai_api("chat_completions") == openai_api::chat);
  CHECK(parse_openai_api("responses") == openai_api::responses);
  CHECK_THROWS_AS(parse_openai_api("Chat"), std::invalid_argument);
  CHECK(to_string(openai_api::chat) == "chat");

  ::unsetenv("OPENAI_API");
  CHECK_FALSE(openai_api_from_env());
  ::setenv("OPENAI_API", "chat", 1);
  CHECK(openai_api_from_env() == openai_api::chat);
  ::setenv("OPENAI_API", "bogus", 1);
  CHECK_THROWS_AS(openai_api_from_env(), std::invalid_argument);
  ::unsetenv("OPENAI_API");

  chatkit::openai::client_options o;
  o.api_key = "k";
  o.base_url = "http://127.0.0.1:9/v1";
  CHECK(dynamic_cast<openai_chat_model*>(make_openai_model(openai_api::chat, o).get()) != nullptr);
  CHECK(dynamic_cast<openai_responses_model*>(make_openai_model(openai_api::responses, o).get()) != nullptr);
}
