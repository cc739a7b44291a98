// stream_agent_response (docs/agents.md#chatkit-stream_agent_response). Two coroutines share one queue: the pump pulls the run
// (which also runs the tools, whose helpers push onto the same queue) and the consumer turns each message
// into ChatKit events on the emitter. A parallel group ties their fates: a failing emitter (client gone) cancels the
// pump, hence the model call and the tools.
#include "agents/detail/event_queue.hpp"

#include <chatkit/agents/stream_agent_response.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/experimental/parallel_group.hpp>

#include <algorithm>
#include <map>
#include <utility>

namespace chatkit::agents {

namespace asio = boost::asio;
namespace json = boost::json;
namespace cp = chatkit::protocol;
using asio::awaitable;

namespace {

std::string_view string_member(const json::object& o, std::string_view key) {
  if (const auto* v = o.if_contains(key); v && v->is_string()) return v->as_string();
  return {};
}

std::optional<std::int64_t> int_field(const json::object& o, std::string_view key) {
  if (const auto* v = o.if_contains(key); v && v->is_int64()) return v->as_int64();
  if (const auto* v = o.if_contains(key); v && v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
  return std::nullopt;
}

// Responses annotation → ChatKit annotation; nullopt for the ones ChatKit cannot show.
std::optional<cp::annotation> convert_annotation(const json::value& v) {
  if (!v.is_object()) return std::nullopt;
  const auto& o = v.as_object();
  const auto type = string_member(o, "type");
  if (type == "url_citation") {
    cp::url_source src;
    src.url = std::string(string_member(o, "url"));
    src.title = std::string(string_member(o, "title"));
    return cp::annotation{src, int_field(o, "end_index")};
  }
  if (type == "file_citation" || type == "container_file_citation") {
    const auto filename = string_member(o, "filename");
    if (filename.empty()) return std::nullopt;
    cp::file_source src;
    src.title = std::string(filename);
    src.filename = std::string(filename);
    return cp::annotation{src, int_field(o, type == "file_citation" ? "index" : "end_index")};
  }
  return std::nullopt;
}

cp::output_text convert_part(const openai::content_part& p, bool with_annotations) {
  cp::output_text out;
  out.text = p.text;  // a refusal becomes plain text
  if (with_annotations && p.type == "output_text")
    for (const auto& a : p.annotations)
      if (auto c = convert_annotation(a)) out.annotations.push_back(std::move(*c));
  return out;
}

std::string default_image_url(std::string_view b64) { return "data:image/png;base64," + std::string(b64); }

class streamer {
 public:
  streamer(agent_context& ctx, server::event_emitter& out, stream_agent_response_options opts)
      : ctx_(ctx), out_(out), opts_(std::move(opts)) {
    if (!opts_.image_url) opts_.image_url = default_image_url;
  }

  // Adopts the open workflow of the previous turn.
  awaitable<void> adopt_workflow() {
    auto page = co_await ctx_.store.load_thread_items(ctx_.thread.id, std::nullopt, 2, cp::sort_order::desc, ctx_.caller);
    const auto& items = page.data;
    const cp::workflow_item* wf = nullptr;
    if (!items.empty()) wf = std::get_if<cp::workflow_item>(&items[0]);
    if (!wf && items.size() > 1 && std::holds_alternative<cp::client_tool_call_item>(items[0]))
      wf = std::get_if<cp::workflow_item>(&items[1]);
    if (wf) {
      ctx_.workflow_item = *wf;
      stored_workflow_id_ = wf->id;
    }
  }

  awaitable<void> pump(run_stream& run, detail::event_queue& q) {
    std::exception_ptr error;
    try {
      while (auto ev = co_await run.next()) co_await q.push(std::move(*ev));
    } catch (...) {
      error = std::current_exception();
    }
    auto state = co_await asio::this_coro::cancellation_state;
    if (state.cancelled() != asio::cancellation_type::none && error) std::rethrow_exception(error);
    co_await q.push(detail::end_of_run{error});
  }

  awaitable<void> consume(detail::event_queue& q) {
    for (;;) {
      auto msg = co_await q.pop();
      if (auto* end = std::get_if<detail::end_of_run>(&msg)) {
        run_error_ = end->error;
        co_return;
      }
      if (auto* ev = std::get_if<cp::stream_event>(&msg))
        co_await on_tool_event(std::move(*ev));
      else
        co_await on_run_event(std::get<run_event>(msg));
    }
  }

  // After the run: persist an open workflow (continued next turn), then the pending client tool call.
  awaitable<void> finish() {
    if (run_error_) std::rethrow_exception(run_error_);
    if (ctx_.workflow_item) co_await ctx_.store.save_item(ctx_.thread.id, *ctx_.workflow_item, ctx_.caller);
    if (ctx_.client_tool_call) {
      // The model call this answers: the one the requesting tool ran for, else the latest call of that name.
      const model_call* answered = nullptr;
      if (const auto& id = ctx_.client_tool_call->call_id; !id.empty()) {
        if (auto it = calls_.find(id); it != calls_.end()) answered = &it->second;
      } else if (auto by_name = latest_call_by_name_.find(ctx_.client_tool_call->name);
                 by_name != latest_call_by_name_.end()) {
        answered = &calls_.at(by_name->second);
      }
      cp::client_tool_call_item item;
      item.id = answered && !answered->item_id.empty() ? answered->item_id
                                                       : ctx_.new_item_id(store::id_kind::tool_call);
      item.thread_id = ctx_.thread.id;
      item.created_at = cp::timestamp::now();
      if (!ctx_.client_tool_call->call_id.empty())
        item.call_id = ctx_.client_tool_call->call_id;
      else
        item.call_id = answered ? answered->call_id : ctx_.new_item_id(store::id_kind::tool_call);
      item.name = ctx_.client_tool_call->name;
      item.arguments = ctx_.client_tool_call->arguments;
      item.status = cp::client_tool_call_status::pending;
      co_await out_.emit(cp::item_done_event{std::move(item)});
    }
  }

 private:
  // Sends an event through the pipeline — except the done of a workflow that is already stored (continued
  // from the previous turn): the pipeline would insert it a second time, so it is saved in place instead.
  awaitable<void> forward(cp::stream_event event) {
    if (auto* done = std::get_if<cp::item_done_event>(&event);
        done && !stored_workflow_id_.empty() && cp::item_id(done->item) == stored_workflow_id_) {
      co_await ctx_.store.save_item(ctx_.thread.id, done->item, ctx_.caller);
      stored_workflow_id_.clear();
      co_await out_.write_frame(event);
      co_return;
    }
    co_await out_.emit(std::move(event));
  }

  awaitable<void> close_workflow() {
    if (!ctx_.workflow_item) co_return;
    auto item = std::move(*ctx_.workflow_item);
    ctx_.workflow_item.reset();
    if (!item.workflow.summary) {
      const auto elapsed = cp::timestamp::now().micros - item.created_at.micros;
      item.workflow.summary = cp::duration_summary{elapsed > 0 ? elapsed / 1'000'000 : 0};
    }
    item.workflow.expanded = false;
    co_await forward(cp::item_done_event{std::move(item)});
  }

  awaitable<void> on_tool_event(cp::stream_event event) {
    const cp::thread_item* item = nullptr;
    bool added = false;
    if (auto* a = std::get_if<cp::item_added_event>(&event)) {
      item = &a->item;
      added = true;
    } else if (auto* d = std::get_if<cp::item_done_event>(&event)) {
      item = &d->item;
    }
    if (item && ctx_.workflow_item && cp::item_id(*item) != ctx_.workflow_item->id &&
        !std::holds_alternative<cp::client_tool_call_item>(*item) &&
        !std::holds_alternative<cp::hidden_context_item>(*item))
      co_await close_workflow();
    if (item && added)
      if (auto* wf = std::get_if<cp::workflow_item>(item)) ctx_.workflow_item = *wf;
    co_await forward(std::move(event));
  }

  awaitable<void> on_run_event(const run_event& ev) {
    if (auto* item_ev = std::get_if<run_item_event>(&ev)) {
      // Every function call of the run, so a client tool call can name the exact call it answers.
      if (item_ev->name == run_item_event_name::tool_called && item_ev->item->item.is_function_call()) {
        const auto& call = item_ev->item->item;
        calls_[call.call_id] = model_call{call.call_id, call.id};
        latest_call_by_name_[call.name] = call.call_id;
      }
      co_return;
    }
    if (auto* raw = std::get_if<raw_response_event>(&ev)) co_await on_raw(raw->event);
  }

  awaitable<void> on_raw(const openai::response_event& e) {
    if (auto* a = std::get_if<openai::output_item_added>(&e)) {
      co_await on_item_added(a->item);
    } else if (auto* d = std::get_if<openai::output_item_done>(&e)) {
      co_await on_item_done(d->item);
    } else if (auto* p = std::get_if<openai::content_part_added>(&e)) {
      if (p->part.type == "reasoning_text") co_return;
      co_await out_.emit(
          cp::item_updated_event{p->item_id, cp::content_part_added{p->content_index, convert_part(p->part, true)}});
    } else if (auto* t = std::get_if<openai::output_text_delta>(&e)) {
      co_await out_.emit(cp::item_updated_event{t->item_id, cp::content_part_text_delta{t->content_index, t->text}});
    } else if (auto* an = std::get_if<openai::output_text_annotation_added>(&e)) {
      auto converted = convert_annotation(an->annotation);
      if (!converted) co_return;
      const auto index = annotation_counts_[{an->item_id, an->content_index}]++;
      co_await out_.emit(cp::item_updated_event{
          an->item_id, cp::content_part_annotation_added{an->content_index, index, std::move(*converted)}});
    } else if (auto* td = std::get_if<openai::output_text_done>(&e)) {
      cp::output_text part;
      part.text = td->text;
      co_await out_.emit(cp::item_updated_event{td->item_id, cp::content_part_done{td->content_index, std::move(part)}});
    } else if (auto* sd = std::get_if<openai::reasoning_summary_text_delta>(&e)) {
      co_await on_summary_delta(*sd);
    } else if (auto* sdone = std::get_if<openai::reasoning_summary_text_done>(&e)) {
      co_await on_summary_done(*sdone);
    } else if (auto* other = std::get_if<openai::other_event>(&e)) {
      if (other->type == "response.image_generation_call.partial_image") co_await on_partial_image(other->raw);
    }
  }

  // Assistant messages keep the Responses item id, so deltas and the done match the added.
  cp::assistant_message_item assistant_message(const openai::output_item& item) const {
    cp::assistant_message_item msg;
    msg.id = item.id;
    msg.thread_id = ctx_.thread.id;
    msg.created_at = cp::timestamp::now();
    for (const auto& p : item.content) msg.content.push_back(convert_part(p, true));
    return msg;
  }

  awaitable<void> on_item_added(const openai::output_item& item) {
    if (item.is_reasoning()) {
      if (ctx_.workflow_item) co_return;
      cp::workflow_item wf;
      wf.id = ctx_.new_item_id(store::id_kind::workflow);
      wf.thread_id = ctx_.thread.id;
      wf.created_at = cp::timestamp::now();
      wf.workflow.type = cp::workflow_type::reasoning;
      ctx_.workflow_item = wf;
      co_await forward(cp::item_added_event{std::move(wf)});
    } else if (item.is_message()) {
      co_await close_workflow();
      co_await forward(cp::item_added_event{assistant_message(item)});
    } else if (item.type == "image_generation_call") {
      cp::generated_image_item img;
      img.id = ctx_.new_item_id(store::id_kind::message);
      img.thread_id = ctx_.thread.id;
      img.created_at = cp::timestamp::now();
      ctx_.generated_image_item = img;
      co_await forward(cp::item_added_event{std::move(img)});
    }
  }

  awaitable<void> on_item_done(const openai::output_item& item) {
    if (item.is_message()) {
      co_await forward(cp::item_done_event{assistant_message(item)});
    } else if (item.type == "image_generation_call" && ctx_.generated_image_item) {
      const auto result = string_member(item.raw, "result");
      if (result.empty()) co_return;
      auto img = std::move(*ctx_.generated_image_item);
      ctx_.generated_image_item.reset();
      img.image = cp::generated_image{item.id, opts_.image_url(result)};
      co_await forward(cp::item_done_event{std::move(img)});
    }
  }

  awaitable<void> on_partial_image(const json::object& raw) {
    if (!ctx_.generated_image_item) co_return;
    auto& img = *ctx_.generated_image_item;
    img.image = cp::generated_image{std::string(string_member(raw, "item_id")), opts_.image_url(string_member(raw, "partial_image_b64"))};
    double progress = 0;
    if (opts_.partial_images > 0)
      progress = std::min(1.0, static_cast<double>(int_field(raw, "partial_image_index").value_or(0)) /
                                   static_cast<double>(opts_.partial_images));
    co_await forward(cp::item_updated_event{img.id, cp::generated_image_updated{*img.image, progress}});
  }

  awaitable<void> on_summary_delta(const openai::reasoning_summary_text_delta& d) {
    if (!ctx_.workflow_item) co_return;
    auto& wf = *ctx_.workflow_item;
    auto& tasks = wf.workflow.tasks;
    if (wf.workflow.type == cp::workflow_type::reasoning && tasks.empty()) {
      tasks.emplace_back(cp::thought_task{std::nullopt, d.text, cp::status_indicator::none});
      thought_ = streaming_thought{d.item_id, d.summary_index, 0};
      co_await forward(cp::item_updated_event{wf.id, cp::workflow_task_added{0, tasks[0]}});
    } else if (thought_ && thought_->item_id == d.item_id && thought_->summary_index == d.summary_index &&
               thought_->task_index < tasks.size()) {
      auto& task = tasks[thought_->task_index];
      if (auto* t = std::get_if<cp::thought_task>(&task)) t->content += d.text;
      co_await forward(cp::item_updated_event{
          wf.id, cp::workflow_task_updated{static_cast<std::int64_t>(thought_->task_index), task}});
    }
  }

  awaitable<void> on_summary_done(const openai::reasoning_summary_text_done& d) {
    if (!ctx_.workflow_item) co_return;
    auto& wf = *ctx_.workflow_item;
    auto& tasks = wf.workflow.tasks;
    if (thought_ && thought_->item_id == d.item_id && thought_->summary_index == d.summary_index &&
        thought_->task_index < tasks.size()) {
      auto& task = tasks[thought_->task_index];
      if (auto* t = std::get_if<cp::thought_task>(&task)) t->content = d.text;
      const auto index = static_cast<std::int64_t>(thought_->task_index);
      thought_.reset();
      co_await forward(cp::item_updated_event{wf.id, cp::workflow_task_updated{index, task}});
    } else {
      tasks.emplace_back(cp::thought_task{std::nullopt, d.text, cp::status_indicator::none});
      co_await forward(cp::item_updated_event{
          wf.id, cp::workflow_task_added{static_cast<std::int64_t>(tasks.size() - 1), tasks.back()}});
    }
  }

  struct streaming_thought {
    std::string item_id;
    std::int64_t summary_index = 0;
    std::size_t task_index = 0;
  };

  agent_context& ctx_;
  server::event_emitter& out_;
  stream_agent_response_options opts_;
  std::string stored_workflow_id_;
  struct model_call {
    std::string call_id;
    std::string item_id;  // the Responses function_call item id
  };
  std::map<std::string, model_call> calls_;                 // by call_id
  std::map<std::string, std::string> latest_call_by_name_;  // tool name → call_id
  std::optional<streaming_thought> thought_;
  std::map<std::pair<std::string, std::int64_t>, std::int64_t> annotation_counts_;
  std::exception_ptr run_error_;
};

}  // namespace

awaitable<void> stream_agent_response(agent_context& ctx, run_stream& run, server::event_emitter& out,
                                      stream_agent_response_options options) {
  streamer b(ctx, out, std::move(options));
  co_await b.adopt_workflow();
  ctx.attach_queue(std::make_unique<detail::event_queue>(co_await asio::this_coro::executor));
  auto& q = ctx.queue();
  // Not `pump && consume`: that operator reports the pump's exception when both fail, and the cause is
  // whichever failed first (typically the emitter's stream_cancelled, which the server must see as it is).
  auto ex = co_await asio::this_coro::executor;
  auto [order, pump_error, consume_error] =
      co_await asio::experimental::make_parallel_group(asio::co_spawn(ex, b.pump(run, q), asio::deferred),
                                                       asio::co_spawn(ex, b.consume(q), asio::deferred))
          .async_wait(asio::experimental::wait_for_one_error(), asio::deferred);
  const std::exception_ptr errors[] = {pump_error, consume_error};
  const std::exception_ptr failure = errors[order[0]] ? errors[order[0]] : errors[order[1]];
  ctx.attach_queue(nullptr);
  if (failure) std::rethrow_exception(failure);
  ctx.attach_queue(nullptr);
  co_await b.finish();
}

}  // namespace chatkit::agents
