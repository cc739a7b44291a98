#include <chatkit/store/memory_store.hpp>

#include <chatkit/store/error.hpp>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace chatkit::store {

namespace {

// created_at, then the insertion sequence: a total order even for equal timestamps (docs/stores.md#paging).
using order_key = std::pair<std::int64_t, std::uint64_t>;

struct thread_entry {
  std::string owner;
  protocol::thread_metadata meta;
  order_key key;
  std::map<order_key, protocol::thread_item> items;
  std::unordered_map<std::string, order_key> item_keys;
};

struct attachment_entry {
  std::string owner;
  protocol::attachment value;
};

// One page of `ordered` (a map by order_key) strictly after `cursor` in `order`. Returns has_more.
template <class Map, class Emit>
bool page_of(const Map& ordered, const order_key* cursor, protocol::sort_order order, std::size_t limit,
             Emit&& emit) {
  std::size_t n = 0;
  if (order == protocol::sort_order::asc) {
    auto it = cursor ? ordered.upper_bound(*cursor) : ordered.begin();
    for (; it != ordered.end() && n < limit; ++it, ++n) emit(it->second);
    return it != ordered.end();
  }
  auto it = std::make_reverse_iterator(cursor ? ordered.lower_bound(*cursor) : ordered.end());
  for (; it != ordered.rend() && n < limit; ++it, ++n) emit(it->second);
  return it != ordered.rend();
}

}  // namespace

struct memory_store::impl {
  std::mutex mutex;
  std::uint64_t next_seq = 0;
  std::unordered_map<std::string, thread_entry> threads;
  // Per user: their threads in listing order. The entries of `threads` never move (an unordered_map keeps its
  // nodes in place through rehashing), so a page is read without looking any id up.
  std::unordered_map<std::string, std::map<order_key, const thread_entry*>> user_threads;
  std::unordered_map<std::string, attachment_entry> attachments;

  // The caller's thread or the not-found error a missing one gets (mutex held).
  thread_entry& owned_thread(const std::string& thread_id, const request_context& ctx) {
    auto it = threads.find(thread_id);
    if (it == threads.end() || it->second.owner != ctx.user_id) throw_thread_not_found(thread_id);
    return it->second;
  }

  attachment_entry& owned_attachment(const std::string& attachment_id, const request_context& ctx) {
    auto it = attachments.find(attachment_id);
    if (it == attachments.end() || it->second.owner != ctx.user_id) throw_attachment_not_found(attachment_id);
    return it->second;
  }

  protocol::thread_metadata load_thread(const std::string& thread_id, const request_context& ctx) {
    require_user(ctx);
    std::lock_guard lock(mutex);
    return owned_thread(thread_id, ctx).meta;
  }

  void save_thread(const protocol::thread_metadata& thread, const request_context& ctx) {
    require_user(ctx);
    require_id(thread.id, "thread");
    std::lock_guard lock(mutex);
    auto it = threads.find(thread.id);
    if (it == threads.end()) {
      // Build the entry completely before inserting, so an allocation failure leaves nothing behind.
      thread_entry entry{ctx.user_id, thread, order_key{thread.created_at.micros, next_seq}, {}, {}};
      auto& listing = user_threads[ctx.user_id];
      const auto pos = listing.emplace(entry.key, nullptr).first;
      try {
        pos->second = &threads.emplace(thread.id, std::move(entry)).first->second;
      } catch (...) {
        listing.erase(pos);
        throw;
      }
      ++next_seq;
      return;
    }
    thread_entry& entry = it->second;
    if (entry.owner != ctx.user_id) throw_thread_not_found(thread.id);
    protocol::thread_metadata copy = thread;
    if (entry.key.first != thread.created_at.micros) {
      auto& listing = user_threads[ctx.user_id];
      const order_key new_key{thread.created_at.micros, entry.key.second};
      listing.emplace(new_key, &entry);
      listing.erase(entry.key);
      entry.key = new_key;
    }
    entry.meta = std::move(copy);
  }

  protocol::thread_page load_threads(std::size_t limit, const std::optional<std::string>& after,
                                     protocol::sort_order order, const request_context& ctx) {
    protocol::thread_page page;
    auto end = visit_threads(limit, after, order, ctx, [&](std::size_t count, const thread_entry& t) {
      if (page.data.empty()) page.data.reserve(count);
      page.data.push_back(t.meta);
    });
    page.has_more = end.has_more;
    page.after = std::move(end.after);
    return page;
  }

