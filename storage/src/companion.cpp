#include "companion.hpp"

#include <sqlite3.h>

#include "pg.hpp"
#include "sqlite.hpp"

namespace gc::storage::detail {

std::unique_ptr<db::Connection> open_companion(const std::filesystem::path& db_path,
                                               const OpenOptions& options,
                                               std::string_view required_table,
                                               std::string_view migration) {
  // Store owns the schema: it creates the file, switches to WAL and applies the migrations.
  Store::open(db_path, options);
  try {
    std::unique_ptr<db::Connection> db;
    if (is_postgresql_uri(db_path.string())) {
      db = pg::connect(db_path.string());
    } else {
      auto lite = std::make_unique<sqlite::Db>(db_path);
      sqlite3_busy_timeout(lite->handle(), 5000);
      lite->exec("PRAGMA foreign_keys = ON");
      lite->exec("PRAGMA synchronous = FULL");
      db = std::move(lite);
    }
    if (!db->has_table(required_table)) {
      throw Error("schema has no table " + std::string(required_table) + " (migration " +
                  std::string(migration) + " missing)");
    }
    return db;
  } catch (const Error& e) {
    throw Error("database " + describe_database(db_path) + ": " + e.what());
  }
}

std::optional<StudySource> read_study_source(db::Connection& db, std::int64_t study_id) {
  auto q = db.query(
      "SELECT source_format, source_file, source_manufacturer, source_model, source_serial, "
      "source_software FROM studies WHERE id = ?");
  q.bind(1, study_id);
  if (!q.step() || q.is_null(0)) return std::nullopt;
  return StudySource{q.text(0), q.text(1), q.text(2), q.text(3), q.text(4), q.text(5)};
}

std::int64_t append_audit_row(db::Connection& db, UnixMs at_ms, const std::string& actor,
                              const std::string& action, const std::string& target,
                              const std::string& detail) {
  return db
      .query(
          "INSERT INTO audit_log (at_ms, actor, action, target, detail) VALUES (?, ?, ?, ?, ?) "
          "RETURNING seq")
      .bind(1, at_ms)
      .bind(2, actor)
      .bind(3, action)
      .bind(4, target)
      .bind(5, detail)
      .run_returning_id();
}

std::int64_t append_event_row(db::Connection& db, const EventRecord& e) {
  return db
      .query(
          "INSERT INTO events (study_id, kind, at_unix_ms, at_source, at_clock, "
          "corrected_unix_ms, recorded_ms, actor, corrects_seq, detail_json) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq")
      .bind(1, e.study_id)
      .bind(2, e.kind)
      .bind(3, e.at.unix_ms)
      .bind(4, e.at.source)
      .bind(5, e.at.clock)
      .bind(6, e.corrected_unix_ms)
      .bind(7, now_unix_ms())
      .bind(8, e.actor)
      .bind(9, e.corrects_seq)
      .bind(10, e.detail_json.empty() ? std::string("{}") : e.detail_json)
      .run_returning_id();
}

}  // namespace gc::storage::detail
