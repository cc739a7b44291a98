// The deterministic echo bot described in examples/echo_server/README.md, on chatkit::server::chatkit_server.
// Used by the echo_server example, the server scenario tests and the benchmarks.
#pragma once

#include <chatkit/server/chatkit_server.hpp>
#include <chatkit/store/store.hpp>

#include <map>
#include <mutex>
#include <set>
#include <string>

namespace chatkit::examples {

class echo_bot : public server::chatkit_server {
 public:
  using chatkit_server::chatkit_server;

 protected:
  boost::asio::awaitable<void> respond(server::respond_args args, server::event_emitter& out) override;
  boost::asio::awaitable<void> action(server::action_args args, server::event_emitter& out) override;
  boost::asio::awaitable<std::string> transcribe(server::audio_input audio,
                                                 const request_context& ctx) override;
};

// Streams `text` as one assistant message split into `parts` (the echo of README.md).
boost::asio::awaitable<void> stream_echo(server::event_emitter& out, const std::string& text);

// attachments.create for the echo bot: a file (or image) attachment with a fake upload URL and integration
// metadata; deleting an unknown (or another user's) attachment is not_found.
class echo_attachment_store : public store::attachment_store {
 public:
  boost::asio::awaitable<protocol::attachment> create_attachment(
      const protocol::attachments_create_params& params, const request_context& ctx) override;
  boost::asio::awaitable<void> delete_attachment(std::string attachment_id,
                                                 const request_context& ctx) override;

 private:
  std::mutex mutex_;
  std::set<std::pair<std::string, std::string>> owned_;  // (user, attachment id)
};

// UTF-8 helpers: the first `n` code points of `s`, and `s` split at code point boundaries.
std::string first_code_points(std::string_view s, std::size_t n);
std::size_t count_code_points(std::string_view s);

}  // namespace chatkit::examples
