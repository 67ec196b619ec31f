// Online backup and restore (see gc/backup.hpp).
#include "gc/backup.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <memory>
#include <thread>

#include "gc/db_copy.hpp"
#include "gc/storage.hpp"

namespace gc::storage {

namespace {

namespace fs = std::filesystem;

struct Connection {
  sqlite3* db = nullptr;
  ~Connection() { sqlite3_close_v2(db); }
};

void open(Connection& c, const fs::path& path, int flags) {
  const int rc = sqlite3_open_v2(path.c_str(), &c.db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    throw Error("cannot open " + path.string() + ": " +
                (c.db != nullptr ? sqlite3_errmsg(c.db) : sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(c.db, 10'000);
}

std::string first_text(Connection& c, const std::string& sql) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(c.db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    throw Error(sql + ": " + sqlite3_errmsg(c.db));
  }
  std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> guard(st, sqlite3_finalize);
  const int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    throw Error(sql + ": " + sqlite3_errmsg(c.db));
  }
  const auto* text = sqlite3_column_text(st, 0);
  return text != nullptr ? reinterpret_cast<const char*>(text) : "";
}

// One snapshot of `from` into `to` (both open): a single step, so no write of the server can
// restart it half-way; retried while the source is busy.
std::uint64_t copy(Connection& from, Connection& to, const fs::path& what) {
  sqlite3_backup* b = sqlite3_backup_init(to.db, "main", from.db, "main");
  if (b == nullptr) {
    throw Error("backup of " + what.string() + ": " + sqlite3_errmsg(to.db));
  }
  int rc = SQLITE_OK;
  for (int attempt = 0; attempt < 200; ++attempt) {
    rc = sqlite3_backup_step(b, -1);
    if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const auto pages = static_cast<std::uint64_t>(sqlite3_backup_pagecount(b));
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) {
    throw Error("backup of " + what.string() + " failed: " + sqlite3_errstr(rc));
  }
  return pages;
}

// integrity_check and the schema version of an open copy.
int verify(Connection& c, const fs::path& what) {
  const std::string integrity = first_text(c, "PRAGMA integrity_check");
  if (integrity != "ok") {
    throw Error(what.string() + " failed PRAGMA integrity_check: " + integrity);
  }
  const int version = std::stoi(first_text(c, "PRAGMA user_version"));
  if (version < 1 || version > Store::latest_schema_version()) {
    throw Error(
        what.string() + " has schema version " + std::to_string(version) +
        "; this build knows 1.." + std::to_string(Store::latest_schema_version()) +
        (version < 1 ? " (not a greenchannel database?)" : " (restore with a newer build)"));
  }
  return version;
}

void sync_path(const fs::path& path, bool directory) {
  const int fd = ::open(path.c_str(), (directory ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw Error("cannot open " + path.string() + " to sync it");
  }
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) {
    throw Error("fsync of " + path.string() + " failed");
  }
}

// `from` (open) → `to`, through `to.partial`: copied, verified, synced, renamed.
BackupReport copy_verified(Connection& from, const fs::path& from_path, const fs::path& to) {
  if (fs::exists(to) || fs::exists(fs::path(to.string() + "-wal"))) {
    throw Error(to.string() + " already exists; not overwritten");
  }
  const fs::path partial = to.string() + ".partial";
  std::error_code ignored;
  fs::remove(partial, ignored);
  fs::remove(fs::path(partial.string() + "-wal"), ignored);
  fs::remove(fs::path(partial.string() + "-shm"), ignored);
  BackupReport report;
  try {
    {
      Connection out;
      open(out, partial, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
      report.pages = copy(from, out, from_path);
      report.schema_version = verify(out, partial);
      // A self-contained file: no -wal beside it to lose in a copy.
      first_text(out, "PRAGMA journal_mode = DELETE");
    }
    sync_path(partial, false);
    fs::rename(partial, to);
    sync_path(to.has_parent_path() ? to.parent_path() : fs::path("."), true);
  } catch (...) {
    fs::remove(partial, ignored);
    throw;
  }
  report.bytes = fs::file_size(to);
  return report;
}

}  // namespace

namespace {

void remove_sqlite_files(const fs::path& p) {
  std::error_code ignored;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    fs::remove(fs::path(p.string() + suffix), ignored);
  }
}

// A PostgreSQL database backed up as a self-contained SQLite file: db copy's snapshot (one
// REPEATABLE READ transaction, so every chunk acknowledged before it began is in it; every row
// and every study's samples compared before the copy commits), then integrity_check, sync and
// rename as for a SQLite backup. A logical backup that any node's build can restore or read;
// point-in-time recovery stays PostgreSQL's (base backups and WAL archiving).
BackupReport backup_postgresql(const fs::path& db, const fs::path& to) {
  if (fs::exists(to) || fs::exists(fs::path(to.string() + "-wal"))) {
    throw Error(to.string() + " already exists; not overwritten");
  }
  const fs::path partial = to.string() + ".partial";
  remove_sqlite_files(partial);
  BackupReport report;
  try {
    copy_database(db, partial);
    {
      Connection out;
      open(out, partial, SQLITE_OPEN_READWRITE);
      report.schema_version = verify(out, partial);
      first_text(out, "PRAGMA journal_mode = DELETE");
      report.pages = static_cast<std::uint64_t>(std::stoll(first_text(out, "PRAGMA page_count")));
    }
    sync_path(partial, false);
    fs::rename(partial, to);
    sync_path(to.has_parent_path() ? to.parent_path() : fs::path("."), true);
  } catch (...) {
    remove_sqlite_files(partial);
    throw;
  }
  report.bytes = fs::file_size(to);
  return report;
}

}  // namespace

BackupReport backup_database(const fs::path& db_path, const fs::path& out_path) {
  if (is_postgresql_uri(db_path.string())) return backup_postgresql(db_path, out_path);
  if (!fs::exists(db_path)) {
    throw Error("no database at " + db_path.string());
  }
  Connection from;
  open(from, db_path, SQLITE_OPEN_READWRITE);  // read-write: a WAL database needs its -shm
  return copy_verified(from, db_path, out_path);
}

BackupReport restore_database(const fs::path& backup_path, const fs::path& db_path) {
  if (!fs::exists(backup_path)) {
    throw Error("no backup at " + backup_path.string());
  }
  if (is_postgresql_uri(db_path.string())) {
    // Into a new or empty PostgreSQL database (db copy refuses one with any row), verified
    // before it commits.
    int version = 0;
    {
      Connection check;
      open(check, backup_path, SQLITE_OPEN_READONLY);
      version = verify(check, backup_path);
    }
    copy_database(backup_path, db_path);
    BackupReport report;
    report.schema_version = version;
    report.bytes = fs::file_size(backup_path);
    return report;
  }
  Connection from;
  open(from, backup_path, SQLITE_OPEN_READONLY);
  verify(from, backup_path);
  if (db_path.has_parent_path()) {
    fs::create_directories(db_path.parent_path());
  }
  return copy_verified(from, backup_path, db_path);
}

std::string UpgradeBackup::describe() const {
  return "database schema version " + std::to_string(from_version) + " is older than " +
         std::to_string(to_version) + ": backed up to " + file.string() + " (" +
         std::to_string(report.bytes) + " bytes, integrity_check ok) before migrating";
}

std::optional<UpgradeBackup> backup_before_upgrade(const fs::path& db_path,
                                                   const fs::path& backup_dir) {
  if (is_postgresql_uri(db_path.string()) || !fs::exists(db_path)) return std::nullopt;
  int on_disk = 0;
  {
    // Read-only: nothing is written (and no migration runs) before the copy exists.
    Connection c;
    try {
      open(c, db_path, SQLITE_OPEN_READONLY);
      on_disk = std::stoi(first_text(c, "PRAGMA user_version"));
    } catch (const std::exception&) {
      return std::nullopt;  // not readable as SQLite: Store::open reports it properly
    }
  }
  const int latest = Store::latest_schema_version();
  if (on_disk <= 0 || on_disk >= latest) return std::nullopt;
  const fs::path dir = !backup_dir.empty() ? backup_dir
                       : db_path.has_parent_path() ? db_path.parent_path() / "backups"
                                                   : fs::path("backups");
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  UpgradeBackup b;
  b.from_version = on_disk;
  b.to_version = latest;
  b.file = dir / (db_path.stem().string() + "-schema" + std::to_string(on_disk) + "-" + stamp + ".db");
  try {
    fs::create_directories(dir);
    b.report = backup_database(db_path, b.file);
  } catch (const std::exception& e) {
    throw Error("refusing to migrate " + db_path.string() + " from schema version " +
                std::to_string(on_disk) + " to " + std::to_string(latest) +
                " without a backup: " + e.what());
  }
  return b;
}

}  // namespace gc::storage
