// The PostgreSQL backend (see pg.hpp).
#include "pg.hpp"

#include <libpq-fe.h>

#include <bit>
#include <cstdlib>
#include <cstring>
#include <unordered_map>
#include <utility>
#include <vector>

namespace gc::storage {

bool is_postgresql_uri(const std::string& db) {
  return db.starts_with("postgresql://") || db.starts_with("postgres://");
}

std::string describe_database(const std::filesystem::path& db) {
  std::string s = db.string();
  if (!is_postgresql_uri(s)) return s;
  // postgresql://user:secret@host/… → postgresql://user@host/… (never log a password).
  const auto scheme_end = s.find("://") + 3;
  const auto at = s.find('@', scheme_end);
  const auto slash = s.find('/', scheme_end);
  if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
    const auto colon = s.find(':', scheme_end);
    if (colon != std::string::npos && colon < at) s.erase(colon, at - colon);
  }
  // Query parameters may carry a password too (…?password=…): drop them all.
  if (const auto q = s.find('?'); q != std::string::npos) s.erase(q);
  return s;
}

}  // namespace gc::storage

namespace gc::storage::pg {

namespace {

// Type OIDs of the parameters we send (pg_type.h is a server header; these are fixed).
constexpr Oid kUnknownOid = 0;  // text and NULL: the server infers the type from the context
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kFloat8Oid = 701;

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// "postgresql: <message> (SQLSTATE 23505) in: <sql>", like the SQLite layer's messages.
std::string describe(const PGresult* res, PGconn* conn, std::string_view sql) {
  std::string msg = "postgresql: ";
  const char* primary = res != nullptr ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  if (primary != nullptr) {
    msg += primary;
  } else {
    msg += trim(PQerrorMessage(conn));
  }
  if (const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr) {
    msg += " (SQLSTATE ";
    msg += state;
    msg += ")";
  }
  if (!sql.empty()) {
    msg += " in: ";
    msg += sql;
  }
  return msg;
}

using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

class Connection;

class Statement final : public db::Statement {
 public:
  Statement(Connection& conn, std::string sql);

  void bind_int64(int index, std::int64_t value) override {
    Param& p = param(index);
    const auto be =
        static_cast<std::uint64_t>(std::endian::native == std::endian::little
                                       ? __builtin_bswap64(static_cast<std::uint64_t>(value))
                                       : static_cast<std::uint64_t>(value));
    p.bytes.assign(reinterpret_cast<const char*>(&be), 8);
    p.oid = kInt8Oid;
    p.binary = true;
    p.null = false;
  }
  void bind_double(int index, double value) override {
    Param& p = param(index);
    const auto bits = std::bit_cast<std::uint64_t>(value);
    const auto be = std::endian::native == std::endian::little ? __builtin_bswap64(bits) : bits;
    p.bytes.assign(reinterpret_cast<const char*>(&be), 8);
    p.oid = kFloat8Oid;
    p.binary = true;
    p.null = false;
  }
  void bind_text(int index, std::string_view text) override {
    Param& p = param(index);
    // Text parameters travel NUL-terminated: an embedded NUL cannot be stored in text anyway.
    if (text.find('\0') != std::string_view::npos) {
      throw Error("postgresql: text with a NUL byte cannot be stored (parameter " +
                  std::to_string(index) + ") in: " + sql_);
    }
    p.bytes.assign(text.data(), text.size());
    p.oid = kUnknownOid;
    p.binary = false;
    p.null = false;
  }
  void bind_blob(int index, std::span<const std::uint8_t> bytes) override {
    Param& p = param(index);
    p.bytes.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    p.oid = kByteaOid;
    p.binary = true;
    p.null = false;
  }
  void bind_null(int index) override { param(index) = Param{}; }

  bool step() override;
  void reset() override {
    result_.reset();
    row_ = -1;
    for (auto& p : params_) p = Param{};
    decoded_.clear();
  }

  bool is_null(int col) const override { return PQgetisnull(result_.get(), row_, check(col)) != 0; }
  std::int64_t int64(int col) const override {
    const char* v = PQgetvalue(result_.get(), row_, check(col));
    if (v[0] == 't' && v[1] == '\0') return 1;  // boolean
    if (v[0] == 'f' && v[1] == '\0') return 0;
    return std::strtoll(v, nullptr, 10);
  }
  double real(int col) const override {
    return std::strtod(PQgetvalue(result_.get(), row_, check(col)), nullptr);
  }
  std::string text(int col) const override {
    const int c = check(col);
    return std::string(PQgetvalue(result_.get(), row_, c),
                       static_cast<std::size_t>(PQgetlength(result_.get(), row_, c)));
  }
  std::span<const std::uint8_t> blob_view(int col) const override;
  const std::string& sql() const override { return sql_; }

 private:
  struct Param {
    Oid oid = kUnknownOid;
    bool binary = false;
    bool null = true;  // unbound parameters are NULL, as in SQLite
    std::string bytes;
  };

