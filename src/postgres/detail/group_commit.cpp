#include "postgres/detail/group_commit.hpp"

#include <libpq-fe.h>

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>

namespace chatkit::store::pg_detail {

namespace {

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

group_commit::group_commit(std::string conninfo, std::string schema, std::string_view add_sql,
                           std::string_view save_sql, std::string_view thread_sql, std::size_t max_batch)
    : connection_(conninfo, schema),
      add_sql_(add_sql),
      save_sql_(save_sql),
      thread_sql_(thread_sql),
      max_batch_(std::max<std::size_t>(max_batch, 1)),
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
  // Every round that runs again drops at least the write whose error aborted it, so this ends.
  while (!pending.empty()) {
    try {
      pending = run_round(pending);
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

std::vector<group_commit::operation*> group_commit::run_round(const std::vector<operation*>& ops) {
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

  connection_.ensure_open();
  connection_.prepare(add_sql_, 7);
  connection_.prepare(save_sql_, 7);
  connection_.enter_pipeline();
  connection_.send("BEGIN");
  for (auto* op : live) {
    const auto& w = op->write;
    connection_.send(op->what == kind::add ? add_sql_ : save_sql_,
                     {w.thread_id, w.id, w.user, w.created_at, w.body, w.channel, w.note});
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
  bool aborted = false;
  for (std::size_t i = 0; i < live.size(); ++i) {
    auto* op = live[i];
    auto r = connection_.next_result();
    const auto status = status_of(r);
    if (status == PGRES_TUPLES_OK) {
      if (r.rows() == 1) {
        states[i] = state::written;
      } else if (op->what == kind::add) {
        states[i] = state::refused;  // not the caller's thread, or a taken id: decided after the batch
        op->check_thread = true;
      } else {
        states[i] = state::refused;  // save_item writes no row only into a thread that is not the caller's
        op->error = caught([&] { throw_thread_not_found(op->write.thread_id); });
      }
    } else if (status == PGRES_PIPELINE_ABORTED) {
      states[i] = state::skipped;
    } else {
      states[i] = state::failed;
      op->error = statement_error(connection_.handle(), r.get(), op->write.thread_id);
      aborted = true;
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
  // Committed. A refused add tells "not your thread" from "id taken" by looking the thread up, as a single
  // add_thread_item does.
  for (auto* op : live) {
    if (!op->check_thread) continue;
    op->error = caught([&] {
      if (connection_.run(thread_sql_, {op->write.thread_id, op->write.user}).rows() == 0)
        throw_thread_not_found(op->write.thread_id);
      throw_item_exists(op->write.thread_id, op->write.id);
    });
  }
  return {};
}

}  // namespace chatkit::store::pg_detail
