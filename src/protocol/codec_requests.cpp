// Codec instantiations for requests, and the strict parser for untrusted request bodies.
#include "detail/codec.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/stream_parser.hpp>

namespace chatkit::protocol {

namespace {

// Parses into `storage` (a monotonic arena for short-lived trees, or the default heap).
boost::json::value parse_into(std::string_view text, const read_limits& limits,
                              boost::json::storage_ptr storage) {
  if (text.size() > limits.max_body_bytes)
    throw chatkit::error(errc::payload_too_large, "(root): body of " + std::to_string(text.size()) +
                                                      " bytes exceeds the limit of " +
                                                      std::to_string(limits.max_body_bytes) + " bytes");
  if (text.empty()) throw chatkit::error(errc::invalid_request, "(root): empty body");
  boost::json::parse_options options;
  options.max_depth = limits.max_depth;
  boost::json::stream_parser parser(storage, options);
  boost::system::error_code ec;
  const std::size_t consumed = parser.write_some(text.data(), text.size(), ec);
  if (!ec && consumed < text.size()) ec = boost::json::error::extra_data;
  if (!ec) parser.finish(ec);
  if (ec) {
    std::string message = "(root): ";
    if (ec == boost::json::error::too_deep) {
      message += "nesting deeper than " + std::to_string(limits.max_depth) + " levels";
    } else {
      message += "malformed JSON (" + ec.message() + ") at byte " + std::to_string(consumed);
    }
    throw chatkit::error(errc::invalid_request, std::move(message));
  }
  return parser.release();
}

}  // namespace

boost::json::value parse_json_text(std::string_view text, const read_limits& limits) {
  return parse_into(text, limits, {});
}

boost::json::value parse_json_text(std::string_view text, const read_limits& limits,
                                   boost::json::storage_ptr storage) {
  return parse_into(text, limits, std::move(storage));
}

request parse_request(std::string_view body, const read_limits& limits) {
  // The parsed tree only lives while it is read into the typed request: an arena (first 4 KiB on the stack)
  // replaces hundreds of small allocations with a few.
  unsigned char buffer[4096];
  boost::json::monotonic_resource arena(buffer, sizeof buffer);
  const boost::json::value v = parse_into(body, limits, &arena);
  return read_json<request>(v, limits);
}

}  // namespace chatkit::protocol

using namespace chatkit::protocol;

CHATKIT_INSTANTIATE_CODEC(user_message_input)
CHATKIT_INSTANTIATE_CODEC(action)
CHATKIT_INSTANTIATE_CODEC(request)
CHATKIT_INSTANTIATE_CODEC(threads_create)
CHATKIT_INSTANTIATE_CODEC(threads_add_user_message)
CHATKIT_INSTANTIATE_CODEC(threads_add_client_tool_output)
CHATKIT_INSTANTIATE_CODEC(threads_add_structured_input)
CHATKIT_INSTANTIATE_CODEC(threads_custom_action)
CHATKIT_INSTANTIATE_CODEC(threads_retry_after_item)
CHATKIT_INSTANTIATE_CODEC(threads_sync_custom_action)
CHATKIT_INSTANTIATE_CODEC(threads_get_by_id)
CHATKIT_INSTANTIATE_CODEC(threads_list)
CHATKIT_INSTANTIATE_CODEC(threads_update)
CHATKIT_INSTANTIATE_CODEC(threads_delete)
CHATKIT_INSTANTIATE_CODEC(items_list)
CHATKIT_INSTANTIATE_CODEC(items_feedback)
CHATKIT_INSTANTIATE_CODEC(attachments_create)
CHATKIT_INSTANTIATE_CODEC(attachments_delete)
CHATKIT_INSTANTIATE_CODEC(input_transcribe)
