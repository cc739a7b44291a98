// The model interface over the Chat Completions endpoint (POST /chat/completions), for the many
// OpenAI-compatible providers that do not speak the Responses API. An agent runs unchanged against either
// model: the runner's Responses request body is translated to a Chat request (to_chat_request), and the Chat
// chunks are turned back into Responses streaming events plus an accumulated openai::response whose output
// items carry Responses-shaped `raw` JSON (chat_event_synthesizer), so history replays through the same
// translation on the next turn.
//
//   auto client = std::make_shared<const openai::client>(ex, opts);  // any compatible base URL
//   auto model = std::make_shared<agents::openai_chat_model>(client);
//   auto run = agents::run_streamed(agent, "Hi", ctx, {.model = model});
//
// What does not translate (docs/agents.md#the-model-interface):
//   * hosted tools (web_search, file_search, ...), a hosted tool_choice, previous_response_id,
//     conversation, stored prompts, item references and replayed hosted-tool items → user_error
//     ("... not supported by Chat Completions"); so do images given by file_id, input_file by URL, and
//     images or files inside a tool output (Chat tool messages carry text only).
//   * reasoning items in the input are dropped (Chat has no way to send them back); reasoning.summary,
//     include, truncation and max_tool_calls are Responses-only settings and are dropped.
//   * only choice 0 is streamed (n > 1 is not supported by the agents layer).
//   * any other top-level key is passed through unchanged (prompt_cache_key, safety_identifier,
//     service_tier, user, seed, provider-specific extras ...), so Chat-only parameters can be sent via
//     model_settings' extra_body.
#pragma once

#include <chatkit/agents/model.hpp>
#include <chatkit/openai/chat_completions.hpp>
#include <chatkit/openai/response.hpp>
#include <chatkit/openai/response_accumulator.hpp>
#include <chatkit/openai/response_events.hpp>

#include <boost/json/object.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace chatkit::openai {
class client;
struct client_options;
}  // namespace chatkit::openai

namespace chatkit::agents {

namespace detail {
class owned_client;
}

struct chat_request_options {
  // The role of the leading message that carries `instructions`: "system" (what most compatible providers
  // expect) or "developer" (OpenAI's newer models). System and developer input messages keep their role.
  std::string instructions_role = "system";
};

// Translates a Responses request body (what the runner builds) into a Chat Completions request body.
// Throws user_error for what Chat Completions cannot express (see the file comment). Drops "stream" (the
// client sets it). A given stream_options gets include_usage: true unless it has a value (the usage chunk is
// where response.completed's usage comes from); without stream_options the client adds that itself.
boost::json::object to_chat_request(const boost::json::object& responses_request,
                                    const chat_request_options& options = {});

// Sans-IO: Chat Completions chunks in, Responses streaming events out, in the order a Responses stream has
// (output_item.added, content_part.added, deltas, the done events, output_item.done, response.completed).
//
//   chat_event_synthesizer s;
//   for (auto& chunk : chunks) for (auto& ev : s.feed(chunk)) handle(ev);
//   for (auto& ev : s.finish()) handle(ev);                  // after `data: [DONE]`
//   const openai::response& r = s.current();
//
// Events: response.created (id = the completion id) with the first chunk; for text, output_item.added
// (message `msg_<completion id>`) → content_part.added → output_text.delta per fragment (refusal fragments
// likewise as a refusal part); for every tool call, keyed by its chunk `index` (fragments may interleave),
// output_item.added (function_call `fc_<call_id>`) → function_call_arguments.delta per fragment. Items are
// opened in order of first appearance and get output_index 0, 1, ...; a tool call is opened once its id and
// name are known (its earlier argument fragments are then sent as one delta). When choice 0 reports its
// finish_reason, every open item is closed (*.done, content_part.done, output_item.done, in output order);
// finish() then emits the terminal event: response.incomplete (reason max_output_tokens for "length",
// content_filter for "content_filter") or response.completed, with the usage of the usage chunk mapped onto
// the Responses names. sequence_number starts at 0 and increases by 1. Each event is built as its wire JSON
// and parsed with openai::parse_response_event, so `raw` fields look exactly like a Responses stream's.
class chat_event_synthesizer {
 public:
  // The events produced by one chunk (possibly none). Chunks after finish() are ignored.
  std::vector<openai::response_event> feed(const openai::chat_chunk& chunk);
  // The stream ended (`data: [DONE]`): closes what is still open and emits the terminal event. Idempotent.
  std::vector<openai::response_event> finish();

