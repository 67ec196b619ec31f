// Schema migrations: a fresh database gets every migration once, reopening is a no-op, and a
// database from a newer greenchannel is refused with a clear message.
#include <sqlite3.h>

#include <catch2/catch.hpp>

#include "storage_test_util.hpp"

using namespace gc::storage;
using gc::storage::test::TempDir;

namespace {

// Runs one SQL statement on a separate raw connection and returns the first column of the first
// row (empty if none) — the tests inspect the file as another program would.
std::string raw_sql(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  const int rc = sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr);
  INFO(sqlite3_errmsg(h));
  REQUIRE(rc == SQLITE_OK);
  std::string out;
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != nullptr) {
    out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  }
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

}  // namespace

TEST_CASE("migrations apply on a fresh database and reopening is a no-op", "[storage][schema]") {
  TempDir dir;
  const int latest = Store::latest_schema_version();
  REQUIRE(latest >= 1);
  {
    auto store = Store::open(dir.db());  // also creates the missing var/ directory
    CHECK(store->schema_version() == latest);
  }
  CHECK(std::filesystem::exists(dir.db()));
  // Owner-only: it holds patient context and credential hashes.
  const auto perms = std::filesystem::status(dir.db()).permissions();
  CHECK((perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all)) ==
        std::filesystem::perms::none);
  CHECK(raw_sql(dir.db(), "PRAGMA journal_mode") == "wal");
  CHECK(raw_sql(dir.db(), "PRAGMA user_version") == std::to_string(latest));
  CHECK(raw_sql(dir.db(), "SELECT count(*) FROM schema_migrations") == std::to_string(latest));
  for (const char* table :
       {"devices", "studies", "study_leads", "chunks", "analyses", "alerts", "events", "audit_log"}) {
    INFO(table);
    CHECK(raw_sql(dir.db(), std::string("SELECT count(*) FROM sqlite_schema WHERE type = 'table' "
                                        "AND name = '") + table + "'") == "1");
  }
  const std::string first_applied =
      raw_sql(dir.db(), "SELECT applied_ms FROM schema_migrations WHERE version = 1");
  {
    auto store = Store::open(dir.db());
    CHECK(store->schema_version() == latest);
  }
  // Nothing re-applied: still one history row per migration, with the original time.
  CHECK(raw_sql(dir.db(), "SELECT count(*) FROM schema_migrations") == std::to_string(latest));
  CHECK(raw_sql(dir.db(), "SELECT applied_ms FROM schema_migrations WHERE version = 1") ==
        first_applied);
}

TEST_CASE("a database from a newer greenchannel is refused", "[storage][schema]") {
  TempDir dir;
  { Store::open(dir.db()); }
  const int future = Store::latest_schema_version() + 2;
  raw_sql(dir.db(), "PRAGMA user_version = " + std::to_string(future));
  try {
    Store::open(dir.db());
    FAIL("opening a newer database must throw");
  } catch (const Error& e) {
    const std::string msg = e.what();
    INFO(msg);
    CHECK(msg.find("database schema version " + std::to_string(future) +
                   " is newer than this greenchannel (" +
                   std::to_string(Store::latest_schema_version()) + "); upgrade greenchannel") !=
          std::string::npos);
  }
}

TEST_CASE("a file that is not a database gives a clear error", "[storage][schema]") {
  TempDir dir;
  std::filesystem::create_directories(dir.db().parent_path());
  {
    std::FILE* f = std::fopen(dir.db().c_str(), "wb");
    REQUIRE(f != nullptr);
    const std::string junk(8192, 'x');
    std::fwrite(junk.data(), 1, junk.size(), f);
    std::fclose(f);
  }
  try {
    Store::open(dir.db());
    FAIL("opening garbage must throw");
  } catch (const Error& e) {
    const std::string msg = e.what();
    INFO(msg);
    CHECK(msg.find(dir.db().string()) != std::string::npos);
    CHECK(msg.find("not a database") != std::string::npos);
  }
}

TEST_CASE("storage pragmas: WAL, synchronous FULL, foreign keys on", "[storage][schema]") {
  TempDir dir;
  auto store = Store::open(dir.db());
  // Foreign keys: a chunk for a study that does not exist is rejected, not stored.
  const auto outcomes = store->append_chunks_each({{12345, gc::storage::test::make_chunk(0, 3, 10)}});
  REQUIRE(outcomes.size() == 1);
  CHECK(outcomes[0].status == ChunkOutcome::Status::rejected);
  CHECK(raw_sql(dir.db(), "SELECT count(*) FROM chunks") == "0");
}
