// db copy (see gc/db_copy.hpp): one source read snapshot, one destination transaction, rows
// copied table by table in foreign-key order with their ids, then everything compared inside the
// destination transaction before it commits.
#include "gc/db_copy.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "db.hpp"
#include "gc/storage.hpp"
#include "migrations.hpp"
#include "pg.hpp"
#include "samples_codec.hpp"
#include "sqlite.hpp"

namespace gc::storage {

namespace {

// Tables in an order where every foreign key points to a table (or a row of the same table)
// already written, with the columns that order their rows (the primary key).
struct TableSpec {
  const char* name;
  std::vector<std::string> key;
};

const std::vector<TableSpec>& table_specs() {
  static const std::vector<TableSpec> specs = {
      {"devices", {"device_id"}},
      {"studies", {"id"}},
      {"study_leads", {"study_id", "position"}},
      {"chunks", {"study_id", "sequence"}},
      {"analyses", {"id"}},
      {"alerts", {"id"}},
      {"events", {"seq"}},
      {"audit_log", {"seq"}},
      {"cases", {"id"}},
      {"case_studies", {"case_id", "study_id"}},
      {"time_nodes", {"seq"}},
      {"case_flags", {"seq"}},
      {"delay_reasons", {"seq"}},
      {"users", {"username"}},
      {"web_sessions", {"token_sha256"}},
      {"alert_transitions", {"seq"}},
      {"alert_pages", {"seq"}},
      {"alert_page_deliveries", {"seq"}},
      {"alert_page_claims", {"page_seq"}},
      {"oncall_roster_versions", {"version"}},
      {"oncall_shifts", {"version", "position"}},
      {"cart_outbox", {"id"}},
  };
  return specs;
}

// Each database keeps its own record of the migrations it ran: not copied.
constexpr const char* kNotCopied = "schema_migrations";

// Rows read and written per round trip (a chunks page holds at most a few MB).
constexpr int kPageRows = 256;

enum class Kind { integer, real, text, blob };

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::integer:
      return "integer";
    case Kind::real:
      return "real";
    case Kind::text:
      return "text";
    case Kind::blob:
      return "blob";
  }
  return "?";
}

struct Column {
  std::string name;
  Kind kind = Kind::integer;
};

struct Value {
  bool null = true;
  std::int64_t i = 0;
  double d = 0;
  std::string bytes;  // text or blob

  bool operator==(const Value& o) const {
    // Doubles compare bit for bit (0.1 must come back as the same 0.1; -0.0 is not +0.0).
    return null == o.null && i == o.i &&
           std::bit_cast<std::uint64_t>(d) == std::bit_cast<std::uint64_t>(o.d) && bytes == o.bytes;
  }
};

using Row = std::vector<Value>;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::optional<Kind> kind_of_declared(const std::string& declared) {
  const std::string t = lower(declared);
  if (t.find("int") != std::string::npos) return Kind::integer;  // SQLite INTEGER, PG bigint
  if (t.find("real") != std::string::npos || t.find("double") != std::string::npos ||
      t.find("float") != std::string::npos)
    return Kind::real;
  if (t.find("text") != std::string::npos || t.find("char") != std::string::npos ||
      t.find("clob") != std::string::npos)
    return Kind::text;
  if (t.find("blob") != std::string::npos || t == "bytea") return Kind::blob;
  return std::nullopt;
}

// A connection with a name for messages.
struct Side {
  std::string where;  // describe_database: never a password
  std::unique_ptr<db::Connection> db;
  bool postgresql() const { return db->dialect() == db::Dialect::postgresql; }
};

