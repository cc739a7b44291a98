#include <chatkit/openai/chat_completions.hpp>

#include "openai/detail/json_fields.hpp"
#include "openai/detail/lone_surrogates.hpp"
#include "openai/detail/payload.hpp"

#include <algorithm>

namespace chatkit::openai {

using detail::get_int;
using detail::get_object;
using detail::get_string;
using detail::protocol_error;

openai::usage chat_usage::to_usage() const noexcept {
  openai::usage u;
  u.input_tokens = prompt_tokens;
  u.output_tokens = completion_tokens;
  u.total_tokens = total_tokens;
  u.cached_tokens = cached_tokens;
  u.reasoning_tokens = reasoning_tokens;
  return u;
}

namespace {

// A string field that may be absent or null (nullopt), or a string; anything else is an error.
bool get_opt_string(const boost::json::object& o, std::string_view key, std::optional<std::string>& out) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) {
    out.reset();
    return true;
  }
  if (!v->is_string()) return false;
  out.emplace(v->get_string().data(), v->get_string().size());
  return true;
}

// `usage` when present (absent or null: none).
bool read_usage(const boost::json::object& o, std::optional<chat_usage>& out) {
  const auto* u = get_object(o, "usage");
  if (u == nullptr) return true;
  chat_usage usage;
  bool ok = get_int(*u, "prompt_tokens", usage.prompt_tokens) &&
            get_int(*u, "completion_tokens", usage.completion_tokens) &&
            get_int(*u, "total_tokens", usage.total_tokens);
  if (const auto* p = get_object(*u, "prompt_tokens_details"))
    ok = ok && get_int(*p, "cached_tokens", usage.cached_tokens);
  if (const auto* c = get_object(*u, "completion_tokens_details"))
    ok = ok && get_int(*c, "reasoning_tokens", usage.reasoning_tokens);
  if (ok) out = usage;
  return ok;
}

// The fields a chunk and a completion share: id, model, created and usage.
template <class T>
bool read_header(const boost::json::object& o, T& c) {
  return get_string(o, "id", c.id) && get_string(o, "model", c.model) && get_int(o, "created", c.created) &&
         read_usage(o, c.usage);
}

// Every element of the array `v` (null: none) read by `read_one`; false when `v` is not an array, an
// element is not an object or read_one fails.
template <class T, class Read>
bool read_objects(const boost::json::value* v, std::vector<T>& out, Read read_one) {
  if (v == nullptr || v->is_null()) return true;
  if (!v->is_array()) return false;
  for (const auto& e : v->get_array()) {
    T t;
    if (!e.is_object() || !read_one(e.get_object(), t)) return false;
    out.push_back(std::move(t));
  }
  return true;
}

// The array field `key` if it is one (a non-streaming body tolerates anything else as "absent").
const boost::json::value* if_array(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_array() ? v : nullptr;
}

bool read_tool_call_delta(const boost::json::object& o, chat_tool_call_delta& t) {
  if (!detail::require_int(o, "index", t.index) || !get_opt_string(o, "id", t.id) ||
      !get_opt_string(o, "type", t.type))
    return false;
  if (const auto* f = get_object(o, "function")) {
    std::optional<std::string> args;
    if (!get_opt_string(*f, "name", t.name) || !get_opt_string(*f, "arguments", args)) return false;
    if (args) t.arguments = std::move(*args);
  }
  return true;
}

// Reasoning text: `reasoning_content` (DeepSeek, vLLM, llama.cpp) or `reasoning` as a string (Ollama,
// OpenRouter, LiteLLM); a `reasoning` of another type (an object some servers send) is ignored.
bool read_reasoning(const boost::json::object& o, std::optional<std::string>& out) {
  if (!get_opt_string(o, "reasoning_content", out)) return false;
  if (!out) {
    const auto* r = o.if_contains("reasoning");
    if (r != nullptr && r->is_string()) out.emplace(r->get_string().data(), r->get_string().size());
  }
  return true;
}

// The legacy `function_call` ({name, arguments}, no id): the tool call of index 0.
bool read_legacy_function_call_delta(const boost::json::object& d, std::vector<chat_tool_call_delta>& out) {
  const auto* f = get_object(d, "function_call");
  if (f == nullptr || !out.empty()) return true;
  chat_tool_call_delta t;
  std::optional<std::string> args;
  if (!get_opt_string(*f, "name", t.name) || !get_opt_string(*f, "arguments", args)) return false;
  if (t.name) t.type = "function";
  if (args) t.arguments = std::move(*args);
  out.push_back(std::move(t));
  return true;
}

