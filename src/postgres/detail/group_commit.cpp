#include "postgres/detail/group_commit.hpp"

#include <libpq-fe.h>

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
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

// A statement of a write failed. (A thread deleted meanwhile is no error: the statement finds no thread.)
std::exception_ptr statement_error(pg_conn* conn, pg_result* r) {
  return caught([&] { throw_pg(conn, r, "running a statement"); });
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

// A batch on the wire: its writes (the live ones in order), its statements, the results read so far.
struct group_commit::flight {
  struct statement {
    std::size_t first;
    std::size_t count;
  };
  batch writes;
  std::vector<operation*> live;
  std::vector<statement> statements;
  std::vector<result> results;  // in order, with the empty results between statements
  bool complete = false;        // the sync arrived
};

group_commit::group_commit(std::string conninfo, std::string schema, std::size_t max_batch,
                           std::size_t max_flights, bool multi_row, int gate_wait_ms)
    : connection_(conninfo, schema),
      max_batch_(std::max<std::size_t>(max_batch, 1)),
      max_flights_(std::max<std::size_t>(max_flights, 1)),
      multi_row_(multi_row),
      gate_wait_ms_(std::max(gate_wait_ms, 0)) {
  // Close-on-exec: processes the host spawns (MCP stdio servers, ...) must not inherit the writer's pipe.
  if (::pipe2(wake_pipe_, O_CLOEXEC | O_NONBLOCK) != 0)
    throw store_error(errc::unavailable, "postgres: cannot create the writer's wake-up pipe");
  try {
    writer_ = std::thread([this] { writer_loop(); });
  } catch (...) {
    ::close(wake_pipe_[0]);
    ::close(wake_pipe_[1]);
    throw;
  }
}

group_commit::~group_commit() {
  gate_->detach();
  join();
  ::close(wake_pipe_[0]);
  ::close(wake_pipe_[1]);
}

void group_commit::join() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_writer();
  if (writer_.joinable()) writer_.join();
}

group_commit::counters group_commit::stats() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

void group_commit::wake_writer() noexcept {
  const char byte = 1;
  [[maybe_unused]] auto n = ::write(wake_pipe_[1], &byte, 1);  // a full pipe already wakes it
}

void group_commit::enqueue(std::unique_ptr<operation> op) {
  {
    std::unique_lock lock(mutex_);
    if (!stopping_) {
      queue_.push_back(std::move(op));
      // Queued from the gate's handler, or while the writer holds writes for the open gate: its closing
      // (or the end of the writer's wait) sends them, no wake-up per write.
      const bool wake = gate::running_here != gate_.get() && !(writer_holding_ && gate_->is_open()) &&
                        std::exchange(writer_sleeping_, false);
      lock.unlock();
      if (wake) wake_writer();
      return;
    }
  }
  op->error = std::make_exception_ptr(store_error(errc::unavailable, "postgres: the store is shutting down"));
  op->complete();
}

void group_commit::gate_closed() {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    wake = !queue_.empty() && std::exchange(writer_sleeping_, false);
  }
  if (wake) wake_writer();
}

void group_commit::finish(batch& b) {
  {
    std::lock_guard lock(mutex_);
    ++counters_.batches;
    counters_.operations += b.size();
  }
  // One hand-off per executor: the writes resuming on one executor resume one after another in one handler
  // (waking one of its threads, not one per write), in their order.
  while (!b.empty()) {
    batch group;
    batch rest;
    group.push_back(std::move(b.front()));
    for (std::size_t i = 1; i < b.size(); ++i) {
      if (group.front()->same_origin(*b[i]))
        group.push_back(std::move(b[i]));
      else
        rest.push_back(std::move(b[i]));
    }
    auto* first = group.front().get();
    first->complete_all(std::move(group), gate_);
    b = std::move(rest);
  }
}

