// Schema migrations for the SQL stores, written once: an ordered list of steps (steps[i] turns version i into
// version i + 1), the applied version recorded in a `chatkit_schema` table, all missing steps applied in one
// transaction. A database newer than the build is refused with errc::unavailable. Never edit a released step:
// append a new one. See docs/stores.md#migrations.
//
// The database supplies an adapter:
//   Connection& conn();                              // has begin()/commit()/rollback() (see transaction.hpp)
//   std::optional<int> version_without_lock();       // a cheap read before locking, or nullopt when not
//   possible void lock();                                     // inside the transaction: keep other migrators
//   out int stored_version();                            // inside the transaction: 0 for a new database void
//   apply(const char* sql); void record_version(int version); std::string describe() const; // "sqlite: the
//   database", "postgres: schema chat"
#pragma once

#include "store/detail/transaction.hpp"

#include <chatkit/store/error.hpp>

#include <span>
#include <string>

namespace chatkit::store::detail {

template <class Database>
void migrate(Database& db, std::span<const char* const> steps) {
  const int target = static_cast<int>(steps.size());
  // The common case (several servers or processes opening a current database) takes no lock.
  if (db.version_without_lock() == target) return;
  transaction tx(db.conn());
  db.lock();
  const int version = db.stored_version();  // read under the lock: another migrator may have won
  if (version > target) {
    throw store_error(errc::unavailable, db.describe() + " has schema version " + std::to_string(version) +
                                             ", newer than this build supports (" + std::to_string(target) +
                                             ")");
  }
  if (version < target) {
    for (int v = version; v < target; ++v) db.apply(steps[static_cast<std::size_t>(v)]);
    db.record_version(target);
  }
  tx.commit();
}

}  // namespace chatkit::store::detail
