#include <chatkit/openai/responses_decoder.hpp>

#include "openai/detail/payload.hpp"

namespace chatkit::openai {

responses_decoder::responses_decoder(decoder_options opts) : sse_(opts.max_event_size), opts_(opts) {}

void responses_decoder::set_request_id(std::string id) {
  request_id_ = std::move(id);
  acc_.current().request_id = request_id_;
}

void responses_decoder::fail(errc kind, std::string message, std::string_view offending) const {
  error_details d;
  d.message = std::move(message);
  d.request_id = request_id_;
  d.body = detail::excerpt(offending);
  throw api_error(kind, std::move(d));
}

std::optional<response_event> responses_decoder::next() {
  while (!done_) {
    boost::system::error_code ec;
    auto ev = sse_.next(ec);
    if (ec) fail(errc::stream_protocol_error, "SSE event larger than the configured maximum");
    if (!ev) return std::nullopt;
    if (detail::is_blank(ev->data) || detail::is_done_marker(ev->data)) continue;

    auto obj = detail::parse_object(json_, ev->data, ec);
    if (ec) fail(errc::stream_protocol_error, "event data is not a JSON object", ev->data);
    auto parsed = parse_response_event(std::move(obj));
    if (!parsed) fail(errc::stream_protocol_error, "malformed Responses event", ev->data);
    response_event event = std::move(*parsed);

    const auto seq = event_common(event).sequence_number;
    if (seq < 0 && !opts_.lenient_sequence) fail(errc::stream_protocol_error, "event without sequence_number", ev->data);
    if (seq >= 0) {
      if (last_sequence_ >= 0 && seq <= last_sequence_)
        fail(errc::stream_protocol_error, "sequence_number did not increase", ev->data);
      last_sequence_ = seq;
    }
    if (auto* err = std::get_if<error_event>(&event)) {
      done_ = true;
      error_details d;
      d.code = err->code;
      d.message = err->message;
      d.param = err->param;
      d.type = err->error_type;
      d.request_id = request_id_;
      d.body = detail::excerpt(ev->data);
      throw api_error(errc::stream_error, std::move(d));
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
  if (!done_) fail(errc::stream_truncated, "the stream ended before a terminal event");
}

}  // namespace chatkit::openai
