#include "echo_bot.hpp"

#include <chatkit/protocol/widget.hpp>
#include <chatkit/server/widget_stream.hpp>

#include <boost/json/parse.hpp>

#include <charconv>
#include <functional>
#include <vector>

namespace chatkit::examples {

namespace cp = chatkit::protocol;
namespace json = boost::json;
using boost::asio::awaitable;

namespace {

bool is_continuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// Byte offset of code point `n` in s (s.size() if fewer).
std::size_t offset_of(std::string_view s, std::size_t n) {
  std::size_t i = 0;
  for (std::size_t count = 0; i < s.size(); ++i) {
    if (is_continuation(s[i])) continue;
    if (count++ == n) return i;
  }
  return s.size();
}

cp::widget_root echo_card(std::string_view value, bool streaming) {
  json::object text{{"type", "Text"}, {"id", "echo_text"}, {"value", value}, {"streaming", streaming}};
  return cp::widgets::card(json::array{std::move(text)});
}

std::optional<std::size_t> stream_count(std::string_view text) {
  constexpr std::string_view prefix = "stream ";
  if (!text.starts_with(prefix)) return std::nullopt;
  const auto digits = text.substr(prefix.size());
  std::size_t n = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc{} || end != digits.data() + digits.size() || n == 0) return std::nullopt;
  return n;
}

cp::assistant_message_item new_assistant_message(server::event_emitter& out) {
  cp::assistant_message_item msg;
  msg.id = out.new_item_id(store::id_kind::message);
  msg.thread_id = out.thread().id;
  msg.created_at = cp::timestamp::now();
  return msg;
}

// One assistant message streamed as `count` deltas, the i-th being delta_at(i) (the text is their
// concatenation). With `fail_after_first`, the bot throws right after the first delta, as the "fail" trigger
// requires. Deltas are produced one at a time, so a long stream costs no more than its text.
awaitable<void> stream_message(server::event_emitter& out, std::size_t count,
                               std::function<std::string_view(std::size_t)> delta_at, bool fail_after_first = false) {
  auto msg = new_assistant_message(out);
  co_await out.emit(cp::item_added_event{msg});
  co_await out.emit(cp::item_updated_event{msg.id, cp::content_part_added{0, {}}});
  std::string full;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string_view delta = delta_at(i);
    co_await out.emit(cp::item_updated_event{msg.id, cp::content_part_text_delta{0, std::string(delta)}});
    if (fail_after_first) throw std::runtime_error("the echo bot failed on purpose");
    full.append(delta);
  }
  cp::output_text part{{}, std::move(full)};
  co_await out.emit(cp::item_updated_event{msg.id, cp::content_part_done{0, part}});
  msg.content.push_back(std::move(part));
  co_await out.emit(cp::item_done_event{std::move(msg)});
}

// One assistant message streamed as the given parts.
awaitable<void> stream_parts(server::event_emitter& out, std::vector<std::string_view> parts,
                             bool fail_after_first = false) {
  co_await stream_message(out, parts.size(), [&parts](std::size_t i) { return parts[i]; }, fail_after_first);
}

// The echo's thirds, cut at code point boundaries (a part may be empty).
std::vector<std::string_view> thirds(std::string_view text) {
  const std::size_t n = count_code_points(text);
  const std::size_t cuts[] = {0, offset_of(text, n / 3), offset_of(text, 2 * n / 3), text.size()};
  return {text.substr(cuts[0], cuts[1] - cuts[0]), text.substr(cuts[1], cuts[2] - cuts[1]),
          text.substr(cuts[2], cuts[3] - cuts[2])};
}

cp::structured_input_item question_item(server::event_emitter& out) {
  cp::structured_input_item item;
  item.id = out.new_item_id(store::id_kind::message);
  item.thread_id = out.thread().id;
  item.created_at = cp::timestamp::now();
  item.inputs.push_back(
      cp::multiple_choice_input{"color", "Pick a color", std::nullopt, {{"red"}, {"blue"}}, false});
  item.inputs.push_back(
      cp::multiple_choice_input{"toppings", "Toppings?", std::nullopt, {{"cheese"}, {"ham"}}, true});
  item.inputs.push_back(cp::freeform_input{"note", "Anything else?", std::nullopt, std::nullopt});
  return item;
}

}  // namespace

std::size_t count_code_points(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += !is_continuation(c);
  return n;
}

std::string first_code_points(std::string_view s, std::size_t n) {
  return std::string(s.substr(0, offset_of(s, n)));
}

awaitable<void> stream_echo(server::event_emitter& out, const std::string& text) {
  co_await stream_parts(out, thirds(text));
}