  Param& param(int index) {
    if (index < 1 || index > static_cast<int>(params_.size())) {
      throw Error("postgresql: bind index " + std::to_string(index) + " out of range in: " + sql_);
    }
    return params_[static_cast<std::size_t>(index - 1)];
  }
  int check(int col) const {
    if (!result_ || row_ < 0 || col < 0 || col >= PQnfields(result_.get())) {
      throw Error("internal: no column " + std::to_string(col) + " in the current row of: " + sql_);
    }
    return col;
  }

  Connection& conn_;
  std::string sql_;     // as written (with ?), for messages
  std::string pg_sql_;  // with $1..$n
  std::vector<Param> params_;
  Result result_{nullptr, &PQclear};
  int row_ = -1;
  // Decoded bytea columns of the current row (blob_view stays valid until the next step).
  mutable std::unordered_map<int, std::vector<std::uint8_t>> decoded_;
};

class Connection final : public db::Connection {
 public:
  explicit Connection(PGconn* conn) : conn_(conn) {}
  ~Connection() override {
    clear_statements();
    PQfinish(conn_);
  }

  db::Dialect dialect() const override { return db::Dialect::postgresql; }

  void exec(const std::string& sql) override {
    reconnect_if_lost();
    Result res(PQexec(conn_, sql.c_str()), &PQclear);
    const auto status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      throw Error(describe(res.get(), conn_, sql));
    }
    note_changes(res.get());
  }
  std::int64_t changes() const override { return changes_; }
  bool in_transaction() const override {
    const auto s = PQtransactionStatus(conn_);
    return s == PQTRANS_INTRANS || s == PQTRANS_INERROR || s == PQTRANS_ACTIVE;
  }
  void begin() override { exec("BEGIN"); }
  bool has_table(std::string_view name) override {
    auto q = query(
        "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND "
        "table_name = ?");
    q.bind(1, name);
    return q.step();
  }

  PGconn* handle() const { return conn_; }

  // The session settings every connection runs with (see connect()).
  void apply_settings() {
    if (PQsetClientEncoding(conn_, "UTF8") != 0) {
      throw Error("cannot use UTF-8 as the client encoding");
    }
    // A commit returns only once it is durable (the server default, but a role or database may
    // have turned it off). Floats in their shortest exact form; bytea as hex; times never read
    // as dates (we store int64 ms), but UTC keeps any diagnostic output unambiguous.
    exec(
        "SET synchronous_commit = on; SET extra_float_digits = 3; SET bytea_output = 'hex'; "
        "SET client_min_messages = warning; SET TIME ZONE 'UTC'");
  }

  // A connection the server closed (restart, failover, idle timeout, pg_terminate_backend)
  // is opened again before the next statement instead of failing every call from then on. The
  // statement that met the lost connection has already failed (its caller saw the error and any
  // open transaction is gone): nothing is re-sent here, so no write can happen twice.
  void reconnect_if_lost() {
    if (PQstatus(conn_) != CONNECTION_BAD) return;
    PQreset(conn_);
    if (PQstatus(conn_) != CONNECTION_OK) {
      throw Error("connection lost, reconnecting failed: " + trim(PQerrorMessage(conn_)));
    }
    prepared_.clear();  // the new server session has none of them
    ++reconnects_;
    apply_settings();
  }
  std::int64_t reconnects() const { return reconnects_; }
  void note_changes(const PGresult* res) {
    // Like sqlite3_changes(): only INSERT, UPDATE and DELETE set it (PQcmdTuples also counts a
    // SELECT's rows).
    auto* r = const_cast<PGresult*>(res);
    const std::string_view command = PQcmdStatus(r) != nullptr ? PQcmdStatus(r) : "";
    if (command.starts_with("INSERT") || command.starts_with("UPDATE") ||
        command.starts_with("DELETE")) {
      changes_ = std::strtoll(PQcmdTuples(r), nullptr, 10);
    }
  }
  // The server-side name of `sql` prepared for these parameter types (prepared on first use).
  const std::string& prepared(const std::string& sql, const std::vector<Oid>& types,
                              std::string_view sql_for_messages) {
    std::string key = sql;
    key += '\x1f';
    for (const Oid t : types) key += std::to_string(t) + ",";
    auto it = prepared_.find(key);
    if (it != prepared_.end()) return it->second;
    std::string name = "gc_" + std::to_string(prepared_.size() + 1);
    Result res(
        PQprepare(conn_, name.c_str(), sql.c_str(), static_cast<int>(types.size()), types.data()),
        &PQclear);
    if (!res || PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
      throw Error(describe(res.get(), conn_, sql_for_messages));
    }
    return prepared_.emplace(std::move(key), std::move(name)).first->second;
  }

 protected:
  std::unique_ptr<db::Statement> prepare(const std::string& sql) override {
    return std::make_unique<Statement>(*this, sql);
  }

