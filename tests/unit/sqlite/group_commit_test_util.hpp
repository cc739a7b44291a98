// Helpers of the tests that drive sqlite_detail::group_commit directly (group_commit_test.cpp,
// wal_sync_test.cpp): a table `t (k)` to write keys into, a reader's view of it, and writes queued from
// coroutines whose outcome the test inspects.
#pragma once

#include "sqlite/detail/connection.hpp"
#include "sqlite/detail/group_commit.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <functional>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>

namespace chatkit::sqlite_test {

using store::sqlite_detail::connection;
using store::sqlite_detail::group_commit;

// The group commit borrows `c` for every batch.
inline group_commit::lender lend(connection& c) {
  return [&c](const std::function<void(connection&)>& fn) { fn(c); };
}

inline void insert(connection& c, const std::string& k) {
  c.prepare("INSERT INTO t (k) VALUES (?1)").bind(1, k).run();
}

// Rows of t, read through a separate connection (what another reader sees).
inline std::set<std::string> keys(const std::string& path) {
  connection reader(path, store::sqlite_detail::connection_options{});
  std::set<std::string> out;
  auto s = reader.prepare("SELECT k FROM t");
  while (s.step()) out.emplace(s.text(0));
  return out;
}

// The outcome of one queued write: nullopt while running, then "" (success) or the error's message.
using outcome = std::optional<std::string>;

// Queues `fn` as one write from a coroutine on `ioc`; `out` gets its outcome when the io_context runs it.
inline void spawn_write(boost::asio::io_context& ioc, group_commit& gc, std::function<void(connection&)> fn,
                        outcome& out, group_commit::writes w = group_commit::writes::several) {
  boost::asio::co_spawn(
      ioc,
      [&gc, fn = std::move(fn), w]() -> boost::asio::awaitable<void> {
        auto op = gc.run<void>(fn, w);
        co_await std::move(op);
      },
      [&out](std::exception_ptr ep) {
        out = "";
        if (!ep) return;
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          out = std::string(e.what()).empty() ? "error" : e.what();
        }
      });
}

}  // namespace chatkit::sqlite_test
