// Runs one coroutine to completion on a test's io_context and returns its result (or rethrows its
// exception). The one helper every test suite uses to drive asynchronous code from a Catch2 test case.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <thread>
#include <vector>

namespace chatkit::testing {

template <class T>
T run_sync(boost::asio::io_context& ioc, boost::asio::awaitable<T> op) {
  auto result = boost::asio::co_spawn(ioc, std::move(op), boost::asio::use_future);
  ioc.restart();
  ioc.run();
  return result.get();
}

// Runs `ioc` on `threads` threads until it has no more work (the coroutines spawned on it ended), as a
// server's thread pool would: where concurrency tests make their callers meet.
inline void run_on_threads(boost::asio::io_context& ioc, int threads) {
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back([&ioc] { ioc.run(); });
  for (auto& t : pool) t.join();
}

}  // namespace chatkit::testing
