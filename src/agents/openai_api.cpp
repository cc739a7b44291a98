#include <chatkit/agents/openai_api.hpp>

#include <chatkit/agents/openai_responses_model.hpp>

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace chatkit::agents {

openai_api parse_openai_api(std::string_view name) {
  if (name == "responses") return openai_api::responses;
  if (name == "chat" || name == "chat_completions" || name == "chat-completions") return openai_api::chat;
  throw std::invalid_argument("unknown OpenAI API \"" + std::string(name) + "\" (use chat or responses)");
}

std::string_view to_string(openai_api api) noexcept {
  return api == openai_api::chat ? "chat" : "responses";
}

std::optional<openai_api> openai_api_from_env() {
  const char* v = std::getenv("OPENAI_API");
  if (v == nullptr || *v == '\0') return std::nullopt;
  return parse_openai_api(v);
}

std::shared_ptr<model> make_openai_model(openai_api api, openai::client_options options,
                                         chat_model_options chat) {
  if (api == openai_api::chat)
    return std::make_shared<openai_chat_model>(std::move(options), std::move(chat));
  return std::make_shared<openai_responses_model>(std::move(options));
}

}  // namespace chatkit::agents
