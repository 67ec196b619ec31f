// Shared by the stores that open their own connection beside Store (CaseStore, AlertStore,
// StationStore) and by Store itself: the companion connection's setup and the one audit insert.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "db.hpp"
#include "gc/storage.hpp"

namespace gc::storage::detail {

// Opens (creating and migrating through Store::open with `options`) the database — a file path or
// a postgresql:// URI — then a second connection to it (SQLite: busy timeout 5 s, foreign keys
// on, synchronous=FULL; PostgreSQL: as pg::connect), and checks that `required_table` exists
// (else Error naming `migration`). Errors name the database (a URI without any password).
std::unique_ptr<db::Connection> open_companion(const std::filesystem::path& db_path,
                                               const OpenOptions& options,
                                               std::string_view required_table,
                                               std::string_view migration);

// Appends one audit_log row; returns its seq.
std::int64_t append_audit_row(db::Connection& db, UnixMs at_ms, const std::string& actor,
                              const std::string& action, const std::string& target,
                              const std::string& detail);

// The study's source file (migration 0007), nullopt when it was streamed by a protocol cart.
std::optional<StudySource> read_study_source(db::Connection& db, std::int64_t study_id);

// Appends one events row (recorded_ms = now by the server clock, whatever the caller set; an
// empty detail is {}); returns its seq.
std::int64_t append_event_row(db::Connection& db, const EventRecord& e);

}  // namespace gc::storage::detail