std::set<std::string> table_names(db::Connection& db) {
  std::set<std::string> out;
  const bool pg = db.dialect() == db::Dialect::postgresql;
  auto q = db.query(pg ? "SELECT table_name FROM information_schema.tables WHERE table_schema = "
                         "current_schema() AND table_type = 'BASE TABLE'"
                       : "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                         "'sqlite\\_%' ESCAPE '\\'");
  while (q.step()) out.insert(q.text(0));
  return out;
}

std::vector<Column> columns_of(Side& side, const std::string& table) {
  std::vector<Column> out;
  auto q = side.db->query(side.postgresql()
                              ? "SELECT column_name, data_type FROM information_schema.columns "
                                "WHERE table_schema = current_schema() AND table_name = ? ORDER "
                                "BY ordinal_position"
                              : "SELECT name, type FROM pragma_table_info(?) ORDER BY cid");
  q.bind(1, table);
  while (q.step()) {
    const auto kind = kind_of_declared(q.text(1));
    if (!kind) {
      throw Error(side.where + ": column " + table + "." + q.text(0) + " has type '" + q.text(1) +
                  "', which db copy does not know");
    }
    out.push_back({q.text(0), *kind});
  }
  if (out.empty()) throw Error(side.where + ": table " + table + " has no columns");
  return out;
}

Value read_value(const db::Query& q, int col, Kind kind) {
  Value v;
  if (q.is_null(col)) return v;
  v.null = false;
  switch (kind) {
    case Kind::integer:
      v.i = q.int64(col);
      break;
    case Kind::real:
      v.d = q.real(col);
      break;
    case Kind::text:
      v.bytes = q.text(col);
      break;
    case Kind::blob: {
      const auto b = q.blob_view(col);
      v.bytes.assign(reinterpret_cast<const char*>(b.data()), b.size());
      break;
    }
  }
  return v;
}

void bind_value(db::Query& q, int index, const Value& v, Kind kind) {
  if (v.null) {
    q.bind_null(index);
    return;
  }
  switch (kind) {
    case Kind::integer:
      q.bind(index, v.i);
      break;
    case Kind::real:
      q.bind(index, v.d);
      break;
    case Kind::text:
      q.bind(index, std::string_view(v.bytes));
      break;
    case Kind::blob:
      q.bind_blob(index,
                  std::span<const std::uint8_t>(
                      reinterpret_cast<const std::uint8_t*>(v.bytes.data()), v.bytes.size()));
      break;
  }
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
  return out;
}

// One table as both sides see it: the source's columns (the destination must have the same
// names and kinds) and where the key columns are among them.
struct TablePlan {
  std::string name;
  std::vector<Column> columns;
  std::vector<std::string> key;
  std::vector<int> key_index;
};

// Reads a table page by page in key order (keyset pagination: no OFFSET, one index range scan
// per page). Text keys are ordered bytewise on both sides (PostgreSQL's collation could differ
// from SQLite's BINARY).
class PageReader {
 public:
  PageReader(db::Connection& db, const TablePlan& t) : db_(db), t_(t) {
    std::vector<std::string> cols;
    for (const auto& c : t.columns) cols.push_back(c.name);
    std::vector<std::string> order;
    std::vector<std::string> key_exprs;
    for (std::size_t k = 0; k < t.key.size(); ++k) {
      const bool text = t.columns[static_cast<std::size_t>(t.key_index[k])].kind == Kind::text;
      const std::string expr = (text && db.dialect() == db::Dialect::postgresql)
                                   ? t.key[k] + " COLLATE \"C\""
                                   : t.key[k];
      key_exprs.push_back(expr);
      order.push_back(expr);
    }
    const std::string head = "SELECT " + join(cols, ", ") + " FROM " + t.name;
    const std::string tail =
        " ORDER BY " + join(order, ", ") + " LIMIT " + std::to_string(kPageRows);
    first_sql_ = head + tail;
    std::vector<std::string> marks(t.key.size(), "?");
    next_sql_ =
        head + " WHERE (" + join(key_exprs, ", ") + ") > (" + join(marks, ", ") + ")" + tail;
  }

  // The next page (empty at the end).
  std::vector<Row> next() {
    std::vector<Row> rows;
    if (done_) return rows;
    auto q = db_.query(last_ ? next_sql_ : first_sql_);
    if (last_) {
      for (std::size_t k = 0; k < t_.key.size(); ++k) {
        const auto col = static_cast<std::size_t>(t_.key_index[k]);
        bind_value(q, static_cast<int>(k) + 1, (*last_)[k], t_.columns[col].kind);
      }
    }
    while (q.step()) {
      Row row;
      row.reserve(t_.columns.size());
      for (std::size_t c = 0; c < t_.columns.size(); ++c) {
        row.push_back(read_value(q, static_cast<int>(c), t_.columns[c].kind));
      }
      rows.push_back(std::move(row));
    }
    if (rows.size() < static_cast<std::size_t>(kPageRows)) done_ = true;
    if (!rows.empty()) {
      Row key;
      for (const int k : t_.key_index) key.push_back(rows.back()[static_cast<std::size_t>(k)]);
      last_ = std::move(key);
    }
    return rows;
  }

 private:
  db::Connection& db_;
  const TablePlan& t_;
  std::string first_sql_;
  std::string next_sql_;
  std::optional<Row> last_;
  bool done_ = false;
};

std::int64_t count_rows(db::Connection& db, const std::string& table) {
  auto q = db.query("SELECT count(*) FROM " + table);
  q.step();
  return q.int64(0);
}

std::string describe_value(const Value& v, Kind kind) {
  if (v.null) return "NULL";
  switch (kind) {
    case Kind::integer:
      return std::to_string(v.i);
    case Kind::real: {
      char buf[40];
      std::snprintf(buf, sizeof buf, "%.17g", v.d);
      return buf;
    }
    case Kind::text:
      return "'" + v.bytes.substr(0, 60) + (v.bytes.size() > 60 ? "…" : "") + "'";
    case Kind::blob:
      return std::to_string(v.bytes.size()) + " bytes";
  }
  return "?";
}

// Ends a read snapshot or rolls back a write transaction unless told otherwise.
class Rollback {
 public:
  explicit Rollback(db::Connection& db) : db_(db) {}
  ~Rollback() {
    if (!db_.in_transaction()) return;
    try {
      db_.exec("ROLLBACK");
    } catch (const Error&) {
    }
  }
  Rollback(const Rollback&) = delete;
  Rollback& operator=(const Rollback&) = delete;

 private:
  db::Connection& db_;
};

Side open_side(const std::filesystem::path& location, bool source) {
  Side side;
  side.where = describe_database(location);
  const std::string s = location.string();
  if (is_postgresql_uri(s)) {
    if (!source) Store::open(location);  // creates the schema (migrations) if it is not there
    side.db = pg::connect(s);
    return side;
  }
  if (source) {
    // sqlite3_open would create an empty file and report "not a greenchannel database" later.
    std::error_code ec;
    if (!std::filesystem::is_regular_file(location, ec)) {
      throw Error("source " + side.where + ": no such SQLite database file");
    }
  } else {
    Store::open(location);  // creates the file (private, WAL) and its schema if needed
  }
  auto lite = std::make_unique<sqlite::Db>(location);
  sqlite3_busy_timeout(lite->handle(), 5000);
  lite->exec("PRAGMA foreign_keys = ON");
  if (!source) lite->exec("PRAGMA synchronous = FULL");
  side.db = std::move(lite);
  return side;
}

void check_schema_version(Side& side, const char* role, int latest) {
  const int v = detail::schema_version(*side.db);
  if (v == latest) return;
  if (v == 0) throw Error(std::string(role) + " " + side.where + ": not a greenchannel database");
  if (v > latest) {
    throw Error(std::string(role) + " " + side.where + ": schema version " + std::to_string(v) +
                " is newer than this greenchannel (" + std::to_string(latest) +
                "); copy with the greenchannel that wrote it");
  }
  throw Error(std::string(role) + " " + side.where + ": schema version " + std::to_string(v) +
              " is older than this greenchannel (" + std::to_string(latest) +
              "); migrate it first by opening it once with this greenchannel (e.g. "
              "`greenchannel device list --db …`, or `serve`, which backs it up before migrating)");
}

std::vector<TablePlan> plan_tables(Side& src, Side& dst) {
  std::set<std::string> known = {kNotCopied};
  for (const auto& spec : table_specs()) known.insert(spec.name);
  for (Side* side : {&src, &dst}) {
    const auto names = table_names(*side->db);
    for (const auto& n : names) {
      if (!known.contains(n)) {
        throw Error(side->where + ": table '" + n +
                    "' is not part of greenchannel's schema; db copy does not know how to copy "
                    "it — nothing copied");
      }
    }
    for (const auto& n : known) {
      if (!names.contains(n)) throw Error(side->where + ": table '" + n + "' is missing");
    }
  }
  std::vector<TablePlan> plans;
  for (const auto& spec : table_specs()) {
    TablePlan t;
    t.name = spec.name;
    t.columns = columns_of(src, t.name);
    const auto dst_columns = columns_of(dst, t.name);
    std::map<std::string, Kind> theirs;
    for (const auto& c : dst_columns) theirs[c.name] = c.kind;
    for (const auto& c : t.columns) {
      auto it = theirs.find(c.name);
      if (it == theirs.end()) {
        throw Error(dst.where + ": table " + t.name + " has no column " + c.name);
      }
      if (it->second != c.kind) {
        throw Error("column " + t.name + "." + c.name + " is " + kind_name(c.kind) + " in " +
                    src.where + " but " + kind_name(it->second) + " in " + dst.where);
      }
      theirs.erase(it);
    }
    if (!theirs.empty()) {
      throw Error(dst.where + ": table " + t.name +
                  " has a column the source lacks: " + theirs.begin()->first);
    }
    t.key = spec.key;
    for (const auto& k : t.key) {
      const auto it = std::find_if(t.columns.begin(), t.columns.end(),
                                   [&](const Column& c) { return c.name == k; });
      if (it == t.columns.end()) throw Error("internal: " + t.name + " has no key column " + k);
      t.key_index.push_back(static_cast<int>(it - t.columns.begin()));
    }
    plans.push_back(std::move(t));
  }
  return plans;
}

void begin_snapshot(Side& src) {
  if (src.postgresql()) {
    src.db->exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  } else {
    src.db->exec("BEGIN");
  }
  // SQLite takes its snapshot at the first read, PostgreSQL at the first statement.
  src.db->query("SELECT count(*) FROM devices").run();
}

void lock_destination(Side& dst, const std::vector<TablePlan>& plans) {
  dst.db->begin();  // SQLite: BEGIN IMMEDIATE, the write lock for the whole copy
  if (dst.postgresql()) {
    std::vector<std::string> names;
    for (const auto& t : plans) names.push_back(t.name);
    // Writers (a serve started on it meanwhile) wait until the copy commits or rolls back.
    dst.db->exec("LOCK TABLE " + join(names, ", ") + " IN EXCLUSIVE MODE");
  }
  for (const auto& t : plans) {
    auto q = dst.db->query("SELECT 1 FROM " + t.name + " LIMIT 1");
    if (q.step()) {
      throw Error("destination " + dst.where + " is not empty (table " + t.name +
                  " has rows): db copy writes only into a new or empty database — nothing "
                  "copied");
    }
  }
}

std::int64_t copy_table(Side& src, Side& dst, const TablePlan& t, const CopyOptions& options) {
  std::vector<std::string> names;
  std::vector<std::string> marks;
  for (const auto& c : t.columns) {
    names.push_back(c.name);
    marks.push_back("?");
  }
  const std::string insert =
      "INSERT INTO " + t.name + " (" + join(names, ", ") + ") VALUES (" + join(marks, ", ") + ")";
  PageReader reader(*src.db, t);
  std::int64_t copied = 0;
  for (auto page = reader.next(); !page.empty(); page = reader.next()) {
    for (const auto& row : page) {
      auto q = dst.db->query(insert);
      for (std::size_t c = 0; c < row.size(); ++c) {
        bind_value(q, static_cast<int>(c) + 1, row[c], t.columns[c].kind);
      }
      try {
        q.run();
      } catch (const Error& e) {
        throw Error("writing " + t.name + " row " + std::to_string(copied + 1) + " into " +
                    dst.where + ": " + e.what());
      }
      ++copied;
    }
    if (options.progress) options.progress(t.name, copied);
  }
  return copied;
}

// PostgreSQL hands out new ids from a sequence that an INSERT with explicit ids does not move:
// set it past the copied ids, or the first new row would collide. (SQLite's AUTOINCREMENT keeps
// sqlite_sequence at the largest id inserted by itself.)
void advance_identities(Side& dst, const std::vector<TablePlan>& plans) {
  if (!dst.postgresql()) return;
  for (const auto& t : plans) {
    std::vector<std::string> identity;
    {
      auto q = dst.db->query(
          "SELECT column_name FROM information_schema.columns WHERE table_schema = "
          "current_schema() AND table_name = ? AND is_identity = 'YES'");
      q.bind(1, t.name);
      while (q.step()) identity.push_back(q.text(0));
    }
    for (const auto& col : identity) {
      dst.db->exec("SELECT setval(pg_get_serial_sequence('" + t.name + "', '" + col +
                   "'), m) FROM (SELECT max(" + col + ") AS m FROM " + t.name +
                   ") s WHERE m IS NOT NULL");
    }
  }
}

void verify_table(Side& src, Side& dst, const TablePlan& t, std::int64_t copied) {
  const std::int64_t n_src = count_rows(*src.db, t.name);
  const std::int64_t n_dst = count_rows(*dst.db, t.name);
  if (n_src != copied || n_dst != copied) {
    throw Error("verification: table " + t.name + " has " + std::to_string(n_src) + " rows in " +
                src.where + ", " + std::to_string(n_dst) + " in " + dst.where + ", " +
                std::to_string(copied) + " copied — nothing committed");
  }
  PageReader a(*src.db, t);
  PageReader b(*dst.db, t);
  std::int64_t row_no = 0;
  for (;;) {
    const auto pa = a.next();
    const auto pb = b.next();
    if (pa.size() != pb.size()) {
      throw Error("verification: table " + t.name + " differs in its row order after row " +
                  std::to_string(row_no) + " — nothing committed");
    }
    if (pa.empty()) break;
    for (std::size_t r = 0; r < pa.size(); ++r, ++row_no) {
      for (std::size_t c = 0; c < t.columns.size(); ++c) {
        if (!(pa[r][c] == pb[r][c])) {
          throw Error("verification: " + t.name + "." + t.columns[c].name + " of row " +
                      std::to_string(row_no + 1) + " is " +
                      describe_value(pa[r][c], t.columns[c].kind) + " in " + src.where + " but " +
                      describe_value(pb[r][c], t.columns[c].kind) + " in " + dst.where +
                      " — nothing committed");
        }
      }
    }
  }
}

// A study's samples decoded from one side: the CRC-32 of the interleaved integers (as the cart
// computed it) and how many there are.
struct DecodedStudy {
  std::uint32_t crc = 0;
  std::int64_t samples = 0;
};

DecodedStudy decode_study(Side& side, std::int64_t study_id, std::size_t n_leads) {
  DecodedStudy out;
  auto q = side.db->query(
      "SELECT sequence, n_samples_per_lead, samples, encoding FROM chunks WHERE study_id = ? "
      "ORDER BY sequence");
  q.bind(1, study_id);
  std::vector<std::int32_t> decoded;
  std::int64_t expected_sequence = 0;
  while (q.step()) {
    const auto n = static_cast<std::size_t>(q.int64(1));
    decoded.clear();
    if (q.int64(0) != expected_sequence ||
        !detail::decode_stored(q.text(3), q.blob_view(2), n * n_leads, n_leads, decoded)) {
      throw Error("verification: study " + std::to_string(study_id) + " chunk " +
                  std::to_string(q.int64(0)) + " does not decode in " + side.where +
                  " — nothing committed");
    }
    out.crc = samples_crc32(decoded, out.crc);
    out.samples += static_cast<std::int64_t>(decoded.size());
    ++expected_sequence;
  }
  return out;
}

void verify_samples(Side& src, Side& dst, CopyReport& report) {
  auto studies = dst.db->query(
      "SELECT s.id, s.complete, s.samples_crc32, (SELECT count(*) FROM study_leads l WHERE "
      "l.study_id = s.id) FROM studies s ORDER BY s.id");
  while (studies.step()) {
    const std::int64_t id = studies.int64(0);
    const auto n_leads = static_cast<std::size_t>(studies.int64(3));
    const DecodedStudy a = decode_study(src, id, n_leads);
    const DecodedStudy b = decode_study(dst, id, n_leads);
    if (a.crc != b.crc || a.samples != b.samples) {
      throw Error("verification: study " + std::to_string(id) +
                  " decodes to different samples in " + src.where + " and " + dst.where +
                  " — nothing committed");
    }
    if (studies.int64(1) == 1) {
      if (static_cast<std::uint32_t>(studies.int64(2)) != b.crc) {
        throw Error("verification: complete study " + std::to_string(id) +
                    " does not match the CRC-32 its cart sent — nothing committed");
      }
      ++report.complete_studies_crc_checked;
    }
    ++report.studies_verified;
    report.samples_verified += b.samples;
  }
}

}  // namespace

