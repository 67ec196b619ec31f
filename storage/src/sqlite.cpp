// SQLite RAII wrappers (see sqlite.hpp).
#include "sqlite.hpp"

#include <climits>
#include <cstring>
#include <utility>

namespace gc::storage::sqlite {

namespace {

std::string describe(sqlite3* db, int rc, std::string_view sql) {
  std::string msg = "sqlite: ";
  // The connection's message is only meaningful when it belongs to this failure.
  msg += (db != nullptr && sqlite3_errcode(db) == rc) ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  msg += " (code " + std::to_string(rc) + ")";
  if (!sql.empty()) {
    msg += " in: ";
    msg += sql;
  }
  return msg;
}

}  // namespace

Statement::Statement(sqlite3* db, std::string sql) : db_(db), sql_(std::move(sql)) {
  const int rc = sqlite3_prepare_v3(db_, sql_.c_str(), static_cast<int>(sql_.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
  if (rc != SQLITE_OK) {
    throw Error(describe(db_, rc, sql_));
  }
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Query::~Query() {
  sqlite3_reset(st_->get());
  sqlite3_clear_bindings(st_->get());
  st_->in_use = false;
}

void Query::fail(int rc, const char* what) const {
  throw Error(describe(sqlite3_db_handle(st_->get()), rc, st_->sql()) + " [" + what + "]");
}

Query& Query::bind(int index, std::int64_t value) {
  if (int rc = sqlite3_bind_int64(st_->get(), index, value); rc != SQLITE_OK) fail(rc, "bind");
  return *this;
}

Query& Query::bind(int index, double value) {
  if (int rc = sqlite3_bind_double(st_->get(), index, value); rc != SQLITE_OK) fail(rc, "bind");
  return *this;
}

Query& Query::bind(int index, std::string_view text) {
  // SQLITE_TRANSIENT: SQLite copies, so callers may pass temporaries.
  const int rc = sqlite3_bind_text64(st_->get(), index, text.data(), text.size(),
                                     SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) fail(rc, "bind");
  return *this;
}

Query& Query::bind_blob(int index, std::span<const std::uint8_t> bytes) {
  // A zero-length blob must still be a BLOB, not NULL: SQLite needs a non-null pointer.
  static const std::uint8_t kEmpty = 0;
  const void* p = bytes.empty() ? &kEmpty : bytes.data();
  const int rc = sqlite3_bind_blob64(st_->get(), index, p, bytes.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) fail(rc, "bind");
  return *this;
}

Query& Query::bind_null(int index) {
  if (int rc = sqlite3_bind_null(st_->get(), index); rc != SQLITE_OK) fail(rc, "bind");
  return *this;
}

bool Query::step() {
  const int rc = sqlite3_step(st_->get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(rc, "step");
}

void Query::run() {
  while (step()) {
  }
}

bool Query::is_null(int col) const { return sqlite3_column_type(st_->get(), col) == SQLITE_NULL; }

std::int64_t Query::int64(int col) const { return sqlite3_column_int64(st_->get(), col); }

double Query::real(int col) const { return sqlite3_column_double(st_->get(), col); }

std::string Query::text(int col) const {
  const auto* p = sqlite3_column_text(st_->get(), col);
  const int n = sqlite3_column_bytes(st_->get(), col);
  return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p), n);
}

std::span<const std::uint8_t> Query::blob_view(int col) const {
  const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(st_->get(), col));
  const int n = sqlite3_column_bytes(st_->get(), col);
  if (p == nullptr) return {};
  return {p, static_cast<std::size_t>(n)};
}

std::vector<std::uint8_t> Query::blob(int col) const {
  const auto v = blob_view(col);
  return {v.begin(), v.end()};
}

std::optional<std::int64_t> Query::opt_int64(int col) const {
  if (is_null(col)) return std::nullopt;
  return int64(col);
}

std::optional<std::string> Query::opt_text(int col) const {
  if (is_null(col)) return std::nullopt;
  return text(col);
}

Db::Db(const std::filesystem::path& path) {
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = "cannot open database " + path.string() + ": " +
                      (db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw Error(msg);
  }
  sqlite3_extended_result_codes(db_, 1);
}

Db::~Db() {
  cache_.clear();  // statements must be finalised before the connection closes
  sqlite3_close_v2(db_);
}

void Db::fail(int rc, std::string_view sql) const { throw Error(describe(db_, rc, sql)); }

Query Db::query(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    it = cache_.emplace(sql, std::make_unique<Statement>(db_, sql)).first;
  }
  if (it->second->in_use) {
    // Two live Query objects on one statement would reset each other's cursor.
    throw Error("internal: statement already in use: " + sql);
  }
  return Query(*it->second);
}

void Db::exec(const std::string& sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = "sqlite: " + std::string(err != nullptr ? err : sqlite3_errstr(rc)) +
                      " (code " + std::to_string(rc) + ") in: " + sql;
    sqlite3_free(err);
    throw Error(msg);
  }
}

std::string Db::pragma_text(const std::string& sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &raw, nullptr);
  if (rc != SQLITE_OK) fail(rc, sql);
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> st(raw, sqlite3_finalize);
  rc = sqlite3_step(raw);
  if (rc == SQLITE_DONE) return {};
  if (rc != SQLITE_ROW) fail(rc, sql);
  const auto* p = sqlite3_column_text(raw, 0);
  return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p));
}

std::int64_t Db::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

Transaction::Transaction(Db& db) : db_(db) {
  if (!db_.in_batch()) {
    db_.exec("BEGIN IMMEDIATE");
    return;
  }
  if (sqlite3_get_autocommit(db_.handle()) != 0) {
    // An error (disk full, I/O) rolled the whole batch back: writing on in autocommit mode would
    // make these writes durable on their own while the batch reports failure.
    throw Error("the enclosing write batch was rolled back by SQLite; nothing more is written");
  }
  nested_ = true;
  db_.exec("SAVEPOINT gc_nested");
}

Transaction::~Transaction() {
  // After a failed COMMIT SQLite may already have rolled back; only roll back an open one.
  if (done_ || sqlite3_get_autocommit(db_.handle()) != 0) return;
  if (nested_) {
    sqlite3_exec(db_.handle(), "ROLLBACK TO gc_nested; RELEASE gc_nested", nullptr, nullptr,
                 nullptr);
  } else {
    sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

void Transaction::commit() {
  db_.exec(nested_ ? "RELEASE gc_nested" : "COMMIT");
  done_ = true;
}

}  // namespace gc::storage::sqlite
