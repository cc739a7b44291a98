#include "notes_agent.hpp"

#include <chatkit/agents/context_binding.hpp>
#include <chatkit/agents/typed_tool.hpp>

#include <cstdio>
#include <exception>
#include <utility>

namespace chatkit::examples {

void note_store::add(const std::string& user_id, std::string text) {
  std::lock_guard lock(mutex_);
  notes_[user_id].push_back(std::move(text));
}

std::vector<std::string> note_store::list(const std::string& user_id) const {
  std::lock_guard lock(mutex_);
  auto it = notes_.find(user_id);
  return it == notes_.end() ? std::vector<std::string>{} : it->second;
}

std::size_t note_store::size() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [user, notes] : notes_) n += notes.size();
  return n;
}

// [add_note_tool]
agents::function_tool add_note_tool(std::shared_ptr<note_store> notes) {
  return agents::typed_tool<add_note_args>(
      "add_note", "Save a note for the user.",
      [notes](add_note_args a) -> std::string {
        // a.user_id is the authenticated caller: bind_user_id() filled it, the model cannot set it.
        notes->add(a.user_id, std::move(a.text));
        return "Saved. Notes so far: " + std::to_string(notes->list(a.user_id).size()) + ".";
      },
      {agents::bind_user_id()});
}
// [add_note_tool]

agents::function_tool list_notes_tool(std::shared_ptr<note_store> notes) {
  return agents::typed_tool<list_notes_args>(
      "list_notes", "List the user's notes, oldest first.",
      [notes](list_notes_args a) { return notes->list(a.user_id); },  // sent to the model as a JSON array
      {agents::bind_user_id()});
}

agents::agent notes_agent(std::shared_ptr<note_store> notes, std::string model) {
  agents::agent a;
  a.name = "Notes";
  a.instructions = std::string(
      "You keep short notes for the signed-in user. Save what they ask you to remember with add_note and "
      "read their notes with list_notes. Answer in one or two sentences.");
  a.model = std::move(model);
  a.tools = {add_note_tool(notes), list_notes_tool(notes)};
  return a;
}

// [make_notes_server]
std::shared_ptr<agents::agent_server> make_notes_server(quickstart_options o) {
  agents::agent_server_options options;
  // One client (one keep-alive pool, its own I/O thread) for every connection of the HTTP server.
  options.run.model = agents::make_openai_model(o.api, std::move(o.openai));
  options.on_binding_violation = std::move(o.on_binding_violation);
  // The client only sees a generic stream.error; the operator sees why (a wrong key, an unreachable URL).
  options.on_run_error = [](const server::respond_args& args, std::exception_ptr e) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      std::fprintf(stderr, "agent_quickstart: the turn in %s failed: %s\n", args.thread.id.c_str(),
                   ex.what());
    } catch (...) {
      std::fprintf(stderr, "agent_quickstart: the turn in %s failed\n", args.thread.id.c_str());
    }
  };
  return std::make_shared<agents::agent_server>(
      std::move(o.store), notes_agent(std::move(o.notes), std::move(o.model)), std::move(options));
}
// [make_notes_server]

}  // namespace chatkit::examples
