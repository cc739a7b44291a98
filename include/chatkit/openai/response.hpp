// The Responses API's Response object and its output items, as plain
// value types. Every item keeps its raw JSON (`raw`) so it can be replayed verbatim as input and so
// callers can read fields the SDK does not model; unknown item types are kept only as raw JSON.
#pragma once

#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chatkit::openai {

// Token counts; a missing count is 0. Chat Completions usage maps onto the same fields.
struct usage {
  std::int64_t input_tokens = 0;
  std::int64_t cached_tokens = 0;       // input_tokens_details.cached_tokens
  std::int64_t cache_write_tokens = 0;  // input_tokens_details.cache_write_tokens
  std::int64_t output_tokens = 0;
  std::int64_t reasoning_tokens = 0;  // output_tokens_details.reasoning_tokens
  std::int64_t total_tokens = 0;
  bool operator==(const usage&) const = default;
};

// One content part of a message (output_text, refusal, reasoning_text) or of a reasoning summary.
struct content_part {
  std::string type;                // "output_text", "refusal", "reasoning_text", "summary_text", ...
  std::string text;                // the text, or the refusal for type "refusal"
  boost::json::array annotations;  // output_text only (url_citation, file_citation, ...)
};

struct output_item {
  std::string type;  // "message", "function_call", "reasoning", or any other type (see raw)
  std::string id;
  std::string status;  // "in_progress", "completed", "incomplete", may be empty

  // type == "message"
  std::string role;
  std::string phase;  // "commentary" / "final_answer" when the API sent it
  std::vector<content_part> content;

  // type == "function_call"
  std::string call_id;
  std::string name;
  std::string arguments;  // a JSON document as a string

  // type == "reasoning"
  std::vector<content_part> summary;
  std::string encrypted_content;

  // The item as the API last sent it (output_item.done, or the terminal response); for an item that only
  // streamed (output_item.added and deltas), the accumulator refreshes it at the end of the response
  // (response_accumulator.hpp). Replay this.
  boost::json::object raw;

  bool is_message() const noexcept { return type == "message"; }
  bool is_function_call() const noexcept { return type == "function_call"; }
  bool is_reasoning() const noexcept { return type == "reasoning"; }
};

struct response {
  std::string id;
  std::string status;  // completed, failed, in_progress, cancelled, queued, incomplete
  std::string model;
  std::int64_t created_at = 0;
  std::vector<output_item> output;
  std::optional<openai::usage> usage;
  std::string error_code;         // status "failed": response.error.code
  std::string error_message;      // status "failed": response.error.message
  std::string incomplete_reason;  // status "incomplete": incomplete_details.reason
  std::string request_id;         // x-request-id of the HTTP response that carried it
  boost::json::object raw;        // the Response object as received (empty when synthesized)

  // Client convenience, not a wire field: every output_text part of every message item, in order.
  std::string output_text() const;
  // The function_call items, in output order.
  std::vector<const output_item*> function_calls() const;
};

// Parsers for objects received from the API. They ignore unknown fields; a missing required field
// or a wrong type is an error (stream_protocol_error), never a crash.
boost::system::result<openai::usage> parse_usage(const boost::json::object& o);
boost::system::result<output_item> parse_output_item(const boost::json::object& o);
boost::system::result<content_part> parse_content_part(const boost::json::object& o);
boost::system::result<response> parse_response(const boost::json::object& o);

}  // namespace chatkit::openai
