// Chat Completions streaming (docs/openai-client.md#chat-completions): typed chunks, the accumulator that
// assembles tool-call fragments by `index` (fragments of several calls may interleave), and the sans-IO
// decoder of the SSE body (`data: [DONE]` terminates; a chunk with an `error` key raises).
#pragma once

#include <chatkit/openai/error.hpp>
#include <chatkit/openai/response.hpp>
#include <chatkit/openai/sse_parser.hpp>

#include <boost/json/object.hpp>
#include <boost/json/parser.hpp>
#include <boost/system/result.hpp>

#include <memory>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace chatkit::openai {

// Chat usage with the Chat field names; to_usage() maps it onto the Responses names.
struct chat_usage {
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  std::int64_t total_tokens = 0;
  std::int64_t cached_tokens = 0;     // prompt_tokens_details.cached_tokens
  std::int64_t reasoning_tokens = 0;  // completion_tokens_details.reasoning_tokens
  openai::usage to_usage() const noexcept;
};

struct chat_tool_call_delta {
  std::int64_t index = 0;
  std::optional<std::string> id;
  std::optional<std::string> type;
  std::optional<std::string> name;
  std::string arguments;  // fragment ("" when absent)
};

struct chat_delta {
  std::optional<std::string> role;
  std::optional<std::string> content;  // a text fragment; nullopt for null/absent
  std::optional<std::string> refusal;
  // Reasoning text some servers stream (`reasoning_content`, or `reasoning` as a string).
  std::optional<std::string> reasoning;
  // The tool calls; a legacy `function_call` delta appears here as the call of index 0.
  std::vector<chat_tool_call_delta> tool_calls;
};

struct chat_chunk_choice {
  std::int64_t index = 0;
  chat_delta delta;
  std::string finish_reason;  // "" while the choice is still streaming
};

struct chat_chunk {
  std::string id;
  std::string model;
  std::int64_t created = 0;
  std::vector<chat_chunk_choice> choices;
  std::optional<chat_usage> usage;  // the usage chunk (choices empty) when include_usage is on
  boost::json::object raw;
};

boost::system::result<chat_chunk> parse_chat_chunk(boost::json::object&& o);

struct chat_tool_call {
  std::string id;
  std::string type = "function";
  std::string name;
  std::string arguments;
};

struct chat_choice {
  std::int64_t index = 0;
  std::string role;
  std::string content;
  std::string refusal;
  std::string reasoning;                   // `reasoning_content` / `reasoning`, when the server sends it
  std::vector<chat_tool_call> tool_calls;  // ordered by the fragments' index; a legacy `function_call` too
  std::string finish_reason;
};

// The assembled completion (also what a non-streaming create returns).
struct chat_completion {
  std::string id;
  std::string model;
  std::int64_t created = 0;
  std::vector<chat_choice> choices;  // ordered by choice index
  std::optional<chat_usage> usage;
  std::string request_id;
  boost::json::object raw;  // non-streaming only: the body as received
};

// Parses a non-streaming `chat.completion` object.
boost::system::result<chat_completion> parse_chat_completion(const boost::json::object& o);

// The Responses view of a completed chat choice (what the Agents SDK does so a runner consumes one model):
// a `message` item with the text (and refusal) when there is any, then one `function_call` item per tool
// call (call_id = the tool call id), usage mapped onto the Responses names; status "completed", or
// "incomplete" with reason max_output_tokens / content_filter for finish_reason length / content_filter.
response to_response(const chat_completion& c, std::int64_t choice_index = 0);

class chat_accumulator {
 public:
  void apply(const chat_chunk& c);
  const chat_completion& current() const noexcept { return completion_; }
  chat_completion& current() noexcept { return completion_; }

 private:
  chat_choice& choice(std::int64_t index);
  chat_completion completion_;
};

class chat_decoder {
 public:
  explicit chat_decoder(std::size_t max_event_size = sse_parser::default_max_event_size)
      : sse_(max_event_size) {}

  void feed(std::string_view bytes) { sse_.feed(bytes); }
  // The next chunk (applied to the accumulator), or nullopt when more input is needed or after
  // [DONE]. Throws api_error: stream_error for a chunk with `error`, stream_protocol_error for bad JSON.
  // Lone surrogate escapes are accepted (docs/openai-client.md#lone-surrogates): a character split
  // across two chunks is joined; an unpaired surrogate becomes U+FFFD (one still held back at [DONE]
  // comes in a last chunk of its own).
  std::optional<chat_chunk> next();
  // The body ended. Like openai-node, a stream without [DONE] is complete when every choice has a
  // finish_reason (and there was at least one); otherwise throws api_error(stream_truncated).
  void finish();
  bool done() const noexcept { return done_; }
  const chat_accumulator& accumulator() const noexcept { return acc_; }
  chat_accumulator& accumulator() noexcept { return acc_; }
  void set_request_id(std::string id);
  const std::string& request_id() const noexcept { return request_id_; }
  std::size_t chunks_delivered() const noexcept { return delivered_; }

 private:
  sse_parser sse_;
  boost::json::parser json_;
  chat_accumulator acc_;
  std::string request_id_;
  std::size_t delivered_ = 0;
  bool done_ = false;
  struct joiner;  // surrogates held back between chunks; allocated only when a chunk needs it
  struct joiner_deleter {
    void operator()(joiner*) const noexcept;
  };
  std::unique_ptr<joiner, joiner_deleter> joiner_;
  void fix_surrogates(chat_chunk& c, bool lone_surrogates);
  std::optional<chat_chunk> flush_held();
};

}  // namespace chatkit::openai
