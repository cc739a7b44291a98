// openai_chat_model: the runner's model interface over Chat Completions. Three parts: the request
// translation (Responses body → Chat body), the sans-IO synthesis (Chat chunks → Responses events), and the
// thin adapter over openai::chat_stream.
#include "agents/detail/client_stream_hop.hpp"
#include "agents/detail/owned_client.hpp"

#include <chatkit/agents/error.hpp>
#include <chatkit/agents/openai_chat_model.hpp>
#include <chatkit/openai/client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <deque>
#include <optional>
#include <random>
#include <string_view>
#include <utility>

namespace chatkit::agents {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

[[noreturn]] void unsupported(const std::string& what) {
  throw user_error(what + " is not supported by Chat Completions");
}

// A string member, or "" when absent / not a string.
std::string_view str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string_view(v->get_string()) : std::string_view{};
}

bool present(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && !v->is_null();
}

// ---- request translation ----

// Responses input content parts → Chat content parts. System and developer messages may only carry text.
json::array content_parts(const json::array& parts, bool text_only) {
  json::array out;
  for (const auto& pv : parts) {
    if (!pv.is_object()) throw user_error("a message content part must be an object");
    const auto& p = pv.get_object();
    const auto type = str(p, "type");
    if (type == "input_text" || type == "output_text" || type == "text") {
      out.push_back(json::object{{"type", "text"}, {"text", str(p, "text")}});
      continue;
    }
    if (text_only) unsupported("a '" + std::string(type) + "' part in a system or developer message");
    if (type == "input_image") {
      if (!p.if_contains("image_url") || !p.at("image_url").is_string())
        unsupported("an input_image given by file_id");
      json::object image{{"url", p.at("image_url")}};
      if (present(p, "detail")) image["detail"] = p.at("detail");
      out.push_back(json::object{{"type", "image_url"}, {"image_url", std::move(image)}});
    } else if (type == "input_file") {
      if (!present(p, "file_id") && !present(p, "file_data")) unsupported("an input_file given by file_url");
      json::object file;
      for (const char* key : {"file_id", "file_data", "filename"})
        if (present(p, key)) file[key] = p.at(key);
      out.push_back(json::object{{"type", "file"}, {"file", std::move(file)}});
    } else {
      unsupported("the content part type '" + std::string(type) + "'");
    }
  }
  return out;
}

// The text of a function_call_output's `output`: a string as is, a part list as its text parts joined.
std::string tool_output_text(const json::value& output) {
  if (output.is_string()) return std::string(output.get_string());
  if (!output.is_array())
    throw user_error("function_call_output.output must be a string or an array of parts");
  std::string text;
  for (const auto& pv : output.get_array()) {
    if (!pv.is_object()) throw user_error("a function_call_output part must be an object");
    const auto& p = pv.get_object();
    const auto type = str(p, "type");
    if (type != "input_text" && type != "output_text" && type != "text")
      unsupported("a '" + std::string(type) + "' part in a tool output (tool messages carry text only)");
    text += str(p, "text");
  }
  return text;
}

class message_builder {
 public:
  void add(const json::value& v) {
    if (!v.is_object()) throw user_error("input items must be objects");
    const auto& item = v.get_object();
    const auto type = str(item, "type");
    if (type.empty() || type == "message") {
      message(item);
    } else if (type == "function_call") {
      function_call(item);
    } else if (type == "function_call_output") {
      open_assistant_.reset();
      if (!item.if_contains("output")) throw user_error("function_call_output without output");
      messages_.push_back(json::object{{"role", "tool"},
                                       {"tool_call_id", str(item, "call_id")},
                                       {"content", tool_output_text(item.at("output"))}});
    } else if (type == "reasoning") {
      // Chat has no way to send reasoning back; dropping it (without closing the assistant turn) keeps a
      // reasoning → message → function_call sequence one assistant message.
    } else if (type == "item_reference") {
      unsupported("an item_reference (it needs server-side storage)");
    } else {
      unsupported("the input item type '" + std::string(type) + "'");
    }
  }