  // Calls visit(page_capacity, entry) for each thread of the page, under the lock.
  template <class Visit>
  page_end visit_threads(std::size_t limit, const std::optional<std::string>& after,
                         protocol::sort_order order, const request_context& ctx, Visit&& visit) {
    require_user(ctx);
    require_page_limit(limit);
    std::lock_guard lock(mutex);
    const order_key* cursor = nullptr;
    if (after) cursor = &owned_cursor_thread(*after, ctx).key;
    auto listing = user_threads.find(ctx.user_id);
    if (listing == user_threads.end()) {
      if (cursor) throw_cursor_not_found(*after);  // unreachable: a cursor thread implies a listing
      return {};
    }
    const std::size_t capacity = std::min(limit, listing->second.size());
    const thread_entry* last = nullptr;
    page_end end;
    end.has_more = page_of(listing->second, cursor, order, limit, [&](const thread_entry* t) {
      visit(capacity, *t);
      last = t;
    });
    if (end.has_more && last) end.after = last->meta.id;
    return end;
  }

  thread_entry& owned_cursor_thread(const std::string& after, const request_context& ctx) {
    auto it = threads.find(after);
    if (it == threads.end() || it->second.owner != ctx.user_id) throw_cursor_not_found(after);
    return it->second;
  }

  void delete_thread(const std::string& thread_id, const request_context& ctx) {
    require_user(ctx);
    std::lock_guard lock(mutex);
    thread_entry& entry = owned_thread(thread_id, ctx);
    auto listing = user_threads.find(ctx.user_id);
    listing->second.erase(entry.key);
    if (listing->second.empty()) user_threads.erase(listing);
    threads.erase(thread_id);  // its items go with it
  }

  protocol::item_page load_thread_items(const std::string& thread_id, const std::optional<std::string>& after,
                                        std::size_t limit, protocol::sort_order order,
                                        const request_context& ctx) {
    require_user(ctx);
    require_page_limit(limit);
    std::lock_guard lock(mutex);
    const thread_entry& entry = owned_thread(thread_id, ctx);
    const order_key* cursor = nullptr;
    if (after) {
      auto it = entry.item_keys.find(*after);
      if (it == entry.item_keys.end()) throw_cursor_not_found(*after);
      cursor = &it->second;
    }
    protocol::item_page page;
    page.data.reserve(std::min(limit, entry.items.size()));
    page.has_more = page_of(entry.items, cursor, order, limit,
                            [&](const protocol::thread_item& item) { page.data.push_back(item); });
    if (page.has_more) page.after = protocol::item_id(page.data.back());
    return page;
  }

  // Inserts a new item at the end of its created_at group (mutex held).
  void insert_item(thread_entry& entry, const protocol::thread_item& item) {
    const std::string& id = protocol::item_id(item);
    const order_key key{protocol::base(item).created_at.micros, next_seq};
    const auto pos = entry.items.emplace(key, item).first;
    try {
      entry.item_keys.emplace(id, key);
    } catch (...) {
      entry.items.erase(pos);
      throw;
    }
    ++next_seq;
  }

  void add_thread_item(const std::string& thread_id, const protocol::thread_item& item,
                       const request_context& ctx) {
    require_user(ctx);
    std::lock_guard lock(mutex);
    thread_entry& entry = owned_thread(thread_id, ctx);
    require_id(protocol::item_id(item), "item");
    if (entry.item_keys.contains(protocol::item_id(item)))
      throw_item_exists(thread_id, protocol::item_id(item));
    insert_item(entry, item);
  }

  void save_item(const std::string& thread_id, const protocol::thread_item& item,
                 const request_context& ctx) {
    require_user(ctx);
    std::lock_guard lock(mutex);
    thread_entry& entry = owned_thread(thread_id, ctx);
    require_id(protocol::item_id(item), "item");
    auto it = entry.item_keys.find(protocol::item_id(item));
    if (it == entry.item_keys.end()) return insert_item(entry, item);
    entry.items.at(it->second) = item;  // same key: the item keeps its place
  }

  protocol::thread_item load_item(const std::string& thread_id, const std::string& item_id,
                                  const request_context& ctx) {
    require_user(ctx);
    std::lock_guard lock(mutex);
    const thread_entry& entry = owned_thread(thread_id, ctx);
    auto it = entry.item_keys.find(item_id);
    if (it == entry.item_keys.end()) throw_item_not_found(thread_id, item_id);
    return entry.items.at(it->second);
  }

