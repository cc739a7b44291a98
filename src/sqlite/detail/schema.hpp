// The SQLite schema and its migrations (run by the shared runner, store/detail/migrations.hpp).
#pragma once

#include "sqlite/detail/connection.hpp"

namespace chatkit::store::sqlite_detail {

inline constexpr int current_schema_version = 2;

// Creates or upgrades the schema; errc::unavailable when the file's version is newer than this build's.
void migrate(connection& c);

}  // namespace chatkit::store::sqlite_detail