  void push(json::object message) {
    open_assistant_.reset();
    messages_.push_back(std::move(message));
  }

  json::array take() { return std::move(messages_); }

 private:
  void message(const json::object& item) {
    const auto role = str(item, "role");
    const auto* content = item.if_contains("content");
    if (content == nullptr) throw user_error("an input message without content");
    if (role == "assistant") {
      assistant_message(*content);
      return;
    }
    if (role != "user" && role != "system" && role != "developer")
      throw user_error("unknown input message role '" + std::string(role) + "'");
    json::object m{{"role", role}};
    if (content->is_string())
      m["content"] = *content;
    else if (content->is_array())
      m["content"] = content_parts(content->get_array(), role != "user");
    else
      throw user_error("message content must be a string or an array of parts");
    push(std::move(m));
  }

  // A replayed assistant message: output_text parts joined into the content, refusal parts into `refusal`.
  // It stays open so the function calls that follow it (the same model turn) join it as tool_calls.
  void assistant_message(const json::value& content) {
    json::object m{{"role", "assistant"}};
    if (content.is_string()) {
      m["content"] = content;
    } else if (content.is_array()) {
      std::optional<std::string> text;
      std::string refusal;
      for (const auto& pv : content.get_array()) {
        if (!pv.is_object()) throw user_error("a message content part must be an object");
        const auto& p = pv.get_object();
        const auto type = str(p, "type");
        if (type == "output_text" || type == "input_text" || type == "text")
          text = text.value_or("") + std::string(str(p, "text"));
        else if (type == "refusal")
          refusal += str(p, "refusal");
        else
          unsupported("a '" + std::string(type) + "' part in an assistant message");
      }
      m["content"] = text ? json::value(*text) : json::value(nullptr);
      if (!refusal.empty()) m["refusal"] = refusal;
    } else {
      throw user_error("message content must be a string or an array of parts");
    }
    push(std::move(m));
    open_assistant_ = messages_.size() - 1;
  }

  void function_call(const json::object& item) {
    if (!open_assistant_) {
      messages_.push_back(json::object{{"role", "assistant"}, {"content", nullptr}});
      open_assistant_ = messages_.size() - 1;
    }
    auto& m = messages_[*open_assistant_].as_object();
    auto& calls = m["tool_calls"];
    if (!calls.is_array()) calls = json::array{};
    calls.as_array().push_back(json::object{
        {"id", str(item, "call_id")},
        {"type", "function"},
        {"function", json::object{{"name", str(item, "name")}, {"arguments", str(item, "arguments")}}}});
  }

  json::array messages_;
  std::optional<std::size_t> open_assistant_;  // the assistant message later function calls join
};

json::array chat_tools(const json::value& tools) {
  if (!tools.is_array()) throw user_error("tools must be an array");
  json::array out;
  for (const auto& tv : tools.get_array()) {
    if (!tv.is_object()) throw user_error("a tool must be an object");
    const auto& t = tv.get_object();
    const auto type = str(t, "type");
    if (type != "function") unsupported("the hosted tool '" + std::string(type) + "'");
    json::object fn{{"name", str(t, "name")}};
    for (const char* key : {"description", "parameters", "strict"})
      if (present(t, key)) fn[key] = t.at(key);
    out.push_back(json::object{{"type", "function"}, {"function", std::move(fn)}});
  }
  return out;
}

