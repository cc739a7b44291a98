// Codec instantiations: stream events and item updates, and SSE framing.
#include "detail/codec.hpp"

namespace chatkit::protocol {

void append_sse_frame(std::string& out, const stream_event& e) {
  out.append("data: ", 6);
  json_writer w(out, audience::client);
  detail::write_value(w, e);
  out.append("\n\n", 2);
}

}  // namespace chatkit::protocol

using namespace chatkit::protocol;

CHATKIT_INSTANTIATE_CODEC(item_update)
CHATKIT_INSTANTIATE_CODEC(stream_options)
CHATKIT_INSTANTIATE_CODEC(stream_event)
