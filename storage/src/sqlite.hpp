// Thin RAII wrappers over the SQLite C API used by the storage module: Db (a connection with a
// cache of prepared statements), Query (a leased cached statement, reset when released) and
// Transaction (BEGIN IMMEDIATE; rolls back unless committed). Errors are gc::storage::Error
// carrying sqlite3_errmsg and the SQL text. Not thread-safe: the Store serialises access.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gc/storage.hpp"

namespace gc::storage::sqlite {

class Db;

// A prepared statement owned by Db's cache. Reused: Query resets it and clears its bindings.
class Statement {
 public:
  Statement(sqlite3* db, std::string sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  sqlite3_stmt* get() const { return stmt_; }
  const std::string& sql() const { return sql_; }
  bool in_use = false;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string sql_;
};

// One use of a cached statement: bind (1-based), step, read columns (0-based). The destructor
// resets the statement and clears its bindings so the next user starts clean.
class Query {
 public:
  explicit Query(Statement& st) : st_(&st) { st_->in_use = true; }
  ~Query();
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  Query& bind(int index, std::int64_t value);
  Query& bind(int index, double value);
  Query& bind(int index, std::string_view text);
  Query& bind_blob(int index, std::span<const std::uint8_t> bytes);
  Query& bind_null(int index);
  template <typename T>
  Query& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }
  // Guards against string literals binding as bool or pointers.
  Query& bind(int index, const char* text) { return bind(index, std::string_view(text)); }

  // true: a row is available; false: done. Throws Error on failure.
  bool step();
  // Runs a statement that returns no rows (or ignores them).
  void run();

  bool is_null(int col) const;
  std::int64_t int64(int col) const;
  double real(int col) const;
  std::string text(int col) const;
  std::vector<std::uint8_t> blob(int col) const;
  std::span<const std::uint8_t> blob_view(int col) const;  // valid until the next step/reset
  std::optional<std::int64_t> opt_int64(int col) const;
  std::optional<std::string> opt_text(int col) const;

 private:
  [[noreturn]] void fail(int rc, const char* what) const;
  Statement* st_;
};

class Db {
 public:
  // Opens or creates the file (parent directories must exist). Read-write.
  explicit Db(const std::filesystem::path& path);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  sqlite3* handle() const { return db_; }
  // A cached prepared statement for this SQL text (prepared on first use, reused after).
  Query query(const std::string& sql);
  // Runs one or more statements without caching (migrations, pragmas, BEGIN/COMMIT).
  void exec(const std::string& sql);
  // The first column of the first row as text (PRAGMAs that report a value).
  std::string pragma_text(const std::string& sql);
  std::int64_t last_insert_rowid() const;
  int changes() const { return sqlite3_changes(db_); }
  [[noreturn]] void fail(int rc, std::string_view sql) const;
  // Inside a write batch (one outer transaction for many writes): Transactions nest as
  // savepoints. Set by the Store that opened the batch.
  bool in_batch() const { return in_batch_; }
  void set_in_batch(bool on) { in_batch_ = on; }

 private:
  sqlite3* db_ = nullptr;
  bool in_batch_ = false;
  std::unordered_map<std::string, std::unique_ptr<Statement>> cache_;
};

// BEGIN IMMEDIATE (takes the write lock up front, so a busy database fails at BEGIN rather
// than at COMMIT); rolls back in the destructor unless commit() succeeded. Inside a write batch
// (Db::in_batch) it is a SAVEPOINT instead: commit() releases it (durable only when the batch
// commits), a failure rolls back to it and leaves the batch's other writes alone.
class Transaction {
 public:
  explicit Transaction(Db& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Db& db_;
  bool nested_ = false;
  bool done_ = false;
};

}  // namespace gc::storage::sqlite