  // The response accumulated from the emitted events (openai::response_accumulator); final after finish().
  const openai::response& current() const noexcept { return acc_.current(); }
  bool done() const noexcept { return finished_; }
  // Stamped on current().request_id (the x-request-id of the HTTP response).
  void set_request_id(std::string id);

 private:
  struct tool_call_state {
    std::string call_id;
    std::string name;
    std::string arguments;           // everything received so far
    std::int64_t output_index = -1;  // -1 until opened
    bool closed = false;
  };
  struct part_state {
    std::string type;  // "output_text" or "refusal"
    std::string text;
  };

  void emit(std::vector<openai::response_event>& out, boost::json::object event);
  void ensure_created(std::vector<openai::response_event>& out);
  void text_fragment(std::vector<openai::response_event>& out, const std::string& type,
                     const std::string& text);
  void tool_fragment(std::vector<openai::response_event>& out, const openai::chat_tool_call_delta& d);
  void reasoning_fragment(std::vector<openai::response_event>& out, const std::string& text);
  void close_reasoning(std::vector<openai::response_event>& out);
  boost::json::object reasoning_item(const char* status) const;
  void open_call(std::vector<openai::response_event>& out, std::size_t index);
  void close_items(std::vector<openai::response_event>& out);
  boost::json::object message_item(const char* status) const;
  boost::json::object call_item(const tool_call_state& call, const char* status) const;
  boost::json::object response_object(const char* status) const;
  std::string message_id() const { return "msg_" + id_; }

  openai::response_accumulator acc_;
  std::string request_id_;
  std::string id_;
  std::string model_;
  std::int64_t created_at_ = 0;
  std::int64_t sequence_ = 0;
  std::int64_t next_output_index_ = 0;
  std::int64_t message_index_ = -1;  // output_index of the message item, -1 while there is none
  // The reasoning item (`reasoning_content` / `reasoning` deltas): output_index (-1 while there is none),
  // the text so far, and whether it is closed (it closes when anything else starts).
  std::int64_t reasoning_index_ = -1;
  std::string reasoning_text_;
  bool reasoning_closed_ = false;
  std::vector<part_state> parts_;
  std::vector<tool_call_state> calls_;  // by chunk tool-call index
  std::vector<std::int64_t> order_;     // opened items in output order: -1 = the message, else a calls_ index
  std::string finish_reason_;
  std::optional<openai::chat_usage> usage_;
  bool created_ = false;
  bool items_closed_ = false;
  bool finished_ = false;
};

struct chat_model_options {
  chat_request_options request;
};

// The Chat Completions endpoint through chatkit::openai::client. Like openai_responses_model, one model (one
// client, one keep-alive pool) serves every run: each client operation runs on the client's executor and is
// awaited from the caller's (with an io_context run by several threads, create the client on a strand).
// cancel() and the awaiting coroutine's cancellation close the connection.
class openai_chat_model final : public model {
 public:
  // Owns a client made from `options` and one I/O thread that runs it (as openai_responses_model does).
  explicit openai_chat_model(openai::client_options client_options, chat_model_options options = {});
  explicit openai_chat_model(std::shared_ptr<const openai::client> client, chat_model_options options = {});
  ~openai_chat_model() override;
  openai_chat_model(const openai_chat_model&) = delete;
  openai_chat_model& operator=(const openai_chat_model&) = delete;
  boost::asio::awaitable<std::unique_ptr<model_stream>> stream(boost::json::object request) override;

 private:
  std::unique_ptr<detail::owned_client> owned_;  // only with the owning constructor
  std::shared_ptr<const openai::client> client_;
  chat_model_options options_;
};

}  // namespace chatkit::agents
