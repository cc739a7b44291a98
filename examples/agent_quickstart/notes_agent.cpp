#include "notes_agent.hpp"

#include <chatkit/agents/context_binding.hpp>
#include <chatkit/agents/typed_tool.hpp>
#include <chatkit/openai/client.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>

#include <cstdio>
#include <exception>
#include <utility>

namespace chatkit::examples {

namespace asio = boost::asio;

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
  auto tool = agents::typed_tool<add_note_args>(
      "add_note", "Save a note for the user.", [notes](add_note_args a) -> std::string {
        // a.user_id is the authenticated caller: bind_user_id() filled it, the model cannot set it.
        notes->add(a.user_id, std::move(a.text));
        return "Saved. Notes so far: " + std::to_string(notes->list(a.user_id).size()) + ".";
      });
  return agents::bind_context(std::move(tool), {agents::bind_user_id()});
}
// [add_note_tool]

agents::function_tool list_notes_tool(std::shared_ptr<note_store> notes) {
  auto tool = agents::typed_tool<list_notes_args>(
      "list_notes", "List the user's notes, oldest first.",
      [notes](list_notes_args a) { return notes->list(a.user_id); });  // sent to the model as a JSON array
  return agents::bind_context(std::move(tool), {agents::bind_user_id()});
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

namespace {

class per_call_stream final : public agents::model_stream {
 public:
  per_call_stream(std::shared_ptr<const agents::model> model, std::unique_ptr<agents::model_stream> inner)
      : model_(std::move(model)), inner_(std::move(inner)) {}
  asio::awaitable<std::optional<openai::response_event>> next() override { return inner_->next(); }
  const openai::response& current() const noexcept override { return inner_->current(); }
  void cancel() noexcept override { inner_->cancel(); }

 private:
  std::shared_ptr<const agents::model> model_;  // holds the client; declared first, destroyed last
  std::unique_ptr<agents::model_stream> inner_;
};

// agent_server plus two things an operator wants: failed turns on stderr (the client only sees a generic
// stream.error), and attempts to set a bound parameter sent to a logger of the deployment's choice (the
// call itself is refused either way).
class notes_server final : public agents::agent_server {
 public:
  notes_server(std::shared_ptr<store::store> store, agents::agent a, agents::agent_server_options options,
               agents::binding_violation_logger on_violation)
      : agent_server(std::move(store), std::move(a), std::move(options)),
        on_violation_(std::move(on_violation)) {}

 protected:
  asio::awaitable<void> respond(server::respond_args args, server::event_emitter& out) override {
    try {
      co_await agent_server::respond(args, out);
    } catch (const std::exception& e) {  // e.g. a wrong OPENAI_API_KEY or an unreachable OPENAI_BASE_URL
      std::fprintf(stderr, "agent_quickstart: the turn in %s failed: %s\n", args.thread.id.c_str(), e.what());
      throw;
    }
  }

  void prepare(agents::run_context& ctx, const server::respond_args&) override {
    if (on_violation_) ctx.on_binding_violation = on_violation_;
  }

 private:
  agents::binding_violation_logger on_violation_;
};

}  // namespace

per_call_openai_model::per_call_openai_model(openai::client_options options) : options_(std::move(options)) {
  asio::io_context probe;  // the constructor validates the key and the URLs; no I/O happens
  openai::client check(probe.get_executor(), options_);
}

// [per_call_model]
asio::awaitable<std::unique_ptr<agents::model_stream>> per_call_openai_model::stream(
    boost::json::object request) {
  auto executor = co_await asio::this_coro::executor;
  auto client = std::make_shared<const openai::client>(executor, options_);
  auto model = std::make_shared<agents::openai_responses_model>(std::move(client));
  auto inner = co_await model->stream(std::move(request));
  co_return std::make_unique<per_call_stream>(std::move(model), std::move(inner));
}
// [per_call_model]

std::shared_ptr<agents::agent_server> make_notes_server(quickstart_options o) {
  agents::agent_server_options options;
  options.run.model = std::make_shared<per_call_openai_model>(std::move(o.openai));
  return std::make_shared<notes_server>(std::move(o.store),
                                        notes_agent(std::move(o.notes), std::move(o.model)),
                                        std::move(options), std::move(o.on_binding_violation));
}

}  // namespace chatkit::examples
