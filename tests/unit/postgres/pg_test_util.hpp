// Helpers of the PostgreSQL store tests. They need a server: CHATKIT_TEST_PG holds its connection string
// (scripts/test-services.sh starts a throwaway one). Without it the tests fail in CI (CI=true) and are skipped
// with a message elsewhere.
#pragma once

#include <chatkit/protocol/items.hpp>
#include <chatkit/protocol/thread.hpp>
#include <chatkit/request_context.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <optional>
#include <string>

namespace chatkit::pg_test {

// True when running in CI, where a missing server is a failure.
bool in_ci();
// The server's connection string, or nullopt (after a WARN) when the tests should skip.
// In CI a missing CHATKIT_TEST_PG fails the calling test.
std::optional<std::string> conninfo();
// A schema name no other test (or run) uses.
std::string unique_schema();
// Drops a schema and everything in it (best effort).
void drop_schema(const std::string& conninfo, const std::string& schema);
// Runs one SQL statement and returns the first column of the first row ("" when none).
std::string query_one(const std::string& conninfo, const std::string& sql);

// A schema dropped when the test ends.
class scratch_schema {
 public:
  explicit scratch_schema(std::string conninfo) : conninfo_(std::move(conninfo)), name_(unique_schema()) {}
  scratch_schema(const scratch_schema&) = delete;
  scratch_schema& operator=(const scratch_schema&) = delete;
  ~scratch_schema() { drop_schema(conninfo_, name_); }
  const std::string& name() const noexcept { return name_; }

 private:
  std::string conninfo_;
  std::string name_;
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

}  // namespace chatkit::pg_test
