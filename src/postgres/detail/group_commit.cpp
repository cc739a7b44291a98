#include "postgres/detail/group_commit.hpp"

#include <libpq-fe.h>

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <set>
#include <string_view>
#include <utility>

namespace chatkit::store::pg_detail {

namespace {

// A multi-row statement stops taking writes once it carries this many bytes of bodies and notes.
constexpr std::size_t max_multi_row_bytes = std::size_t(8) << 20;

// The exception a thrower raises, as an exception_ptr.
template <class Throw>
std::exception_ptr caught(Throw&& thrower) {
  try {
    thrower();
  } catch (...) {
    return std::current_exception();
  }
  return nullptr;
}

// A statement of a write failed: a foreign key that no longer holds means its thread was deleted meanwhile.
std::exception_ptr statement_error(pg_conn* conn, pg_result* r, const std::string& thread_id) {
  return caught([&] {
    try {
      throw_pg(conn, r, "running a statement");
    } catch (const store_error& e) {
      if (e.reason() == errc::missing_reference) throw_thread_not_found(thread_id);
      throw;
    }
  });
}

// A pipeline that does not read as expected: a lost connection (unavailable) or a protocol surprise.
[[noreturn]] void pipeline_failed(connection& c, std::string_view what) {
  if (PQstatus(c.handle()) != CONNECTION_OK) throw_pg(c.handle(), nullptr, what);
  throw store_error(errc::database_error, "postgres: " + std::string(what));
}

// The empty result that ends each statement's results in pipeline mode.
void expect_end(connection& c) {
  if (c.next_result().get() != nullptr) pipeline_failed(c, "unexpected extra result in pipeline mode");
}

}  // namespace

group_commit::group_commit(std::string conninfo, std::string schema, std::size_t max_batch, bool multi_row)
    : connection_(conninfo, schema),
      max_batch_(std::max<std::size_t>(max_batch, 1)),
      multi_row_(multi_row),
      writer_([this] { writer_loop(); }) {}

group_commit::~group_commit() {
  join();
}

void group_commit::join() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (writer_.joinable()) writer_.join();
}

group_commit::counters group_commit::stats() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

void group_commit::enqueue(std::unique_ptr<operation> op) {
  {
    std::unique_lock lock(mutex_);
    if (!stopping_) {
      queue_.push_back(std::move(op));
      const bool wake = writer_waiting_;
      lock.unlock();
      if (wake) wake_.notify_one();
      return;
    }
  }
  op->error = std::make_exception_ptr(store_error(errc::unavailable, "postgres: the store is shutting down"));
  op->complete();
}

void group_commit::writer_loop() {
  std::vector<std::unique_ptr<operation>> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      writer_waiting_ = true;
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      writer_waiting_ = false;
      if (queue_.empty()) return;
      const std::size_t n = std::min(queue_.size(), max_batch_);
      for (std::size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    run_batch(batch);
    for (auto& op : batch) op->complete();
    {
      std::lock_guard lock(mutex_);
      ++counters_.batches;
      counters_.operations += batch.size();
    }
    batch.clear();
  }
}

void group_commit::run_batch(std::vector<std::unique_ptr<operation>>& batch) {
  std::vector<operation*> pending;
  for (auto& op : batch) pending.push_back(op.get());
  bool multi = multi_row_;
  // Every round that runs again either turns the multi-row statements off or drops at least the write
  // whose error aborted it, so this ends.
  while (!pending.empty()) {
    try {
      const bool was_multi = multi;
      pending = run_round(pending, multi);
      if (was_multi && !multi) {
        std::lock_guard lock(mutex_);
        ++counters_.fallbacks;
      }
    } catch (...) {
      // The connection failed under the pipeline: whether the COMMIT happened is unknown to us, and to the
      // callers, who get the error (as a single write would). The connection is reopened for the next batch.
      const auto error = std::current_exception();
      for (auto* op : pending)
        if (!op->error) op->error = error;
      connection_.reconnect();
      return;
    }
  }
}

