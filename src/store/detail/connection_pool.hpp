// The worker threads and connection pool under both SQL stores. A store operation is a function of one
// connection; run() executes it on a worker thread with a connection of its own (borrowed from the pool and
// given back when the function returns or throws) and resumes the awaiting coroutine on its own executor, so
// database calls never block the network threads. Private to the sqlite and postgres layers.
#pragma once

#include "store/detail/offload.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace chatkit::store::detail {

template <class Connection>
class connection_pool {
 public:
  // A borrowed connection, given back to the pool when the guard ends.
  class pooled {
   public:
    explicit pooled(connection_pool& pool) : pool_(pool), c_(pool.take()) {}
    pooled(const pooled&) = delete;
    pooled& operator=(const pooled&) = delete;
    ~pooled() { pool_.give_back(c_); }
    Connection& operator*() const noexcept { return *c_; }
    Connection* operator->() const noexcept { return c_; }

   private:
    connection_pool& pool_;
    Connection* c_;
  };

  // Opens `connections` connections (at least one) with open(), which returns a std::unique_ptr<Connection>.
  // setup(first) runs on the first one before the others are opened (the stores migrate their schema there).
  // `threads` worker threads (at least one) run the operations.
  template <class Open, class Setup>
  connection_pool(std::size_t connections, std::size_t threads, Open open, Setup setup)
      : workers_(threads == 0 ? 1 : threads) {
    connections_.push_back(open());
    setup(*connections_.front());
    for (std::size_t i = 1; i < connections; ++i) connections_.push_back(open());
    for (auto& c : connections_) idle_.push_back(c.get());
  }
  connection_pool(const connection_pool&) = delete;
  connection_pool& operator=(const connection_pool&) = delete;
  // Operations still queued or running finish before the connections close.
  ~connection_pool() { join(); }

  // Waits for every queued and running operation (the pool takes no new ones afterwards).
  void join() { workers_.join(); }

  // co_await run<R>(fn): R fn(Connection&) on a worker thread. A connection type with ensure_open() gets it
  // called first (a lost connection is reopened before use).
  // Callers bind the returned awaitable to a local and then co_await it: with GCC 12 a lambda temporary
  // inside a co_await full-expression can be destroyed twice.
  template <class R, class Fn>
  boost::asio::awaitable<R> run(Fn fn) {
    return offload<R>(workers_.get_executor(), [this, fn = std::move(fn)]() mutable -> R {
      pooled c(*this);
      if constexpr (requires(Connection & x) { x.ensure_open(); }) c->ensure_open();
      return fn(*c);
    });
  }

 private:
  Connection* take() {
    std::unique_lock lock(mutex_);
    idle_changed_.wait(lock, [&] { return !idle_.empty(); });
    Connection* c = idle_.back();
    idle_.pop_back();
    return c;
  }

  void give_back(Connection* c) {
    {
      std::lock_guard lock(mutex_);
      idle_.push_back(c);
    }
    idle_changed_.notify_one();
  }

  std::vector<std::unique_ptr<Connection>> connections_;
  std::mutex mutex_;
  std::condition_variable idle_changed_;
  std::vector<Connection*> idle_;
  boost::asio::thread_pool workers_;  // last: joined (in the destructor) while the connections still exist
};

}  // namespace chatkit::store::detail
