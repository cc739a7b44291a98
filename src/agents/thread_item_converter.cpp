#include <chatkit/agents/thread_item_converter.hpp>

#include "agents/detail/python_json.hpp"

#include <chatkit/protocol/json_io.hpp>

#include <boost/json/value.hpp>

#include <set>
#include <string>
#include <utility>

namespace chatkit::agents {
namespace {

namespace json = boost::json;
using boost::asio::awaitable;

json::object input_text_part(std::string_view text) {
  return json::object{{"type", "input_text"}, {"text", text}};
}

json::object user_message(json::array content) {
  return json::object{{"role", "user"}, {"type", "message"}, {"content", std::move(content)}};
}

// The Python SDK treats an empty string like a missing one (Python truthiness) everywhere below.
bool has_text(const std::optional<std::string>& s) {
  return s && !s->empty();
}

// The <Task> message of a custom task with a title or content; nothing for any other task.
std::optional<json::object> task_message(const protocol::task& task) {
  const auto* custom = std::get_if<protocol::custom_task>(&task);
  if (!custom || (!has_text(custom->title) && !has_text(custom->content))) return std::nullopt;
  std::string body;
  if (has_text(custom->title) && has_text(custom->content)) {
    body = *custom->title + ": " + *custom->content;
  } else {
    body = has_text(custom->title) ? *custom->title : *custom->content;
  }
  return user_text_message(
      "A message was displayed to the user that the following task was performed:\n<Task>\n" + body +
      "\n</Task>");
}

json::object hidden_context_message(std::string_view content) {
  std::string text = "Hidden context for the agent (not shown to the user):\n<HiddenContext>\n";
  text += content;
  text += "\n</HiddenContext>";
  return user_text_message(text);
}

std::string_view status_name(protocol::structured_input_status s) {
  switch (s) {
    case protocol::structured_input_status::pending:
      return "pending";
    case protocol::structured_input_status::answered:
      return "answered";
    case protocol::structured_input_status::skipped:
      return "skipped";
  }
  return "pending";
}

}  // namespace

json::object user_text_message(std::string_view text) {
  return user_message(json::array{input_text_part(text)});
}

thread_item_converter::~thread_item_converter() = default;

awaitable<json::array> thread_item_converter::to_agent_input(
    const std::vector<protocol::thread_item>& items) {
  json::array out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    co_await item_to_input(items[i], i + 1 == items.size(), out);
  }
  co_return out;
}

awaitable<void> thread_item_converter::item_to_input(const protocol::thread_item& item, bool is_last,
                                                     json::array& out) {
  // One co_await per alternative: std::visit cannot suspend, so dispatch on the index instead.
  if (const auto* i = std::get_if<protocol::user_message_item>(&item)) {
    co_await user_message_to_input(*i, is_last, out);
  } else if (const auto* a = std::get_if<protocol::assistant_message_item>(&item)) {
    co_await assistant_message_to_input(*a, out);
  } else if (const auto* c = std::get_if<protocol::client_tool_call_item>(&item)) {
    co_await client_tool_call_to_input(*c, out);
  } else if (const auto* w = std::get_if<protocol::widget_item>(&item)) {
    co_await widget_to_input(*w, out);
  } else if (const auto* g = std::get_if<protocol::generated_image_item>(&item)) {
    co_await generated_image_to_input(*g, out);
  } else if (const auto* s = std::get_if<protocol::structured_input_item>(&item)) {
    co_await structured_input_to_input(*s, out);
  } else if (const auto* t = std::get_if<protocol::task_item>(&item)) {
    co_await task_to_input(*t, out);
  } else if (const auto* f = std::get_if<protocol::workflow_item>(&item)) {
    co_await workflow_to_input(*f, out);
  } else if (const auto* e = std::get_if<protocol::end_of_turn_item>(&item)) {
    co_await end_of_turn_to_input(*e, out);
  } else if (const auto* h = std::get_if<protocol::hidden_context_item>(&item)) {
    co_await hidden_context_to_input(*h, out);
  } else if (const auto* sh = std::get_if<protocol::sdk_hidden_context_item>(&item)) {
    co_await sdk_hidden_context_to_input(*sh, out);
  }
  static_assert(std::variant_size_v<protocol::thread_item> == 11, "a new thread item type needs a hook here");
}

awaitable<json::object> thread_item_converter::attachment_to_message_content(
    const protocol::attachment& attachment) {
  throw user_error(
      "a user message has an attachment (" + attachment.id +
      ") but thread_item_converter::attachment_to_message_content is not overridden: derive from "
      "thread_item_converter and override it to turn attachments into model input");
  co_return json::object{};
}

awaitable<json::object> thread_item_converter::tag_to_message_content(const protocol::input_tag& tag) {
  throw user_error("a user message has an @-mention tag (\"" + tag.text +
                   "\") but thread_item_converter::tag_to_message_content is not overridden: derive from "
                   "thread_item_converter and override it to turn tags into model input");
  co_return json::object{};
}

