// Schema migration runner (see migrations.hpp).
#include <string>

#include "gc/storage.hpp"
#include "migrations.hpp"
#include "sqlite.hpp"

namespace gc::storage::detail {

namespace {

// Any constant: it names "greenchannel migrations" among the advisory locks of the database.
constexpr const char* kPgMigrationLock = "SELECT pg_advisory_xact_lock(7193540021)";

}  // namespace

const Migrations& migrations(db::Dialect dialect) {
  return dialect == db::Dialect::sqlite ? migrations() : postgresql_migrations();
}

int schema_version(db::Connection& db) {
  if (db.dialect() == db::Dialect::sqlite) {
    return std::stoi(static_cast<sqlite::Db&>(db).pragma_text("PRAGMA user_version"));
  }
  if (!db.has_table("schema_migrations")) return 0;
  auto q = db.query("SELECT coalesce(max(version), 0) FROM schema_migrations");
  if (!q.step()) return 0;
  return static_cast<int>(q.int64(0));
}

void migrate(db::Connection& db, const Migrations& all) {
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (all[i].first != static_cast<int>(i) + 1) {
      throw Error("internal: migrations must be numbered 1, 2, 3, ... without gaps");
    }
  }
  const bool sqlite = db.dialect() == db::Dialect::sqlite;
  const int latest = static_cast<int>(all.size());
  const int current = schema_version(db);
  if (current > latest) {
    throw Error("database schema version " + std::to_string(current) +
                " is newer than this greenchannel (" + std::to_string(latest) +
                "); upgrade greenchannel");
  }
  for (const auto& [version, sql] : all) {
    if (version <= current) continue;
    db::Transaction tx(db);
    if (!sqlite) db.query(kPgMigrationLock).run();
    // Another process may have migrated between our read and taking the write lock.
    const int now_current = schema_version(db);
    if (now_current > latest) {
      throw Error("database schema version " + std::to_string(now_current) +
                  " is newer than this greenchannel (" + std::to_string(latest) +
                  "); upgrade greenchannel");
    }
    if (now_current >= version) continue;
    try {
      db.exec(std::string(sql));
    } catch (const Error& e) {
      throw Error("migration " + std::to_string(version) + " failed: " + e.what());
    }
    if (sqlite) {
      auto& lite = static_cast<sqlite::Db&>(db);
      if (!lite.pragma_text("PRAGMA foreign_key_check").empty()) {
        throw Error("migration " + std::to_string(version) + " left foreign keys inconsistent");
      }
      lite.exec("PRAGMA user_version = " + std::to_string(version));
    }
    db.query("INSERT INTO schema_migrations (version, applied_ms) VALUES (?, ?)")
        .bind(1, std::int64_t{version})
        .bind(2, now_unix_ms())
        .run();
    tx.commit();
  }
}

}  // namespace gc::storage::detail