bool read_chunk_choice(const boost::json::object& o, chat_chunk_choice& ch) {
  if (!get_int(o, "index", ch.index) || !get_string(o, "finish_reason", ch.finish_reason)) return false;
  const auto* d = get_object(o, "delta");
  return d == nullptr ||
         (get_opt_string(*d, "role", ch.delta.role) && get_opt_string(*d, "content", ch.delta.content) &&
          get_opt_string(*d, "refusal", ch.delta.refusal) && read_reasoning(*d, ch.delta.reasoning) &&
          read_objects(d->if_contains("tool_calls"), ch.delta.tool_calls, read_tool_call_delta) &&
          read_legacy_function_call_delta(*d, ch.delta.tool_calls));
}

bool read_tool_call(const boost::json::object& o, chat_tool_call& call) {
  if (!get_string(o, "id", call.id) || !get_string(o, "type", call.type)) return false;
  if (call.type.empty()) call.type = "function";
  const auto* f = get_object(o, "function");
  return f == nullptr || (get_string(*f, "name", call.name) && get_string(*f, "arguments", call.arguments));
}

bool read_choice(const boost::json::object& o, chat_choice& ch) {
  if (!get_int(o, "index", ch.index) || !get_string(o, "finish_reason", ch.finish_reason)) return false;
  const auto* m = get_object(o, "message");
  if (m == nullptr) return true;
  std::optional<std::string> reasoning;
  if (!get_string(*m, "role", ch.role) || !get_string(*m, "content", ch.content) ||
      !get_string(*m, "refusal", ch.refusal) || !read_reasoning(*m, reasoning) ||
      !read_objects(if_array(*m, "tool_calls"), ch.tool_calls, read_tool_call))
    return false;
  if (reasoning) ch.reasoning = std::move(*reasoning);
  if (const auto* f = get_object(*m, "function_call"); f != nullptr && ch.tool_calls.empty()) {
    chat_tool_call call;  // legacy: no id (to_response names it)
    if (!get_string(*f, "name", call.name) || !get_string(*f, "arguments", call.arguments)) return false;
    ch.tool_calls.push_back(std::move(call));
  }
  return true;
}

}  // namespace

boost::system::result<chat_chunk> parse_chat_chunk(boost::json::object&& o) {
  chat_chunk c;
  if (!read_header(o, c) || !read_objects(o.if_contains("choices"), c.choices, read_chunk_choice))
    return protocol_error();
  detail::adopt(c.raw, std::move(o));
  return c;
}

boost::system::result<chat_completion> parse_chat_completion(const boost::json::object& o) {
  chat_completion c;
  if (!read_header(o, c) || !read_objects(if_array(o, "choices"), c.choices, read_choice))
    return protocol_error();
  c.raw = o;
  return c;
}

response to_response(const chat_completion& c, std::int64_t choice_index) {
  response r;
  r.id = c.id;
  r.model = c.model;
  r.created_at = c.created;
  r.request_id = c.request_id;
  r.status = "completed";
  if (c.usage) r.usage = c.usage->to_usage();
  const chat_choice* ch = nullptr;
  for (const auto& candidate : c.choices)
    if (candidate.index == choice_index) ch = &candidate;
  if (ch == nullptr) return r;
  if (ch->finish_reason == "length") {
    r.status = "incomplete";
    r.incomplete_reason = "max_output_tokens";
  } else if (ch->finish_reason == "content_filter") {
    r.status = "incomplete";
    r.incomplete_reason = "content_filter";
  }
  if (!ch->content.empty() || !ch->refusal.empty()) {
    output_item msg;
    msg.type = "message";
    msg.id = c.id;
    msg.role = "assistant";
    msg.status = "completed";
    boost::json::array content;
    if (!ch->content.empty()) {
      msg.content.push_back({"output_text", ch->content, {}});
      content.push_back(
          {{"type", "output_text"}, {"text", ch->content}, {"annotations", boost::json::array{}}});
    }
    if (!ch->refusal.empty()) {
      msg.content.push_back({"refusal", ch->refusal, {}});
      content.push_back({{"type", "refusal"}, {"refusal", ch->refusal}});
    }
    msg.raw = {{"type", "message"},
               {"id", msg.id},
               {"role", "assistant"},
               {"status", "completed"},
               {"content", std::move(content)}};
    r.output.push_back(std::move(msg));
  }
  for (std::size_t i = 0; i < ch->tool_calls.size(); ++i) {
    const auto& call = ch->tool_calls[i];
    output_item fc;
    fc.type = "function_call";
    // A legacy function_call has no id: one is made up from the completion id.
    fc.call_id = call.id.empty() ? "call_" + c.id + "_" + std::to_string(i) : call.id;
    fc.name = call.name;
    fc.arguments = call.arguments;
    fc.status = "completed";
    fc.raw = {{"type", "function_call"},
              {"call_id", fc.call_id},
              {"name", call.name},
              {"arguments", call.arguments}};
    r.output.push_back(std::move(fc));
  }
  return r;
}

