// The SQLite backend (see sqlite.hpp).
#include "sqlite.hpp"

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

// A prepared statement owned by Db's cache, reset and unbound after each use.
class Statement final : public db::Statement {
 public:
  Statement(sqlite3* db, std::string sql) : db_(db), sql_(std::move(sql)) {
    const int rc = sqlite3_prepare_v3(db_, sql_.c_str(), static_cast<int>(sql_.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
    if (rc != SQLITE_OK) throw Error(describe(db_, rc, sql_));
  }
  ~Statement() override { sqlite3_finalize(stmt_); }

  void bind_int64(int index, std::int64_t value) override {
    check(sqlite3_bind_int64(stmt_, index, value), "bind");
  }
  void bind_double(int index, double value) override {
    check(sqlite3_bind_double(stmt_, index, value), "bind");
  }
  void bind_text(int index, std::string_view text) override {
    // SQLITE_TRANSIENT: SQLite copies, so callers may pass temporaries.
    check(
        sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
        "bind");
  }
  void bind_blob(int index, std::span<const std::uint8_t> bytes) override {
    // A zero-length blob must still be a BLOB, not NULL: SQLite needs a non-null pointer.
    static const std::uint8_t kEmpty = 0;
    const void* p = bytes.empty() ? &kEmpty : bytes.data();
    check(sqlite3_bind_blob64(stmt_, index, p, bytes.size(), SQLITE_TRANSIENT), "bind");
  }
  void bind_null(int index) override { check(sqlite3_bind_null(stmt_, index), "bind"); }

  bool step() override {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(rc, "step");
  }
  void reset() override {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  bool is_null(int col) const override { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::int64_t int64(int col) const override { return sqlite3_column_int64(stmt_, col); }
  double real(int col) const override { return sqlite3_column_double(stmt_, col); }
  std::string text(int col) const override {
    const auto* p = sqlite3_column_text(stmt_, col);
    const int n = sqlite3_column_bytes(stmt_, col);
    return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p), n);
  }
  std::span<const std::uint8_t> blob_view(int col) const override {
    const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, col));
    const int n = sqlite3_column_bytes(stmt_, col);
    if (p == nullptr) return {};
    return {p, static_cast<std::size_t>(n)};
  }
  const std::string& sql() const override { return sql_; }

 private:
  void check(int rc, const char* what) const {
    if (rc != SQLITE_OK) fail(rc, what);
  }
  [[noreturn]] void fail(int rc, const char* what) const {
    throw Error(describe(db_, rc, sql_) + " [" + what + "]");
  }

  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string sql_;
};

}  // namespace

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
  clear_statements();  // statements must be finalised before the connection closes
  sqlite3_close_v2(db_);
}

void Db::fail(int rc, std::string_view sql) const { throw Error(describe(db_, rc, sql)); }

std::unique_ptr<db::Statement> Db::prepare(const std::string& sql) {
  return std::make_unique<Statement>(db_, sql);
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

bool Db::has_table(std::string_view name) {
  auto q = query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
  q.bind(1, name);
  return q.step();
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

}  // namespace gc::storage::sqlite
