// Request dispatch: process() visits the parsed request, streaming requests go through open_stream (validate,
// then return the stream), the others through answer (one JSON body). The request table, what each request
// persists and when, cancellation and error events are described in docs/server.md.
#include "server/detail/base64.hpp"

#include <chatkit/log.hpp>
#include <chatkit/metrics.hpp>
#include <chatkit/server/chatkit_server.hpp>

#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/this_coro.hpp>

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cstdint>

namespace chatkit::server {

namespace cp = chatkit::protocol;
namespace asio = boost::asio;
using asio::awaitable;

namespace {

constexpr std::string_view empty_object = "{}";

json_response json_body(std::string body) {
  return json_response{std::move(body)};
}

// Answers are written into a recycled buffer (answer_buffer): no allocation for them in the steady state.
template <class T>
json_response json_of(const T& value) {
  std::string body = answer_buffer(512);
  cp::json_writer w(body);
  cp::write_json(w, value);
  return json_body(std::move(body));
}

// chatkit_requests_total for a stream: 200 when the transport runs it (the call to `run`, which only creates
// the coroutine), or the status the transport answers instead (event_stream::refused). Neither wrapper is a
// coroutine: the stream's own coroutine is unchanged.
void count_when_run(event_stream& stream, std::size_t type_index) {
  stream.run = [run = std::move(stream.run), type_index](event_sink& sink) {
    metrics::count_request(type_index, 200);
    return run(sink);
  };
  stream.refused = [type_index](int status) { metrics::count_request(type_index, status); };
}

std::size_t page_size(std::optional<std::int64_t> limit, const server_options& options) {
  if (!limit || *limit == 0) return options.default_page_size;
  if (*limit < 0)
    throw chatkit::error(chatkit::errc::invalid_request, "params.limit: must not be negative",
                         "params.limit");
  return std::min(static_cast<std::size_t>(*limit), options.max_page_size);
}

void drop_hidden(cp::item_page& page) {
  std::erase_if(page.data, [](const cp::thread_item& i) { return cp::is_hidden(i); });
}

// Unicode White_Space (plus the ASCII separators U+001C..U+001F that other SDKs' strip() also removes): a
// partial answer of only such characters is as empty as one of plain spaces.
bool is_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

// True when `text` (UTF-8) has a character that is not white space. Bytes that do not decode count as text.
bool has_non_space(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto b = static_cast<unsigned char>(text[i]);
    std::size_t len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > text.size()) return true;
    char32_t c = len == 1 ? b : (b & (0x7F >> len));
    for (std::size_t k = 1; k < len; ++k) {
      const auto cont = static_cast<unsigned char>(text[i + k]);
      if ((cont & 0xC0) != 0x80) return true;
      c = (c << 6) | (cont & 0x3F);
    }
    if (!is_space(c)) return true;
    i += len;
  }
  return false;
}

bool has_visible_text(const cp::assistant_message_item& msg) {
  return std::any_of(msg.content.begin(), msg.content.end(),
                     [](const cp::output_text& part) { return has_non_space(part.text); });
}

// The error event for an exception thrown by a hook (docs/server.md#error-events).
cp::error_event error_event_for(const std::exception_ptr& failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const stream_error& e) {
    return cp::error_event{e.event_code(), e.message(), e.allow_retry()};
  } catch (...) {
    return cp::error_event{"stream.error", std::nullopt, true};
  }
}

// A reference that ties what a client is told to the server's log line (16 hex digits).
std::string error_reference() {
  std::array<unsigned char, 8> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    static std::atomic<std::uint64_t> counter{0};
    const auto n = ++counter;
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<unsigned char>(n >> (8 * i));
  }
  constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out.push_back(hex[b >> 4]);
    out.push_back(hex[b & 0xF]);
  }
  return out;
}

// Store failures whose message may carry the database's own text (an sqlite3_errmsg, a PQerrorMessage: table
// names, SQL, file paths). The client gets the reason's fixed wording and a reference; the detail goes to the
// log line with that reference (docs/security.md#errors). Other store errors (not found, bad page cursor) are
// worded by the store from the caller's own ids and pass unchanged.
[[noreturn]] void rethrow_store_error_for_client(const store::store_error& e) {
  switch (e.reason()) {
    case store::errc::unavailable:
    case store::errc::constraint_violation:
    case store::errc::invalid_record:
    case store::errc::record_too_large:
    case store::errc::corrupt_record:
    case store::errc::database_error:
      break;
    default:
      throw;
  }
  const std::string ref = error_reference();
  const std::string fixed = store::store_category().message(static_cast<int>(e.reason()));
  log::error("server", "store error", {{"reference", ref}, {"reason", fixed}, {"detail", e.message()}});
  throw store::store_error(e.reason(), fixed + " (reference " + ref + ")");
}