namespace {

// One failure shared by several writes becomes an exception object per write, built here and then owned by
// that write alone, so that each is freed on its caller's thread. (An exception_ptr's count lives in the C++
// runtime, which ThreadSanitizer does not see: a shared object released last by the writer after a caller
// read it is reported as a race.) Other exception types are shared as they are.
std::exception_ptr own_copy(const std::exception_ptr& error) {
  if (!error) return error;
  try {
    std::rethrow_exception(error);
  } catch (const store_error& e) {
    return std::make_exception_ptr(store_error(e.reason(), std::string(e.message())));
  } catch (...) {
    return error;
  }
}

}  // namespace

void group_commit::fail_all(batch& b, const std::exception_ptr& error) {
  for (auto& op : b)
    if (!op->error) op->error = own_copy(error);
  finish(b);
}

void group_commit::writer_loop() {
  std::deque<flight> flights;
  // A lost connection fails the writes of every batch in flight: whether their COMMIT happened is unknown to
  // us, and to the callers, who get the error (as a single write would). The connection is reopened.
  auto connection_lost = [&] {
    const auto error = std::current_exception();
    for (auto& f : flights) fail_all(f.writes, error);
    flights.clear();
    connection_.reconnect();
  };
  // The writer waits for an open gate at most gate_wait_ms_ (a resumed caller that blocks its thread,
  // waiting for another write, must not stall the writer): then it sends what is queued.
  bool gate_expired = false;
  for (;;) {
    batch next;
    bool held = false;  // writes wait for the gate only
    {
      std::unique_lock lock(mutex_);
      // A batch goes behind one in flight only once it is as large: smaller ones would cost more
      // transactions (hence server time) than the overlap saves. With nothing in flight, not while callers
      // of a finished batch are being resumed (the gate is open): the writes they queue go together once
      // they all are (unless a full batch is already there, or the store is stopping). With a batch in
      // flight the rule above already makes full batches, and holding them would only delay them.
      const bool room = flights.size() < max_flights_;
      const bool ready =
          !queue_.empty() && room &&
          (flights.empty() || queue_.size() >= std::min(flights.back().writes.size(), max_batch_));
      if (ready && (!flights.empty() || !gate_->is_open() || queue_.size() >= max_batch_ || stopping_ ||
                    gate_expired)) {
        gate_expired = false;
        std::size_t n = std::min(queue_.size(), max_batch_);
        // With nothing in flight, the writes go as two batches sent back to back (the second at least as
        // large, so the rule above sends it at once). The server then runs the second while the first one's
        // callers are resumed and queue their next writes, which go behind it as soon as they are as many:
        // the two halves alternate, and the server no longer waits for the callers between batches.
        if (flights.empty() && max_flights_ >= 2 && n >= 2) {
          n /= 2;
          ++counters_.halved;
        }
        for (std::size_t i = 0; i < n; ++i) {
          next.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      } else if (flights.empty() && queue_.empty() && stopping_) {
        return;
      } else {
        // Nothing to send (or no room): sleep until a write comes (when there is room) or results arrive.
        writer_sleeping_ = room;
        held = ready;
      }
      writer_holding_ = held;
    }
    if (!next.empty()) {
      if (!multi_row_) {
        run_one_by_one(next);
        finish(next);
        continue;
      }
      flight f;
      f.writes = std::move(next);
      for (auto& op : f.writes) {
        if (op->cancelled())
          op->error =
              std::make_exception_ptr(boost::system::system_error(boost::asio::error::operation_aborted));
        else
          f.live.push_back(op.get());
      }
      if (f.live.empty()) {
        finish(f.writes);
        continue;
      }
      try {
        send(f);
      } catch (...) {
        flights.push_back(std::move(f));
        connection_lost();
        continue;
      }
      flights.push_back(std::move(f));
      continue;  // more to send, while there is room, before reading
    }

    if (!flights.empty()) {
      try {
        if (!receive(flights.front(), false)) {
          pollfd fds[2] = {{PQsocket(connection_.handle()), POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
          const bool writes_wake = flights.size() < max_flights_;
          const int polled = ::poll(fds, writes_wake ? 2 : 1, held ? gate_wait_ms_ : -1);
          if (polled < 0 && errno != EINTR)
            throw store_error(errc::unavailable, "postgres: the writer could not wait for its connection");
          gate_expired = held && polled == 0;
          if (writes_wake) {
            char bytes[64];
            while (::read(wake_pipe_[0], bytes, sizeof bytes) > 0) {
            }
          }
          std::lock_guard lock(mutex_);
          writer_sleeping_ = false;
          continue;
        }
        // The oldest batch is complete.
        if (decide(flights.front())) {
          finish(flights.front().writes);
          flights.pop_front();
          if (flights.empty()) connection_.exit_pipeline();
          continue;
        }
        // Its transaction failed and was rolled back at its sync; the batches sent behind it are transactions
        // of their own and commit without it. Read them out (pipeline mode must be left for the path after
        // an error), then send again whatever failed, one write at a time.
        std::vector<batch> again;
        again.push_back(std::move(flights.front().writes));
        flights.pop_front();
        while (!flights.empty()) {
          receive(flights.front(), true);
          if (decide(flights.front()))
            finish(flights.front().writes);
          else
            again.push_back(std::move(flights.front().writes));
          flights.pop_front();
        }
        connection_.exit_pipeline();
        for (auto& b : again) {
          {
            std::lock_guard lock(mutex_);
            ++counters_.fallbacks;
          }
          run_one_by_one(b);
          finish(b);
        }
      } catch (...) {
        connection_lost();
      }
      continue;
    }

    // Idle: wait for a write.
    pollfd fd = {wake_pipe_[0], POLLIN, 0};
    const int polled = ::poll(&fd, 1, held ? gate_wait_ms_ : -1);
    if (polled < 0 && errno != EINTR) {
      // Cannot happen with a valid descriptor; do not spin.
      std::this_thread::yield();
    }
    gate_expired = held && polled == 0;
    char bytes[64];
    while (::read(wake_pipe_[0], bytes, sizeof bytes) > 0) {
    }
    std::lock_guard lock(mutex_);
    writer_sleeping_ = false;
  }
}

void group_commit::send(flight& f) {
  auto& live = f.live;
  // The statements: runs of consecutive writes of one kind into distinct items, one statement each.
  {
    std::set<std::pair<std::string_view, std::string_view>> items;  // of the current run
    std::size_t bytes = 0;
    for (std::size_t i = 0; i < live.size(); ++i) {
      const auto& w = live[i]->write;
      if (!f.statements.empty()) {
        auto& run = f.statements.back();
        const auto* first = live[run.first];
        if (first->what == live[i]->what && first->write.channel == w.channel &&
            bytes < max_multi_row_bytes && items.emplace(w.thread_id, w.id).second) {
          ++run.count;
          bytes += w.body.size() + w.note.size();
          continue;
        }
      }
      f.statements.push_back({i, 1});
      items.clear();
      items.emplace(w.thread_id, w.id);
      bytes = w.body.size() + w.note.size();
    }
  }

  if (PQpipelineStatus(connection_.handle()) == PQ_PIPELINE_OFF) {
    // Statements are prepared out of pipeline mode (once per connection).
    connection_.ensure_open();
    connection_.prepare(item_sql::add_many, 7);
    connection_.prepare(item_sql::save_many, 7);
    connection_.enter_pipeline();
  }
  // No BEGIN/COMMIT: the statements up to the sync are one implicit transaction, which the sync commits (or,
  // after an error, rolls back). Two statements fewer per batch for both sides.
  for (const auto& st : f.statements) {
    const auto* first = live[st.first];
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
  connection_.sync();
  std::lock_guard lock(mutex_);
  ++counters_.sent;
}

bool group_commit::receive(flight& f, bool wait) {
  pg_conn* conn = connection_.handle();
  while (!f.complete) {
    if (!wait) {
      if (PQconsumeInput(conn) != 1) throw_pg(conn, nullptr, "reading results");
      if (PQisBusy(conn)) return false;
    }
    result r(PQgetResult(conn));
    if (r.get() && PQresultStatus(r.get()) == PGRES_PIPELINE_SYNC) f.complete = true;
    // Every result of a batch is a few; more than that is a protocol surprise, not a reason to grow.
    if (f.results.size() > 2 * f.statements.size() + 8) pipeline_failed(connection_, "too many results");
    if (!r.get() && f.results.empty())
      pipeline_failed(connection_, "no result where the first statement's was expected");
    f.results.push_back(std::move(r));
  }
  return true;
}

bool group_commit::decide(flight& f) {
  // (statement, end) per statement, then the sync; an error at the sync (the implicit COMMIT failed) comes
  // as one more result before it.
  auto status = [&](std::size_t i) {
    return f.results[i].get() ? PQresultStatus(f.results[i].get()) : PGRES_FATAL_ERROR;
  };
  const std::size_t statements = f.statements.size();
  if (f.results.size() < 2 * statements + 1) {
    if (PQstatus(connection_.handle()) != CONNECTION_OK) throw_pg(connection_.handle(), nullptr, "a batch");
    return false;  // an error ended a statement's results early: the transaction failed
  }
  for (std::size_t s = 0; s < statements; ++s) {
    if (status(2 * s) != PGRES_TUPLES_OK) return false;  // the statement failed (or was skipped after one)
    if (f.results[2 * s + 1].get() != nullptr) return false;
  }
  if (f.results.size() != 2 * statements + 1) {
    // The statements ran but the commit at the sync failed: nothing of the batch was written.
    if (PQstatus(connection_.handle()) != CONNECTION_OK) throw_pg(connection_.handle(), nullptr, "a batch");
    const auto error =
        caught([&] { throw_pg(connection_.handle(), f.results[2 * statements].get(), "COMMIT"); });
    for (auto* op : f.live) op->error = own_copy(error);
    return true;
  }
  // Committed: each write's row says whether it was written; no row, not the user's thread.
  for (std::size_t s = 0; s < statements; ++s) {
    const auto& st = f.statements[s];
    const auto& r = f.results[2 * s];
    std::vector<char> seen(st.count, 0), written(st.count, 0);
    for (int row = 0; row < r.rows(); ++row) {
      const auto n = r.integer(row, 0);
      if (n < 1 || static_cast<std::size_t>(n) > st.count)
        pipeline_failed(connection_, "a multi-row write returned an unexpected position");
      seen[static_cast<std::size_t>(n) - 1] = 1;
      written[static_cast<std::size_t>(n) - 1] = r.text(row, 1) == "t";
    }
    for (std::size_t i = 0; i < st.count; ++i) {
      auto* op = f.live[st.first + i];
      if (written[i]) continue;
      op->error = caught([&] {
        if (seen[i] && op->what == kind::add) throw_item_exists(op->write.thread_id, op->write.id);
        throw_thread_not_found(op->write.thread_id);
      });
    }
  }
  std::lock_guard lock(mutex_);
  counters_.multi_row += statements;
  return true;
}

void group_commit::run_one_by_one(batch& b) {
  std::vector<operation*> pending;
  for (auto& op : b) {
    op->error = nullptr;
    pending.push_back(op.get());
  }
  // Every round that runs again drops at least the write whose error aborted it, so this ends.
  while (!pending.empty()) {
    try {
      pending = run_round(pending);
    } catch (...) {
      // The connection failed under the pipeline: whether the COMMIT happened is unknown to us, and to the
      // callers, who get the error (as a single write would). The connection is reopened for the next batch.
      const auto error = std::current_exception();
      for (auto* op : pending)
        if (!op->error) op->error = own_copy(error);
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
  connection_.prepare(item_sql::add, 7);
  connection_.prepare(item_sql::save, 7);
  connection_.enter_pipeline();
  connection_.send("BEGIN");
  for (auto* op : live) {
    const auto& w = op->write;
    connection_.send(op->what == kind::add ? item_sql::add : item_sql::save,
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
      op->error = statement_error(connection_.handle(), r.get());
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
      if (states[i] == state::written) live[i]->error = own_copy(commit_error);
    return {};
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
