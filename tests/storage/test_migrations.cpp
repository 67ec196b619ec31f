// The migration runner with synthetic migration lists: upgrading an existing database keeps its
// data, a failing migration leaves the previous version intact, a newer database is refused.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "gc/storage.hpp"

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

namespace {

// A database as the release before this one left it: every shipped migration but the last.
void write_previous_release(const std::filesystem::path& db_path) {
  std::filesystem::create_directories(db_path.parent_path());
  sqlite::Db db(db_path);
  const auto& all = detail::migrations();
  REQUIRE(all.size() >= 2);
  detail::migrate(db, detail::Migrations(all.begin(), all.end() - 1));
}

int version_of(const std::filesystem::path& db_path) {
  sqlite::Db db(db_path);
  return static_cast<int>(scalar(db, "PRAGMA user_version"));
}

std::vector<std::filesystem::path> files_in(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  if (!std::filesystem::exists(dir)) return out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) out.push_back(e.path());
  return out;
}

}  // namespace

TEST_CASE("every command that opens an older database backs it up before migrating",
          "[storage][schema][migrations][backup]") {
  TempDir dir;
  const auto db = dir.db();
  write_previous_release(db);
  const int previous = Store::latest_schema_version() - 1;
  REQUIRE(version_of(db) == previous);

  // What `device add` and every other command get: Store::open with the default options.
  std::vector<std::string> lines;
  OpenOptions options;
  options.on_upgrade_backup = [&lines](const std::string& l) { lines.push_back(l); };
  {
    const auto store = Store::open(db, options);
    CHECK(store->schema_version() == Store::latest_schema_version());
  }
  const auto backups = files_in(db.parent_path() / "backups");
  REQUIRE(backups.size() == 1);
  CHECK(backups[0].filename().string().find("greenchannel-schema" + std::to_string(previous) + "-") == 0);
  CHECK(version_of(backups[0]) == previous);  // the copy is the database before the migration
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("backed up to " + backups[0].string()) != std::string::npos);
  CHECK(lines[0].find("before migrating") != std::string::npos);

  // Current now: opening it again copies nothing.
  Store::open(db, options);
  CHECK(files_in(db.parent_path() / "backups").size() == 1);
  CHECK(lines.size() == 1);

  // A new database has nothing to back up.
  TempDir fresh;
  Store::open(fresh.db(), options);
  CHECK(files_in(fresh.db().parent_path() / "backups").empty());
}

TEST_CASE("an older database whose backup cannot be written is not migrated",
          "[storage][schema][migrations][backup]") {
  TempDir dir;
  const auto db = dir.db();
  write_previous_release(db);
  const int previous = Store::latest_schema_version() - 1;
  // The backup directory is a regular file: nothing can be created under it (also as root).
  const auto blocked = dir.path() / "not-a-directory";
  { std::ofstream(blocked) << "x"; }
  OpenOptions options;
  options.upgrade_backup_dir = blocked / "backups";
  try {
    Store::open(db, options);
    FAIL("an older database was migrated without a backup");
  } catch (const Error& e) {
    const std::string what = e.what();
    CHECK(what.find("refusing to migrate") != std::string::npos);
    CHECK(what.find("without a backup") != std::string::npos);
  }
  CHECK(version_of(db) == previous);  // untouched

  // The operator's explicit choice (serve --upgrade-backup-dir elsewhere) is honoured.
  options.upgrade_backup_dir = dir.path() / "elsewhere";
  Store::open(db, options);
  CHECK(files_in(dir.path() / "elsewhere").size() == 1);
  CHECK(version_of(db) == Store::latest_schema_version());
}
