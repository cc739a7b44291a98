// Runs one coroutine to completion on a test's io_context and returns its result (or rethrows its
// exception). The one helper every test suite uses to drive asynchronous code from a Catch2 test case.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace chatkit::testing {

template <class T>
T run_sync(boost::asio::io_context& ioc, boost::asio::awaitable<T> op) {
  auto result = boost::asio::co_spawn(ioc, std::move(op), boost::asio::use_future);
  ioc.restart();
  ioc.run();
  return result.get();
}

}  // namespace chatkit::testing