 private:
  PGconn* conn_;
  std::int64_t changes_ = 0;
  std::int64_t reconnects_ = 0;
  std::unordered_map<std::string, std::string> prepared_;
};

Statement::Statement(Connection& conn, std::string sql) : conn_(conn), sql_(std::move(sql)) {
  int n = 0;
  pg_sql_ = number_placeholders(sql_, &n);
  params_.resize(static_cast<std::size_t>(n));
}

bool Statement::step() {
  decoded_.clear();
  if (!result_) {
    conn_.reconnect_if_lost();
    std::vector<Oid> types;
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
    for (const auto& p : params_) {
      types.push_back(p.null ? kUnknownOid : p.oid);
      values.push_back(p.null ? nullptr : p.bytes.c_str());
      lengths.push_back(static_cast<int>(p.bytes.size()));
      formats.push_back(p.binary ? 1 : 0);
    }
    const std::string& name = conn_.prepared(pg_sql_, types, sql_);
    Result res(PQexecPrepared(conn_.handle(), name.c_str(), static_cast<int>(params_.size()),
                              values.data(), lengths.data(), formats.data(), /*text results*/ 0),
               &PQclear);
    const auto status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      throw Error(describe(res.get(), conn_.handle(), sql_) + " [step]");
    }
    conn_.note_changes(res.get());
    result_ = std::move(res);
    row_ = -1;
  }
  ++row_;
  return row_ < PQntuples(result_.get());
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::span<const std::uint8_t> Statement::blob_view(int col) const {
  const int c = check(col);
  if (PQgetisnull(result_.get(), row_, c) != 0) return {};
  auto it = decoded_.find(c);
  if (it == decoded_.end()) {
    // bytea in text results: "\x" then two hex digits per byte (bytea_output = hex, set at
    // connect).
    const char* v = PQgetvalue(result_.get(), row_, c);
    const auto n = static_cast<std::size_t>(PQgetlength(result_.get(), row_, c));
    if (n < 2 || v[0] != '\\' || v[1] != 'x' || n % 2 != 0) {
      throw Error("postgresql: column " + std::to_string(col) + " is not bytea in: " + sql_);
    }
    std::vector<std::uint8_t> bytes((n - 2) / 2);
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      const int hi = hex_value(v[2 + 2 * i]);
      const int lo = hex_value(v[3 + 2 * i]);
      if (hi < 0 || lo < 0) throw Error("postgresql: malformed bytea in: " + sql_);
      bytes[i] = static_cast<std::uint8_t>(hi * 16 + lo);
    }
    it = decoded_.emplace(c, std::move(bytes)).first;
  }
  return it->second;
}

// Refuses a password written into the URI: it would show in `ps`, shell history and logs.
void refuse_password_in_uri(const std::string& uri) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(uri.c_str(), &err);
  if (opts == nullptr) {
    std::string why = err != nullptr ? trim(err) : "cannot parse it";
    PQfreemem(err);
    throw Error("not a valid PostgreSQL URI: " + why);
  }
  bool has_password = false;
  for (auto* o = opts; o->keyword != nullptr; ++o) {
    if (std::strcmp(o->keyword, "password") == 0 && o->val != nullptr && o->val[0] != '\0') {
      has_password = true;
    }
  }
  PQconninfoFree(opts);
  if (has_password) {
    throw Error("the database URI contains a password; give it in PGPASSWORD or ~/.pgpass instead");
  }
}

}  // namespace

std::string number_placeholders(std::string_view sql, int* count) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  std::size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {
      // A quoted string or identifier; a doubled quote inside is an escaped quote.
      const std::size_t start = i++;
      while (i < sql.size()) {
        if (sql[i] == c) {
          if (i + 1 < sql.size() && sql[i + 1] == c) {
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        ++i;
      }
      out.append(sql.substr(start, i - start));
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      const std::size_t end = sql.find('\n', i);
      const std::size_t stop = end == std::string_view::npos ? sql.size() : end;
      out.append(sql.substr(i, stop - i));
      i = stop;
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      const std::size_t end = sql.find("*/", i + 2);
      const std::size_t stop = end == std::string_view::npos ? sql.size() : end + 2;
      out.append(sql.substr(i, stop - i));
      i = stop;
    } else if (c == '?') {
      out += '$';
      out += std::to_string(++n);
      ++i;
    } else {
      out += c;
      ++i;
    }
  }
  if (count != nullptr) *count = n;
  return out;
}

std::unique_ptr<db::Connection> connect(const std::string& uri) {
  refuse_password_in_uri(uri);
  PGconn* raw = PQconnectdb(uri.c_str());
  if (raw == nullptr) throw Error("cannot connect: out of memory");
  if (PQstatus(raw) != CONNECTION_OK) {
    std::string why = trim(PQerrorMessage(raw));
    PQfinish(raw);
    throw Error("cannot connect: " + why);
  }
  auto conn = std::make_unique<Connection>(raw);  // owns raw from here
  conn->apply_settings();
  return conn;
}

}  // namespace gc::storage::pg
