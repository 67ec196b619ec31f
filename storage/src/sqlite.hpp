// The SQLite backend of the database interface (db.hpp): Db is a connection to one file with a
// cache of prepared statements. Errors are gc::storage::Error carrying sqlite3_errmsg and the SQL
// text (for the log). SQLite-only features (PRAGMAs, the online backup API, busy timeouts) use
// handle() and pragma_text(). Not thread-safe: the Store serialises access.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "db.hpp"
#include "gc/storage.hpp"

namespace gc::storage::sqlite {

using db::Query;
using db::Transaction;

class Db final : public db::Connection {
 public:
  // Opens or creates the file (parent directories must exist). Read-write.
  explicit Db(const std::filesystem::path& path);
  ~Db() override;

  db::Dialect dialect() const override { return db::Dialect::sqlite; }
  sqlite3* handle() const { return db_; }
  void exec(const std::string& sql) override;
  std::int64_t changes() const override { return sqlite3_changes64(db_); }
  bool in_transaction() const override { return sqlite3_get_autocommit(db_) == 0; }
  void begin() override { exec("BEGIN IMMEDIATE"); }
  bool has_table(std::string_view name) override;
  // The first column of the first row as text (PRAGMAs that report a value).
  std::string pragma_text(const std::string& sql);
  [[noreturn]] void fail(int rc, std::string_view sql) const;

 protected:
  std::unique_ptr<db::Statement> prepare(const std::string& sql) override;

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace gc::storage::sqlite
