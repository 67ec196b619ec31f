// The backend-independent half of the database interface (see db.hpp).
#include "db.hpp"

namespace gc::storage::db {

Query::~Query() {
  st_->reset();
  st_->in_use = false;
}

void Query::run() {
  while (step()) {
  }
}

std::int64_t Query::run_returning_id() {
  if (!step()) throw Error("internal: INSERT ... RETURNING gave no row: " + st_->sql());
  const std::int64_t id = int64(0);
  run();
  return id;
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

Query Connection::query(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    it = cache_.emplace(sql, prepare(sql)).first;
  }
  if (it->second->in_use) {
    // Two live Query objects on one statement would reset each other's cursor.
    throw Error("internal: statement already in use: " + sql);
  }
  return Query(*it->second);
}

Transaction::Transaction(Connection& db) : db_(db) {
  if (!db_.in_batch()) {
    db_.begin();
    return;
  }
  if (!db_.in_transaction()) {
    // An error (disk full, I/O) rolled the whole batch back: writing on in autocommit mode would
    // make these writes durable on their own while the batch reports failure.
    throw Error(
        "the enclosing write batch was rolled back by the database; nothing more is written");
  }
  nested_ = true;
  db_.exec("SAVEPOINT gc_nested");
}

Transaction::~Transaction() {
  // After a failed COMMIT the database may already have rolled back; only roll back an open one.
  if (done_ || !db_.in_transaction()) return;
  try {
    db_.exec(nested_ ? "ROLLBACK TO gc_nested; RELEASE gc_nested" : "ROLLBACK");
  } catch (const Error&) {
    // Nothing more to do in a destructor: the connection reports the failure on its next use.
  }
}

void Transaction::commit() {
  db_.exec(nested_ ? "RELEASE gc_nested" : "COMMIT");
  done_ = true;
}

}  // namespace gc::storage::db