chat_choice& chat_accumulator::choice(std::int64_t index) {
  auto& choices = completion_.choices;
  auto it = std::lower_bound(choices.begin(), choices.end(), index,
                             [](const chat_choice& c, std::int64_t i) { return c.index < i; });
  if (it == choices.end() || it->index != index) {
    it = choices.insert(it, chat_choice{});
    it->index = index;
  }
  return *it;
}

void chat_accumulator::apply(const chat_chunk& c) {
  if (!c.id.empty()) completion_.id = c.id;
  if (!c.model.empty()) completion_.model = c.model;
  if (c.created != 0) completion_.created = c.created;
  if (c.usage) completion_.usage = c.usage;
  for (const auto& ch : c.choices) {
    auto& acc = choice(ch.index);
    if (ch.delta.role) acc.role = *ch.delta.role;
    if (ch.delta.content) acc.content += *ch.delta.content;
    if (ch.delta.refusal) acc.refusal += *ch.delta.refusal;
    if (ch.delta.reasoning) acc.reasoning += *ch.delta.reasoning;
    for (const auto& t : ch.delta.tool_calls) {
      // Calls are keyed by their index (not by position in the array): fragments may interleave.
      if (t.index < 0 || t.index > 4096) continue;
      const auto i = static_cast<std::size_t>(t.index);
      if (acc.tool_calls.size() <= i) acc.tool_calls.resize(i + 1);
      auto& call = acc.tool_calls[i];
      // From whichever fragment has them: some servers repeat the fields as "" on later fragments.
      if (t.id && !t.id->empty()) call.id = *t.id;
      if (t.type && !t.type->empty()) call.type = *t.type;
      if (t.name && !t.name->empty()) call.name = *t.name;
      call.arguments += t.arguments;
    }
    if (!ch.finish_reason.empty()) acc.finish_reason = ch.finish_reason;
  }
}

void chat_decoder::set_request_id(std::string id) {
  request_id_ = std::move(id);
  acc_.current().request_id = request_id_;
}

struct chat_decoder::joiner {
  detail::surrogate_joiner held;
};

void chat_decoder::joiner_deleter::operator()(joiner* j) const noexcept {
  delete j;
}

namespace {

// The key of one text stream of a chat chunk: choice index, then content / refusal / reasoning / the
// arguments of tool call n.
std::uint64_t stream_key(std::int64_t choice, std::uint64_t field) {
  return (static_cast<std::uint64_t>(choice) << 20) | field;
}

constexpr std::uint64_t content_field = 0, refusal_field = 1, reasoning_field = 2, arguments_field = 3;

std::optional<std::string>* field_of(chat_delta& d, std::uint64_t field) {
  if (field == content_field) return &d.content;
  if (field == refusal_field) return &d.refusal;
  if (field == reasoning_field) return &d.reasoning;
  return nullptr;
}

constexpr std::uint64_t field_mask = (std::uint64_t{1} << 20) - 1;

// U+FFFD for a surrogate that stays unpaired, appended to the choice's fragment of `field`.
void append_replacement(chat_chunk_choice& ch, std::uint64_t field) {
  if (auto* s = field_of(ch.delta, field)) {
    if (!s->has_value()) s->emplace();
    **s += detail::replacement_character;
    return;
  }
  const auto index = static_cast<std::int64_t>(field - arguments_field);
  auto t = std::find_if(ch.delta.tool_calls.begin(), ch.delta.tool_calls.end(),
                        [&](const auto& d) { return d.index == index; });
  if (t == ch.delta.tool_calls.end()) {
    ch.delta.tool_calls.emplace_back();
    t = ch.delta.tool_calls.end() - 1;
    t->index = index;
  }
  t->arguments += detail::replacement_character;
}

}  // namespace