json::value chat_tool_choice(const json::value& choice) {
  if (choice.is_string() || choice.is_null()) return choice;
  if (!choice.is_object()) throw user_error("tool_choice must be a string or an object");
  const auto& c = choice.get_object();
  const auto type = str(c, "type");
  if (type == "function")
    return json::object{{"type", "function"}, {"function", json::object{{"name", str(c, "name")}}}};
  if (type == "allowed_tools") {
    json::array tools;
    if (const auto* listed = c.if_contains("tools"); listed && listed->is_array()) {
      for (const auto& tv : listed->get_array()) {
        if (!tv.is_object() || str(tv.get_object(), "type") != "function")
          unsupported("an allowed_tools entry that is not a function");
        tools.push_back(json::object{{"type", "function"},
                                     {"function", json::object{{"name", str(tv.get_object(), "name")}}}});
      }
    }
    json::object allowed{{"mode", c.contains("mode") ? c.at("mode") : json::value("auto")},
                         {"tools", std::move(tools)}};
    return json::object{{"type", "allowed_tools"}, {"allowed_tools", std::move(allowed)}};
  }
  unsupported("tool_choice of type '" + std::string(type) + "'");
}

json::value response_format(const json::object& format) {
  const auto type = str(format, "type");
  if (type == "json_object") return json::object{{"type", "json_object"}};
  if (type == "json_schema") {
    json::object schema;
    for (const char* key : {"name", "schema", "strict", "description"})
      if (present(format, key)) schema[key] = format.at(key);
    return json::object{{"type", "json_schema"}, {"json_schema", std::move(schema)}};
  }
  unsupported("text.format of type '" + std::string(type) + "'");
}

}  // namespace

json::object to_chat_request(const json::object& request, const chat_request_options& options) {
  json::object out;
  if (const auto* m = request.if_contains("model")) out["model"] = *m;

  message_builder messages;
  if (const auto* instr = request.if_contains("instructions"); instr && !instr->is_null()) {
    if (!instr->is_string()) throw user_error("instructions must be a string");
    if (!instr->get_string().empty())
      messages.push(json::object{{"role", options.instructions_role}, {"content", *instr}});
  }
  if (const auto* input = request.if_contains("input"); input && !input->is_null()) {
    if (input->is_string())
      messages.push(json::object{{"role", "user"}, {"content", *input}});
    else if (input->is_array())
      for (const auto& item : input->get_array()) messages.add(item);
    else
      throw user_error("input must be a string or an array of items");
  }
  out["messages"] = messages.take();

  for (const auto& [key, value] : request) {
    if (key == "model" || key == "instructions" || key == "input") continue;
    if (key == "tools") {
      out["tools"] = chat_tools(value);
    } else if (key == "tool_choice") {
      out["tool_choice"] = chat_tool_choice(value);
    } else if (key == "max_output_tokens") {
      out["max_completion_tokens"] = value;
    } else if (key == "reasoning") {
      // Only the effort has a Chat spelling; summaries are Responses-only.
      if (value.is_object() && present(value.get_object(), "effort"))
        out["reasoning_effort"] = value.get_object().at("effort");
    } else if (key == "text") {
      if (!value.is_object()) continue;
      const auto& text = value.get_object();
      if (present(text, "verbosity")) out["verbosity"] = text.at("verbosity");
      if (const auto* f = text.if_contains("format");
          f && f->is_object() && str(f->get_object(), "type") != "text")
        out["response_format"] = response_format(f->get_object());
    } else if (key == "top_logprobs") {
      out["top_logprobs"] = value;
      out["logprobs"] = true;  // Chat only returns logprobs when asked for them explicitly
    } else if (key == "stream_options") {
      // The client adds include_usage only when stream_options is absent; keep it on for the usage chunk.
      json::object so = value.is_object() ? value.get_object() : json::object{};
      if (!so.contains("include_usage")) so["include_usage"] = true;
      out["stream_options"] = std::move(so);
    } else if (key == "previous_response_id" || key == "conversation" || key == "prompt" ||
               key == "background") {
      if (!value.is_null()) unsupported("'" + std::string(key) + "' (Chat Completions is stateless)");
    } else if (key == "include" || key == "truncation" || key == "max_tool_calls" || key == "stream") {
      // Responses-only settings (and `stream`, which the client sets): nothing to send.
    } else {
      out[key] = value;
    }
  }
  return out;
}

// ---- synthesis ----