// The HTTP status a failure of process() maps to, for chatkit_requests_total.
int status_of(const std::exception_ptr& failure) noexcept {
  try {
    std::rethrow_exception(failure);
  } catch (const boost::system::system_error& e) {
    return chatkit::http_status(e.code());
  } catch (...) {
    return 500;
  }
}

// Counts a stream as open while it runs, and its frames once it ends (docs/guide-operations.md#metrics).
struct stream_metrics {
  const event_emitter& out;
  explicit stream_metrics(const event_emitter& o) noexcept : out(o) { metrics::stream_opened(); }
  ~stream_metrics() {
    metrics::add_events_sent(out.events_sent());
    metrics::stream_closed();
  }
  stream_metrics(const stream_metrics&) = delete;
  stream_metrics& operator=(const stream_metrics&) = delete;
};

// The two request families, told apart by the request type's `streaming` flag (docs/server.md#requests).
template <class R>
concept streaming_request = R::streaming;
template <class R>
concept json_request = !R::streaming;

template <class... F>
struct overloaded : F... {
  using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

// What a streaming request's run() needs after validation.
struct stream_state {
  cp::thread_metadata thread;
  request_context ctx;
  std::optional<cp::user_message_item> user_message;
  std::vector<cp::attachment> attachments;
  std::optional<cp::thread_item> replaced;  // structured input: the answered item
  std::optional<cp::action> action;
  std::optional<cp::widget_item> sender;
  bool sender_not_widget = false;
  std::vector<std::string> delete_items;  // retry: items newer than the user message
  bool empty_stream = false;              // retry with an unknown item: zero frames
  std::optional<cp::client_tool_call_item> tool_output;
};

}  // namespace

struct chatkit_server::impl {
  // Fresh ids drawn when a generated id is taken (each draw is 96 random bits: one retry is already rare).
  static constexpr int max_id_attempts = 4;

  using body_fn = awaitable<void> (*)(chatkit_server&, stream_state&, event_emitter&);

  static awaitable<cp::thread_metadata> load_thread(chatkit_server& s, const std::string& id,
                                                    const request_context& ctx) {
    co_return co_await s.store_->load_thread(id, ctx);
  }

  // Runs the event pipeline around `body`: stream_options, the hook, error events, cancellation, thread
  // changes (docs/server.md#the-event-pipeline).
  static awaitable<void> pipeline(chatkit_server& s, stream_state& st, event_emitter& out, body_fn body) {
    co_await out.write_frame(cp::stream_options_event{s.get_stream_options(st.thread, st.ctx)});
    std::exception_ptr failure;
    try {
      co_await body(s, st, out);
    } catch (...) {
      failure = std::current_exception();
    }
    const auto state = co_await asio::this_coro::cancellation_state;
    const bool cancelled = is_cancellation(failure) || state.cancelled() != asio::cancellation_type::none;
    if (cancelled) {
      // Store calls after a cancellation would be aborted at once: clear the state before persisting.
      co_await asio::this_coro::reset_cancellation_state();
      co_await s.handle_stream_cancelled(st.thread, out.take_pending_items(), st.ctx);
      throw stream_cancelled();
    }
    // Pending items are not persisted after an error; a changed thread still is
    // (docs/server.md#error-events).
    if (!failure) {
      co_await out.flush_thread_changes();
      co_return;
    }
    co_await out.write_frame(error_event_for(failure));
    std::exception_ptr save_failure;
    try {
      co_await out.flush_thread_changes();
    } catch (...) {
      save_failure = std::current_exception();
    }
    // The error event is already out: a store that also refuses the thread change adds nothing for the
    // client (it was not announced either).
    if (save_failure && is_cancellation(save_failure)) std::rethrow_exception(save_failure);
  }

  static awaitable<void> respond_body(chatkit_server& s, stream_state& st, event_emitter& out) {
    const cp::user_message_item* msg = st.user_message ? &*st.user_message : nullptr;
    co_await s.respond(respond_args{st.thread, msg, st.ctx}, out);
  }