const std::vector<std::string>& copied_tables() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& spec : table_specs()) out.emplace_back(spec.name);
    return out;
  }();
  return names;
}

CopyReport copy_database(const std::filesystem::path& from, const std::filesystem::path& to,
                         const CopyOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  const std::string from_s = from.string();
  const std::string to_s = to.string();
  if (from_s.empty() || to_s.empty()) throw Error("db copy needs both --from and --to");
  {
    std::error_code ec1;
    std::error_code ec2;
    const bool same = from_s == to_s || (!is_postgresql_uri(from_s) && !is_postgresql_uri(to_s) &&
                                         std::filesystem::weakly_canonical(from, ec1) ==
                                             std::filesystem::weakly_canonical(to, ec2));
    if (same) throw Error("db copy: --from and --to are the same database");
  }
  CopyReport report;
  Side src;
  Side dst;
  try {
    src = open_side(from, true);
  } catch (const Error& e) {
    throw Error(std::string(e.what()).starts_with("source ")
                    ? e.what()
                    : "source " + describe_database(from) + ": " + e.what());
  }
  const int latest = static_cast<int>(detail::migrations(src.db->dialect()).size());
  check_schema_version(src, "source", latest);
  try {
    dst = open_side(to, false);
  } catch (const Error& e) {
    throw Error("destination " + describe_database(to) + ": " + e.what());
  }
  check_schema_version(dst, "destination", latest);
  report.schema_version = latest;

  const auto plans = plan_tables(src, dst);
  Rollback end_snapshot(*src.db);
  Rollback undo(*dst.db);
  // Values are read as their column's declared type: greenchannel's SQLite tables are STRICT,
  // so no value of another type can be there to be changed by that.
  begin_snapshot(src);
  lock_destination(dst, plans);
  for (const auto& t : plans) {
    report.tables.push_back({t.name, copy_table(src, dst, t, options)});
  }
  advance_identities(dst, plans);
  for (std::size_t i = 0; i < plans.size(); ++i) {
    verify_table(src, dst, plans[i], report.tables[i].rows);
  }
  verify_samples(src, dst, report);
  try {
    dst.db->exec("COMMIT");
  } catch (const Error& e) {
    throw Error("destination " + dst.where + ": commit failed, nothing copied: " + e.what());
  }
  report.elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - started)
                          .count();
  return report;
}

}  // namespace gc::storage