// Resolves lone surrogates (docs/openai-client.md#lone-surrogates); only runs when the chunk had some or
// a surrogate is held from an earlier chunk.
void chat_decoder::fix_surrogates(chat_chunk& c, bool lone_surrogates) {
  if (!lone_surrogates && !joiner_) return;
  if (!joiner_) joiner_.reset(new joiner);
  auto& held = joiner_->held;
  for (auto& ch : c.choices) {
    for (std::uint64_t f : {content_field, refusal_field, reasoning_field})
      if (auto* s = field_of(ch.delta, f); s->has_value()) held.fix(stream_key(ch.index, f), **s);
    for (auto& t : ch.delta.tool_calls) {
      const auto key = stream_key(ch.index, arguments_field + static_cast<std::uint64_t>(t.index));
      held.fix(key, t.arguments);
      if (t.name) detail::replace_lone_surrogates(*t.name);
    }
    if (ch.finish_reason.empty()) continue;
    // The choice is over: whatever it still holds becomes U+FFFD here.
    std::vector<std::uint64_t> fields;
    for (const auto& h : held.held())
      if (static_cast<std::int64_t>(h.first >> 20) == ch.index) fields.push_back(h.first & field_mask);
    for (auto f : fields) {
      held.release(stream_key(ch.index, f));
      append_replacement(ch, f);
    }
  }
  if (lone_surrogates) detail::replace_lone_surrogates(c.raw);
  if (held.empty()) joiner_.reset();
}

// At [DONE]: a chunk carrying U+FFFD for every surrogate still held back, or nullopt.
std::optional<chat_chunk> chat_decoder::flush_held() {
  if (!joiner_) return std::nullopt;
  chat_chunk c;
  c.id = acc_.current().id;
  c.model = acc_.current().model;
  for (const auto& [key, bytes] : joiner_->held.held()) {
    const auto index = static_cast<std::int64_t>(key >> 20);
    const auto field = key & field_mask;
    auto it = std::find_if(c.choices.begin(), c.choices.end(), [&](auto& ch) { return ch.index == index; });
    if (it == c.choices.end()) {
      c.choices.emplace_back();
      it = c.choices.end() - 1;
      it->index = index;
    }
    append_replacement(*it, field);
  }
  joiner_.reset();
  acc_.apply(c);
  ++delivered_;
  return c;
}

std::optional<chat_chunk> chat_decoder::next() {
  while (!done_) {
    auto p = detail::next_payload(sse_, json_, request_id_, "chunk");
    if (!p) return std::nullopt;
    if (p->done_marker) {
      done_ = true;
      return flush_held();
    }
    // A chunk that carries `error` (any value but null or false) ends the stream.
    if (const auto* err = p->object.if_contains("error");
        err != nullptr && !err->is_null() && !(err->is_bool() && !err->get_bool())) {
      done_ = true;
      error_details d;
      if (err->is_object()) detail::read_error_fields(err->get_object(), d);
      if (d.message.empty()) d.message = "error chunk in stream";
      throw detail::stream_failure(errc::stream_error, std::move(d), request_id_, p->data);
    }
    auto parsed = parse_chat_chunk(std::move(p->object));
    if (parsed.has_error())
      throw detail::stream_failure(errc::stream_protocol_error, "malformed chat.completion.chunk",
                                   request_id_, p->data);
    std::optional<chat_chunk> chunk(std::in_place, std::move(parsed).value());
    fix_surrogates(*chunk, p->lone_surrogates);
    acc_.apply(*chunk);
    ++delivered_;
    return chunk;
  }
  return std::nullopt;
}

void chat_decoder::finish() {
  sse_.finish();
  if (done_) return;
  const auto& choices = acc_.current().choices;
  const bool complete = !choices.empty() && std::all_of(choices.begin(), choices.end(), [](const auto& c) {
    return !c.finish_reason.empty();
  });
  if (!complete)
    throw detail::stream_failure(errc::stream_truncated, "the stream ended before [DONE]", request_id_);
  done_ = true;
}

}  // namespace chatkit::openai
