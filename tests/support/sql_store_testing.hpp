// What the SQLite and PostgreSQL store tests share: a one-call coroutine runner, a request context per user,
// thread and message builders, the error a store call fails with, and the checks of their shared extras.
#pragma once

#include "support/run_sync.hpp"

#include <chatkit/error.hpp>
#include <chatkit/protocol/items.hpp>
#include <chatkit/protocol/thread.hpp>
#include <chatkit/request_context.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace chatkit::testing {

// run_sync on a private io_context: the SQL stores resume their callers on the caller's executor, so a store
// call needs nothing more.
template <class T>
T run_sync(boost::asio::awaitable<T> op) {
  boost::asio::io_context ioc;
  return run_sync(ioc, std::move(op));
}

inline request_context user(std::string id) {
  request_context ctx;
  ctx.user_id = std::move(id);
  return ctx;
}

// A thread created at 2026-01-02 03:04:05 plus `seconds`.
inline protocol::thread_metadata make_thread(std::string id, std::int64_t seconds = 0) {
  protocol::thread_metadata t;
  t.id = std::move(id);
  t.created_at = protocol::timestamp::from_civil(2026, 1, 2, 3, 4, 5);
  t.created_at.micros += seconds * 1'000'000;
  return t;
}

// An assistant message with one text part, created at 2026-01-02 03:04:05 plus `seconds`.
inline protocol::thread_item make_message(std::string thread_id, std::string id, std::string text,
                                          std::int64_t seconds = 0) {
  protocol::assistant_message_item m;
  m.id = std::move(id);
  m.thread_id = std::move(thread_id);
  m.created_at = protocol::timestamp::from_civil(2026, 1, 2, 3, 4, 5);
  m.created_at.micros += seconds * 1'000'000;
  protocol::output_text part;
  part.text = std::move(text);
  m.content.push_back(std::move(part));
  return m;
}

inline std::string message_text(const protocol::thread_item& item) {
  return std::get<protocol::assistant_message_item>(item).content.at(0).text;
}

inline std::vector<std::string> item_ids(const protocol::item_page& page) {
  std::vector<std::string> out;
  for (const auto& item : page.data) out.push_back(protocol::item_id(item));
  return out;
}

// The chatkit::errc `op` fails with (errc::ok when it does not throw); `message` receives the error's
// message.
inline chatkit::errc error_of(const std::function<void()>& op, std::string* message = nullptr) {
  try {
    op();
  } catch (const chatkit::error& e) {
    if (message) *message = e.message();
    return e.code_value();
  }
  return chatkit::errc::ok;
}

// The batch append both SQL stores offer (add_thread_items): all items or none, a taken id is conflict, and
// another user's thread is not_found.
template <class Store>
void check_batch_append_is_all_or_nothing(Store& s) {
  const auto alice = user("alice");
  run_sync(s.save_thread(make_thread("thr_1"), alice));
  run_sync(s.add_thread_item("thr_1", make_message("thr_1", "msg_taken", "first"), alice));
  std::vector<protocol::thread_item> batch;
  for (int i = 0; i < 10; ++i) batch.push_back(make_message("thr_1", "msg_b" + std::to_string(i), "b"));
  batch.push_back(make_message("thr_1", "msg_taken", "again"));
  CHECK(error_of([&] { run_sync(s.add_thread_items("thr_1", batch, alice)); }) == chatkit::errc::conflict);
  auto page = run_sync(s.load_thread_items("thr_1", std::nullopt, 100, protocol::sort_order::asc, alice));
  CHECK(item_ids(page) == std::vector<std::string>{"msg_taken"});
  batch.pop_back();
  run_sync(s.add_thread_items("thr_1", batch, alice));
  CHECK(run_sync(s.load_thread_items("thr_1", std::nullopt, 100, protocol::sort_order::asc, alice))
            .data.size() == 11);
  CHECK(error_of([&] { run_sync(s.add_thread_items("thr_1", batch, user("bob"))); }) ==
        chatkit::errc::not_found);
}

}  // namespace chatkit::testing
