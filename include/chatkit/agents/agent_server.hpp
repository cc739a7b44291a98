// agent_server — a complete ChatKit server whose answers come from an agent: each turn loads the thread's
// history, converts it to model input (thread_item_converter), runs the agent with the caller bound into
// its run_context, and streams the run through stream_agent_response. Tools see the caller via
// run_context::caller() and the ChatKit turn via run_context::chatkit().
//
//   auto model = std::make_shared<agents::openai_responses_model>(openai::client_options{});  // env key/URL
//   auto bot = std::make_shared<agents::agent_server>(store, my_agent,
//                                                     agents::agent_server_options{.run = {.model = model}});
//   chatkit::http::server http(bot, {.endpoint = {.authenticate = chatkit::http::jwt_bearer_auth(...)}});
#pragma once

#include <chatkit/agents/agent.hpp>
#include <chatkit/agents/agent_context.hpp>
#include <chatkit/agents/runner.hpp>
#include <chatkit/agents/stream_agent_response.hpp>
#include <chatkit/agents/thread_item_converter.hpp>
#include <chatkit/server/chatkit_server.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <exception>
#include <functional>
#include <memory>

namespace chatkit::agents {

struct agent_server_options {
  run_options run;                                   // the model (required), max_turns, settings, hooks, ...
  std::size_t history_limit = 100;                   // newest thread items given to the model each turn
  std::shared_ptr<thread_item_converter> converter;  // default: thread_item_converter
  stream_agent_response_options stream_options;      // generated-image URLs, expected partial images
  server::server_options server;
  std::shared_ptr<store::attachment_store> attachments;
  // Attempts of the model to set a bound tool parameter (empty: log_binding_violation, through chatkit::log).
  // They are refused either way.
  binding_violation_logger on_binding_violation;
  // A turn that failed (the client gets a generic stream.error): log it here. Not called for a client that
  // went away. Empty: an error record through chatkit::log ("agents", "run failed", thread_id, error).
  std::function<void(const server::respond_args&, std::exception_ptr)> on_run_error;
};

class agent_server : public server::chatkit_server {
 public:
  agent_server(std::shared_ptr<store::store> store, agents::agent agent, agent_server_options options);

  const agents::agent& agent() const noexcept { return agent_; }

 protected:
  boost::asio::awaitable<void> respond(server::respond_args args, server::event_emitter& out) override;

  // Customisation points. The agent for this turn (default: the configured one).
  virtual boost::asio::awaitable<agents::agent> agent_for(const server::respond_args& args);
  // The model input for this turn (default: the newest history_limit items, converted).
  virtual boost::asio::awaitable<boost::json::array> input_for(const server::respond_args& args);
  // The run_context for this turn: `caller` is the authenticated request; set app_data or a binding
  // violation logger here.
  virtual void prepare(run_context& ctx, const server::respond_args& args);

 private:
  agents::agent agent_;
  agent_server_options options_;
};

}  // namespace chatkit::agents
