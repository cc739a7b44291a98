// Group commit of the PostgreSQL store's item writes (docs/stores.md#postgresql). add_thread_item and
// save_item are queued; one writer thread with its own connection takes whatever is queued (up to
// `max_batch` writes) and sends it in pipeline mode — the writes, then a sync — so a batch costs one
// transaction: the implicit one the server runs up to the sync, committed there (no BEGIN/COMMIT statements).
// Up to `max_flights` batches are on the wire at once, each its own transaction: the next one goes behind
// the one the server still runs once as many writes are queued. Consecutive writes of one kind go as one
// multi-row statement (the writes as arrays, unnested by the server) that checks the owner of each write
// (the thread must be the writing user's) and reports, per write, whether it was written and whether its
// thread was found. A write refused by its statement (another user's thread, a taken id) fails alone. A
// statement that raises an error rolls its batch back (the batches sent behind it commit on their own): that
// batch goes again, after the others in flight were read, one statement per write, where the failing write
// fails alone and the others go again in a new transaction; a failed commit fails every write of its batch,
// a lost connection every write of every batch in flight. Each caller resumes on its own executor after its
// batch committed; the callers of one executor resume one after another in one handler. With nothing in
// flight, the writes queued while such a handler runs wait for it (at most `gate_wait_ms`); then, with room
// for two batches, they go as two sent back to back (halves), so that the server runs one while the callers
// of the other are resumed. Private to the postgres layer (it pulls in Asio: include it only from .cpp
// files).
#pragma once

