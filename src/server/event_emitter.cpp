#include "server/detail/apply_update.hpp"

#include <chatkit/error.hpp>
#include <chatkit/server/error.hpp>
#include <chatkit/server/event_emitter.hpp>

#include <boost/asio/this_coro.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>

namespace chatkit::server {

namespace cp = chatkit::protocol;
namespace asio = boost::asio;

event_emitter::event_emitter(event_sink& sink, store::store& store, cp::thread_metadata& thread,
                             const request_context& ctx)
    : sink_(sink), store_(store), thread_(thread), ctx_(ctx), last_thread_(thread) {
  frame_.reserve(512);
}

std::string event_emitter::new_item_id(store::id_kind kind) {
  return store_.generate_item_id(kind, thread_, ctx_);
}

asio::awaitable<void> event_emitter::write_frame(const cp::stream_event& event) {
  // Cancellation is checked at every frame so that a hook that never awaits I/O still stops promptly.
  const auto state = co_await asio::this_coro::cancellation_state;
  if (state.cancelled() != asio::cancellation_type::none) throw stream_cancelled();
  frame_.clear();
  cp::append_sse_frame(frame_, event);
  try {
    co_await sink_.write(frame_);
  } catch (const boost::system::system_error&) {
    throw stream_cancelled();  // the consumer is gone (disconnect, aborted write)
  }
  ++events_sent_;
}

// ---- the pipeline step of each item event (docs/server.md#the-event-pipeline) ----
// Persistence happens before the frame is written: the store never holds less than the client saw.

void event_emitter::forget_pending(std::string_view item_id) {
  std::erase_if(pending_, [&](const cp::thread_item& p) { return cp::item_id(p) == item_id; });
}

asio::awaitable<bool> event_emitter::before_send(const cp::item_added_event& e) {
  auto it = std::find_if(pending_.begin(), pending_.end(),
                         [&](const cp::thread_item& p) { return cp::item_id(p) == cp::item_id(e.item); });
  if (it != pending_.end())
    *it = e.item;
  else
    pending_.push_back(e.item);
  co_return true;
}

asio::awaitable<bool> event_emitter::before_send(const cp::item_updated_event& e) {
  auto it = std::find_if(pending_.begin(), pending_.end(),
                         [&](const cp::thread_item& p) { return cp::item_id(p) == e.item_id; });
  if (it != pending_.end()) detail::apply_update(*it, e.update);
  co_return true;
}

asio::awaitable<bool> event_emitter::before_send(const cp::item_done_event& e) {
  co_await store_.add_thread_item(thread_.id, e.item, ctx_);
  forget_pending(cp::item_id(e.item));
  co_return !cp::is_hidden(e.item);  // hidden context is persisted, never sent
}

asio::awaitable<bool> event_emitter::before_send(const cp::item_removed_event& e) {
  try {
    co_await store_.delete_thread_item(thread_.id, e.item_id, ctx_);
  } catch (const chatkit::error& err) {
    // Removing an item that was only ever pending (added, never done) has nothing to delete.
    if (err.code_value() != chatkit::errc::not_found) throw;
  }
  forget_pending(e.item_id);
  co_return true;
}

asio::awaitable<bool> event_emitter::before_send(const cp::item_replaced_event& e) {
  co_await store_.save_item(thread_.id, e.item, ctx_);
  forget_pending(cp::item_id(e.item));
  co_return true;
}

asio::awaitable<void> event_emitter::emit(cp::stream_event event) {
  // Item events have their own step (the overloads above); every other event is only written.
  const bool send = co_await std::visit([this](const auto& e) { return before_send(e); }, event);
  if (send) co_await write_frame(event);
  co_await flush_thread_changes();
}

asio::awaitable<void> event_emitter::flush_thread_changes() {
  if (thread_ == last_thread_) co_return;
  co_await store_.save_thread(thread_, ctx_);
  last_thread_ = thread_;
  co_await write_frame(cp::thread_updated_event{thread_});
}

}  // namespace chatkit::server
