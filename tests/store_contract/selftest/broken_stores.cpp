// Deliberately broken stores, each registered with the contract suite. CTest runs one chosen check on
// each and expects it to FAIL (WILL_FAIL): proof that the suite catches the bug it is meant to catch.
// A forwarding store with no bug ("control") is registered too and must pass everything.
#include <chatkit/store/error.hpp>
#include <chatkit/store/memory_store.hpp>
#include <chatkit/store/testing/store_contract.hpp>

#include <algorithm>
#include <map>
#include <mutex>
#include <set>

namespace {

namespace protocol = chatkit::protocol;
using chatkit::request_context;
using chatkit::store::awaitable;

// Forwards everything to a memory_store and remembers every user it has seen (for the leaky variants).
class forwarding_store : public chatkit::store::store {
 public:
  awaitable<protocol::thread_metadata> load_thread(std::string id, const request_context& ctx) override {
    seen(ctx);
    co_return co_await inner.load_thread(id, ctx);
  }
  awaitable<void> save_thread(const protocol::thread_metadata& t, const request_context& ctx) override {
    seen(ctx);
    co_await inner.save_thread(t, ctx);
  }
  awaitable<protocol::thread_page> load_threads(std::size_t limit, std::optional<std::string> after,
                                                protocol::sort_order order,
                                                const request_context& ctx) override {
    seen(ctx);
    co_return co_await inner.load_threads(limit, after, order, ctx);
  }
  awaitable<void> delete_thread(std::string id, const request_context& ctx) override {
    seen(ctx);
    co_await inner.delete_thread(id, ctx);
  }
  awaitable<protocol::item_page> load_thread_items(std::string id, std::optional<std::string> after,
                                                   std::size_t limit, protocol::sort_order order,
                                                   const request_context& ctx) override {
    seen(ctx);
    co_return co_await inner.load_thread_items(id, after, limit, order, ctx);
  }
  awaitable<void> add_thread_item(std::string id, const protocol::thread_item& item,
                                  const request_context& ctx) override {
    seen(ctx);
    co_await inner.add_thread_item(id, item, ctx);
  }
  awaitable<void> save_item(std::string id, const protocol::thread_item& item,
                            const request_context& ctx) override {
    seen(ctx);
    co_await inner.save_item(id, item, ctx);
  }
  awaitable<protocol::thread_item> load_item(std::string id, std::string item_id,
                                             const request_context& ctx) override {
    seen(ctx);
    co_return co_await inner.load_item(id, item_id, ctx);
  }
  awaitable<void> delete_thread_item(std::string id, std::string item_id,
                                     const request_context& ctx) override {
    seen(ctx);
    co_await inner.delete_thread_item(id, item_id, ctx);
  }
  awaitable<void> save_attachment(const protocol::attachment& a, const request_context& ctx) override {
    seen(ctx);
    co_await inner.save_attachment(a, ctx);
  }
  awaitable<protocol::attachment> load_attachment(std::string id, const request_context& ctx) override {
    seen(ctx);
    co_return co_await inner.load_attachment(id, ctx);
  }
  awaitable<void> delete_attachment(std::string id, const request_context& ctx) override {
    seen(ctx);
    co_await inner.delete_attachment(id, ctx);
  }

 protected:
  void seen(const request_context& ctx) {
    std::lock_guard lock(mutex);
    if (!ctx.user_id.empty()) users.insert(ctx.user_id);
  }
  std::vector<request_context> others(const request_context& ctx) {
    std::lock_guard lock(mutex);
    std::vector<request_context> out;
    for (const auto& u : users)
      if (u != ctx.user_id) out.push_back(request_context{u, {}, {}});
    return out;
  }

