// Group commit for the SQLite store's writes (docs/stores.md#group-commit). One writer thread owns the write
// connection; a write is queued, and the writer runs whatever is queued — up to `max_batch` operations — in
// one BEGIN IMMEDIATE … COMMIT, so concurrent writes share one transaction and one sync of the log. Each
// operation runs inside its own SAVEPOINT: one that fails is rolled back alone and fails only its caller,
// the rest commit (when the database itself rolls the whole transaction back under a failing write — disk
// full, I/O error — that write fails and the others run again in a new transaction). When the COMMIT fails,
// every operation of the batch that had succeeded fails with that error and nothing of the batch is written.
// Every caller resumes on its own executor after the COMMIT returned, so what it wrote is durable by then
// (with the store's synchronous setting). Private to the sqlite layer (it pulls in Asio: include it only
// from .cpp files).
#pragma once

#include "sqlite/detail/connection.hpp"

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace chatkit::store::sqlite_detail {

class group_commit {
 public:
  // Lends the write connection to the function for the duration of one batch (the store's own writer
  // connection, or the pool's only connection for an in-memory database).
  using lender = std::function<void(const std::function<void(connection&)>&)>;

  // Starts the writer thread. `max_batch` (at least 1) bounds the operations of one transaction.
  group_commit(lender lend, std::size_t max_batch);
  group_commit(const group_commit&) = delete;
  group_commit& operator=(const group_commit&) = delete;
  ~group_commit();  // join()

  // Runs every queued operation, then stops the writer thread (no new operations afterwards).
  void join();

  // co_await run<R>(fn): R fn(connection&) runs on the writer thread inside the batch transaction (and its
  // own savepoint); its result or exception reaches the caller on the caller's executor once the batch has
  // committed. `fn` must not begin or end transactions itself.
  //
  // Cancellation: an operation whose cancellation was requested before the writer reached it is skipped
  // (boost::asio::error::operation_aborted, nothing written); one the writer has started commits or fails
  // with its batch — the caller always learns which, never a half-written record.
  // Callers bind the returned awaitable to a local before co_awaiting it (see connection_pool::run).
  template <class R, class Fn>
  boost::asio::awaitable<R> run(Fn fn) {
    using namespace boost::asio;
    auto initiation = [this](auto handler, Fn f) {
      enqueue(std::make_unique<operation_for<R, decltype(handler), Fn>>(std::move(handler), std::move(f)));
    };
    if constexpr (std::is_void_v<R>) {
      co_await async_initiate<const use_awaitable_t<>&, void(std::exception_ptr)>(
          std::move(initiation), use_awaitable, std::move(fn));
    } else {
      co_return co_await async_initiate<const use_awaitable_t<>&, void(std::exception_ptr, R)>(
          std::move(initiation), use_awaitable, std::move(fn));
    }
  }

  // Committed (or failed) batches and the operations they held, since construction.
  struct counters {
    std::uint64_t batches = 0;
    std::uint64_t operations = 0;
  };
  counters stats() const;

 private:
  // One queued write, type-erased.
  class operation {
   public:
    virtual ~operation() = default;
    // Runs the write (throws what it throws).
    virtual void execute(connection& c) = 0;
    // Records the failure the caller will get (replaces a result).
    virtual void fail(std::exception_ptr error) = 0;
    // Hands the outcome to the caller's executor. Called once, last.
    virtual void complete() = 0;
    bool cancelled() const noexcept { return cancelled_->load(std::memory_order_relaxed); }

   protected:
    std::shared_ptr<std::atomic<bool>> cancelled_ = std::make_shared<std::atomic<bool>>(false);
  };

  template <class R, class Handler, class Fn>
  class operation_for final : public operation {
   public:
    operation_for(Handler handler, Fn fn)
        : handler_(std::move(handler)),
          origin_(boost::asio::prefer(boost::asio::get_associated_executor(handler_),
                                      boost::asio::execution::outstanding_work.tracked)),
          fn_(std::move(fn)) {
      auto slot = boost::asio::get_associated_cancellation_slot(handler_);
      if (slot.is_connected()) {
        slot.assign([flag = cancelled_](boost::asio::cancellation_type type) {
          if (type != boost::asio::cancellation_type::none) flag->store(true, std::memory_order_relaxed);
        });
      }
    }

    void execute(connection& c) override {
      if constexpr (std::is_void_v<R>)
        fn_(c);
      else
        result_.emplace(fn_(c));
    }

    void fail(std::exception_ptr error) override {
      error_ = std::move(error);
      if constexpr (!std::is_void_v<R>) result_.reset();
    }

    void complete() override {
      if constexpr (std::is_void_v<R>) {
        boost::asio::post(origin_, [h = std::move(handler_), ep = error_]() mutable {
          auto slot = boost::asio::get_associated_cancellation_slot(h);
          if (slot.is_connected()) slot.clear();
          std::move(h)(ep);
        });
      } else {
        boost::asio::post(origin_, [h = std::move(handler_), ep = error_, r = std::move(result_)]() mutable {
          auto slot = boost::asio::get_associated_cancellation_slot(h);
          if (slot.is_connected()) slot.clear();
          std::move(h)(ep, r ? std::move(*r) : R{});
        });
      }
    }

   private:
    struct nothing {};
    using result_type = std::optional<std::conditional_t<std::is_void_v<R>, nothing, R>>;
    Handler handler_;
    std::decay_t<decltype(boost::asio::prefer(std::declval<boost::asio::associated_executor_t<Handler>>(),
                                              boost::asio::execution::outstanding_work.tracked))>
        origin_;
    Fn fn_;
    result_type result_;
    std::exception_ptr error_;
  };

  void enqueue(std::unique_ptr<operation> op);
  void writer_loop();
  void run_batch(connection& c, std::vector<std::unique_ptr<operation>>& batch);

  lender lend_;
  std::size_t max_batch_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<operation>> queue_;
  bool stopping_ = false;
  bool writer_waiting_ = false;  // the writer sleeps on wake_ (else it rereads the queue after its batch)
  counters counters_;
  std::thread writer_;  // last: started once everything above exists
};

}  // namespace chatkit::store::sqlite_detail
