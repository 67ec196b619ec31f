// The migration runner with synthetic migration lists: upgrading an existing database keeps its
// data, a failing migration leaves the previous version intact, a newer database is refused.
#include <catch2/catch.hpp>

#include "../../storage/src/migrations.hpp"
#include "../../storage/src/sqlite.hpp"
#include "storage_test_util.hpp"

using namespace gc::storage;
using gc::storage::test::TempDir;

namespace {

constexpr std::string_view kV1 =
    "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_ms INTEGER NOT NULL);"
    "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL);";
constexpr std::string_view kV2 =
    "ALTER TABLE notes ADD COLUMN author TEXT NOT NULL DEFAULT 'unknown';"
    "CREATE INDEX notes_by_author ON notes(author);";
// Fails half-way: the first statement succeeds, the second names a missing table.
constexpr std::string_view kV2Broken =
    "CREATE TABLE half_done (x INTEGER);"
    "INSERT INTO no_such_table VALUES (1);";

std::int64_t scalar(sqlite::Db& db, const std::string& sql) {
  auto q = db.query(sql);
  REQUIRE(q.step());
  return q.int64(0);
}

}  // namespace

TEST_CASE("upgrading 1 -> 2 applies only the new step and keeps the data",
          "[storage][schema][migrations]") {
  TempDir dir;
  sqlite::Db db(dir.path() / "m.db");
  detail::migrate(db, {{1, kV1}});
  CHECK(scalar(db, "PRAGMA user_version") == 1);
  db.exec("INSERT INTO notes (text) VALUES ('kept')");

  detail::migrate(db, {{1, kV1}, {2, kV2}});
  CHECK(scalar(db, "PRAGMA user_version") == 2);
  CHECK(scalar(db, "SELECT count(*) FROM notes WHERE text = 'kept' AND author = 'unknown'") == 1);
  CHECK(scalar(db, "SELECT count(*) FROM schema_migrations") == 2);

  detail::migrate(db, {{1, kV1}, {2, kV2}});  // idempotent
  CHECK(scalar(db, "SELECT count(*) FROM schema_migrations") == 2);
}

TEST_CASE("a failing migration is rolled back entirely", "[storage][schema][migrations]") {
  TempDir dir;
  sqlite::Db db(dir.path() / "m.db");
  detail::migrate(db, {{1, kV1}});
  try {
    detail::migrate(db, {{1, kV1}, {2, kV2Broken}});
    FAIL("the broken migration must throw");
  } catch (const Error& e) {
    const std::string msg = e.what();
    INFO(msg);
    CHECK(msg.find("migration 2 failed") != std::string::npos);
    CHECK(msg.find("no_such_table") != std::string::npos);
  }
  CHECK(scalar(db, "PRAGMA user_version") == 1);
  CHECK(scalar(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'half_done'") == 0);
  // A fixed build can still upgrade it.
  detail::migrate(db, {{1, kV1}, {2, kV2}});
  CHECK(scalar(db, "PRAGMA user_version") == 2);
}

TEST_CASE("a database newer than the migration list is refused; gaps are a build error",
          "[storage][schema][migrations]") {
  TempDir dir;
  sqlite::Db db(dir.path() / "m.db");
  detail::migrate(db, {{1, kV1}, {2, kV2}});
  CHECK_THROWS_WITH(detail::migrate(db, {{1, kV1}}),
                    Catch::Contains("database schema version 2 is newer than this greenchannel (1)"));
  CHECK_THROWS_AS(detail::migrate(db, {{1, kV1}, {3, kV2}}), Error);
}

TEST_CASE("the shipped migrations are numbered 1..N", "[storage][schema][migrations]") {
  const auto& all = detail::migrations();
  REQUIRE_FALSE(all.empty());
  for (std::size_t i = 0; i < all.size(); ++i) CHECK(all[i].first == static_cast<int>(i) + 1);
  CHECK(Store::latest_schema_version() == static_cast<int>(all.size()));
}
