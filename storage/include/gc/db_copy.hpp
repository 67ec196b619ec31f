// db_copy — `greenchannel db copy --from A --to B`: moves a whole greenchannel database from one
// backend to the other (SQLite → PostgreSQL to move a county to the province; PostgreSQL →
// SQLite and like to like work the same way), every table, every row, ids kept.
//
// What it guarantees:
//  - the source is read as one consistent snapshot (a read transaction), so it may run while
//    `serve` writes to the source; what was committed before the copy began is in the copy;
//  - the destination must be empty (created and migrated here if it does not exist yet); any
//    row in any table is refused, and a serve writing to it meanwhile waits (its tables are
//    locked for the copy);
//  - everything is written in ONE destination transaction and verified inside it before the
//    commit: row counts per table, every column of every row equal (integers, text, bytes, and
//    doubles bit for bit), and every study's samples decoded on both sides to the same integers
//    (the CRC-32 of the decoded samples equal on both sides and, for a complete study, equal to
//    the CRC the cart sent). A mismatch rolls back: the destination is either a verified copy or
//    stays empty. An interrupted copy (killed, connection lost) therefore leaves the destination
//    empty (schema only) and the same command can simply be run again.
//  - both databases must be at this build's schema version (a source written by an older
//    greenchannel is refused with how to migrate it first).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace gc::storage {

struct CopiedTable {
  std::string table;
  std::int64_t rows = 0;
};

struct CopyReport {
  int schema_version = 0;
  std::vector<CopiedTable> tables;  // in copy order, rows copied and verified
  std::int64_t studies_verified = 0;
  std::int64_t samples_verified = 0;  // sample values (leads × samples per lead) decoded equal
  std::int64_t complete_studies_crc_checked = 0;
  std::int64_t elapsed_ms = 0;
};

struct CopyOptions {
  // Called after each page of rows written into the destination: (table, rows of it so far). It
  // may throw to abandon the copy (nothing is committed); tests interrupt a copy this way.
  std::function<void(std::string_view table, std::int64_t rows)> progress;
};

// Copies `from` into `to`; each a SQLite file path or a postgresql:// URI (passwords from
// PGPASSWORD or ~/.pgpass only). Throws storage::Error with a message naming the databases
// (never a password) and what is wrong; on any error nothing is committed to `to`.
CopyReport copy_database(const std::filesystem::path& from, const std::filesystem::path& to,
                         const CopyOptions& options = {});

// The tables the copy knows, in the order it writes them (foreign keys point backwards).
const std::vector<std::string>& copied_tables();

}  // namespace gc::storage
