// Group commit for the SQLite store's writes (docs/stores.md#group-commit). One writer thread owns the write
// connection; a write is queued, and the writer runs whatever is queued — up to `max_batch` operations — in
// one BEGIN IMMEDIATE … COMMIT, so concurrent writes share one transaction and one sync of the log. A write
// that fails is undone alone and fails only its caller, the rest commit: a write of several statements runs
// inside its own SAVEPOINT (rolled back on failure); a write declared `one_statement` needs none, since
// SQLite undoes a failing statement by itself. When the database itself rolls the whole transaction back
// under a failing write (disk full, I/O error), that write fails and the others run again in a new
// transaction. When the COMMIT fails, every operation of the batch that had succeeded fails with that error
// and nothing of the batch is written. Callers resume on their own executors once what they wrote is
// durable (with the store's synchronous setting): after the COMMIT returned or, when the writer's connection
// defers its log syncs (`sync_log`, see wal_sync.hpp), after the syncer thread has synced the log past that
// COMMIT — meanwhile the writer already runs the next batch, and batches committed during one sync share the
// next. A failed log sync fails every write of the batches it covered, and the store takes no more writes
// (what the kernel dropped cannot be told apart). The callers of one batch that share an executor are resumed
// by a few posted functions rather than one each. Private to the sqlite layer (it pulls in Asio: include it
// only from .cpp files).
#pragma once

#include "sqlite/detail/connection.hpp"

#include <boost/asio/any_io_executor.hpp>
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
#include <string>
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
  // `sync_log`: the lent connection defers the log sync of its COMMITs (opened through wal_sync::vfs_name()
  // with synchronous=FULL); a syncer thread then syncs the log before the batch's callers resume.
  group_commit(lender lend, std::size_t max_batch, bool sync_log = false);
  group_commit(const group_commit&) = delete;
  group_commit& operator=(const group_commit&) = delete;
  ~group_commit();  // join()

  // Runs every queued operation, then stops the writer thread (no new operations afterwards).
  void join();

  // How a write is undone when it fails while the rest of its batch commits.
  enum class writes {
    // Any number of statements: the write runs inside its own savepoint.
    several,
    // At most one statement that changes the database (reads before it are fine). If it fails, SQLite has
    // undone it (a failing statement never leaves a partial change); `fn` may throw after it only when it
    // changed nothing. No savepoint: two statements fewer per write.
    one_statement,
  };

  // co_await run<R>(fn, w): R fn(connection&) runs on the writer thread inside the batch transaction (and,
  // for writes::several, its own savepoint); its result or exception reaches the caller on the caller's
  // executor once the batch has committed. `fn` must not begin or end transactions itself.
  //
  // Cancellation: an operation whose cancellation was requested before the writer reached it is skipped
  // (boost::asio::error::operation_aborted, nothing written); one the writer has started commits or fails
  // with its batch — the caller always learns which, never a half-written record.
  // Callers bind the returned awaitable to a local before co_awaiting it (see connection_pool::run).
  template <class R, class Fn>
  boost::asio::awaitable<R> run(Fn fn, writes w = writes::several) {
    using namespace boost::asio;
    auto initiation = [this, w](auto handler, Fn f) {
      enqueue(std::make_unique<operation_for<R, decltype(handler), Fn>>(std::move(handler), std::move(f), w));
    };
    if constexpr (std::is_void_v<R>) {
      co_await async_initiate<const use_awaitable_t<>&, void(std::exception_ptr)>(
          std::move(initiation), use_awaitable, std::move(fn));
    } else {
      co_return co_await async_initiate<const use_awaitable_t<>&, void(std::exception_ptr, R)>(
          std::move(initiation), use_awaitable, std::move(fn));
    }
  }

  // Committed (or failed) batches and the operations they held, since construction (a batch is counted
  // before its callers resume).
  struct counters {
    std::uint64_t batches = 0;
    std::uint64_t operations = 0;
    std::uint64_t log_syncs = 0;  // syncs of the log by the syncer thread (with sync_log)
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
    // Hands the outcome to the caller. Called once, last, on the caller's executor (origin()).
    virtual void finish() = 0;
    // True once fail() was called.
    virtual bool failed() const noexcept = 0;
    bool cancelled() const noexcept { return cancelled_->load(std::memory_order_relaxed); }
    bool needs_savepoint() const noexcept { return writes_ == writes::several; }
    // The caller's executor, tracking work until the operation is destroyed.
    const boost::asio::any_io_executor& origin() const noexcept { return origin_; }

   protected:
    operation(boost::asio::any_io_executor origin, writes w) : origin_(std::move(origin)), writes_(w) {}
    std::shared_ptr<std::atomic<bool>> cancelled_ = std::make_shared<std::atomic<bool>>(false);

   private:
    boost::asio::any_io_executor origin_;
    writes writes_;
  };

  using operations = std::vector<std::unique_ptr<operation>>;

  template <class R, class Handler, class Fn>
  class operation_for final : public operation {
   public:
    operation_for(Handler handler, Fn fn, writes w)
        : operation(boost::asio::prefer(boost::asio::get_associated_executor(handler),
                                        boost::asio::execution::outstanding_work.tracked),
                    w),
          handler_(std::move(handler)),
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

    bool failed() const noexcept override { return error_ != nullptr; }

    void finish() override {
      auto slot = boost::asio::get_associated_cancellation_slot(handler_);
      if (slot.is_connected()) slot.clear();
      if constexpr (std::is_void_v<R>)
        std::move(handler_)(std::move(error_));
      else
        std::move(handler_)(std::move(error_), result_ ? std::move(*result_) : R{});
    }

   private:
    struct nothing {};
    using result_type = std::optional<std::conditional_t<std::is_void_v<R>, nothing, R>>;
    Handler handler_;
    Fn fn_;
    result_type result_;
    std::exception_ptr error_;
  };

  void enqueue(std::unique_ptr<operation> op);
  void writer_loop();
  // Returns the descriptor of the log whose sync the COMMIT deferred, or -1.
  int run_batch(connection& c, operations& batch);
  // The syncer thread (sync_log): syncs the log for the committed batches, then resumes their callers.
  void syncer_loop();
  // The error a write gets once a log sync has failed (one exception object per caller).
  std::exception_ptr log_sync_failure() const;
  // Hands every operation of `batch` (emptied) to its caller's executor: consecutive ones with the same
  // executor go in one posted function (a few dozen at most, so that an executor run by several threads
  // still spreads them).
  static void complete(operations& batch);
  // Runs on the operations' (common) executor: finishes each in order.
  static void finish_all(operations ops);

  lender lend_;
  std::size_t max_batch_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<operation>> queue_;
  bool stopping_ = false;
  bool writer_waiting_ = false;  // the writer sleeps on wake_ (else it rereads the queue after its batch)
  counters counters_;
  // Committed batches waiting for the syncer, each with the log descriptor to sync (-1: none).
  struct committed {
    operations ops;
    int log = -1;
  };
  bool sync_log_;
  std::mutex sync_mutex_;  // guards the four below (the callers' enqueue and stats() take mutex_)
  std::deque<committed> committed_;
  std::condition_variable syncer_wake_;
  bool syncer_stopping_ = false;
  bool syncer_waiting_ = false;  // the syncer sleeps on syncer_wake_ (else it looks again after its sync)
  std::string log_failure_;      // set once a log sync failed: every later write fails
  std::thread syncer_;
  std::thread writer_;  // last: started once everything above exists
};

}  // namespace chatkit::store::sqlite_detail
