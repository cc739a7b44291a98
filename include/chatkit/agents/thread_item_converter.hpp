// thread_item_converter — turns stored ChatKit thread items into Responses API input items, the model input
// of the next turn (the rules: docs/agents.md#history-thread_item_converter). The texts are those of the
// Python ChatKit SDK's ThreadItemConverter, word for word, so a thread replays to the model exactly as the
// Python SDK would replay it.
//
//   struct my_converter : chatkit::agents::thread_item_converter {
//     boost::asio::awaitable<boost::json::object> attachment_to_message_content(
//         const chatkit::protocol::attachment& a) override {
//       co_return boost::json::object{{"type", "input_file"}, {"file_id", co_await upload(a)}};
//     }
//   };
//   my_converter conv;
//   boost::json::array input = co_await conv.to_agent_input(items);  // items ascending, hidden ones included
//
// Every conversion is a virtual hook. Each item hook appends zero or more input items to `out`. Two hooks
// have no sensible default and throw user_error naming the hook to override: attachments
// (attachment_to_message_content) and @-mention tags (tag_to_message_content); hidden context whose content
// is not a string also needs an override (hidden_context_to_input).
//
// The hooks are coroutines because a conversion may need I/O (reading an attachment, resolving a tag). The
// items passed by reference must outlive the awaited call.
#pragma once

#include <chatkit/agents/error.hpp>
#include <chatkit/protocol/attachment.hpp>
#include <chatkit/protocol/content.hpp>
#include <chatkit/protocol/items.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <string_view>
#include <vector>

namespace chatkit::agents {

// The first content part of the message that carries the @-mention context (the tag parts follow it).
inline constexpr std::string_view tag_preamble =
    "# User-provided context for @-mentions\n"
    "- When referencing resolved entities, use their canonical names **without** '@'.\n"
    "- The '@' form appears only in user text and should not be echoed.";

// {"role":"user","type":"message","content":[{"type":"input_text","text":text}]} — the shape of every
// explanatory message the converter generates.
boost::json::object user_text_message(std::string_view text);

class thread_item_converter {
 public:
  thread_item_converter() = default;
  thread_item_converter(const thread_item_converter&) = default;
  thread_item_converter& operator=(const thread_item_converter&) = default;
  virtual ~thread_item_converter();

  // Converts `items` in the given order and concatenates the results. The last element is converted with
  // is_last = true (only user messages use it: their quoted text is replayed for the last item only).
  boost::asio::awaitable<boost::json::array> to_agent_input(const std::vector<protocol::thread_item>& items);

  // Dispatches one item to its hook, appending to `out`.
  boost::asio::awaitable<void> item_to_input(const protocol::thread_item& item, bool is_last,
                                             boost::json::array& out);

  // ---- content parts (required when used) ------------------------------------------------------------

  // One content part of the user message per attachment, e.g. {"type":"input_image","image_url":...} or
  // {"type":"input_file","file_id":...}. Default: throws user_error.
  virtual boost::asio::awaitable<boost::json::object> attachment_to_message_content(
      const protocol::attachment& attachment);
  // One content part per distinct @-mention tag (by text), placed after tag_preamble. Default: throws
  // user_error.
  virtual boost::asio::awaitable<boost::json::object> tag_to_message_content(const protocol::input_tag& tag);

  // ---- one hook per item type ---------------------------------------------------------------------------

  // The user message (text with tags as "@text", then attachment parts); if is_last and quoted_text is set,
  // the quoted-text message; if there are tags, the tag-context message.
  virtual boost::asio::awaitable<void> user_message_to_input(const protocol::user_message_item& item,
                                                             bool is_last, boost::json::array& out);
  // An assistant message with one output_text part per content part (annotations are not replayed).
  virtual boost::asio::awaitable<void> assistant_message_to_input(
      const protocol::assistant_message_item& item, boost::json::array& out);
  // Completed: function_call + function_call_output (arguments and output as Python json.dumps text).
  // Pending: nothing (the model cannot be sent a call without its output).
  virtual boost::asio::awaitable<void> client_tool_call_to_input(const protocol::client_tool_call_item& item,
                                                                 boost::json::array& out);
  // A user message describing the widget, with its compact JSON (null props omitted).
  virtual boost::asio::awaitable<void> widget_to_input(const protocol::widget_item& item,
                                                       boost::json::array& out);
  // With an image: a user message with a sentence and an input_image part. Without: nothing.
  virtual boost::asio::awaitable<void> generated_image_to_input(const protocol::generated_image_item& item,
                                                                boost::json::array& out);
  // A user message listing the questions and their answers inside <StructuredInput>.
  virtual boost::asio::awaitable<void> structured_input_to_input(const protocol::structured_input_item& item,
                                                                 boost::json::array& out);
  // A <Task> message for a custom task with a title or content; nothing for other tasks.
  virtual boost::asio::awaitable<void> task_to_input(const protocol::task_item& item,
                                                     boost::json::array& out);
  // One <Task> message per custom task with a title or content; other tasks (reasoning, searches, files,
  // images) are not replayed.
  virtual boost::asio::awaitable<void> workflow_to_input(const protocol::workflow_item& item,
                                                         boost::json::array& out);
  // Nothing: end_of_turn is a UI hint only.
  virtual boost::asio::awaitable<void> end_of_turn_to_input(const protocol::end_of_turn_item& item,
                                                            boost::json::array& out);
  // String content: a <HiddenContext> message. Any other JSON: throws user_error (override to convert it).
  virtual boost::asio::awaitable<void> hidden_context_to_input(const protocol::hidden_context_item& item,
                                                               boost::json::array& out);
  // A <HiddenContext> message.
  virtual boost::asio::awaitable<void> sdk_hidden_context_to_input(
      const protocol::sdk_hidden_context_item& item, boost::json::array& out);
};

}  // namespace chatkit::agents