awaitable<void> thread_item_converter::user_message_to_input(const protocol::user_message_item& item,
                                                             bool is_last, json::array& out) {
  std::string text;
  std::vector<const protocol::input_tag*> tags;
  for (const auto& part : item.content) {
    if (const auto* t = std::get_if<protocol::input_text>(&part)) {
      text += t->text;
    } else if (const auto* tag = std::get_if<protocol::input_tag>(&part)) {
      text += '@';
      text += tag->text;
      tags.push_back(tag);
    }
  }
  json::array content{input_text_part(text)};
  for (const auto& a : item.attachments) content.push_back(co_await attachment_to_message_content(a));
  out.push_back(user_message(std::move(content)));

  // Context messages come after the user's own message: the quoted text, then the tag context.
  if (has_text(item.quoted_text) && is_last) {
    out.push_back(user_text_message("The user is referring to this in particular: \n" + *item.quoted_text));
  }
  if (!tags.empty()) {
    json::array tag_content{input_text_part(tag_preamble)};
    std::set<std::string_view> seen;
    for (const auto* tag : tags) {
      if (!seen.insert(tag->text).second) continue;  // the same text twice: the first tag wins
      tag_content.push_back(co_await tag_to_message_content(*tag));
    }
    out.push_back(user_message(std::move(tag_content)));
  }
}

awaitable<void> thread_item_converter::assistant_message_to_input(
    const protocol::assistant_message_item& item, json::array& out) {
  json::array content;
  for (const auto& part : item.content) {
    // The Python SDK dumps an openai ResponseOutputText, hence logprobs: null; annotations are not replayed.
    content.push_back(json::object{
        {"type", "output_text"}, {"text", part.text}, {"annotations", json::array{}}, {"logprobs", nullptr}});
  }
  out.push_back(json::object{{"type", "message"}, {"role", "assistant"}, {"content", std::move(content)}});
  co_return;
}

awaitable<void> thread_item_converter::client_tool_call_to_input(const protocol::client_tool_call_item& item,
                                                                 json::array& out) {
  if (item.status == protocol::client_tool_call_status::pending) co_return;
  out.push_back(json::object{{"type", "function_call"},
                             {"call_id", item.call_id},
                             {"name", item.name},
                             {"arguments", detail::python_json_dumps(item.arguments)}});
  // A completed call without output replays as json.dumps(None), i.e. "null".
  out.push_back(
      json::object{{"type", "function_call_output"},
                   {"call_id", item.call_id},
                   {"output", detail::python_json_dumps(item.output ? *item.output : json::value())}});
}

awaitable<void> thread_item_converter::widget_to_input(const protocol::widget_item& item, json::array& out) {
  // protocol::to_json writes the tree compactly with null props left out, as pydantic's
  // model_dump_json(exclude_unset=True, exclude_none=True) does.
  out.push_back(user_text_message("The following graphical UI widget (id: " + item.id +
                                  ") was displayed to the user:" + protocol::to_json(item.widget)));
  co_return;
}

awaitable<void> thread_item_converter::generated_image_to_input(const protocol::generated_image_item& item,
                                                                json::array& out) {
  if (!item.image) co_return;
  out.push_back(user_message(json::array{
      input_text_part("The following image was generated by the agent."),
      json::object{{"type", "input_image"}, {"detail", "auto"}, {"image_url", item.image->url}},
  }));
}

awaitable<void> thread_item_converter::structured_input_to_input(const protocol::structured_input_item& item,
                                                                 json::array& out) {
  std::string text = "A structured input request was displayed to the user with the following status: ";
  text += status_name(item.status);
  text += "\n<StructuredInput>\n";
  bool first = true;
  for (const auto& input : item.inputs) {
    std::visit(
        [&](const auto& q) {
          if (!first) text += '\n';
          first = false;
          text += "- " + q.question + ": ";
          if (!q.answer) {
            text += "unanswered";
          } else if (q.answer->skipped) {
            text += "skipped";
          } else {
            for (std::size_t v = 0; v < q.answer->values.size(); ++v) {
              if (v > 0) text += ", ";
              text += q.answer->values[v];
            }
          }
        },
        input);
  }
  text += "\n</StructuredInput>";
  out.push_back(user_text_message(text));
  co_return;
}

awaitable<void> thread_item_converter::task_to_input(const protocol::task_item& item, json::array& out) {
  if (auto message = task_message(item.task)) out.push_back(std::move(*message));
  co_return;
}

awaitable<void> thread_item_converter::workflow_to_input(const protocol::workflow_item& item,
                                                         json::array& out) {
  for (const auto& task : item.workflow.tasks) {
    if (auto message = task_message(task)) out.push_back(std::move(*message));
  }
  co_return;
}

awaitable<void> thread_item_converter::end_of_turn_to_input(const protocol::end_of_turn_item&, json::array&) {
  co_return;
}

awaitable<void> thread_item_converter::hidden_context_to_input(const protocol::hidden_context_item& item,
                                                               json::array& out) {
  if (!item.content.is_string()) {
    throw user_error("hidden_context_item " + item.id +
                     " has non-string content but thread_item_converter::hidden_context_to_input is not "
                     "overridden: derive from thread_item_converter and override it to convert such content");
  }
  out.push_back(hidden_context_message(item.content.get_string()));
  co_return;
}

awaitable<void> thread_item_converter::sdk_hidden_context_to_input(
    const protocol::sdk_hidden_context_item& item, json::array& out) {
  out.push_back(hidden_context_message(item.content));
  co_return;
}

}  // namespace chatkit::agents
