#include <chatkit/openai/responses_decoder.hpp>

#include "openai/detail/payload.hpp"

namespace chatkit::openai {

responses_decoder::responses_decoder(decoder_options opts) : sse_(opts.max_event_size), opts_(opts) {}

void responses_decoder::set_request_id(std::string id) {
  request_id_ = std::move(id);
  acc_.current().request_id = request_id_;
}

std::optional<response_event> responses_decoder::next() {
  while (!done_) {
    auto p = detail::next_payload(sse_, json_, request_id_, "event");
    if (!p) return std::nullopt;
    if (p->done_marker) continue;  // a Responses stream ends with its terminal event, not [DONE]
    const auto protocol_failure = [&](const char* message) {
      return detail::stream_failure(errc::stream_protocol_error, message, request_id_, p->data);
    };
    if (p->lone_surrogates) detail::replace_lone_surrogates(p->object);
    auto parsed = parse_response_event(std::move(p->object));
    if (!parsed) throw protocol_failure("malformed Responses event");
    response_event event = std::move(*parsed);

    const auto seq = event_common(event).sequence_number;
    if (seq < 0 && !opts_.lenient_sequence) throw protocol_failure("event without sequence_number");
    if (seq >= 0) {
      if (last_sequence_ >= 0 && seq <= last_sequence_)
        throw protocol_failure("sequence_number did not increase");
      last_sequence_ = seq;
    }
    if (auto* err = std::get_if<error_event>(&event)) {
      done_ = true;
      error_details d;
      d.code = err->code;
      d.message = err->message;
      d.param = err->param;
      d.type = err->error_type;
      throw detail::stream_failure(errc::stream_error, std::move(d), request_id_, p->data);
    }
    acc_.apply(event);
    if (is_terminal(event)) done_ = true;
    ++delivered_;
    return event;
  }
  return std::nullopt;
}

void responses_decoder::finish() {
  sse_.finish();
  if (!done_)
    throw detail::stream_failure(errc::stream_truncated, "the stream ended before a terminal event",
                                 request_id_);
}

}  // namespace chatkit::openai
