// chatkit_server — the ChatKit server core: every ChatKit request (docs/server.md#requests). Subclass it,
// implement respond(), and hand it to a transport (chatkit::http::server, or your own framework through
// request_processor::process).
//
//   class my_bot : public chatkit::server::chatkit_server {
//     using chatkit_server::chatkit_server;
//     boost::asio::awaitable<void> respond(respond_args args, event_emitter& out) override { ... }
//   };
#pragma once

#include <chatkit/protocol/events.hpp>
#include <chatkit/protocol/json_io.hpp>
#include <chatkit/protocol/requests.hpp>
#include <chatkit/request_context.hpp>
#include <chatkit/server/error.hpp>
#include <chatkit/server/event_emitter.hpp>
#include <chatkit/server/request_processor.hpp>
#include <chatkit/store/store.hpp>

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace chatkit::server {

struct server_options {
  protocol::read_limits limits;  // applied to every request body
  std::size_t default_page_size = 20;
  std::size_t max_page_size = 100;  // larger `limit`s are clamped
};

// Everything respond() gets about the turn it answers.
struct respond_args {
  protocol::thread_metadata& thread;                // mutable: changes are saved and announced
  const protocol::user_message_item* user_message;  // null after a client tool output or structured input
  const request_context& ctx;
};

struct action_args {
  protocol::thread_metadata& thread;
  const protocol::action& action;
  const protocol::widget_item* sender;  // the widget the action came from, if any
  const request_context& ctx;
};

struct audio_input {
  std::string data;        // decoded bytes
  std::string mime_type;   // as sent, e.g. "audio/webm;codecs=opus"
  std::string media_type;  // up to the first ';', e.g. "audio/webm"
};

class chatkit_server : public request_processor {
 public:
  explicit chatkit_server(std::shared_ptr<store::store> store,
                          std::shared_ptr<store::attachment_store> attachments = nullptr,
                          server_options options = {});
  ~chatkit_server() override;

  boost::asio::awaitable<process_result> process(std::string body, request_context ctx) override;
  // The same for an already parsed request.
  boost::asio::awaitable<process_result> process(protocol::request request, request_context ctx);

  store::store& store() noexcept { return *store_; }
  const server_options& options() const noexcept { return options_; }

 protected:
  // ---- hooks (docs/server.md#hooks) ----
  // Required: answer a new user message (or continue after a client tool output / structured input).
  virtual boost::asio::awaitable<void> respond(respond_args args, event_emitter& out) = 0;
  // A widget action (threads.custom_action). Default: not implemented (→ an error event).
  virtual boost::asio::awaitable<void> action(action_args args, event_emitter& out);
  // threads.sync_custom_action. Return the updated item to send back (the server does not persist it).
  // `args.sender` is null when the request names no item. Default: chatkit::errc::not_implemented (HTTP 501).
  virtual boost::asio::awaitable<std::optional<protocol::thread_item>> sync_action(action_args args);
  // items.feedback, after the server checked that the thread and every item belong to the caller. Default:
  // no-op.
  virtual boost::asio::awaitable<void> add_feedback(const std::string& thread_id,
                                                    const std::vector<std::string>& item_ids,
                                                    protocol::feedback_kind kind, const request_context& ctx);
  // input.transcribe. Default: chatkit::errc::not_implemented.
  virtual boost::asio::awaitable<std::string> transcribe(audio_input audio, const request_context& ctx);
  virtual protocol::stream_options get_stream_options(const protocol::thread_metadata& thread,
                                                      const request_context& ctx);
  // Runs when the stream is cancelled mid-way (client gone). Default (docs/server.md#cancellation): persist
  // pending assistant messages that have non-whitespace text, drop other pending items, add the
  // sdk_hidden_context note.
  virtual boost::asio::awaitable<void> handle_stream_cancelled(protocol::thread_metadata& thread,
                                                               std::vector<protocol::thread_item> pending,
                                                               const request_context& ctx);

 private:
  struct impl;
  std::shared_ptr<store::store> store_;
  std::shared_ptr<store::attachment_store> attachments_;
  server_options options_;
  friend struct impl;
};

// The text of the note the default handle_stream_cancelled stores.
inline constexpr std::string_view cancelled_note =
    "The user cancelled the stream. Stop responding to the prior request.";

}  // namespace chatkit::server
