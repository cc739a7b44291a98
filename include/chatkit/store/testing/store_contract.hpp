// The store contract suite: every check a store implementation must pass, as Catch2 (v2) test cases.
//
// Run it on any store with one line in a test file (Catch2's main linked as usual):
//
//   #include <chatkit/store/testing/store_contract.hpp>
//   CHATKIT_STORE_CONTRACT_TESTS("memory", [] { return std::make_unique<chatkit::store::memory_store>(); })
//
// and link the target chatkit::store_contract. Each check becomes its own test case named
// "<name> store contract: <check>" and tagged [store_contract][<name>] plus a topic tag ([threads],
// [items], [paging], [attachments], [isolation], [concurrency], [round_trip]), so
// `test_exe "[store_contract][isolation]"` runs one topic.
//
// The factory is called once per check and should return an empty store. A store that cannot start
// empty (a shared database) still passes: every check works with fresh, random user ids. A factory may
// take the `boost::asio::io_context&` the check runs on, for stores that do I/O on an executor; the
// concurrency checks run that io_context on several threads at once.
#pragma once

#include <chatkit/store/store.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace chatkit::store::testing {

// Runs `op` to completion on `ioc` (which must not be running elsewhere) and returns its result or
// rethrows its exception. For tests only: it blocks the calling thread.
template <class T>
T run_sync(boost::asio::io_context& ioc, boost::asio::awaitable<T> op) {
  auto result = boost::asio::co_spawn(ioc, std::move(op), boost::asio::use_future);
  ioc.restart();
  ioc.run();
  return result.get();
}

// The same on a private io_context (for stores that do not need a particular executor).
template <class T>
T run_sync(boost::asio::awaitable<T> op) {
  boost::asio::io_context ioc;
  return run_sync(ioc, std::move(op));
}

// Sizes of the heavier checks; the defaults are what our stores are held to.
struct contract_options {
  std::size_t concurrent_writers = 8;   // coroutines appending to one thread at the same time
  std::size_t items_per_writer = 200;
  std::size_t io_threads = 4;           // threads running the io_context during concurrency checks
  std::size_t big_item_bytes = 1 << 20; // text carried by the "big item" round trip
};

using store_factory = std::function<std::unique_ptr<store>(boost::asio::io_context&)>;

// Accepts `std::unique_ptr<S>()` or `std::unique_ptr<S>(boost::asio::io_context&)` callables, S a store.
template <class F>
store_factory make_store_factory(F f) {
  if constexpr (std::is_invocable_v<F&, boost::asio::io_context&>) {
    return [f = std::move(f)](boost::asio::io_context& ioc) mutable -> std::unique_ptr<store> { return f(ioc); };
  } else {
    static_assert(std::is_invocable_v<F&>, "a store factory takes no argument or a boost::asio::io_context&");
    return [f = std::move(f)](boost::asio::io_context&) mutable -> std::unique_ptr<store> { return f(); };
  }
}

// Registers every check with Catch2 under `name` (which must be unique in the executable). Returns the
// number of checks registered. `file` and `line` locate the registration in test reports.
std::size_t register_store_contract(std::string_view name, store_factory factory, contract_options options = {},
                                    const char* file = __FILE__, std::size_t line = __LINE__);

// The names of all checks, in registration order (documentation and self-tests).
std::vector<std::string> store_contract_check_names();

}  // namespace chatkit::store::testing

#define CHATKIT_STORE_CONTRACT_CAT2(a, b) a##b
#define CHATKIT_STORE_CONTRACT_CAT(a, b) CHATKIT_STORE_CONTRACT_CAT2(a, b)

// CHATKIT_STORE_CONTRACT_TESTS(name, factory): registers the whole suite for one store (at namespace scope).
#define CHATKIT_STORE_CONTRACT_TESTS(name, ...)                                                             \
  static const std::size_t CHATKIT_STORE_CONTRACT_CAT(chatkit_store_contract_, __COUNTER__) =               \
      ::chatkit::store::testing::register_store_contract(                                                   \
          name, ::chatkit::store::testing::make_store_factory(__VA_ARGS__), {}, __FILE__, __LINE__)

// CHATKIT_STORE_CONTRACT_TESTS_WITH(name, options, factory): the same with non-default contract_options.
#define CHATKIT_STORE_CONTRACT_TESTS_WITH(name, options, ...)                                               \
  static const std::size_t CHATKIT_STORE_CONTRACT_CAT(chatkit_store_contract_, __COUNTER__) =               \
      ::chatkit::store::testing::register_store_contract(                                                   \
          name, ::chatkit::store::testing::make_store_factory(__VA_ARGS__), options, __FILE__, __LINE__)
