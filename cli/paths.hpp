// Default file locations of the greenchannel CLI, relative to the working directory (the
// README's quick start runs everything from the repository root).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "gc/storage.hpp"

namespace gc::cli {

// The server's SQLite database: ./var/greenchannel.db (parent created on open).
inline std::filesystem::path default_db_path() { return std::filesystem::path("var") / "greenchannel.db"; }

// The directory of a SQLite database (which holds tls/ and backups/ beside it); none for a
// PostgreSQL URI, which names no local directory.
inline std::optional<std::filesystem::path> database_dir(const std::string& db) {
  if (storage::is_postgresql_uri(db)) return std::nullopt;
  const std::filesystem::path p(db);
  return p.has_parent_path() ? p.parent_path() : std::filesystem::path(".");
}

// Creates a SQLite database's directory; nothing for PostgreSQL.
inline void create_database_dir(const std::string& db) {
  if (const auto dir = database_dir(db); dir && !dir->empty()) std::filesystem::create_directories(*dir);
}

// Where the centre CA and server certificate live: --tls-dir, else DB-DIR/tls for SQLite; none
// for PostgreSQL without --tls-dir (the caller says what to give).
inline std::optional<std::filesystem::path> tls_dir_for(const std::string& db,
                                                        const std::string& tls_dir) {
  if (!tls_dir.empty()) return std::filesystem::path(tls_dir);
  if (const auto dir = database_dir(db)) return *dir / "tls";
  return std::nullopt;
}

// The refusal when a PostgreSQL database is given without a TLS directory.
inline const char* kPostgresqlNeedsTlsDir =
    "with a PostgreSQL database there is no database directory to keep the centre CA in: give "
    "--tls-dir DIR (created there on the first start; copy that directory to every node, or "
    "point every node at the same one) or --tls-cert/--tls-key";

}  // namespace gc::cli