  chatkit::store::memory_store inner;
  std::mutex mutex;
  std::set<std::string> users;
};

// Bug: load_thread falls back to other users' threads.
class leaky_load_store final : public forwarding_store {
 public:
  awaitable<protocol::thread_metadata> load_thread(std::string id, const request_context& ctx) override {
    seen(ctx);
    try {
      co_return co_await inner.load_thread(id, ctx);
    } catch (const chatkit::error&) {
    }
    for (const auto& other : others(ctx)) {
      try {
        co_return co_await inner.load_thread(id, other);
      } catch (const chatkit::error&) {
      }
    }
    chatkit::store::throw_thread_not_found(id);
  }
};

// Bug: refusing to delete another user's thread says so — the error reveals that it exists.
class revealing_delete_store final : public forwarding_store {
 public:
  awaitable<void> delete_thread(std::string id, const request_context& ctx) override {
    seen(ctx);
    bool exists_elsewhere = false;
    for (const auto& other : others(ctx)) {
      try {
        (void)co_await inner.load_thread(id, other);
        exists_elsewhere = true;
      } catch (const chatkit::error&) {
      }
    }
    if (exists_elsewhere)
      throw chatkit::error(chatkit::errc::not_found, "thread belongs to another user: " + id);
    co_await inner.delete_thread(id, ctx);
  }
};

// Bug: items with equal created_at come back in reverse insertion order (an ORDER BY without the sequence).
class unstable_ties_store final : public forwarding_store {
 public:
  awaitable<protocol::item_page> load_thread_items(std::string id, std::optional<std::string> after,
                                                   std::size_t limit, protocol::sort_order order,
                                                   const request_context& ctx) override {
    seen(ctx);
    auto page = co_await inner.load_thread_items(id, after, limit, order, ctx);
    auto same_time = [](const protocol::thread_item& a, const protocol::thread_item& b) {
      return protocol::base(a).created_at == protocol::base(b).created_at;
    };
    for (auto it = page.data.begin(); it != page.data.end();) {
      auto end = std::adjacent_find(it, page.data.end(),
                                    [&](const auto& a, const auto& b) { return !same_time(a, b); });
      if (end != page.data.end()) ++end;
      std::reverse(it, end);
      it = end;
    }
    if (page.has_more) page.after = protocol::item_id(page.data.back());
    co_return page;
  }
};

// Bug: every page carries a cursor, even the last one.
class always_cursor_store final : public forwarding_store {
 public:
  awaitable<protocol::item_page> load_thread_items(std::string id, std::optional<std::string> after,
                                                   std::size_t limit, protocol::sort_order order,
                                                   const request_context& ctx) override {
    seen(ctx);
    auto page = co_await inner.load_thread_items(id, after, limit, order, ctx);
    if (!page.data.empty()) page.after = protocol::item_id(page.data.back());
    co_return page;
  }
};

// Bug: integration metadata is not persisted.
class lossy_metadata_store final : public forwarding_store {
 public:
  awaitable<void> save_thread(const protocol::thread_metadata& t, const request_context& ctx) override {
    seen(ctx);
    auto copy = t;
    copy.metadata.clear();
    co_await inner.save_thread(copy, ctx);
  }
};

// Bug: delete_thread leaves the items behind (they reappear when the id is reused).
class no_cascade_store final : public forwarding_store {
 public:
  awaitable<void> delete_thread(std::string id, const request_context& ctx) override {
    seen(ctx);
    auto items = co_await inner.load_thread_items(id, std::nullopt, 10'000, protocol::sort_order::asc, ctx);
    auto thread = co_await inner.load_thread(id, ctx);
    co_await inner.delete_thread(id, ctx);
    orphans_[id] = std::move(items.data);
    (void)thread;
  }
  awaitable<void> save_thread(const protocol::thread_metadata& t, const request_context& ctx) override {
    seen(ctx);
    co_await inner.save_thread(t, ctx);
    auto it = orphans_.find(t.id);
    if (it == orphans_.end()) co_return;
    for (const auto& item : it->second) co_await inner.add_thread_item(t.id, item, ctx);
    orphans_.erase(it);
  }

 private:
  std::map<std::string, std::vector<protocol::thread_item>> orphans_;
};

}  // namespace

CHATKIT_STORE_CONTRACT_TESTS("control", [] { return std::make_unique<forwarding_store>(); });
CHATKIT_STORE_CONTRACT_TESTS("leaky_load", [] { return std::make_unique<leaky_load_store>(); });
CHATKIT_STORE_CONTRACT_TESTS("revealing_delete", [] { return std::make_unique<revealing_delete_store>(); });
CHATKIT_STORE_CONTRACT_TESTS("unstable_ties", [] { return std::make_unique<unstable_ties_store>(); });
CHATKIT_STORE_CONTRACT_TESTS("always_cursor", [] { return std::make_unique<always_cursor_store>(); });
CHATKIT_STORE_CONTRACT_TESTS("lossy_metadata", [] { return std::make_unique<lossy_metadata_store>(); });
CHATKIT_STORE_CONTRACT_TESTS("no_cascade", [] { return std::make_unique<no_cascade_store>(); });
