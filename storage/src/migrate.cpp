// Schema migration runner (see migrations.hpp).
#include <string>

#include "gc/storage.hpp"
#include "migrations.hpp"
#include "sqlite.hpp"

namespace gc::storage::detail {

namespace {

int user_version(sqlite::Db& db) { return std::stoi(db.pragma_text("PRAGMA user_version")); }

}  // namespace

void migrate(sqlite::Db& db, const Migrations& all) {
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (all[i].first != static_cast<int>(i) + 1) {
      throw Error("internal: migrations must be numbered 1, 2, 3, ... without gaps");
    }
  }
  const int latest = static_cast<int>(all.size());
  const int current = user_version(db);
  if (current > latest) {
    throw Error("database schema version " + std::to_string(current) +
                " is newer than this greenchannel (" + std::to_string(latest) +
                "); upgrade greenchannel");
  }
  for (const auto& [version, sql] : all) {
    if (version <= current) continue;
    sqlite::Transaction tx(db);
    // Another process may have migrated between our read and BEGIN IMMEDIATE.
    if (user_version(db) >= version) continue;
    try {
      db.exec(std::string(sql));
    } catch (const Error& e) {
      throw Error("migration " + std::to_string(version) + " failed: " + e.what());
    }
    if (!db.pragma_text("PRAGMA foreign_key_check").empty()) {
      throw Error("migration " + std::to_string(version) + " left foreign keys inconsistent");
    }
    db.exec("PRAGMA user_version = " + std::to_string(version));
    db.query("INSERT INTO schema_migrations (version, applied_ms) VALUES (?, ?)")
        .bind(1, std::int64_t{version})
        .bind(2, now_unix_ms())
        .run();
    tx.commit();
  }
}

}  // namespace gc::storage::detail