#include "postgres/detail/connection.hpp"

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace chatkit::store::pg_detail {

// One item write, prepared on the caller's thread: the statement's parameters.
struct item_write {
  std::string thread_id;
  std::string user;
  std::string id;
  std::int64_t created_at = 0;
  std::string body;
  std::string channel;
  std::string note;
};

// The statements of item writes. Every one names the owner, so no write can cross users; the insert and the
// owner check are one statement (no window in which the thread could change hands), and pg_notify runs once
// per written row (delivered only when the transaction commits). Items have no foreign key: each statement
// locks the thread's row FOR KEY SHARE where it finds it, until its transaction ends, so the thread's delete
// (whose trigger deletes its items) either waits for the write and deletes its item too, or runs first and
// the write finds no thread (docs/stores.md#postgresql).
namespace item_sql {
// Single writes. Parameters: thread id, item id, user, created_at, body, channel, note; one row when written.
inline constexpr std::string_view add =
    "WITH ins AS (INSERT INTO items (thread_seq, id, user_id, created_at, body) "
    "SELECT t.seq, $2::text, $3::text, $4::bigint, $5::text FROM threads t WHERE t.id = $1::text AND "
    "t.user_id = $3::text "
    "FOR KEY SHARE OF t ON CONFLICT (thread_seq, id) DO NOTHING RETURNING 1) "
    "SELECT pg_notify($6::text, $7::text) FROM ins";
// An existing item keeps its row, hence its position (created_at and seq); only the body is replaced.
inline constexpr std::string_view save =
    "WITH up AS (INSERT INTO items (thread_seq, id, user_id, created_at, body) "
    "SELECT t.seq, $2::text, $3::text, $4::bigint, $5::text FROM threads t WHERE t.id = $1::text AND "
    "t.user_id = $3::text "
    "FOR KEY SHARE OF t ON CONFLICT (thread_seq, id) DO UPDATE SET body = EXCLUDED.body RETURNING 1) "
    "SELECT pg_notify($6::text, $7::text) FROM up";
// Several writes in one statement: the same parameters, each an array (element i is write i + 1) except the
// channel ($6). Returns one row per write whose thread is the writing user's, in order: its position
// (1-based) and whether it was written (an add is not when its id is taken); a write without a row has no
// thread of that user. The writes are inserted in their order (so `seq` follows it). No two writes of one
// statement may name the same item of the same thread (ON CONFLICT cannot touch a row twice in one
// statement).
inline constexpr std::string_view add_many =
    "WITH w AS MATERIALIZED (SELECT w.n, t.seq, w.id, w.user_id, w.created_at, w.body, w.note "
    "FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $7::text[]) WITH ORDINALITY "
    "AS w (thread_id, id, user_id, created_at, body, note, n) "
    "JOIN threads t ON t.id = w.thread_id AND t.user_id = w.user_id FOR KEY SHARE OF t), "
    "ins AS (INSERT INTO items (thread_seq, id, user_id, created_at, body) "
    "SELECT seq, id, user_id, created_at, body FROM w ORDER BY n "
    "ON CONFLICT (thread_seq, id) DO NOTHING RETURNING thread_seq, id) "
    "SELECT w.n, ins.id IS NOT NULL, CASE WHEN ins.id IS NOT NULL THEN pg_notify($6::text, w.note)::text END "
    "FROM w LEFT JOIN ins ON ins.thread_seq = w.seq AND ins.id = w.id ORDER BY w.n";
inline constexpr std::string_view save_many =
    "WITH w AS MATERIALIZED (SELECT w.n, t.seq, w.id, w.user_id, w.created_at, w.body, w.note "
    "FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $7::text[]) WITH ORDINALITY "
    "AS w (thread_id, id, user_id, created_at, body, note, n) "
    "JOIN threads t ON t.id = w.thread_id AND t.user_id = w.user_id FOR KEY SHARE OF t), "
    "ins AS (INSERT INTO items (thread_seq, id, user_id, created_at, body) "
    "SELECT seq, id, user_id, created_at, body FROM w ORDER BY n "
    "ON CONFLICT (thread_seq, id) DO UPDATE SET body = EXCLUDED.body RETURNING thread_seq, id) "
    "SELECT w.n, ins.id IS NOT NULL, CASE WHEN ins.id IS NOT NULL THEN pg_notify($6::text, w.note)::text END "
    "FROM w LEFT JOIN ins ON ins.thread_seq = w.seq AND ins.id = w.id ORDER BY w.n";
// Finds a thread of a user (thread id, user): tells a refused add's "not your thread" from "id taken".
inline constexpr std::string_view thread =
    "SELECT seq FROM threads WHERE id = $1::text AND user_id = $2::text";
}  // namespace item_sql

class group_commit {
 public:
  enum class kind { add, save };  // add_thread_item (conflict on a taken id), save_item (upsert)

  // Connects the writer's connection. `max_flights` (at least 1) bounds the batches on the wire at once;
  // `multi_row` false sends one statement per write, one batch at a time (as after an error), for comparison
  // and tests. `gate_wait_ms` bounds how long queued writes wait for the callers of a finished batch being
  // resumed (see `gate`) before they go anyway.
  group_commit(std::string conninfo, std::string schema, std::size_t max_batch, std::size_t max_flights = 2,
               bool multi_row = true, int gate_wait_ms = 1);
  group_commit(const group_commit&) = delete;
  group_commit& operator=(const group_commit&) = delete;
  ~group_commit();  // join()

  // Runs every queued write, then stops the writer thread.
  void join();

  // co_await write(w, kind): resumes once the write committed (or failed). A cancellation requested before
  // the writer sent it skips it (operation_aborted); once sent it commits or fails with its batch.
  // Bind the returned awaitable to a local before co_awaiting it (see connection_pool::run).
  boost::asio::awaitable<void> write(item_write w, kind k) {
    using namespace boost::asio;
    auto initiation = [this](auto handler, item_write iw, kind kk) {
      enqueue(std::make_unique<operation_for<decltype(handler)>>(std::move(handler), std::move(iw), kk));
    };
    co_await async_initiate<const use_awaitable_t<>&, void(std::exception_ptr)>(
        std::move(initiation), use_awaitable, std::move(w), k);
  }

  struct counters {
    std::uint64_t batches = 0;
    std::uint64_t operations = 0;
    std::uint64_t sent = 0;       // batches sent in pipeline mode (a batch sent again is not counted)
    std::uint64_t multi_row = 0;  // multi-row statements that committed
    std::uint64_t fallbacks = 0;  // batches sent again one statement per write after an error
    std::uint64_t halved = 0;     // times the writes queued with nothing in flight went as two batches
  };
  counters stats() const;

 private:
  class gate;  // below
  class operation {
   public:
    operation(item_write w, kind k) : write(std::move(w)), what(k) {}
    virtual ~operation() = default;
    virtual void complete() = 0;  // hands `error` (or success) to the caller's executor; called once, last
    // Whether `other` resumes on the same executor as this one.
    virtual bool same_origin(const operation& other) const = 0;
    // Hands every write of `group` (this one first, all of the same origin) to that executor in one handler,
    // which resumes them one after another: one wake-up for the lot. Ends each write, this one included.
    virtual void complete_all(std::vector<std::unique_ptr<operation>> group, std::shared_ptr<gate> g) = 0;
    bool cancelled() const noexcept { return cancelled_->load(std::memory_order_relaxed); }

    item_write write;
    kind what;
    std::exception_ptr error;
    bool check_thread =
        false;  // add wrote nothing: thread_not_found or item_exists, found out after the batch

   protected:
    virtual void resume() = 0;  // calls the handler, on its executor
    std::shared_ptr<std::atomic<bool>> cancelled_ = std::make_shared<std::atomic<bool>>(false);
  };

  template <class Handler>
  class operation_for final : public operation {
   public:
    operation_for(Handler handler, item_write w, kind k)
        : operation(std::move(w), k),
          handler_(std::move(handler)),
          origin_(boost::asio::prefer(boost::asio::get_associated_executor(handler_),
                                      boost::asio::execution::outstanding_work.tracked)) {
      auto slot = boost::asio::get_associated_cancellation_slot(handler_);
      if (slot.is_connected()) {
        slot.assign([flag = cancelled_](boost::asio::cancellation_type type) {
          if (type != boost::asio::cancellation_type::none) flag->store(true, std::memory_order_relaxed);
        });
      }
    }

    void complete() override {
      boost::asio::post(origin_, [h = std::move(handler_), ep = error]() mutable {
        auto slot = boost::asio::get_associated_cancellation_slot(h);
        if (slot.is_connected()) slot.clear();
        std::move(h)(ep);
      });
    }

    bool same_origin(const operation& other) const override {
      const auto* o = dynamic_cast<const operation_for*>(&other);
      return o && o->origin_ == origin_;
    }

    void complete_all(std::vector<std::unique_ptr<operation>> group, std::shared_ptr<gate> g) override {
      auto origin = origin_;  // `this` belongs to the handler, which may run before post returns
      boost::asio::post(origin, [ops = std::move(group), g = std::move(g)]() mutable {
        g->enter();
        struct closer {  // closes the gate even when a resumed handler throws
          gate& target;
          const gate* previous = std::exchange(gate::running_here, &target);
          ~closer() {
            gate::running_here = previous;
            target.leave();
          }
        } close_gate{*g};
        for (auto& op : ops) static_cast<operation_for&>(*op).resume();
      });
    }

   protected:
    void resume() override {
      auto h = std::move(handler_);
      auto slot = boost::asio::get_associated_cancellation_slot(h);
      if (slot.is_connected()) slot.clear();
      std::move(h)(error);
    }

   private:
    Handler handler_;
    std::decay_t<decltype(boost::asio::prefer(std::declval<boost::asio::associated_executor_t<Handler>>(),
                                              boost::asio::execution::outstanding_work.tracked))>
        origin_;
  };

  // Open while callers of a finished batch are being resumed (a handler of complete_all runs): with nothing
  // in flight, the writes they queue on the way wait for it to close (at most gate_wait_ms) and go as one
  // batch, instead of the first going alone and the rest behind it. Shared with those handlers, which may
  // outlive the group_commit (a resumed caller may destroy the store): `owner` is cleared first thing in the
  // destructor.
  class gate {
   public:
    explicit gate(group_commit* owner) : owner_(owner) {}
    void enter() noexcept { open_.fetch_add(1, std::memory_order_acq_rel); }
    void leave() {
      std::lock_guard lock(mutex_);
      if (open_.fetch_sub(1, std::memory_order_acq_rel) == 1 && owner_) owner_->gate_closed();
    }
    bool is_open() const noexcept { return open_.load(std::memory_order_acquire) > 0; }
    // The gate whose handler runs on this thread, if any: a write it queues needs no wake-up of the writer
    // (the gate's closing wakes it).
    static inline thread_local const gate* running_here = nullptr;
    void detach() {
      std::lock_guard lock(mutex_);
      owner_ = nullptr;
    }

   private:
    std::atomic<int> open_{0};
    std::mutex mutex_;
    group_commit* owner_;
  };

  using batch = std::vector<std::unique_ptr<operation>>;
  struct flight;  // a batch on the wire (group_commit.cpp)

  void enqueue(std::unique_ptr<operation> op);
  void gate_closed();  // wakes the writer for what was queued while the gate was open
  void wake_writer() noexcept;
  void writer_loop();
  // Sends a batch as one transaction of multi-row statements.
  void send(flight& f);
  // Reads what has arrived of f's results without blocking (or, when `wait`, until all are there); true
  // once all are.
  bool receive(flight& f, bool wait);
  // Decides f's writes from its results; false when its transaction failed (sent again one by one).
  bool decide(flight& f);
  void finish(batch& b);  // completes every write of b
  // The path after an error: one statement per write, one transaction per round, out of pipeline mode.
  void run_one_by_one(batch& b);
  // One transaction over `ops`; returns the writes to run again (their transaction was aborted by another
  // write's error). Fails what it decides.
  std::vector<operation*> run_round(const std::vector<operation*>& ops);
  void fail_all(batch& b, const std::exception_ptr& error);

  connection connection_;
  std::size_t max_batch_;
  std::size_t max_flights_;
  bool multi_row_;
  int gate_wait_ms_;
  int wake_pipe_[2] = {-1, -1};  // a byte wakes the writer from poll()
  mutable std::mutex mutex_;
  std::deque<std::unique_ptr<operation>> queue_;
  bool stopping_ = false;
  bool writer_sleeping_ = false;  // the writer waits in poll() for a write (a byte on wake_pipe_)
  bool writer_holding_ = false;   // ... and holds queued writes for the open gate (a bounded wait)
  counters counters_;
  std::shared_ptr<gate> gate_ = std::make_shared<gate>(this);
  std::thread writer_;  // last: started once everything above exists
};

}  // namespace chatkit::store::pg_detail
