// The schema migrations compiled into this build, one list per dialect, ordered by version:
// storage/migrations/NNNN_description.sql (SQLite) and storage/migrations/postgresql/NNNN_*.sql
// (PostgreSQL), embedded by storage/embed_migrations.cmake. Both lists have the same versions.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

#include "db.hpp"

namespace gc::storage::detail {

using Migrations = std::vector<std::pair<int, std::string_view>>;

const Migrations& migrations();             // SQLite
const Migrations& postgresql_migrations();  // PostgreSQL
const Migrations& migrations(db::Dialect dialect);

// The schema version the database records (0: empty database). SQLite keeps it in PRAGMA
// user_version, PostgreSQL as the highest version in schema_migrations.
int schema_version(db::Connection& db);

// Brings the database to the last version in `all` (numbered 1, 2, 3, ...): each pending
// migration runs in its own transaction together with the version bump, so a failing migration
// leaves the database at the previous version. Refuses (Error) a database whose version is newer
// than `all` knows. Several processes may start at once: SQLite serialises them with its write
// lock, PostgreSQL with an advisory lock held by the migration's transaction. Separate from the
// Store so tests can feed it synthetic migration lists.
void migrate(db::Connection& db, const Migrations& all);

}  // namespace gc::storage::detail