  static awaitable<void> replaced_then_respond(chatkit_server& s, stream_state& st, event_emitter& out) {
    co_await out.emit(cp::item_replaced_event{*st.replaced});
    co_await s.respond(respond_args{st.thread, nullptr, st.ctx}, out);
  }

  static awaitable<void> action_body(chatkit_server& s, stream_state& st, event_emitter& out) {
    co_await s.action(action_args{st.thread, *st.action, st.sender ? &*st.sender : nullptr, st.ctx}, out);
  }

  // ---- validation helpers ----

  static awaitable<cp::user_message_item> build_user_message(chatkit_server& s,
                                                             const cp::user_message_input& input,
                                                             stream_state& st) {
    cp::user_message_item msg;
    msg.id = s.store_->generate_item_id(store::id_kind::message, st.thread, st.ctx);
    msg.thread_id = st.thread.id;
    msg.created_at = cp::timestamp::now();
    msg.content = input.content;
    msg.quoted_text = input.quoted_text;
    msg.inference_options = input.inference_options;
    for (const auto& id : input.attachments) {
      cp::attachment a = co_await s.store_->load_attachment(id, st.ctx);
      a.thread_id = st.thread.id;
      msg.attachments.push_back(a);
      st.attachments.push_back(std::move(a));
    }
    co_return msg;
  }

  // Saves the attachments (now bound to the thread) and the user message, and announces it.
  // A generated id that happens to be taken (practically never with 96 random bits) is replaced by a fresh
  // one: the user's message is still stored (docs/stores.md#ids).
  static awaitable<void> persist_user_message(chatkit_server& s, stream_state& st, event_emitter& out) {
    for (const auto& a : st.attachments) co_await s.store_->save_attachment(a, st.ctx);
    for (int attempt = 1;; ++attempt) {
      try {
        co_await s.store_->add_thread_item(st.thread.id, *st.user_message, st.ctx);
        break;
      } catch (const store::store_error& e) {
        if (e.reason() != store::errc::item_exists || attempt == max_id_attempts) throw;
      }
      st.user_message->id = s.store_->generate_item_id(store::id_kind::message, st.thread, st.ctx);
    }
    co_await out.write_frame(cp::item_done_event{*st.user_message});
  }

  // Creates the new thread of a threads.create, drawing a fresh id while the generated one is taken.
  static awaitable<void> insert_new_thread(chatkit_server& s, stream_state& st) {
    for (int attempt = 1;; ++attempt) {
      try {
        co_await s.store_->insert_thread(st.thread, st.ctx);
        co_return;
      } catch (const store::store_error& e) {
        if (e.reason() != store::errc::id_taken || attempt == max_id_attempts) throw;
      }
      st.thread.id = s.store_->generate_thread_id(st.ctx);
      if (st.user_message) st.user_message->thread_id = st.thread.id;
      for (auto& a : st.attachments) a.thread_id = st.thread.id;
      if (st.user_message)
        for (auto& a : st.user_message->attachments) a.thread_id = st.thread.id;
    }
  }

  // ---- streaming requests ----
  //
  // open_stream validates a streaming request *before* returning the stream: everything that can fail with
  // a request error (404, 400, 409) throws here, so the transport can still answer with a status. Each
  // request's `prepare` overload does its part of the validation into the stream state and returns the steps
  // the stream then runs.

  template <streaming_request R>
  static awaitable<process_result> open_stream(chatkit_server& s, R& r, request_context ctx) {
    auto st = std::make_shared<stream_state>();
    st->ctx = std::move(ctx);
    if constexpr (requires { r.params.thread_id; })
      st->thread = co_await load_thread(s, r.params.thread_id, st->ctx);
    const body_fn steps = co_await prepare(s, r, *st);
    co_return event_stream{[&s, st, steps](event_sink& sink) -> awaitable<void> {
      event_emitter out(sink, *s.store_, st->thread, st->ctx);
      const stream_metrics counted(out);
      std::exception_ptr failure;
      try {
        try {
          co_await steps(s, *st, out);
        } catch (const store::store_error& e) {
          // Never database text for the client (docs/security.md): a fixed message and a reference.
          rethrow_store_error_for_client(e);
        }
      } catch (...) {
        failure = std::current_exception();
      }
      if (!failure) co_return;
      // A failure before the first frame escapes (the transport answers with a status); one after frames
      // went out (a store error between the prelude's frames, or while saving the thread at the end) ends
      // the stream with an error event (docs/server.md#error-events).
      if (out.events_sent() == 0 || is_cancellation(failure)) std::rethrow_exception(failure);
      co_await out.write_frame(error_event_for(failure));
    }};
  }