awaitable<void> echo_bot::respond(server::respond_args args, server::event_emitter& out) {
  if (!args.user_message) {
    co_await stream_echo(out, "Continuing.");
    co_return;
  }
  std::string text;
  for (const auto& part : args.user_message->content)
    if (const auto* t = std::get_if<cp::input_text>(&part)) text += t->text;
  if (!args.thread.title) args.thread.title = first_code_points(text, 20);  // before yielding anything

  const std::string echo = "You said: " + text;
  if (text == "widget") {
    server::widget_stream widget(out, "You said: widget");
    co_await widget.update(echo_card("", true));
    co_await widget.update(echo_card("You said", true));
    co_await widget.update(echo_card("You said: widget", true));
    co_await widget.update(echo_card("You said: widget", false));
    co_await widget.finish();
  } else if (text == "static widget") {
    cp::widget_item item;
    item.id = out.new_item_id(store::id_kind::message);
    item.thread_id = args.thread.id;
    item.created_at = cp::timestamp::now();
    item.widget = cp::widgets::card(
        json::array{cp::widgets::text("static", "t1"),
                    cp::widgets::button("Press", cp::widgets::action("press", json::object{{"n", 1}}))});
    co_await out.emit(cp::item_done_event{std::move(item)});
  } else if (text == "client tool") {
    cp::client_tool_call_item call;
    call.id = out.new_item_id(store::id_kind::tool_call);
    call.call_id = out.new_item_id(store::id_kind::tool_call);
    call.thread_id = args.thread.id;
    call.created_at = cp::timestamp::now();
    call.name = "get_selection";
    call.arguments = json::object{{"scope", "page"}};
    co_await out.emit(cp::item_done_event{std::move(call)});
  } else if (text == "question") {
    co_await out.emit(cp::item_done_event{question_item(out)});
  } else if (text == "fail") {
    co_await stream_parts(out, thirds(echo), true);
  } else if (text == "custom error") {
    throw server::custom_stream_error("The echo bot refused.", true);
  } else if (text == "stream error") {
    throw server::coded_stream_error("stream.error", false);
  } else if (text == "progress") {
    co_await out.emit(cp::progress_update_event{"sparkle", "Thinking..."});
    co_await stream_echo(out, echo);
  } else if (text == "notice") {
    co_await out.emit(cp::notice_event{cp::notice_level::warning, "Heads **up**", "Note"});
    co_await stream_echo(out, echo);
  } else if (text == "effect") {
    co_await out.emit(cp::client_effect_event{"highlight", json::object{{"color", "yellow"}}});
    co_await stream_echo(out, echo);
  } else if (text == "hidden") {
    cp::hidden_context_item hidden;
    hidden.id = out.new_item_id(store::id_kind::message);
    hidden.thread_id = args.thread.id;
    hidden.created_at = cp::timestamp::now();
    hidden.content = "secret note";
    co_await out.emit(cp::item_done_event{std::move(hidden)});
    co_await stream_echo(out, echo);
  } else if (auto n = stream_count(text)) {
    // Bounded: the message's text (4 bytes a delta) is kept until the message is done, so an unbounded N
    // would let one request hold as much memory as it likes. Ten thousand deltas is enough for any load test.
    constexpr std::size_t max_stream_deltas = 10'000;
    if (*n > max_stream_deltas) throw server::custom_stream_error("stream N: N is at most 10000.", false);
    co_await stream_message(out, *n, [](std::size_t) { return std::string_view("tok "); });
  } else {
    co_await stream_echo(out, echo);
  }
}

awaitable<void> echo_bot::action(server::action_args args, server::event_emitter& out) {
  co_await stream_echo(out, "Action: " + args.action.type);
}

awaitable<std::string> echo_bot::transcribe(server::audio_input audio, const request_context&) {
  co_return std::to_string(audio.data.size()) + " bytes of " + audio.media_type;
}

awaitable<cp::attachment> echo_attachment_store::create_attachment(
    const cp::attachments_create_params& params, const request_context& ctx) {
  store::require_user(ctx);
  cp::attachment a;
  a.id = generate_attachment_id(params.mime_type, ctx);
  a.name = params.name;
  a.mime_type = params.mime_type;
  const std::string url = "https://uploads.example.test/" + a.id;
  a.upload_descriptor = cp::upload_descriptor{url, cp::upload_method::PUT, json::object{{"x-upload", "1"}}};
  if (params.mime_type.starts_with("image/")) {
    a.type = cp::attachment_type::image;
    a.preview_url = url + "/preview";
  }
  a.metadata = json::object{{"owner", ctx.user_id}, {"declared_size", params.size}};
  {
    std::lock_guard lock(mutex_);
    owned_.emplace(ctx.user_id, a.id);
  }
  co_return a;
}

awaitable<void> echo_attachment_store::delete_attachment(std::string attachment_id,
                                                         const request_context& ctx) {
  store::require_user(ctx);
  std::lock_guard lock(mutex_);
  if (owned_.erase({ctx.user_id, attachment_id}) == 0)
    throw chatkit::error(errc::not_found, "attachment not found");
  co_return;
}

}  // namespace chatkit::examples
