// The PostgreSQL schema and its migrations, applied on open under a transaction-scoped advisory lock so that
// several servers starting at once migrate exactly once.
#pragma once

#include "postgres/detail/connection.hpp"

namespace chatkit::store::pg_detail {

inline constexpr int current_schema_version = 2;

// Creates the schema (namespace) when missing and upgrades its tables to current_schema_version;
// errc::unavailable when the database's version is newer than this build's.
void migrate(connection& c, const std::string& schema);

}  // namespace chatkit::store::pg_detail
