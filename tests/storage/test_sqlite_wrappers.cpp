// The private SQLite RAII wrappers: cached statements are reused with clean bindings, a
// Transaction rolls back unless committed, errors name the SQL.
#include <catch2/catch.hpp>

#include "../../storage/src/sqlite.hpp"
#include "storage_test_util.hpp"

using namespace gc::storage;
using gc::storage::test::TempDir;

TEST_CASE("Transaction rolls back when an exception leaves its scope", "[storage][sqlite]") {
  TempDir dir;
  sqlite::Db db(dir.path() / "t.db");
  db.exec("CREATE TABLE t (x INTEGER NOT NULL)");
  auto count = [&] {
    auto q = db.query("SELECT count(*) FROM t");
    REQUIRE(q.step());
    return q.int64(0);
  };
  try {
    sqlite::Transaction tx(db);
    db.query("INSERT INTO t (x) VALUES (?)").bind(1, std::int64_t{1}).run();
    REQUIRE(count() == 1);  // visible inside the transaction
    throw std::runtime_error("simulated failure before commit");
  } catch (const std::runtime_error&) {
  }
  CHECK(count() == 0);
  {
    sqlite::Transaction tx(db);
    db.query("INSERT INTO t (x) VALUES (?)").bind(1, std::int64_t{2}).run();
    tx.commit();
  }
  CHECK(count() == 1);
}

TEST_CASE("cached statements are reused and start with cleared bindings", "[storage][sqlite]") {
  TempDir dir;
  sqlite::Db db(dir.path() / "t.db");
  db.exec("CREATE TABLE t (x INTEGER)");
  db.query("INSERT INTO t (x) VALUES (?)").bind(1, std::int64_t{5}).run();
  db.query("INSERT INTO t (x) VALUES (?)").run();  // no binding: NULL, not the previous 5
  auto q = db.query("SELECT count(*), count(x) FROM t");
  REQUIRE(q.step());
  CHECK(q.int64(0) == 2);
  CHECK(q.int64(1) == 1);
  // The same SQL while its statement is still in use would corrupt the cursor: refused.
  CHECK_THROWS_AS(db.query("SELECT count(*), count(x) FROM t"), Error);
}

TEST_CASE("errors carry SQLite's message and the SQL", "[storage][sqlite]") {
  TempDir dir;
  sqlite::Db db(dir.path() / "t.db");
  try {
    db.query("SELECT * FROM missing_table");
    FAIL("expected an error");
  } catch (const Error& e) {
    const std::string msg = e.what();
    CHECK(msg.find("no such table: missing_table") != std::string::npos);
    CHECK(msg.find("SELECT * FROM missing_table") != std::string::npos);
  }
}
