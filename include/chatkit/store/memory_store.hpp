// memory_store: a store (docs/stores.md) that keeps everything in process memory. For tests, demos and
// single-process deployments that may lose their history on restart.
//
// Thread-safe: one mutex guards the data and no operation suspends while holding it, so any number of
// coroutines on any number of threads may share one instance. Every record is owned by the user that
// created it; another user's record behaves exactly like a missing one (see store.hpp).
//
// Ordering: threads and items are ordered by created_at, ties broken by a monotonic insertion sequence.
// save_item on an existing item keeps that item's place (its original created_at and sequence) even
// if the new version carries another created_at; save_thread on an existing thread re-sorts it by the
// new created_at but keeps its sequence.
#pragma once

#include <chatkit/store/store.hpp>

#include <memory>

namespace chatkit::store {

class memory_store final : public store {
 public:
  memory_store();
  ~memory_store() override;
  memory_store(const memory_store&) = delete;
  memory_store& operator=(const memory_store&) = delete;

  awaitable<protocol::thread_metadata> load_thread(std::string thread_id,
                                                   const request_context& ctx) override;
  awaitable<void> save_thread(const protocol::thread_metadata& thread, const request_context& ctx) override;
  awaitable<protocol::thread_page> load_threads(std::size_t limit, std::optional<std::string> after,
                                                protocol::sort_order order,
                                                const request_context& ctx) override;
  // Writes from the store's own records, under its lock: no copy of the threads.
  awaitable<page_end> visit_threads(std::size_t limit, std::optional<std::string> after,
                                    protocol::sort_order order, const request_context& ctx,
                                    const thread_visitor& visit) override;
  awaitable<void> delete_thread(std::string thread_id, const request_context& ctx) override;

  awaitable<protocol::item_page> load_thread_items(std::string thread_id, std::optional<std::string> after,
                                                   std::size_t limit, protocol::sort_order order,
                                                   const request_context& ctx) override;
  awaitable<void> add_thread_item(std::string thread_id, const protocol::thread_item& item,
                                  const request_context& ctx) override;
  awaitable<void> save_item(std::string thread_id, const protocol::thread_item& item,
                            const request_context& ctx) override;
  awaitable<protocol::thread_item> load_item(std::string thread_id, std::string item_id,
                                             const request_context& ctx) override;
  awaitable<void> delete_thread_item(std::string thread_id, std::string item_id,
                                     const request_context& ctx) override;

  awaitable<void> save_attachment(const protocol::attachment& attachment,
                                  const request_context& ctx) override;
  awaitable<protocol::attachment> load_attachment(std::string attachment_id,
                                                  const request_context& ctx) override;
  awaitable<void> delete_attachment(std::string attachment_id, const request_context& ctx) override;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace chatkit::store
