// The SQLite schema and its migrations. Version N's migration turns a version N-1 database into version N;
// `migrate` applies the missing ones in one transaction and records the version in `chatkit_schema`.
#pragma once

#include "connection.hpp"

namespace chatkit::store::sqlite_detail {

inline constexpr int current_schema_version = 1;

// Creates or upgrades the schema; errc::unavailable when the file's version is newer than this build's.
void migrate(connection& c);
// The version recorded in the file (0 for a new file).
int stored_schema_version(connection& c);

}  // namespace chatkit::store::sqlite_detail
