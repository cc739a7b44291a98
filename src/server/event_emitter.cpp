#include <chatkit/error.hpp>
#include <chatkit/server/event_emitter.hpp>
#include <chatkit/server/stream_errors.hpp>

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

asio::awaitable<void> event_emitter::emit(cp::stream_event event) {
  bool send = true;
  // Persistence happens before the frame is written: the store never holds less than the client saw.
  switch (event.index()) {
    case 2: {  // thread.item.added
      const auto& item = std::get<cp::item_added_event>(event).item;
      auto it = std::find_if(pending_.begin(), pending_.end(),
                             [&](const cp::thread_item& p) { return cp::item_id(p) == cp::item_id(item); });
      if (it != pending_.end())
        *it = item;
      else
        pending_.push_back(item);
      break;
    }
    case 3: {  // thread.item.updated
      const auto& e = std::get<cp::item_updated_event>(event);
      for (auto& p : pending_)
        if (cp::item_id(p) == e.item_id) {
          apply_update(p, e.update);
          break;
        }
      break;
    }
    case 4: {  // thread.item.done
      const auto& item = std::get<cp::item_done_event>(event).item;
      co_await store_.add_thread_item(thread_.id, item, ctx_);
      std::erase_if(pending_, [&](const cp::thread_item& p) { return cp::item_id(p) == cp::item_id(item); });
      send = !cp::is_hidden(item);
      break;
    }
    case 5: {  // thread.item.removed
      const auto& id = std::get<cp::item_removed_event>(event).item_id;
      try {
        co_await store_.delete_thread_item(thread_.id, id, ctx_);
      } catch (const chatkit::error& e) {
        // Removing an item that was only ever pending (added, never done) has nothing to delete.
        if (e.code_value() != errc::not_found) throw;
      }
      std::erase_if(pending_, [&](const cp::thread_item& p) { return cp::item_id(p) == id; });
      break;
    }
    case 6: {  // thread.item.replaced
      const auto& item = std::get<cp::item_replaced_event>(event).item;
      co_await store_.save_item(thread_.id, item, ctx_);
      std::erase_if(pending_, [&](const cp::thread_item& p) { return cp::item_id(p) == cp::item_id(item); });
      break;
    }
    default:
      break;
  }
  static_assert(std::is_same_v<std::variant_alternative_t<2, cp::stream_event>, cp::item_added_event>);
  static_assert(std::is_same_v<std::variant_alternative_t<3, cp::stream_event>, cp::item_updated_event>);
  static_assert(std::is_same_v<std::variant_alternative_t<4, cp::stream_event>, cp::item_done_event>);
  static_assert(std::is_same_v<std::variant_alternative_t<5, cp::stream_event>, cp::item_removed_event>);
  static_assert(std::is_same_v<std::variant_alternative_t<6, cp::stream_event>, cp::item_replaced_event>);
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
