// Choosing the OpenAI API an agent's model speaks: the Responses API (openai_responses_model) or Chat
// Completions (openai_chat_model). Which server needs which:
// docs/openai-client.md#which-api-for-which-server.
#pragma once

#include <chatkit/agents/model.hpp>
#include <chatkit/agents/openai_chat_model.hpp>
#include <chatkit/openai/client_options.hpp>

#include <memory>
#include <optional>
#include <string_view>

namespace chatkit::agents {

enum class openai_api { responses, chat };

// "responses" or "chat" (also "chat_completions" / "chat-completions"); throws std::invalid_argument
// naming the accepted values otherwise.
openai_api parse_openai_api(std::string_view name);
std::string_view to_string(openai_api api) noexcept;

// The `OPENAI_API` environment variable: nullopt when unset or empty; throws like parse_openai_api.
std::optional<openai_api> openai_api_from_env();

// An openai_responses_model or an openai_chat_model over a client made from `options`.
std::shared_ptr<model> make_openai_model(openai_api api, openai::client_options options,
                                         chat_model_options chat = {});

}  // namespace chatkit::agents