void chat_event_synthesizer::set_request_id(std::string id) {
  request_id_ = std::move(id);
  acc_.current().request_id = request_id_;
}

void chat_event_synthesizer::emit(std::vector<openai::response_event>& out, json::object event) {
  event["sequence_number"] = sequence_++;
  auto parsed = openai::parse_response_event(std::move(event));
  // Our own JSON always parses; a failure here is a bug in this file, not in the provider's stream.
  if (!parsed) throw std::logic_error("chat_event_synthesizer built an invalid event");
  acc_.apply(*parsed);
  acc_.current().request_id = request_id_;
  out.push_back(std::move(*parsed));
}

json::object chat_event_synthesizer::response_object(const char* status) const {
  return {{"id", id_},
          {"object", "response"},
          {"created_at", created_at_},
          {"status", status},
          {"model", model_},
          {"output", json::array{}},
          {"error", nullptr},
          {"incomplete_details", nullptr},
          {"usage", nullptr}};
}

void chat_event_synthesizer::ensure_created(std::vector<openai::response_event>& out) {
  if (created_) return;
  created_ = true;
  if (id_.empty()) {
    // Some compatible servers omit the completion id; item ids derive from it, so it must not be empty
    // (stream_agent_response uses the message item id as the thread item id).
    std::random_device rd;
    std::mt19937_64 gen((std::uint64_t{rd()} << 32) ^ rd());
    static constexpr char hex[] = "0123456789abcdef";
    id_ = "chatcmpl-";
    for (int i = 0; i < 24; ++i) id_ += hex[gen() & 15U];
  }
  emit(out, {{"type", "response.created"}, {"response", response_object("in_progress")}});
}

json::object chat_event_synthesizer::message_item(const char* status) const {
  json::array content;
  if (std::string_view(status) != "in_progress") {
    for (const auto& p : parts_) {
      if (p.type == "refusal")
        content.push_back(json::object{{"type", "refusal"}, {"refusal", p.text}});
      else
        content.push_back(
            json::object{{"type", "output_text"}, {"text", p.text}, {"annotations", json::array{}}});
    }
  }
  return {{"id", message_id()},
          {"type", "message"},
          {"status", status},
          {"role", "assistant"},
          {"content", std::move(content)}};
}

json::object chat_event_synthesizer::call_item(const tool_call_state& call, const char* status) const {
  const bool open = std::string_view(status) == "in_progress";
  return {{"id", "fc_" + call.call_id}, {"type", "function_call"},
          {"status", status},           {"arguments", open ? std::string{} : call.arguments},
          {"call_id", call.call_id},    {"name", call.name}};
}

json::object chat_event_synthesizer::reasoning_item(const char* status) const {
  json::array summary;
  if (std::string_view(status) != "in_progress")
    summary.push_back(json::object{{"type", "summary_text"}, {"text", reasoning_text_}});
  return {{"id", "rs_" + id_}, {"type", "reasoning"}, {"status", status}, {"summary", std::move(summary)}};
}

// Chat reasoning text becomes one reasoning item with one summary part, the events a Responses stream
// sends for a reasoning summary (what stream_agent_response shows as a thought).
void chat_event_synthesizer::reasoning_fragment(std::vector<openai::response_event>& out,
                                                const std::string& text) {
  if (text.empty() || reasoning_closed_) return;
  const auto item_id = "rs_" + id_;
  if (reasoning_index_ < 0) {
    reasoning_index_ = next_output_index_++;
    emit(out, {{"type", "response.output_item.added"},
               {"output_index", reasoning_index_},
               {"item", reasoning_item("in_progress")}});
    emit(out, {{"type", "response.reasoning_summary_part.added"},
               {"item_id", item_id},
               {"output_index", reasoning_index_},
               {"summary_index", 0},
               {"part", json::object{{"type", "summary_text"}, {"text", ""}}}});
  }
  reasoning_text_ += text;
  emit(out, {{"type", "response.reasoning_summary_text.delta"},
             {"item_id", item_id},
             {"output_index", reasoning_index_},
             {"summary_index", 0},
             {"delta", text}});
}

