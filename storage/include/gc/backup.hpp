// backup — `greenchannel db backup FILE` and `db restore`: a consistent copy of the live
// database while the server writes to it (SQLite's online backup API: one snapshot, as of a
// committed transaction, so every chunk acknowledged before the backup began is in it), verified
// with PRAGMA integrity_check before it is kept; and its restore into a new place.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace gc::storage {

struct BackupReport {
  std::uint64_t pages = 0;
  std::uintmax_t bytes = 0;
  int schema_version = 0;  // PRAGMA user_version of the copy
};

// Copies the database at `db_path` to `out_path` (which must not exist): written as
// `out_path.partial`, checked with PRAGMA integrity_check, synced, then renamed. Safe while
// `greenchannel serve` writes (it is not paused). A PostgreSQL `db_path` is written as a SQLite
// file by db copy (one REPEATABLE READ snapshot, every row and study compared before it is
// kept): a logical backup; point-in-time recovery stays PostgreSQL's own. Throws storage::Error.
BackupReport backup_database(const std::filesystem::path& db_path,
                             const std::filesystem::path& out_path);

// Checks `backup_path` (integrity_check; a schema version this build knows) and copies it to
// `db_path`, which must not exist yet (nor its -wal); the directories are created. The next
// `serve --db db_path` applies any newer migrations. A PostgreSQL `db_path` must be a new or
// empty database; the backup must be at this build's schema version (db copy). Throws
// storage::Error.
BackupReport restore_database(const std::filesystem::path& backup_path,
                              const std::filesystem::path& db_path);

// Before this build migrates a SQLite database an older version wrote (an upgrade): a verified
// backup_database() copy named NAME-schemaN-YYYYMMDDTHHMMSSZ.db in `backup_dir` (empty: the
// database's directory / "backups"). Store::open calls it for every command that opens a database
// (OpenOptions::backup_before_upgrade), so no command migrates without a way back (README,
// Operations: upgrade and roll back).
struct UpgradeBackup {
  int from_version = 0;
  int to_version = 0;
  std::filesystem::path file;
  BackupReport report;
  // "database schema version N is older than M: backed up to FILE (B bytes, integrity_check ok)
  // before migrating"
  std::string describe() const;
};

// nullopt when nothing is to be migrated: no file yet, a new (version 0) or current database, or
// a PostgreSQL URI (backed up with PostgreSQL's own tools). Throws storage::Error, naming the
// database and the reason, when a migration is due and the backup cannot be made.
std::optional<UpgradeBackup> backup_before_upgrade(const std::filesystem::path& db_path,
                                                   const std::filesystem::path& backup_dir = {});

}  // namespace gc::storage