std::vector<group_commit::operation*> group_commit::run_round(const std::vector<operation*>& ops,
                                                              bool& multi) {
  enum class state { sent, written, refused, failed, skipped };
  std::vector<operation*> live;
  for (auto* op : ops) {
    op->check_thread = false;
    if (op->cancelled())
      op->error = std::make_exception_ptr(boost::system::system_error(boost::asio::error::operation_aborted));
    else
      live.push_back(op);
  }
  if (live.empty()) return {};

  // The statements: runs of consecutive writes of one kind (into distinct items) go as one multi-row
  // statement each, the others one by one.
  struct statement {
    std::size_t first;
    std::size_t count;
  };
  std::vector<statement> statements;
  {
    std::set<std::pair<std::string_view, std::string_view>> items;  // of the current run
    std::size_t bytes = 0;
    for (std::size_t i = 0; i < live.size(); ++i) {
      const auto& w = live[i]->write;
      if (multi && !statements.empty()) {
        auto& run = statements.back();
        const auto* first = live[run.first];
        if (first->what == live[i]->what && first->write.channel == w.channel &&
            bytes < max_multi_row_bytes && items.emplace(w.thread_id, w.id).second) {
          ++run.count;
          bytes += w.body.size() + w.note.size();
          continue;
        }
      }
      statements.push_back({i, 1});
      items.clear();
      items.emplace(w.thread_id, w.id);
      bytes = w.body.size() + w.note.size();
    }
  }

  connection_.ensure_open();
  connection_.prepare(item_sql::add, 7);
  connection_.prepare(item_sql::save, 7);
  if (multi) {
    connection_.prepare(item_sql::add_many, 7);
    connection_.prepare(item_sql::save_many, 7);
  }
  connection_.enter_pipeline();
  connection_.send("BEGIN");
  for (const auto& st : statements) {
    const auto* first = live[st.first];
    if (st.count == 1) {
      const auto& w = first->write;
      connection_.send(first->what == kind::add ? item_sql::add : item_sql::save,
                       {w.thread_id, w.id, w.user, w.created_at, w.body, w.channel, w.note});
      continue;
    }
    using element = binary_array::element;
    binary_array threads(element::text, st.count), ids(element::text, st.count),
        users(element::text, st.count), created(element::bigint, st.count), bodies(element::text, st.count),
        notes(element::text, st.count);
    for (std::size_t i = st.first; i < st.first + st.count; ++i) {
      const auto& w = live[i]->write;
      threads.push(w.thread_id);
      ids.push(w.id);
      users.push(w.user);
      created.push(w.created_at);
      bodies.push(w.body);
      notes.push(w.note);
    }
    connection_.send(first->what == kind::add ? item_sql::add_many : item_sql::save_many,
                     {threads.bytes(), ids.bytes(), users.bytes(), created.bytes(), bodies.bytes(),
                      first->write.channel, notes.bytes()});
  }
  connection_.send("COMMIT");
  connection_.sync();

  auto status_of = [](const result& r) { return r.get() ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR; };
  {
    auto begin = connection_.next_result();
    if (status_of(begin) != PGRES_COMMAND_OK) throw_pg(connection_.handle(), begin.get(), "BEGIN");
    expect_end(connection_);
  }
  std::vector<state> states(live.size(), state::sent);
  // A write its statement did not write: refused (another user's thread, or for an add a taken id).
  auto refuse = [&](std::size_t i) {
    auto* op = live[i];
    states[i] = state::refused;
    if (op->what == kind::add)
      op->check_thread = true;  // not the caller's thread, or a taken id: decided after the batch
    else                        // save_item writes no row only into a thread that is not the caller's
      op->error = caught([&] { throw_thread_not_found(op->write.thread_id); });
  };
  bool aborted = false;
  bool multi_failed = false;
  std::uint64_t multi_statements = 0;
  for (const auto& st : statements) {
    auto r = connection_.next_result();
    const auto status = status_of(r);
    if (status == PGRES_TUPLES_OK) {
      if (st.count == 1) {
        if (r.rows() == 1)
          states[st.first] = state::written;
        else
          refuse(st.first);
      } else {
        ++multi_statements;
        // The positions of the written writes, ascending; the others were refused.
        std::size_t next = st.first;
        for (int row = 0; row < r.rows(); ++row) {
          const auto n = r.integer(row, 0);
          if (n < 1 || static_cast<std::size_t>(n) > st.count ||
              st.first + static_cast<std::size_t>(n) - 1 < next)
            pipeline_failed(connection_, "a multi-row write returned an unexpected position");
          const std::size_t at = st.first + static_cast<std::size_t>(n) - 1;
          for (; next < at; ++next) refuse(next);
          states[at] = state::written;
          next = at + 1;
        }
        for (; next < st.first + st.count; ++next) refuse(next);
      }
    } else if (status == PGRES_PIPELINE_ABORTED) {
      for (std::size_t i = st.first; i < st.first + st.count; ++i) states[i] = state::skipped;
    } else if (st.count == 1) {
      states[st.first] = state::failed;
      live[st.first]->error = statement_error(connection_.handle(), r.get(), live[st.first]->write.thread_id);
      aborted = true;
    } else {
      // Which write the server refused is not known: the batch goes again one statement per write.
      for (std::size_t i = st.first; i < st.first + st.count; ++i) states[i] = state::skipped;
      aborted = true;
      multi_failed = true;
    }
    expect_end(connection_);
  }
  std::exception_ptr commit_error;
  {
    auto commit = connection_.next_result();
    const auto status = status_of(commit);
    if (status != PGRES_COMMAND_OK && status != PGRES_PIPELINE_ABORTED)
      commit_error = caught([&] { throw_pg(connection_.handle(), commit.get(), "COMMIT"); });
    expect_end(connection_);
  }
  {
    auto sync = connection_.next_result();
    if (status_of(sync) != PGRES_PIPELINE_SYNC)
      pipeline_failed(connection_, "the pipeline did not end with its sync");
  }
  connection_.exit_pipeline();

  if (aborted) {
    // The failed statement aborted the transaction: nothing of it was written. Everything but the failed
    // write goes again, in its order.
    connection_.rollback();
    if (multi_failed) multi = false;
    std::vector<operation*> again;
    for (std::size_t i = 0; i < live.size(); ++i) {
      if (states[i] == state::failed) continue;
      live[i]->error = nullptr;
      again.push_back(live[i]);
    }
    return again;
  }
  if (commit_error) {
    for (std::size_t i = 0; i < live.size(); ++i)
      if (states[i] == state::written) live[i]->error = commit_error;
    return {};
  }
  if (multi_statements != 0) {
    std::lock_guard lock(mutex_);
    counters_.multi_row += multi_statements;
  }
  // Committed. A refused add tells "not your thread" from "id taken" by looking the thread up, as a single
  // add_thread_item does.
  for (auto* op : live) {
    if (!op->check_thread) continue;
    op->error = caught([&] {
      if (connection_.run(item_sql::thread, {op->write.thread_id, op->write.user}).rows() == 0)
        throw_thread_not_found(op->write.thread_id);
      throw_item_exists(op->write.thread_id, op->write.id);
    });
  }
  return {};
}

}  // namespace chatkit::store::pg_detail
