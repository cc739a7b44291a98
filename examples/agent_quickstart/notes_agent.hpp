// The agent of examples/agent_quickstart: a notes assistant whose two typed tools are bound to the
// signed-in user. The model sees {"text"} and {} as the tools' parameters; user_id always comes from the
// authenticated request. Used by the agent_quickstart program and tests/integration/agent_quickstart_test.
#pragma once

#include <chatkit/agents/agent.hpp>
#include <chatkit/agents/agent_server.hpp>
#include <chatkit/agents/json_schema.hpp>
#include <chatkit/agents/model.hpp>
#include <chatkit/agents/openai_api.hpp>
#include <chatkit/agents/run_context.hpp>
#include <chatkit/agents/tool.hpp>
#include <chatkit/openai/client_options.hpp>
#include <chatkit/store/store.hpp>

#include <boost/describe/class.hpp>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace chatkit::examples {

// The application's own data: notes per user, in memory. Every call names the user explicitly — the
// tools pass the authenticated caller, never a value the model chose.
class note_store {
 public:
  void add(const std::string& user_id, std::string text);
  std::vector<std::string> list(const std::string& user_id) const;
  std::size_t size() const;  // all users' notes together

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<std::string>, std::less<>> notes_;
};

// [note_args]
struct add_note_args {
  std::string text;
  std::string user_id;  // bound to the caller by bind_user_id(): not in the schema the model sees
  static constexpr agents::field_doc field_docs[] = {{"text", "The note, in the user's own words"}};
};
BOOST_DESCRIBE_STRUCT(add_note_args, (), (text, user_id))

struct list_notes_args {
  std::string user_id;  // bound as well: the model calls list_notes with {}
};
BOOST_DESCRIBE_STRUCT(list_notes_args, (), (user_id))
// [note_args]

agents::function_tool add_note_tool(std::shared_ptr<note_store> notes);
agents::function_tool list_notes_tool(std::shared_ptr<note_store> notes);
agents::agent notes_agent(std::shared_ptr<note_store> notes, std::string model);

struct quickstart_options {
  std::shared_ptr<store::store> store;  // the ChatKit threads (memory, SQLite, ...)
  std::shared_ptr<note_store> notes;
  openai::client_options openai;  // unset fields: OPENAI_API_KEY, OPENAI_BASE_URL, ...
  // The API the model speaks: Chat Completions for servers that only have that (Ollama, vLLM, llama.cpp
  // server, LiteLLM); see docs/openai-client.md#which-api-for-which-server.
  agents::openai_api api = agents::openai_api::responses;
  std::string model = "gpt-4.1-mini";
  // Where attempts of the model to set user_id go (default: one line on stderr).
  agents::binding_violation_logger on_binding_violation;
};

// The ChatKit server of the quickstart: agents::agent_server running notes_agent every turn.
std::shared_ptr<agents::agent_server> make_notes_server(quickstart_options options);

}  // namespace chatkit::examples
