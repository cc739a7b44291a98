// Helpers of the SQLite store tests: a temporary database directory, a synchronous runner for store
// coroutines and item builders.
#pragma once

#include <chatkit/protocol/items.hpp>
#include <chatkit/protocol/thread.hpp>
#include <chatkit/request_context.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <filesystem>
#include <random>
#include <string>
#include <utility>

namespace chatkit::sqlite_test {

// A fresh directory under the system temp dir, removed with its content.
class temp_dir {
 public:
  temp_dir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("chatkit-sqlite-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

template <class T>
T run(boost::asio::awaitable<T> op) {
  boost::asio::io_context ioc;
  auto result = boost::asio::co_spawn(ioc, std::move(op), boost::asio::use_future);
  ioc.run();
  return result.get();
}

inline request_context user(std::string id) {
  request_context ctx;
  ctx.user_id = std::move(id);
  return ctx;
}

inline protocol::thread_metadata make_thread(std::string id, std::int64_t seconds = 0) {
  protocol::thread_metadata t;
  t.id = std::move(id);
  t.created_at = protocol::timestamp::from_civil(2026, 1, 2, 3, 4, 5);
  t.created_at.micros += seconds * 1'000'000;
  return t;
}

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

}  // namespace chatkit::sqlite_test
