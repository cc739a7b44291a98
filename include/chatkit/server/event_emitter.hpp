// event_emitter — what a respond()/action() hook writes its events to. Each emit() runs the event pipeline
// inline (docs/server.md#the-event-pipeline): the item lifecycle is persisted *before* the frame is sent (so
// the store always holds at least what the client saw), pending items are tracked for cancellation, hidden
// items are swallowed, and a changed thread is saved and announced with thread.updated right after the event.
#pragma once

#include <chatkit/protocol/events.hpp>
#include <chatkit/request_context.hpp>
#include <chatkit/server/request_processor.hpp>
#include <chatkit/store/store.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chatkit::server {

class event_emitter {
 public:
  event_emitter(event_sink& sink, store::store& store, protocol::thread_metadata& thread,
                const request_context& ctx);
  event_emitter(const event_emitter&) = delete;
  event_emitter& operator=(const event_emitter&) = delete;

  // Runs the pipeline for one event and writes its frame. Throws stream_cancelled when the consumer went away
  // or the stream's coroutine was cancelled.
  boost::asio::awaitable<void> emit(protocol::stream_event event);

  // The thread being answered: mutate it (title, status, metadata) and the pipeline saves it and emits
  // thread.updated after the next event (or at the end).
  protocol::thread_metadata& thread() noexcept { return thread_; }
  const request_context& context() const noexcept { return ctx_; }
  store::store& store() noexcept { return store_; }
  // A new item id from the store's generator (e.g. id_kind::message for an assistant message).
  std::string new_item_id(store::id_kind kind);

  // Items added (thread.item.added) whose done/replaced/removed has not been seen yet, with every
  // thread.item.updated applied.
  const std::vector<protocol::thread_item>& pending_items() const noexcept { return pending_; }
  std::vector<protocol::thread_item> take_pending_items() noexcept { return std::exchange(pending_, {}); }

  // Saves the thread and emits thread.updated if it changed since the last check.
  boost::asio::awaitable<void> flush_thread_changes();
  // Writes an event without pipeline processing (used for the prelude and error events).
  boost::asio::awaitable<void> write_frame(const protocol::stream_event& event);

  std::uint64_t events_sent() const noexcept { return events_sent_; }

 private:
  // The pipeline step of one item event before its frame is written (persistence, pending-item tracking);
  // returns whether the frame is sent. Other events have no step.
  boost::asio::awaitable<bool> before_send(const protocol::item_added_event& e);
  boost::asio::awaitable<bool> before_send(const protocol::item_updated_event& e);
  boost::asio::awaitable<bool> before_send(const protocol::item_done_event& e);
  boost::asio::awaitable<bool> before_send(const protocol::item_removed_event& e);
  boost::asio::awaitable<bool> before_send(const protocol::item_replaced_event& e);
  template <class Event>
  boost::asio::awaitable<bool> before_send(const Event&) {
    co_return true;
  }
  void forget_pending(std::string_view item_id);

  event_sink& sink_;
  store::store& store_;
  protocol::thread_metadata& thread_;
  const request_context& ctx_;
  protocol::thread_metadata last_thread_;
  std::vector<protocol::thread_item> pending_;
  std::string frame_;
  std::uint64_t events_sent_ = 0;
};

}  // namespace chatkit::server
