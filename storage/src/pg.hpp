// The PostgreSQL backend of the database interface (db.hpp), through libpq. A connection comes
// from a libpq URI (postgresql://user@host:port/dbname?sslmode=verify-full): the password only
// from PGPASSWORD or ~/.pgpass (a URI carrying one is refused), TLS as the URI's sslmode asks
// (libpq), synchronous_commit = on so a commit returns only once it is durable.
//
// SQL is written with `?` and rewritten to $1..$n here. Parameters travel in binary where it
// matters for exactness (int8, float8, bytea); results come back as text (float8 in its
// shortest exact form, bytea as hex, decoded here). Statements are prepared once per connection
// and parameter-type signature (a NULL has no type; the server infers it).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "db.hpp"

namespace gc::storage::pg {

// Connects (Error with libpq's reason on failure) and applies the session settings above.
std::unique_ptr<db::Connection> connect(const std::string& uri);

// `?` placeholders → $1..$n, outside quoted strings, quoted identifiers and comments. Exposed
// for tests.
std::string number_placeholders(std::string_view sql, int* count = nullptr);

}  // namespace gc::storage::pg
