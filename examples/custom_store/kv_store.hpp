// kv_store — an example of a store written by a host application: every record is a JSON string under a
// string key, the shape of a store over Redis, LevelDB, DynamoDB or a plain table of (key, value).
// It shows the three things any store must get right (see docs/stores.md):
//  1. scope every record by ctx.user_id, and answer "not found" for another user's record;
//  2. order by created_at with an insertion sequence as the tie-breaker, and page with id cursors;
//  3. serialise with chatkit::protocol::to_json(x, audience::storage) so nothing is lost.
#pragma once

#include <chatkit/store/store.hpp>

#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace example {

class kv_store final : public chatkit::store::store {
 public:
  // A stored value: who owns it, its insertion sequence (the tie-breaker for equal created_at), the JSON.
  struct record {
    std::string owner;
    std::uint64_t seq = 0;
    boost::json::value data;
  };

  chatkit::store::awaitable<chatkit::protocol::thread_metadata> load_thread(
      std::string thread_id, const chatkit::request_context& ctx) override;
  chatkit::store::awaitable<void> save_thread(const chatkit::protocol::thread_metadata& thread,
                                              const chatkit::request_context& ctx) override;
  chatkit::store::awaitable<chatkit::protocol::thread_page> load_threads(std::size_t limit,
                                                                         std::optional<std::string> after,
                                                                         chatkit::protocol::sort_order order,
                                                                         const chatkit::request_context& ctx) override;
  chatkit::store::awaitable<void> delete_thread(std::string thread_id, const chatkit::request_context& ctx) override;

  chatkit::store::awaitable<chatkit::protocol::item_page> load_thread_items(
      std::string thread_id, std::optional<std::string> after, std::size_t limit, chatkit::protocol::sort_order order,
      const chatkit::request_context& ctx) override;
  chatkit::store::awaitable<void> add_thread_item(std::string thread_id, const chatkit::protocol::thread_item& item,
                                                  const chatkit::request_context& ctx) override;
  chatkit::store::awaitable<void> save_item(std::string thread_id, const chatkit::protocol::thread_item& item,
                                            const chatkit::request_context& ctx) override;
  chatkit::store::awaitable<chatkit::protocol::thread_item> load_item(std::string thread_id, std::string item_id,
                                                                      const chatkit::request_context& ctx) override;
  chatkit::store::awaitable<void> delete_thread_item(std::string thread_id, std::string item_id,
                                                     const chatkit::request_context& ctx) override;

  chatkit::store::awaitable<void> save_attachment(const chatkit::protocol::attachment& attachment,
                                                  const chatkit::request_context& ctx) override;
  chatkit::store::awaitable<chatkit::protocol::attachment> load_attachment(
      std::string attachment_id, const chatkit::request_context& ctx) override;
  chatkit::store::awaitable<void> delete_attachment(std::string attachment_id,
                                                    const chatkit::request_context& ctx) override;

  // How many key/value pairs the "database" holds (the demo prints it).
  std::size_t size() const;

 private:
  record require_thread(const std::string& thread_id, const chatkit::request_context& ctx) const;

  mutable std::mutex mutex_;
  std::map<std::string, std::string> kv_;  // the "database": key -> JSON text
  std::uint64_t next_seq_ = 0;
};

}  // namespace example
