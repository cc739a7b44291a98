// Sans-IO decoder of a Responses SSE body: bytes in, typed events out, with the stream rules of
// docs/openai-client.md#stream-rules — dispatch on the JSON `type`, sequence numbers must increase,
// `[DONE]` and blank payloads are ignored, the `error` event raises, and a body that ends before a
// terminal event is a truncation. The network stream (client.hpp) is a thin adapter around it.
#pragma once

#include <chatkit/openai/error.hpp>
#include <chatkit/openai/response_accumulator.hpp>
#include <chatkit/openai/response_events.hpp>
#include <chatkit/openai/sse_parser.hpp>

#include <boost/json/parser.hpp>

#include <cstddef>
#include <optional>
#include <string>

namespace chatkit::openai {

struct decoder_options {
  std::size_t max_event_size = sse_parser::default_max_event_size;
  // Accept events without sequence_number (some gateways strip it). Order is still checked when present.
  bool lenient_sequence = false;
};

class responses_decoder {
 public:
  explicit responses_decoder(decoder_options opts = {});

  void feed(std::string_view bytes) { sse_.feed(bytes); }

  // The next event, or nullopt when more input is needed or the stream is over (see done()).
  // Throws api_error: stream_error for an `error` event (earlier events were delivered already),
  // stream_protocol_error for invalid JSON, an oversize event or a non-increasing sequence_number.
  // Every event is applied to the accumulator before it is returned.
  std::optional<response_event> next();

  // The body ended. Throws api_error(stream_truncated) unless a terminal event was delivered.
  void finish();

  // A terminal event was delivered; the rest of the body is ignored.
  bool done() const noexcept { return done_; }
  const response_accumulator& accumulator() const noexcept { return acc_; }
  response_accumulator& accumulator() noexcept { return acc_; }

  // Attached to every error raised, and to the accumulated response.
  void set_request_id(std::string id);
  const std::string& request_id() const noexcept { return request_id_; }
  std::size_t events_delivered() const noexcept { return delivered_; }

 private:
  sse_parser sse_;
  boost::json::parser json_;
  response_accumulator acc_;
  decoder_options opts_;
  std::string request_id_;
  std::int64_t last_sequence_ = -1;
  std::size_t delivered_ = 0;
  bool done_ = false;
};

}  // namespace chatkit::openai
