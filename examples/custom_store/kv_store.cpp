#include "kv_store.hpp"

#include <chatkit/protocol/json_io.hpp>
#include <chatkit/protocol/thread.hpp>
#include <chatkit/store/error.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <vector>

namespace example {

namespace protocol = chatkit::protocol;
namespace json = boost::json;
using chatkit::request_context;
using chatkit::store::awaitable;

namespace {

// Keys are length-prefixed, so an id containing '/' can never reach into another record's key space
// (the contract suite tries such ids).
std::string part(std::string_view s) {
  return std::to_string(s.size()) + ":" + std::string(s);
}
std::string thread_key(std::string_view id) {
  return "thread/" + part(id);
}
std::string items_prefix(std::string_view thread_id) {
  return "item/" + part(thread_id) + "/";
}
std::string item_key(std::string_view thread_id, std::string_view id) {
  return items_prefix(thread_id) + part(id);
}
std::string attachment_key(std::string_view id) {
  return "attachment/" + part(id);
}

using record = kv_store::record;

std::string encode(const record& r) {
  return json::serialize(json::object{{"owner", r.owner}, {"seq", r.seq}, {"data", r.data}});
}

record decode(const std::string& text) {
  auto v = json::parse(text).as_object();
  return {json::value_to<std::string>(v.at("owner")), v.at("seq").to_number<std::uint64_t>(), v.at("data")};
}

template <class T>
json::value to_value(const T& x) {
  return json::parse(protocol::to_json(x, protocol::audience::storage));
}

// Sorts (created_at, seq) ascending, then pages strictly after `after` in `order`.
template <class T, class IdOf>
protocol::page<T> paginate(std::vector<std::pair<record, T>> rows, const std::optional<std::string>& after,
                           std::size_t limit, protocol::sort_order order, IdOf id_of, auto created_at_of) {
  std::sort(rows.begin(), rows.end(), [&](const auto& a, const auto& b) {
    return std::pair(created_at_of(a.second), a.first.seq) < std::pair(created_at_of(b.second), b.first.seq);
  });
  if (order == protocol::sort_order::desc) std::reverse(rows.begin(), rows.end());
  std::size_t start = 0;
  if (after) {
    auto it =
        std::find_if(rows.begin(), rows.end(), [&](const auto& r) { return id_of(r.second) == *after; });
    if (it == rows.end()) chatkit::store::throw_cursor_not_found(*after);
    start = static_cast<std::size_t>(it - rows.begin()) + 1;
  }
  protocol::page<T> page;
  for (std::size_t i = start; i < rows.size() && page.data.size() < limit; ++i)
    page.data.push_back(rows[i].second);
  page.has_more = start + page.data.size() < rows.size();
  if (page.has_more) page.after = id_of(page.data.back());
  return page;
}

}  // namespace

// Every method: check the user, take the lock, never suspend while holding it.

awaitable<protocol::thread_metadata> kv_store::load_thread(std::string thread_id,
                                                           const request_context& ctx) {
  chatkit::store::require_user(ctx);
  std::lock_guard lock(mutex_);
  co_return protocol::from_json<protocol::thread_metadata>(require_thread(thread_id, ctx).data);
}

awaitable<void> kv_store::save_thread(const protocol::thread_metadata& thread, const request_context& ctx) {
  chatkit::store::require_user(ctx);
  chatkit::store::require_id(thread.id, "thread");
  std::lock_guard lock(mutex_);
  auto it = kv_.find(thread_key(thread.id));
  record r{ctx.user_id, next_seq_, to_value(thread)};
  if (it != kv_.end()) {
    auto old = decode(it->second);
    if (old.owner != ctx.user_id) chatkit::store::throw_thread_not_found(thread.id);
    r.seq = old.seq;  // an update keeps the thread's place among equal timestamps
  } else {
    ++next_seq_;
  }
  kv_[thread_key(thread.id)] = encode(r);
  co_return;
}

awaitable<protocol::thread_page> kv_store::load_threads(std::size_t limit, std::optional<std::string> after,
                                                        protocol::sort_order order,
                                                        const request_context& ctx) {
  chatkit::store::require_user(ctx);
  chatkit::store::require_page_limit(limit);
  std::lock_guard lock(mutex_);
  std::vector<std::pair<record, protocol::thread_metadata>> rows;
  for (auto it = kv_.lower_bound("thread/"); it != kv_.end() && it->first.starts_with("thread/"); ++it) {
    auto r = decode(it->second);
    if (r.owner != ctx.user_id) continue;  // only the caller's threads, and only they can be cursors
    auto t = protocol::from_json<protocol::thread_metadata>(r.data);
    rows.emplace_back(std::move(r), std::move(t));
  }
  co_return paginate(
      std::move(rows), after, limit, order, [](const auto& t) { return t.id; },
      [](const auto& t) { return t.created_at; });
}

awaitable<void> kv_store::delete_thread(std::string thread_id, const request_context& ctx) {
  chatkit::store::require_user(ctx);
  std::lock_guard lock(mutex_);
  require_thread(thread_id, ctx);  // not_found unless the caller's
  kv_.erase(thread_key(thread_id));
  const std::string prefix = items_prefix(thread_id);
  for (auto it = kv_.lower_bound(prefix); it != kv_.end() && it->first.starts_with(prefix);)
    it = kv_.erase(it);
  co_return;
}

awaitable<protocol::item_page> kv_store::load_thread_items(std::string thread_id,
                                                           std::optional<std::string> after,
                                                           std::size_t limit, protocol::sort_order order,
                                                           const request_context& ctx) {
  chatkit::store::require_user(ctx);
  chatkit::store::require_page_limit(limit);
  std::lock_guard lock(mutex_);
  require_thread(thread_id, ctx);
  std::vector<std::pair<record, protocol::thread_item>> rows;
  const std::string prefix = items_prefix(thread_id);
  for (auto it = kv_.lower_bound(prefix); it != kv_.end() && it->first.starts_with(prefix); ++it) {
    auto r = decode(it->second);
    auto item = protocol::from_json<protocol::thread_item>(r.data);
    rows.emplace_back(std::move(r), std::move(item));
  }
  co_return paginate(
      std::move(rows), after, limit, order, [](const auto& i) { return protocol::item_id(i); },
      [](const auto& i) { return protocol::base(i).created_at; });
}

awaitable<void> kv_store::add_thread_item(std::string thread_id, const protocol::thread_item& item,
                                          const request_context& ctx) {
  chatkit::store::require_user(ctx);
  std::lock_guard lock(mutex_);
  require_thread(thread_id, ctx);
  chatkit::store::require_id(protocol::item_id(item), "item");
  const std::string key = item_key(thread_id, protocol::item_id(item));
  if (kv_.contains(key)) chatkit::store::throw_item_exists(thread_id, protocol::item_id(item));
  kv_[key] = encode({ctx.user_id, next_seq_++, to_value(item)});
  co_return;
}

awaitable<void> kv_store::save_item(std::string thread_id, const protocol::thread_item& item,
                                    const request_context& ctx) {
  chatkit::store::require_user(ctx);
  std::lock_guard lock(mutex_);
  require_thread(thread_id, ctx);
  chatkit::store::require_id(protocol::item_id(item), "item");
  const std::string key = item_key(thread_id, protocol::item_id(item));
  auto it = kv_.find(key);
  // Replace in place: keep the sequence (and so the position) of the existing item.
  const std::uint64_t seq = it != kv_.end() ? decode(it->second).seq : next_seq_++;
  kv_[key] = encode({ctx.user_id, seq, to_value(item)});
  co_return;
}

awaitable<protocol::thread_item> kv_store::load_item(std::string thread_id, std::string item_id,
                                                     const request_context& ctx) {
  chatkit::store::require_user(ctx);
  std::lock_guard lock(mutex_);
  require_thread(thread_id, ctx);
  auto it = kv_.find(item_key(thread_id, item_id));
  if (it == kv_.end()) chatkit::store::throw_item_not_found(thread_id, item_id);
  co_return protocol::from_json<protocol::thread_item>(decode(it->second).data);
}

awaitable<void> kv_store::delete_thread_item(std::string thread_id, std::string item_id,
                                             const request_context& ctx) {
  chatkit::store::require_user(ctx);
  std::lock_guard lock(mutex_);
  require_thread(thread_id, ctx);
  if (kv_.erase(item_key(thread_id, item_id)) == 0) chatkit::store::throw_item_not_found(thread_id, item_id);
  co_return;
}

awaitable<void> kv_store::save_attachment(const protocol::attachment& attachment,
                                          const request_context& ctx) {
  chatkit::store::require_user(ctx);
  chatkit::store::require_id(attachment.id, "attachment");
  std::lock_guard lock(mutex_);
  auto it = kv_.find(attachment_key(attachment.id));
  if (it != kv_.end() && decode(it->second).owner != ctx.user_id)
    chatkit::store::throw_attachment_not_found(attachment.id);
  kv_[attachment_key(attachment.id)] = encode({ctx.user_id, 0, to_value(attachment)});
  co_return;
}

awaitable<protocol::attachment> kv_store::load_attachment(std::string attachment_id,
                                                          const request_context& ctx) {
  chatkit::store::require_user(ctx);
  std::lock_guard lock(mutex_);
  auto it = kv_.find(attachment_key(attachment_id));
  if (it == kv_.end()) chatkit::store::throw_attachment_not_found(attachment_id);
  auto r = decode(it->second);
  if (r.owner != ctx.user_id) chatkit::store::throw_attachment_not_found(attachment_id);
  co_return protocol::from_json<protocol::attachment>(r.data);
}

awaitable<void> kv_store::delete_attachment(std::string attachment_id, const request_context& ctx) {
  chatkit::store::require_user(ctx);
  std::lock_guard lock(mutex_);
  auto it = kv_.find(attachment_key(attachment_id));
  if (it == kv_.end() || decode(it->second).owner != ctx.user_id)
    chatkit::store::throw_attachment_not_found(attachment_id);
  kv_.erase(it);
  co_return;
}

// The caller's thread record (mutex held). Another user's thread gets exactly the error of a missing one.
kv_store::record kv_store::require_thread(const std::string& thread_id, const request_context& ctx) const {
  auto it = kv_.find(thread_key(thread_id));
  if (it == kv_.end()) chatkit::store::throw_thread_not_found(thread_id);
  auto r = decode(it->second);
  if (r.owner != ctx.user_id) chatkit::store::throw_thread_not_found(thread_id);
  return r;
}

std::size_t kv_store::size() const {
  std::lock_guard lock(mutex_);
  return kv_.size();
}

}  // namespace example