  static awaitable<body_fn> prepare(chatkit_server& s, cp::threads_create& r, stream_state& st) {
    st.thread.id = s.store_->generate_thread_id(st.ctx);
    st.thread.created_at = cp::timestamp::now();
    // Attachments are checked before anything is written, so a bad id leaves no empty thread behind.
    st.user_message = co_await build_user_message(s, r.params.input, st);
    co_return [](chatkit_server& srv, stream_state& state, event_emitter& out) -> awaitable<void> {
      co_await insert_new_thread(srv, state);
      co_await out.write_frame(cp::thread_created_event{state.thread});
      co_await persist_user_message(srv, state, out);
      co_await pipeline(srv, state, out, respond_body);
    };
  }

  static awaitable<body_fn> prepare(chatkit_server& s, cp::threads_add_user_message& r, stream_state& st) {
    st.user_message = co_await build_user_message(s, r.params.input, st);
    co_return [](chatkit_server& srv, stream_state& state, event_emitter& out) -> awaitable<void> {
      co_await persist_user_message(srv, state, out);
      co_await pipeline(srv, state, out, respond_body);
    };
  }

  static awaitable<body_fn> prepare(chatkit_server& s, cp::threads_add_client_tool_output& r,
                                    stream_state& st) {
    auto newest =
        co_await s.store_->load_thread_items(st.thread.id, std::nullopt, 1, cp::sort_order::desc, st.ctx);
    const auto* call =
        newest.data.empty() ? nullptr : std::get_if<cp::client_tool_call_item>(&newest.data.front());
    if (!call || call->status != cp::client_tool_call_status::pending)
      throw chatkit::error(chatkit::errc::conflict,
                           "Last thread item in " + st.thread.id + " was not a ClientToolCallItem");
    st.tool_output = *call;
    if (!r.params.result.is_null()) st.tool_output->output = std::move(r.params.result);  // null: no output
    st.tool_output->status = cp::client_tool_call_status::completed;
    co_return [](chatkit_server& srv, stream_state& state, event_emitter& out) -> awaitable<void> {
      // Dangling pending calls among the newest items are removed (docs/server.md#requests), before the
      // call is completed: a store failure in between leaves the call pending, so the client can send its
      // output again (docs/server.md#store-failures).
      auto recent = co_await srv.store_->load_thread_items(
          state.thread.id, std::nullopt, srv.options_.default_page_size, cp::sort_order::desc, state.ctx);
      for (const auto& item : recent.data)
        if (const auto* c = std::get_if<cp::client_tool_call_item>(&item);
            c && c->status == cp::client_tool_call_status::pending && c->id != state.tool_output->id)
          co_await srv.store_->delete_thread_item(state.thread.id, c->id, state.ctx);
      co_await srv.store_->save_item(state.thread.id, *state.tool_output, state.ctx);
      co_await pipeline(srv, state, out, respond_body);
    };
  }

  static awaitable<body_fn> prepare(chatkit_server& s, cp::threads_add_structured_input& r,
                                    stream_state& st) {
    auto item = co_await s.store_->load_item(st.thread.id, r.params.item_id, st.ctx);
    auto* si = std::get_if<cp::structured_input_item>(&item);
    if (!si)
      throw chatkit::error(chatkit::errc::invalid_request,
                           "Item " + r.params.item_id + " is not a StructuredInputItem", "params.item_id");
    if (si->status != cp::structured_input_status::pending)
      throw chatkit::error(chatkit::errc::conflict,
                           "Structured input item " + r.params.item_id + " is not pending");
    const auto& submission = r.params.input;
    const bool skipped_all = submission.status == cp::submission_status::skipped;
    for (auto& question : si->inputs) {
      std::visit(
          [&](auto& q) {
            const auto it = submission.answers.find(q.id);
            if (skipped_all || it == submission.answers.end() || it->second.skipped ||
                it->second.values.empty()) {
              q.answer = cp::input_answer{{}, true};
              return;
            }
            auto values = it->second.values;
            if constexpr (std::is_same_v<std::remove_cvref_t<decltype(q)>, cp::multiple_choice_input>) {
              if (!q.multiple) values.resize(1);
            }
            q.answer = cp::input_answer{std::move(values), false};
          },
          question);
    }
    si->status = skipped_all ? cp::structured_input_status::skipped : cp::structured_input_status::answered;
    st.replaced = std::move(item);
    co_return [](chatkit_server& srv, stream_state& state, event_emitter& out) -> awaitable<void> {
      co_await pipeline(srv, state, out, replaced_then_respond);
    };
  }

