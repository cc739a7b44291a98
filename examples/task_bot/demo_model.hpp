// The demo model: a local server speaking the OpenAI Responses API (streamed, as server-sent events) on
// 127.0.0.1, answering from the phrasebook (demo_phrasebook.hpp). The task bot starts it when no
// OPENAI_API_KEY is set (or with --demo-model) and points the SDK's real openai_responses_model at it, so
// the client, SSE parsing, run loop, tools and ChatKit bridge all run for real.
#pragma once

#include "demo_phrasebook.hpp"

#include <chatkit/http/server.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace task_bot {

// The Responses stream of a reply: response.created, the function calls or the message (in a few
// deltas), response.completed.
std::string responses_sse(const demo_reply& reply, const std::string& model);

class demo_model {
 public:
  demo_model();
  ~demo_model();
  demo_model(const demo_model&) = delete;
  demo_model& operator=(const demo_model&) = delete;

  void start();  // binds an ephemeral port on 127.0.0.1
  void stop();
  // "http://127.0.0.1:<port>/v1", the OPENAI_BASE_URL of the client.
  std::string base_url() const;
  std::uint64_t requests() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace task_bot