  void delete_thread_item(const std::string& thread_id, const std::string& item_id,
                          const request_context& ctx) {
    require_user(ctx);
    std::lock_guard lock(mutex);
    thread_entry& entry = owned_thread(thread_id, ctx);
    auto it = entry.item_keys.find(item_id);
    if (it == entry.item_keys.end()) throw_item_not_found(thread_id, item_id);
    entry.items.erase(it->second);
    entry.item_keys.erase(it);
  }

  void save_attachment(const protocol::attachment& attachment, const request_context& ctx) {
    require_user(ctx);
    require_id(attachment.id, "attachment");
    std::lock_guard lock(mutex);
    auto it = attachments.find(attachment.id);
    if (it == attachments.end()) {
      attachments.emplace(attachment.id, attachment_entry{ctx.user_id, attachment});
      return;
    }
    if (it->second.owner != ctx.user_id) throw_attachment_not_found(attachment.id);
    it->second.value = attachment;
  }

  protocol::attachment load_attachment(const std::string& attachment_id, const request_context& ctx) {
    require_user(ctx);
    std::lock_guard lock(mutex);
    return owned_attachment(attachment_id, ctx).value;
  }

  void delete_attachment(const std::string& attachment_id, const request_context& ctx) {
    require_user(ctx);
    std::lock_guard lock(mutex);
    owned_attachment(attachment_id, ctx);
    attachments.erase(attachment_id);
  }
};

memory_store::memory_store() : impl_(std::make_unique<impl>()) {}
memory_store::~memory_store() = default;

// The coroutines below never suspend: each runs one synchronous, mutex-guarded operation, so no lock is
// ever held across a suspension point.
awaitable<protocol::thread_metadata> memory_store::load_thread(std::string thread_id,
                                                               const request_context& ctx) {
  co_return impl_->load_thread(thread_id, ctx);
}

awaitable<void> memory_store::save_thread(const protocol::thread_metadata& thread,
                                          const request_context& ctx) {
  impl_->save_thread(thread, ctx);
  co_return;
}

awaitable<protocol::thread_page> memory_store::load_threads(std::size_t limit,
                                                            std::optional<std::string> after,
                                                            protocol::sort_order order,
                                                            const request_context& ctx) {
  co_return impl_->load_threads(limit, after, order, ctx);
}

awaitable<page_end> memory_store::visit_threads(std::size_t limit, std::optional<std::string> after,
                                                protocol::sort_order order, const request_context& ctx,
                                                const thread_visitor& visit) {
  co_return impl_->visit_threads(limit, after, order, ctx,
                                 [&](std::size_t, const thread_entry& t) { visit(t.meta); });
}

awaitable<void> memory_store::delete_thread(std::string thread_id, const request_context& ctx) {
  impl_->delete_thread(thread_id, ctx);
  co_return;
}

awaitable<protocol::item_page> memory_store::load_thread_items(std::string thread_id,
                                                               std::optional<std::string> after,
                                                               std::size_t limit, protocol::sort_order order,
                                                               const request_context& ctx) {
  co_return impl_->load_thread_items(thread_id, after, limit, order, ctx);
}

awaitable<void> memory_store::add_thread_item(std::string thread_id, const protocol::thread_item& item,
                                              const request_context& ctx) {
  impl_->add_thread_item(thread_id, item, ctx);
  co_return;
}

awaitable<void> memory_store::save_item(std::string thread_id, const protocol::thread_item& item,
                                        const request_context& ctx) {
  impl_->save_item(thread_id, item, ctx);
  co_return;
}

awaitable<protocol::thread_item> memory_store::load_item(std::string thread_id, std::string item_id,
                                                         const request_context& ctx) {
  co_return impl_->load_item(thread_id, item_id, ctx);
}

awaitable<void> memory_store::delete_thread_item(std::string thread_id, std::string item_id,
                                                 const request_context& ctx) {
  impl_->delete_thread_item(thread_id, item_id, ctx);
  co_return;
}

awaitable<void> memory_store::save_attachment(const protocol::attachment& attachment,
                                              const request_context& ctx) {
  impl_->save_attachment(attachment, ctx);
  co_return;
}

awaitable<protocol::attachment> memory_store::load_attachment(std::string attachment_id,
                                                              const request_context& ctx) {
  co_return impl_->load_attachment(attachment_id, ctx);
}

awaitable<void> memory_store::delete_attachment(std::string attachment_id, const request_context& ctx) {
  impl_->delete_attachment(attachment_id, ctx);
  co_return;
}

}  // namespace chatkit::store