  static awaitable<body_fn> prepare(chatkit_server& s, cp::threads_custom_action& r, stream_state& st) {
    if (r.params.item_id) {
      auto item = co_await s.store_->load_item(st.thread.id, *r.params.item_id, st.ctx);
      if (auto* w = std::get_if<cp::widget_item>(&item))
        st.sender = std::move(*w);
      else
        st.sender_not_widget = true;
    }
    st.action = std::move(r.params.action);
    co_return [](chatkit_server& srv, stream_state& state, event_emitter& out) -> awaitable<void> {
      if (state.sender_not_widget) {  // exactly one error frame (docs/server.md#requests)
        co_await out.write_frame(cp::error_event{"stream.error", std::nullopt, false});
        co_return;
      }
      co_await pipeline(srv, state, out, action_body);
    };
  }

  static awaitable<body_fn> prepare(chatkit_server& s, cp::threads_retry_after_item& r, stream_state& st) {
    std::optional<std::string> after;
    bool found = false;
    while (!found) {
      auto page = co_await s.store_->load_thread_items(st.thread.id, after, s.options_.default_page_size,
                                                       cp::sort_order::desc, st.ctx);
      for (auto& item : page.data) {
        if (cp::item_id(item) == r.params.item_id) {
          auto* msg = std::get_if<cp::user_message_item>(&item);
          if (!msg)
            throw chatkit::error(chatkit::errc::invalid_request,
                                 "Item " + r.params.item_id + " is not a user message", "params.item_id");
          st.user_message = std::move(*msg);
          found = true;
          break;
        }
        st.delete_items.push_back(cp::item_id(item));
      }
      if (found || !page.has_more) break;
      after = page.after;
    }
    if (!found) {
      st.empty_stream = true;
      st.delete_items.clear();
    }
    co_return [](chatkit_server& srv, stream_state& state, event_emitter& out) -> awaitable<void> {
      if (state.empty_stream) co_return;  // an unknown item: nothing deleted, zero frames
      for (const auto& id : state.delete_items)
        co_await srv.store_->delete_thread_item(state.thread.id, id, state.ctx);
      co_await pipeline(srv, state, out, respond_body);
    };
  }

  // ---- non-streaming requests: one `answer` overload per request, each returns the JSON body ----

  static awaitable<process_result> answer(chatkit_server& s, cp::threads_get_by_id& r, request_context ctx) {
    cp::thread t;
    static_cast<cp::thread_metadata&>(t) = co_await load_thread(s, r.params.thread_id, ctx);
    t.items = co_await s.store_->load_thread_items(t.id, std::nullopt, s.options_.default_page_size,
                                                   cp::sort_order::asc, ctx);
    drop_hidden(t.items);
    co_return json_of(t);
  }

  static awaitable<process_result> answer(chatkit_server& s, cp::threads_list& r, request_context ctx) {
    const auto limit = page_size(r.params.limit, s.options_);
    // Written straight from the store's records (store::visit_threads): no copy of the page's threads. About
    // 190 bytes a thread, and room for the last thread's worst case (json_writer::value_with), so that the
    // buffer never grows while it is written.
    std::string body = answer_buffer(1024 + limit * 200);
    cp::json_writer w(body);
    w.begin_object();
    w.key("data");
    w.begin_array();
    const store::thread_visitor write_thread = [&w](const cp::thread_metadata& t) { cp::write_json(w, t); };
    auto end = co_await s.store_->visit_threads(
        limit, r.params.after, r.params.order.value_or(cp::sort_order::desc), ctx, write_thread);
    w.end_array();
    w.key("has_more");
    w.boolean(end.has_more);
    if (end.after) {
      w.key("after");
      w.string(*end.after);
    }
    w.end_object();
    co_return json_body(std::move(body));
  }

