// docs/protocol.md walks through this program: parse an untrusted request, build events, write SSE frames.
#include <chatkit/protocol.hpp>

#include <cstdio>
#include <string>

namespace cp = chatkit::protocol;

int main() {
  // 1. Parse a request body strictly. Errors name the JSON path.
  const auto request = cp::parse_request(
      R"({"type":"threads.create","params":{"input":{"content":[{"type":"input_text","text":"Hi"}],"attachments":[],"inference_options":{}}}})");
  std::printf("request type: %s (streams: %s)\n", std::string(cp::request_type(request)).c_str(),
              cp::is_streaming(request) ? "yes" : "no");

  try {
    (void)cp::parse_request(R"({"type":"threads.list","params":{"order":"up"}})");
  } catch (const chatkit::error& e) {
    std::printf("rejected: %s (HTTP %d)\n", e.message().c_str(), chatkit::http_status(e.code()));
  }

  // 2. Build an assistant message and stream it as SSE frames.
  cp::assistant_message_item msg;
  msg.id = "msg_e3c1a2b4";
  msg.thread_id = "thr_b3216804";
  msg.created_at = cp::timestamp::now();
  std::string frames;
  cp::append_sse_frame(frames, cp::item_added_event{msg});
  cp::append_sse_frame(frames, cp::item_updated_event{msg.id, cp::content_part_text_delta{0, "Hello"}});
  msg.content.push_back(cp::output_text{{}, "Hello"});
  cp::append_sse_frame(frames, cp::item_done_event{msg});
  std::fputs(frames.c_str(), stdout);

  // 3. Round-trip an item through JSON (what a store does), keeping private fields.
  const std::string stored = cp::to_json(cp::thread_item{msg}, cp::audience::storage);
  const auto back = cp::from_json_text<cp::thread_item>(stored);
  std::printf("round trip: %s\n", cp::item_id(back) == msg.id ? "ok" : "MISMATCH");
  return cp::item_id(back) == msg.id ? 0 : 1;
}
