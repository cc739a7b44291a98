// Internals of the store contract suite: the per-check context and the helpers the checks share.
#pragma once

#include <chatkit/error.hpp>
#include <chatkit/protocol/json_io.hpp>
#include <chatkit/store/testing/store_contract.hpp>

#include <catch2/catch.hpp>

#include <functional>
#include <string>
#include <vector>

namespace chatkit::store::testing::detail {

// Everything one check runs with: a fresh io_context, a store from the factory and two users with ids
// no other check uses (so stores over a shared database pass too).
class check_context {
 public:
  check_context(const store_factory& factory, const contract_options& options);
  ~check_context();

  boost::asio::io_context ioc;  // declared before the store, which may keep a reference to it
  std::unique_ptr<store> s;
  const contract_options& options;
  request_context alice;
  request_context bob;

  template <class T>
  T run(boost::asio::awaitable<T> op) {
    return run_sync(ioc, std::move(op));
  }

  // A fresh id "<prefix>_<random>" no other check uses.
  std::string id(std::string_view prefix);

  // Saves a new thread of `who` (created_at = at(seconds)) and returns it.
  protocol::thread_metadata new_thread(const request_context& who, std::int64_t seconds = 0);
  // Adds an assistant message with `text` to the thread and returns it.
  protocol::thread_item new_item(const request_context& who, const std::string& thread_id,
                                 std::int64_t seconds = 0, std::string text = "hello");
};

// 2026-11-25T10:00:00 plus `seconds` (and `micros`).
protocol::timestamp at(std::int64_t seconds, std::int64_t micros = 0);

protocol::thread_item assistant_message(std::string thread_id, std::string id, protocol::timestamp created_at,
                                        std::string text);

// Storage (full-fidelity) JSON of a protocol value: how the checks compare values.
template <class T>
std::string json_of(const T& value) {
  return protocol::to_json(value, protocol::audience::storage);
}

// Runs `op`, which must throw chatkit::error with `code`; returns its message.
std::string expect_error(chatkit::errc code, const std::function<void()>& op);

// Ids of a page's elements.
std::vector<std::string> ids_of(const protocol::item_page& page);
std::vector<std::string> ids_of(const protocol::thread_page& page);

// Walks every page (checking has_more/after on each) and returns the ids in order.
std::vector<std::string> walk_items(check_context& c, const request_context& who,
                                    const std::string& thread_id, std::size_t limit,
                                    protocol::sort_order order);
std::vector<std::string> walk_threads(check_context& c, const request_context& who, std::size_t limit,
                                      protocol::sort_order order);

// One check of the suite.
struct check {
  std::string name;
  std::string tag;  // "[threads]", ...
  std::function<void(check_context&)> run;
};

void add_thread_checks(std::vector<check>& out);
void add_item_checks(std::vector<check>& out);
void add_paging_checks(std::vector<check>& out);
void add_attachment_checks(std::vector<check>& out);
void add_isolation_checks(std::vector<check>& out);
void add_concurrency_checks(std::vector<check>& out);
void add_round_trip_checks(std::vector<check>& out);

// The item fixtures of tests/fixtures/protocol/items, embedded at build time.
struct item_fixture {
  const char* name;
  const char* json;
};
extern const item_fixture item_fixtures[];
extern const std::size_t item_fixture_count;

}  // namespace chatkit::store::testing::detail