  static awaitable<process_result> answer(chatkit_server& s, cp::threads_update& r, request_context ctx) {
    auto t = co_await load_thread(s, r.params.thread_id, ctx);
    t.title = std::move(r.params.title);
    co_await s.store_->save_thread(t, ctx);
    co_return json_of(t);
  }

  static awaitable<process_result> answer(chatkit_server& s, cp::threads_delete& r, request_context ctx) {
    co_await s.store_->delete_thread(r.params.thread_id, ctx);
    co_return json_body(std::string(empty_object));
  }

  static awaitable<process_result> answer(chatkit_server& s, cp::items_list& r, request_context ctx) {
    const auto limit = page_size(r.params.limit, s.options_);
    auto t = co_await load_thread(s, r.params.thread_id, ctx);
    auto page = co_await s.store_->load_thread_items(t.id, r.params.after, limit,
                                                     r.params.order.value_or(cp::sort_order::desc), ctx);
    drop_hidden(page);
    co_return json_of(page);
  }

  static awaitable<process_result> answer(chatkit_server& s, cp::items_feedback& r, request_context ctx) {
    // Every id is checked: feedback on another user's items is a 404 like any other access.
    auto t = co_await load_thread(s, r.params.thread_id, ctx);
    for (const auto& id : r.params.item_ids) (void)co_await s.store_->load_item(t.id, id, ctx);
    co_await s.add_feedback(t.id, r.params.item_ids, r.params.kind, ctx);
    co_return json_body(std::string(empty_object));
  }

  static store::attachment_store& require_attachments(chatkit_server& s) {
    if (!s.attachments_)
      throw chatkit::error(chatkit::errc::not_implemented,
                           "AttachmentStore is not configured for this server");
    return *s.attachments_;
  }

  static awaitable<process_result> answer(chatkit_server& s, cp::attachments_create& r, request_context ctx) {
    auto& attachments = require_attachments(s);
    if (r.params.size < 0)
      throw chatkit::error(chatkit::errc::invalid_request, "params.size: must not be negative",
                           "params.size");
    auto a = co_await attachments.create_attachment(r.params, ctx);
    co_await s.store_->save_attachment(a, ctx);
    co_return json_of(a);
  }

  static awaitable<process_result> answer(chatkit_server& s, cp::attachments_delete& r, request_context ctx) {
    auto& attachments = require_attachments(s);
    (void)co_await s.store_->load_attachment(r.params.attachment_id, ctx);  // ownership first
    try {
      co_await attachments.delete_attachment(r.params.attachment_id, ctx);
    } catch (const chatkit::error& e) {
      // The bytes are gone already: an earlier attempt deleted them and then failed to delete the metadata.
      // The metadata is the caller's (checked above), so the delete goes on and the request can be retried
      // (docs/server.md#store-failures).
      if (e.code_value() != chatkit::errc::not_found) throw;
    }
    co_await s.store_->delete_attachment(r.params.attachment_id, ctx);
    co_return json_body(std::string(empty_object));
  }

  static awaitable<process_result> answer(chatkit_server& s, cp::input_transcribe& r, request_context ctx) {
    auto data = detail::decode_base64(r.params.audio_base64);
    if (!data)
      throw chatkit::error(chatkit::errc::invalid_request, "params.audio_base64: not valid standard base64",
                           "params.audio_base64");
    audio_input audio{std::move(*data), r.params.mime_type,
                      r.params.mime_type.substr(0, r.params.mime_type.find(';'))};
    std::string text = co_await s.transcribe(std::move(audio), ctx);
    std::string body = R"({"text":)";
    cp::append_json_string(body, text);
    body.push_back('}');
    co_return json_body(std::move(body));
  }

  static awaitable<process_result> answer(chatkit_server& s, cp::threads_sync_custom_action& r,
                                          request_context ctx) {
    auto t = co_await load_thread(s, r.params.thread_id, ctx);
    std::optional<cp::widget_item> sender;  // none without item_id (docs/server.md#protocol-details)
    if (r.params.item_id) {
      auto item = co_await s.store_->load_item(t.id, *r.params.item_id, ctx);
      auto* w = std::get_if<cp::widget_item>(&item);
      if (!w)
        throw chatkit::error(chatkit::errc::invalid_request,
                             "threads.sync_custom_action requires a widget sender item", "params.item_id");
      sender = std::move(*w);
    }
    auto updated = co_await s.sync_action(action_args{t, r.params.action, sender ? &*sender : nullptr, ctx});
    if (!updated) co_return json_body(std::string(empty_object));
    std::string body = R"({"updated_item":)";
    cp::json_writer w(body);
    cp::write_json(w, *updated);
    body.push_back('}');
    co_return json_body(std::move(body));
  }
};