void chat_event_synthesizer::close_reasoning(std::vector<openai::response_event>& out) {
  if (reasoning_index_ < 0 || reasoning_closed_) return;
  reasoning_closed_ = true;
  const auto item_id = "rs_" + id_;
  emit(out, {{"type", "response.reasoning_summary_text.done"},
             {"item_id", item_id},
             {"output_index", reasoning_index_},
             {"summary_index", 0},
             {"text", reasoning_text_}});
  emit(out, {{"type", "response.reasoning_summary_part.done"},
             {"item_id", item_id},
             {"output_index", reasoning_index_},
             {"summary_index", 0},
             {"part", json::object{{"type", "summary_text"}, {"text", reasoning_text_}}}});
  emit(out, {{"type", "response.output_item.done"},
             {"output_index", reasoning_index_},
             {"item", reasoning_item("completed")}});
}

void chat_event_synthesizer::text_fragment(std::vector<openai::response_event>& out, const std::string& type,
                                           const std::string& text) {
  if (text.empty()) return;  // the role chunk's "" must not open an empty message
  close_reasoning(out);
  if (message_index_ < 0) {
    message_index_ = next_output_index_++;
    order_.push_back(-1);
    emit(out, {{"type", "response.output_item.added"},
               {"output_index", message_index_},
               {"item", message_item("in_progress")}});
  }
  std::size_t index = 0;
  while (index < parts_.size() && parts_[index].type != type) ++index;
  if (index == parts_.size()) {
    parts_.push_back({type, {}});
    json::object part =
        type == "refusal"
            ? json::object{{"type", "refusal"}, {"refusal", ""}}
            : json::object{{"type", "output_text"}, {"text", ""}, {"annotations", json::array{}}};
    emit(out, {{"type", "response.content_part.added"},
               {"item_id", message_id()},
               {"output_index", message_index_},
               {"content_index", index},
               {"part", std::move(part)}});
  }
  parts_[index].text += text;
  json::object delta{{"type", type == "refusal" ? "response.refusal.delta" : "response.output_text.delta"},
                     {"item_id", message_id()},
                     {"output_index", message_index_},
                     {"content_index", index},
                     {"delta", text}};
  if (type != "refusal") delta["logprobs"] = json::array{};
  emit(out, std::move(delta));
}

void chat_event_synthesizer::open_call(std::vector<openai::response_event>& out, std::size_t index) {
  auto& call = calls_[index];
  if (call.call_id.empty()) call.call_id = "call_" + id_ + "_" + std::to_string(index);  // provider sent none
  call.output_index = next_output_index_++;
  order_.push_back(static_cast<std::int64_t>(index));
  emit(out, {{"type", "response.output_item.added"},
             {"output_index", call.output_index},
             {"item", call_item(call, "in_progress")}});
  if (!call.arguments.empty())
    emit(out, {{"type", "response.function_call_arguments.delta"},
               {"item_id", "fc_" + call.call_id},
               {"output_index", call.output_index},
               {"delta", call.arguments}});
}

void chat_event_synthesizer::tool_fragment(std::vector<openai::response_event>& out,
                                           const openai::chat_tool_call_delta& d) {
  // The same bound as the client's accumulator: a bogus index must not make us allocate wildly.
  if (d.index < 0 || d.index > 4096) return;
  const auto index = static_cast<std::size_t>(d.index);
  if (calls_.size() <= index) calls_.resize(index + 1);
  auto& call = calls_[index];
  if (call.closed) return;
  const bool opened = call.output_index >= 0;
  close_reasoning(out);
  // id and name are taken from the fragment that has them (the first one in practice), as the client does.
  if (!opened && d.id && !d.id->empty()) call.call_id = *d.id;
  if (!opened && d.name && !d.name->empty()) call.name = *d.name;
  call.arguments += d.arguments;
  if (!opened) {
    if (!call.call_id.empty() && !call.name.empty()) open_call(out, index);
    return;
  }
  if (!d.arguments.empty())
    emit(out, {{"type", "response.function_call_arguments.delta"},
               {"item_id", "fc_" + call.call_id},
               {"output_index", call.output_index},
               {"delta", d.arguments}});
}

