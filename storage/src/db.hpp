// The small database interface every store is written against once (STYLE.md, "Storage"): a
// Connection with a cache of prepared statements, a Query with typed binds and columns, a
// Transaction that rolls back unless committed, and a Dialect for the few places SQL differs.
// Backends: sqlite.hpp (SQLite, the embedded default) and pg.hpp (PostgreSQL through libpq).
//
// SQL is written once with `?` placeholders, numbered by position (bind index 1 is the first `?`).
// The PostgreSQL backend rewrites them to $1..$n, skipping quoted strings, identifiers and
// comments. New ids come from `INSERT ... RETURNING id` (Query::run_returning_id), which both
// backends support (SQLite >= 3.35), instead of a connection-wide "last insert id".
//
// Errors are gc::storage::Error. As the SQLite layer always did, a database failure's message
// carries the driver's text and the SQL (useful in the server log; callers that show errors to
// users should not pass these through verbatim). Not thread-safe: each store serialises its
// connection.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gc/storage.hpp"

namespace gc::storage::db {

enum class Dialect { sqlite, postgresql };

// One backend statement, executed by at most one Query at a time. Binds are 1-based, columns
// 0-based. reset() ends the current execution and clears the bindings.
class Statement {
 public:
  virtual ~Statement() = default;
  virtual void bind_int64(int index, std::int64_t value) = 0;
  virtual void bind_double(int index, double value) = 0;
  virtual void bind_text(int index, std::string_view text) = 0;
  virtual void bind_blob(int index, std::span<const std::uint8_t> bytes) = 0;
  virtual void bind_null(int index) = 0;
  virtual bool step() = 0;
  virtual void reset() = 0;
  virtual bool is_null(int col) const = 0;
  virtual std::int64_t int64(int col) const = 0;
  virtual double real(int col) const = 0;
  virtual std::string text(int col) const = 0;
  // Valid until the next step or reset.
  virtual std::span<const std::uint8_t> blob_view(int col) const = 0;
  virtual const std::string& sql() const = 0;
  bool in_use = false;
};

// One use of a cached statement: bind (1-based), step, read columns (0-based). The destructor
// resets the statement and clears its bindings so the next user starts clean.
class Query {
 public:
  explicit Query(Statement& st) : st_(&st) { st_->in_use = true; }
  ~Query();
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  Query& bind(int index, std::int64_t value) {
    st_->bind_int64(index, value);
    return *this;
  }
  Query& bind(int index, double value) {
    st_->bind_double(index, value);
    return *this;
  }
  Query& bind(int index, std::string_view text) {
    st_->bind_text(index, text);
    return *this;
  }
  Query& bind_blob(int index, std::span<const std::uint8_t> bytes) {
    st_->bind_blob(index, bytes);
    return *this;
  }
  Query& bind_null(int index) {
    st_->bind_null(index);
    return *this;
  }
  template <typename T>
  Query& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }
  // Guards against string literals binding as bool or pointers.
  Query& bind(int index, const char* text) { return bind(index, std::string_view(text)); }

  // true: a row is available; false: done. Throws Error on failure.
  bool step() { return st_->step(); }
  // Runs a statement that returns no rows (or ignores them).
  void run();
  // Runs an `INSERT ... RETURNING <id>` and returns the first column of its row.
  std::int64_t run_returning_id();

  bool is_null(int col) const { return st_->is_null(col); }
  std::int64_t int64(int col) const { return st_->int64(col); }
  double real(int col) const { return st_->real(col); }
  std::string text(int col) const { return st_->text(col); }
  std::span<const std::uint8_t> blob_view(int col) const { return st_->blob_view(col); }
  std::vector<std::uint8_t> blob(int col) const;
  std::optional<std::int64_t> opt_int64(int col) const;
  std::optional<std::string> opt_text(int col) const;

 private:
  Statement* st_;
};

class Connection {
 public:
  virtual ~Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  virtual Dialect dialect() const = 0;
  // A cached prepared statement for this SQL text (prepared on first use, reused after).
  Query query(const std::string& sql);
  // Runs one or more statements without caching (migrations, BEGIN/COMMIT, settings).
  virtual void exec(const std::string& sql) = 0;
  // Rows changed by the last INSERT/UPDATE/DELETE run on this connection.
  virtual std::int64_t changes() const = 0;
  // True between BEGIN and COMMIT/ROLLBACK (false after the database rolled a transaction back
  // on its own, as SQLite does on some I/O errors).
  virtual bool in_transaction() const = 0;
  // Starts a write transaction: SQLite takes its write lock up front (BEGIN IMMEDIATE) so a busy
  // database fails at BEGIN rather than at COMMIT; PostgreSQL locks per row.
  virtual void begin() = 0;
  // true if the named table exists.
  virtual bool has_table(std::string_view name) = 0;

  // Inside a write batch (one outer transaction for many writes): Transactions nest as
  // savepoints. Set by the Store that opened the batch.
  bool in_batch() const { return in_batch_; }
  void set_in_batch(bool on) { in_batch_ = on; }

 protected:
  Connection() = default;
  virtual std::unique_ptr<Statement> prepare(const std::string& sql) = 0;
  // Statements must be destroyed before the backend connection closes.
  void clear_statements() { cache_.clear(); }

 private:
  bool in_batch_ = false;
  std::unordered_map<std::string, std::unique_ptr<Statement>> cache_;
};

// A write transaction (Connection::begin); rolls back in the destructor unless commit()
// succeeded. Inside a write batch (Connection::in_batch) it is a SAVEPOINT instead: commit()
// releases it (durable only when the batch commits), a failure rolls back to it and leaves the
// batch's other writes alone.
class Transaction {
 public:
  explicit Transaction(Connection& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Connection& db_;
  bool nested_ = false;
  bool done_ = false;
};

}  // namespace gc::storage::db
