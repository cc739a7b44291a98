// A store that fails on demand: a decorator over any store (usually a memory_store) that counts the calls of
// the store interface and makes the Nth one (or the Nth and every later one) throw store_error(unavailable),
// the way a database that went away would. Used by the fault-injection tests, which run every request type
// once to count its store calls and then once per call with that call failing.
#pragma once

#include <chatkit/store/store.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace chatkit::testing {

class failing_store final : public ::chatkit::store::store {
 public:
  explicit failing_store(std::shared_ptr<::chatkit::store::store> inner) : inner_(std::move(inner)) {}

  // Counts from zero again and fails the `n`th call from now (n = 0: never); with `and_after`, every call
  // from the `n`th on fails.
  void arm(std::size_t n, bool and_after = false) {
    calls_ = 0;
    fail_at_ = n;
    and_after_ = and_after;
    log_.clear();
    failures_ = 0;
  }
  void disarm() { arm(0); }
  std::size_t calls() const noexcept { return calls_; }
  std::size_t failures() const noexcept { return failures_; }
  // The operations called since arm(), in order (for messages).
  const std::vector<std::string>& log() const noexcept { return log_; }
  ::chatkit::store::store& inner() noexcept { return *inner_; }

  std::string generate_thread_id(const request_context& ctx) override {
    return inner_->generate_thread_id(ctx);
  }
  std::string generate_item_id(::chatkit::store::id_kind kind, const protocol::thread_metadata& thread,
                               const request_context& ctx) override {
    return inner_->generate_item_id(kind, thread, ctx);
  }

  ::chatkit::store::awaitable<protocol::thread_metadata> load_thread(std::string thread_id,
                                                                     const request_context& ctx) override {
    step("load_thread");
    co_return co_await inner_->load_thread(std::move(thread_id), ctx);
  }
  ::chatkit::store::awaitable<void> save_thread(const protocol::thread_metadata& thread,
                                                const request_context& ctx) override {
    step("save_thread");
    co_await inner_->save_thread(thread, ctx);
  }
  ::chatkit::store::awaitable<protocol::thread_page> load_threads(std::size_t limit,
                                                                  std::optional<std::string> after,
                                                                  protocol::sort_order order,
                                                                  const request_context& ctx) override {
    step("load_threads");
    co_return co_await inner_->load_threads(limit, std::move(after), order, ctx);
  }
  ::chatkit::store::awaitable<void> delete_thread(std::string thread_id,
                                                  const request_context& ctx) override {
    step("delete_thread");
    co_await inner_->delete_thread(std::move(thread_id), ctx);
  }
  ::chatkit::store::awaitable<protocol::item_page> load_thread_items(std::string thread_id,
                                                                     std::optional<std::string> after,
                                                                     std::size_t limit,
                                                                     protocol::sort_order order,
                                                                     const request_context& ctx) override {
    step("load_thread_items");
    co_return co_await inner_->load_thread_items(std::move(thread_id), std::move(after), limit, order, ctx);
  }
  ::chatkit::store::awaitable<void> add_thread_item(std::string thread_id, const protocol::thread_item& item,
                                                    const request_context& ctx) override {
    step("add_thread_item");
    co_await inner_->add_thread_item(std::move(thread_id), item, ctx);
  }
  ::chatkit::store::awaitable<void> save_item(std::string thread_id, const protocol::thread_item& item,
                                              const request_context& ctx) override {
    step("save_item");
    co_await inner_->save_item(std::move(thread_id), item, ctx);
  }
  ::chatkit::store::awaitable<protocol::thread_item> load_item(std::string thread_id, std::string item_id,
                                                               const request_context& ctx) override {
    step("load_item");
    co_return co_await inner_->load_item(std::move(thread_id), std::move(item_id), ctx);
  }
  ::chatkit::store::awaitable<void> delete_thread_item(std::string thread_id, std::string item_id,
                                                       const request_context& ctx) override {
    step("delete_thread_item");
    co_await inner_->delete_thread_item(std::move(thread_id), std::move(item_id), ctx);
  }
  ::chatkit::store::awaitable<void> save_attachment(const protocol::attachment& attachment,
                                                    const request_context& ctx) override {
    step("save_attachment");
    co_await inner_->save_attachment(attachment, ctx);
  }
  ::chatkit::store::awaitable<protocol::attachment> load_attachment(std::string attachment_id,
                                                                    const request_context& ctx) override {
    step("load_attachment");
    co_return co_await inner_->load_attachment(std::move(attachment_id), ctx);
  }
  ::chatkit::store::awaitable<void> delete_attachment(std::string attachment_id,
                                                      const request_context& ctx) override {
    step("delete_attachment");
    co_await inner_->delete_attachment(std::move(attachment_id), ctx);
  }

 private:
  void step(const char* op) {
    ++calls_;
    log_.emplace_back(op);
    if (fail_at_ != 0 && (calls_ == fail_at_ || (and_after_ && calls_ > fail_at_))) {
      ++failures_;
      throw ::chatkit::store::store_error(
          ::chatkit::store::errc::unavailable,
          std::string("injected failure of call ") + std::to_string(calls_) + " (" + op + ")");
    }
  }

  std::shared_ptr<::chatkit::store::store> inner_;
  std::size_t calls_ = 0;
  std::size_t fail_at_ = 0;
  bool and_after_ = false;
  std::size_t failures_ = 0;
  std::vector<std::string> log_;
};

}  // namespace chatkit::testing
