// The schema migrations compiled into this build (storage/migrations/NNNN_description.sql,
// embedded by storage/embed_migrations.cmake), ordered by version.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

namespace gc::storage::sqlite {
class Db;
}

namespace gc::storage::detail {

using Migrations = std::vector<std::pair<int, std::string_view>>;

const Migrations& migrations();

// Brings the database to the last version in `all` (numbered 1, 2, 3, ...): each pending
// migration runs in its own transaction together with the PRAGMA user_version bump, so a
// failing migration leaves the database at the previous version. Refuses (Error) a database
// whose version is newer than `all` knows. Separate from the Store so tests can feed it
// synthetic migration lists.
void migrate(sqlite::Db& db, const Migrations& all);

}  // namespace gc::storage::detail
