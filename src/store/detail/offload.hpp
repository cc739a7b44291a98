// Runs a blocking function (a SQLite or libpq call) on a worker pool and resumes the awaiting coroutine on
// its own executor, so database calls never block the network threads. Private to the sqlite and postgres
// layers, which reach it through connection_pool.hpp (it pulls in Asio: include it only from .cpp files).
#pragma once

#include <chatkit/error.hpp>

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
#include <boost/system/system_error.hpp>

#include <atomic>
#include <exception>
#include <memory>
#include <type_traits>
#include <utility>

namespace chatkit::store::detail {

// co_await offload<R>(pool_executor, fn): runs fn() on the pool; its result or exception comes back to the
// awaiting coroutine on the coroutine's executor. The awaiting executor is kept busy (outstanding work) while
// fn runs, so an io_context does not run out of work meanwhile.
//
// Cancellation: a database statement, once started, runs to completion (it is short and keeps the store
// consistent); a cancellation requested before the job starts skips it and completes with
// boost::asio::error::operation_aborted.
template <class R, class PoolExecutor, class Fn>
boost::asio::awaitable<R> offload(PoolExecutor pool, Fn fn) {
  using namespace boost::asio;
  auto initiation = [pool](auto handler, Fn f) {
    auto origin = prefer(get_associated_executor(handler), execution::outstanding_work.tracked);
    auto cancelled = std::make_shared<std::atomic<bool>>(false);
    auto slot = get_associated_cancellation_slot(handler);
    if (slot.is_connected()) {
      slot.assign([cancelled](cancellation_type type) {
        if (type != cancellation_type::none) cancelled->store(true);
      });
    }
    post(pool, [h = std::move(handler), f = std::move(f), origin = std::move(origin), cancelled]() mutable {
      std::exception_ptr ep;
      if constexpr (std::is_void_v<R>) {
        try {
          if (cancelled->load()) throw boost::system::system_error(boost::asio::error::operation_aborted);
          f();
        } catch (...) {
          ep = std::current_exception();
        }
        post(origin, [h = std::move(h), ep]() mutable {
          auto s = get_associated_cancellation_slot(h);
          if (s.is_connected()) s.clear();
          std::move(h)(ep);
        });
      } else {
        R result{};
        try {
          if (cancelled->load()) throw boost::system::system_error(boost::asio::error::operation_aborted);
          result = f();
        } catch (...) {
          ep = std::current_exception();
        }
        post(origin, [h = std::move(h), ep, result = std::move(result)]() mutable {
          auto s = get_associated_cancellation_slot(h);
          if (s.is_connected()) s.clear();
          std::move(h)(ep, std::move(result));
        });
      }
    });
  };
  if constexpr (std::is_void_v<R>) {
    co_await async_initiate<const use_awaitable_t<>&, void(std::exception_ptr)>(std::move(initiation),
                                                                                use_awaitable, std::move(fn));
  } else {
    co_return co_await async_initiate<const use_awaitable_t<>&, void(std::exception_ptr, R)>(
        std::move(initiation), use_awaitable, std::move(fn));
  }
}

}  // namespace chatkit::store::detail