void chat_event_synthesizer::close_items(std::vector<openai::response_event>& out) {
  if (items_closed_) return;
  items_closed_ = true;
  close_reasoning(out);
  // Calls that never got both an id and a name are opened now so their arguments are not lost.
  for (std::size_t i = 0; i < calls_.size(); ++i)
    if (calls_[i].output_index < 0 &&
        (!calls_[i].arguments.empty() || !calls_[i].name.empty() || !calls_[i].call_id.empty()))
      open_call(out, i);
  const bool cut = finish_reason_ == "length" || finish_reason_ == "content_filter";
  const char* status = cut ? "incomplete" : "completed";
  for (const auto slot : order_) {
    if (slot < 0) {
      for (std::size_t i = 0; i < parts_.size(); ++i) {
        const auto& p = parts_[i];
        const bool refusal = p.type == "refusal";
        json::object done{{"type", refusal ? "response.refusal.done" : "response.output_text.done"},
                          {"item_id", message_id()},
                          {"output_index", message_index_},
                          {"content_index", i},
                          {refusal ? "refusal" : "text", p.text}};
        if (!refusal) done["logprobs"] = json::array{};
        emit(out, std::move(done));
        json::object part =
            refusal ? json::object{{"type", "refusal"}, {"refusal", p.text}}
                    : json::object{{"type", "output_text"}, {"text", p.text}, {"annotations", json::array{}}};
        emit(out, {{"type", "response.content_part.done"},
                   {"item_id", message_id()},
                   {"output_index", message_index_},
                   {"content_index", i},
                   {"part", std::move(part)}});
      }
      emit(out, {{"type", "response.output_item.done"},
                 {"output_index", message_index_},
                 {"item", message_item(status)}});
    } else {
      auto& call = calls_[static_cast<std::size_t>(slot)];
      call.closed = true;
      emit(out, {{"type", "response.function_call_arguments.done"},
                 {"item_id", "fc_" + call.call_id},
                 {"output_index", call.output_index},
                 {"arguments", call.arguments},
                 {"name", call.name}});
      emit(out, {{"type", "response.output_item.done"},
                 {"output_index", call.output_index},
                 {"item", call_item(call, status)}});
    }
  }
}

std::vector<openai::response_event> chat_event_synthesizer::feed(const openai::chat_chunk& chunk) {
  std::vector<openai::response_event> out;
  if (finished_) return out;
  if (!created_) {
    id_ = chunk.id;
    model_ = chunk.model;
    created_at_ = chunk.created;
  }
  ensure_created(out);
  if (model_.empty()) model_ = chunk.model;
  if (chunk.usage) usage_ = chunk.usage;
  for (const auto& choice : chunk.choices) {
    if (choice.index != 0 || items_closed_) continue;  // n > 1 is not supported; nothing after the finish
    if (choice.delta.reasoning) reasoning_fragment(out, *choice.delta.reasoning);
    if (choice.delta.content) text_fragment(out, "output_text", *choice.delta.content);
    if (choice.delta.refusal) text_fragment(out, "refusal", *choice.delta.refusal);
    for (const auto& d : choice.delta.tool_calls) tool_fragment(out, d);
    if (!choice.finish_reason.empty()) {
      finish_reason_ = choice.finish_reason;
      close_items(out);
    }
  }
  return out;
}