chatkit_server::chatkit_server(std::shared_ptr<store::store> store,
                               std::shared_ptr<store::attachment_store> attachments, server_options options)
    : store_(std::move(store)), attachments_(std::move(attachments)), options_(std::move(options)) {
  if (!store_) throw std::invalid_argument("chatkit_server needs a store");
}

chatkit_server::~chatkit_server() = default;

awaitable<process_result> chatkit_server::process(std::string body, request_context ctx) {
  store::require_user(ctx);
  std::optional<cp::request> request;
  try {
    request.emplace(cp::parse_request(body, options_.limits));
  } catch (...) {
    metrics::count_request(metrics::request_type_count, status_of(std::current_exception()));
    throw;
  }
  co_return co_await process(std::move(*request), std::move(ctx));
}

awaitable<process_result> chatkit_server::process(cp::request request, request_context ctx) {
  store::require_user(ctx);
  // One overload per request family; within a family, overload resolution on the request type picks the
  // handler (a request type without one does not compile). `request` lives in this frame while the handler
  // runs: they take the request by reference.
  const std::size_t type_index = request.index();
  std::exception_ptr failure;
  try {
    try {
      auto result = co_await std::visit(
          overloaded{
              [&]<streaming_request R>(R& r) { return impl::open_stream(*this, r, std::move(ctx)); },
              [&]<json_request R>(R& r) { return impl::answer(*this, r, std::move(ctx)); },
          },
          request);
      if (auto* stream = std::get_if<event_stream>(&result)) {
        // A stream counts once the transport runs it, or under the status it answers instead.
        count_when_run(*stream, type_index);
      } else {
        metrics::count_request(type_index, 200);
      }
      co_return result;
    } catch (const store::store_error& e) {
      rethrow_store_error_for_client(e);
    }
  } catch (...) {
    failure = std::current_exception();
  }
  metrics::count_request(type_index, status_of(failure));
  std::rethrow_exception(failure);
}

// ---- default hooks ----

awaitable<void> chatkit_server::action(action_args, event_emitter&) {
  throw chatkit::error(chatkit::errc::not_implemented, "this server does not handle widget actions");
  co_return;
}

awaitable<std::optional<cp::thread_item>> chatkit_server::sync_action(action_args) {
  throw chatkit::error(chatkit::errc::not_implemented,
                       "this server does not handle synchronous widget actions");
  co_return std::nullopt;
}

awaitable<void> chatkit_server::add_feedback(const std::string&, const std::vector<std::string>&,
                                             cp::feedback_kind, const request_context&) {
  co_return;
}

awaitable<std::string> chatkit_server::transcribe(audio_input, const request_context&) {
  throw chatkit::error(chatkit::errc::not_implemented, "this server does not transcribe audio");
  co_return std::string{};
}

cp::stream_options chatkit_server::get_stream_options(const cp::thread_metadata&, const request_context&) {
  return cp::stream_options{true};
}

awaitable<void> chatkit_server::handle_stream_cancelled(cp::thread_metadata& thread,
                                                        std::vector<cp::thread_item> pending,
                                                        const request_context& ctx) {
  for (auto& item : pending) {
    const auto* msg = std::get_if<cp::assistant_message_item>(&item);
    // save_item (an upsert) rather than add: if the cancelled operation was the item's own add, it is not
    // written twice.
    if (msg && has_visible_text(*msg)) co_await store_->save_item(thread.id, item, ctx);
  }
  cp::sdk_hidden_context_item note;
  note.id = store_->generate_item_id(store::id_kind::sdk_hidden_context, thread, ctx);
  note.thread_id = thread.id;
  note.created_at = cp::timestamp::now();
  note.content = std::string(cancelled_note);
  co_await store_->add_thread_item(thread.id, cp::thread_item{std::move(note)}, ctx);
}

}  // namespace chatkit::server