std::vector<openai::response_event> chat_event_synthesizer::finish() {
  std::vector<openai::response_event> out;
  if (finished_) return out;
  ensure_created(out);
  close_items(out);
  finished_ = true;

  auto response = response_object("completed");
  json::array output;
  for (const auto& item : acc_.current().output) output.push_back(item.raw);
  response["output"] = std::move(output);
  const char* type = "response.completed";
  if (finish_reason_ == "length" || finish_reason_ == "content_filter") {
    type = "response.incomplete";
    response["status"] = "incomplete";
    response["incomplete_details"] =
        json::object{{"reason", finish_reason_ == "length" ? "max_output_tokens" : "content_filter"}};
  }
  if (usage_) {
    const auto u = usage_->to_usage();
    response["usage"] =
        json::object{{"input_tokens", u.input_tokens},
                     {"input_tokens_details", json::object{{"cached_tokens", u.cached_tokens}}},
                     {"output_tokens", u.output_tokens},
                     {"output_tokens_details", json::object{{"reasoning_tokens", u.reasoning_tokens}}},
                     {"total_tokens", u.total_tokens}};
  }
  emit(out, {{"type", type}, {"response", std::move(response)}});
  return out;
}

// ---- the adapter ----
//
// As in openai_responses_model, chat_stream operations run on the client's executor (client_stream_hop);
// the synthesizer is only touched from the caller's side.

namespace {

class chat_completions_stream final : public model_stream {
 public:
  chat_completions_stream(asio::any_io_executor client_ex, std::shared_ptr<openai::chat_stream> s,
                          std::string request_id)
      : hop_(std::move(client_ex), std::move(s)) {
    synth_.set_request_id(std::move(request_id));
  }

  asio::awaitable<std::optional<openai::response_event>> next() override {
    while (pending_.empty() && !synth_.done()) {
      auto chunk = co_await hop_.next();
      auto events = chunk ? synth_.feed(*chunk) : synth_.finish();
      for (auto& e : events) pending_.push_back(std::move(e));
    }
    if (pending_.empty()) co_return std::nullopt;
    auto e = std::move(pending_.front());
    pending_.pop_front();
    co_return e;
  }

  const openai::response& current() const noexcept override { return synth_.current(); }

  void cancel() noexcept override { hop_.cancel(); }

 private:
  detail::client_stream_hop<openai::chat_stream> hop_;
  chat_event_synthesizer synth_;
  std::deque<openai::response_event> pending_;
};

}  // namespace

namespace {

void check_options(const chat_model_options& options) {
  const auto& role = options.request.instructions_role;
  if (role != "system" && role != "developer")
    throw user_error("instructions_role must be \"system\" or \"developer\", not \"" + role + "\"");
}

}  // namespace

openai_chat_model::openai_chat_model(openai::client_options client_options, chat_model_options options)
    : options_(std::move(options)) {
  check_options(options_);
  owned_ = std::make_unique<detail::owned_client>(std::move(client_options));
  client_ = owned_->client();
}

openai_chat_model::openai_chat_model(std::shared_ptr<const openai::client> client, chat_model_options options)
    : client_(std::move(client)), options_(std::move(options)) {
  if (!client_) throw user_error("openai_chat_model needs a client");
  check_options(options_);
}

openai_chat_model::~openai_chat_model() {
  client_.reset();  // the owned client (if any) is destroyed on its own thread by owned_'s destructor
}

asio::awaitable<std::unique_ptr<model_stream>> openai_chat_model::stream(json::object request) {
  // Translated before any I/O so an untranslatable request fails without a network call.
  auto body = to_chat_request(request, options_.request);
  auto s = co_await detail::open_on_client<openai::chat_stream>(
      client_, [body = std::move(body)](const openai::client& c, openai::request_options ro) mutable {
        return c.stream_chat_completion(std::move(body), std::move(ro));
      });
  const auto ex = client_->get_executor();
  // Read after the hop completed: the completion happens-after the stream was created on the client's side.
  auto request_id = s->request_id();
  co_return std::make_unique<chat_completions_stream>(ex, std::move(s), std::move(request_id));
}

}  // namespace chatkit::agents
