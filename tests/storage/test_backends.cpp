// The database interface on both backends: typed values round-trip exactly, migrations are
// recorded and a newer database is refused, placeholders are numbered for PostgreSQL, connection
// URIs never leak a password, and the alert store (roster JSON, page claims, cart outbox) works
// the same on SQLite and PostgreSQL.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>

#include "../../storage/src/migrations.hpp"
#include "gc/alert_store.hpp"
#include "gc/case_store.hpp"
#include "gc/station_store.hpp"
#include "storage_test_util.hpp"

using namespace gc::storage;
using Catch::Matchers::Contains;
using gc::storage::test::Backend;
using gc::storage::test::backend_name;
using gc::storage::test::make_header;
using gc::storage::test::TestDb;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

std::uint64_t bits(double d) {
  std::uint64_t b = 0;
  std::memcpy(&b, &d, sizeof b);
  return b;
}

}  // namespace

TEST_CASE("typed values round-trip bit for bit through the database interface",
          "[storage][backends]") {
  const auto backend = GC_BACKENDS;
  INFO(backend_name(backend));
  TestDb db(backend);
  auto conn = db.raw();
  const bool sqlite = backend == Backend::sqlite;
  conn->exec(sqlite ? "CREATE TABLE t (k INTEGER, i INTEGER, d REAL, s TEXT, b BLOB)"
                    : "CREATE TABLE t (k BIGINT, i BIGINT, d DOUBLE PRECISION, s TEXT, b BYTEA)");
  const std::vector<std::int64_t> ints = {0, -1, std::numeric_limits<std::int64_t>::min(),
                                          std::numeric_limits<std::int64_t>::max()};
  const std::vector<double> doubles = {0.1,
                                       -0.0,
                                       1e-310,
                                       std::numeric_limits<double>::max(),
                                       std::numeric_limits<double>::lowest(),
                                       1.0 / 3.0};
  std::vector<std::uint8_t> all_bytes(256);
  for (int i = 0; i < 256; ++i)
    all_bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i);
  const std::string text = "O'Brien \"?\" 急性 -- /* not a comment */";
  for (std::size_t k = 0; k < ints.size(); ++k) {
    conn->query("INSERT INTO t (k, i, d, s, b) VALUES (?, ?, ?, ?, ?)")
        .bind(1, static_cast<std::int64_t>(k))
        .bind(2, ints[k])
        .bind(3, doubles[k])
        .bind(4, text)
        .bind_blob(5, k == 0 ? std::vector<std::uint8_t>{} : all_bytes)
        .run();
  }
  conn->query("INSERT INTO t (k) VALUES (?)").bind(1, std::int64_t{99}).run();  // NULLs
  {
    auto q = conn->query("SELECT i, d, s, b FROM t WHERE k < ? ORDER BY k");
    q.bind(1, std::int64_t{99});
    for (std::size_t k = 0; k < ints.size(); ++k) {
      REQUIRE(q.step());
      CHECK(q.int64(0) == ints[k]);
      if (sqlite && doubles[k] == 0.0) {
        // SQLite stores an integral REAL as an integer, so -0.0 reads back as +0.0 (a SQLite
        // property; no stored quantity of ours is a signed zero). PostgreSQL keeps the sign.
        CHECK(q.real(1) == 0.0);
      } else {
        CHECK(bits(q.real(1)) == bits(doubles[k]));
      }
      CHECK(q.text(2) == text);
      CHECK_FALSE(q.is_null(3));  // an empty blob is not NULL
      const auto b = q.blob(3);
      CHECK(b == (k == 0 ? std::vector<std::uint8_t>{} : all_bytes));
    }
    CHECK_FALSE(q.step());
  }
  auto q =
      conn->query("SELECT i, d, s, b, '?' FROM t WHERE k = ?");  // a quoted ? is not a parameter
  q.bind(1, std::int64_t{99});
  REQUIRE(q.step());
  CHECK(q.is_null(0));
  CHECK(q.is_null(1));
  CHECK(q.opt_text(2) == std::nullopt);
  CHECK(q.is_null(3));
  CHECK(q.text(4) == "?");
}

TEST_CASE("a transaction rolls back unless committed and nests as a savepoint in a batch",
          "[storage][backends]") {
  const auto backend = GC_BACKENDS;
  INFO(backend_name(backend));
  TestDb db(backend);
  auto conn = db.raw();
  conn->exec("CREATE TABLE t (x BIGINT NOT NULL)");
  auto count = [&] {
    auto q = conn->query("SELECT count(*) FROM t");
    REQUIRE(q.step());
    return q.int64(0);
  };
  try {
    db::Transaction tx(*conn);
    conn->query("INSERT INTO t (x) VALUES (?)").bind(1, std::int64_t{1}).run();
    throw std::runtime_error("simulated failure before commit");
  } catch (const std::runtime_error&) {
  }
  CHECK(count() == 0);
  {
    db::Transaction outer(*conn);
    conn->set_in_batch(true);
    {
      db::Transaction ok(*conn);
      conn->query("INSERT INTO t (x) VALUES (?)").bind(1, std::int64_t{2}).run();
      ok.commit();
    }
    {
      // A database error inside the batch undoes only this savepoint (on PostgreSQL the
      // transaction is usable again after ROLLBACK TO).
      db::Transaction failing(*conn);
      CHECK_THROWS_AS(conn->query("INSERT INTO t (x) VALUES (NULL)").run(), Error);
    }
    conn->set_in_batch(false);
    outer.commit();
  }
  CHECK(count() == 1);
  CHECK(conn->in_transaction() == false);
}

TEST_CASE(
    "migrations: every version recorded once, reopening is a no-op, a newer database is "
    "refused",
    "[storage][backends][schema]") {
  const auto backend = GC_BACKENDS;
  INFO(backend_name(backend));
  TestDb db(backend);
  const int latest = Store::latest_schema_version();
  CHECK(detail::postgresql_migrations().size() == detail::migrations().size());
  { CHECK(Store::open(db.location())->schema_version() == latest); }
  { CHECK(Store::open(db.location())->schema_version() == latest); }
  auto conn = db.raw();
  {
    auto q = conn->query("SELECT count(*), min(version), max(version) FROM schema_migrations");
    REQUIRE(q.step());
    CHECK(q.int64(0) == latest);
    CHECK(q.int64(1) == 1);
    CHECK(q.int64(2) == latest);
  }
  if (backend == Backend::sqlite) {
    conn->exec("PRAGMA user_version = " + std::to_string(latest + 1));
  } else {
    conn->query("INSERT INTO schema_migrations (version, applied_ms) VALUES (?, 0)")
        .bind(1, std::int64_t{latest + 1})
        .run();
  }
  const std::string msg = error_of([&] { Store::open(db.location()); });
  CHECK_THAT(msg, Contains("is newer than this greenchannel"));
  CHECK_THAT(msg, Contains("upgrade greenchannel"));
}

TEST_CASE("PostgreSQL placeholders are numbered outside quotes and comments",
          "[storage][backends][postgresql]") {
  int n = 0;
  CHECK(pg::number_placeholders("SELECT ?, '?', \"a?\", ? -- ?\n, /* ? */ ?", &n) ==
        "SELECT $1, '?', \"a?\", $2 -- ?\n, /* ? */ $3");
  CHECK(n == 3);
  CHECK(pg::number_placeholders("SELECT 'it''s ?', ?", &n) == "SELECT 'it''s ?', $1");
  CHECK(n == 1);
}

TEST_CASE(
    "PostgreSQL URIs: a password in the URI is refused and never echoed, an unreachable "
    "server is a clear error",
    "[storage][backends][postgresql]") {
  CHECK(is_postgresql_uri("postgresql://gc@db.example:5432/gc"));
  CHECK(is_postgresql_uri("postgres://gc@db.example/gc"));
  CHECK_FALSE(is_postgresql_uri("var/greenchannel.db"));
  CHECK(describe_database("postgresql://gc:hunter2@db.example:5432/gc?sslmode=require") ==
        "postgresql://gc@db.example:5432/gc");
  CHECK(describe_database("var/greenchannel.db") == "var/greenchannel.db");

  std::string msg = error_of([] { Store::open("postgresql://gc:hunter2@localhost:1/gc"); });
  CHECK_THAT(msg, Contains("PGPASSWORD"));
  CHECK(msg.find("hunter2") == std::string::npos);
  msg = error_of([] { Store::open("postgresql://gc@/gc?host=/nonexistent-gc-socket-dir&port=1"); });
  CHECK_THAT(msg, Contains("database postgresql://gc@/gc: cannot connect"));
}

TEST_CASE("alert store on both backends: roster, one page per level, cart outbox delivered once",
          "[storage][backends][alerts]") {
  const auto backend = GC_BACKENDS;
  INFO(backend_name(backend));
  TestDb db(backend);
  std::int64_t alert_id = 0;
  std::string device;
  {
    auto store = Store::open(db.location());
    device = store->add_device("Clinic A").device_id;
    const auto study = store->begin_study(make_header(device, "al-1")).study_id;
    AlertRecord a;
    a.study_id = study;
    a.tier = "critical";
    a.category = "stemi";
    a.summary_en = "STEMI";
    a.summary_zh = "ST段抬高";
    alert_id = store->raise_alert(a);
  }
  auto alerts = AlertStore::open(db.location(), "test");
  alerts->set_roster({{1000, 2000, {"dr.li", "dr.\"wang\""}}, {2000, 3000, {"dr.zhao"}}}, "admin");
  const auto roster = alerts->roster();
  REQUIRE(roster.size() == 2);
  CHECK(roster[0].chain == std::vector<std::string>{"dr.li", "dr.\"wang\""});
  CHECK(roster[1].chain == std::vector<std::string>{"dr.zhao"});

  TransitionWrite raise;
  raise.transition = AlertTransitionRow{0, alert_id, "", "raised", 1500, "server", "", ""};
  raise.cart_device_id = device;
  raise.cart_study_uid = "al-1";
  raise.cart_payload = std::string("\x00\x01\xff payload", 11);
  const auto written = alerts->record_transition(raise);
  REQUIRE(written.outbox_id.has_value());
  TransitionWrite ack;
  ack.transition =
      AlertTransitionRow{0, alert_id, "raised", "acknowledged", 1600, "station:dr.li", "", ""};
  alerts->record_transition(ack);
  CHECK_THROWS_WITH(alerts->record_transition(ack), Contains("changed concurrently"));
  CHECK(alerts->transitions(alert_id).size() == 2);
  CHECK(alerts->alert_context(alert_id)->alert.state == "acknowledged");

  AlertPageRow page{0,    alert_id,          1,        "dr.wang", "unacknowledged", 1700,
                    1701, "station,webhook", "pending"};
  const auto seq = alerts->record_page(page);
  REQUIRE(seq.has_value());
  CHECK_FALSE(alerts->record_page(page).has_value());  // level 1 is paged once
  CHECK(alerts->pages_awaiting_webhook().size() == 1);
  alerts->record_delivery(AlertPageDeliveryRow{0, *seq, "webhook", "delivered", 1, 1800});
  CHECK(alerts->pages(alert_id).at(0).webhook_status == "delivered");
  CHECK(alerts->pages_awaiting_webhook().empty());

  const auto pending = alerts->pending_cart_updates(device);
  REQUIRE(pending.size() == 1);
  CHECK(pending[0].payload == raise.cart_payload);  // bytes, NULs included
  CHECK(alerts->mark_cart_update_delivered(*written.outbox_id, 1900));
  CHECK_FALSE(alerts->mark_cart_update_delivered(*written.outbox_id, 2000));
  CHECK(alerts->pending_cart_updates(device).empty());
  // The database enforces the outbox row's immutability too.
  CHECK_THAT(error_of([&] { db.raw()->exec("UPDATE cart_outbox SET delivered_ms = 5"); }),
             Contains("delivered once"));
}

TEST_CASE("case store on both backends: cases, time nodes and corrections, flags, reasons, studies",
          "[storage][backends][cases]") {
  const auto backend = GC_BACKENDS;
  INFO(backend_name(backend));
  TestDb db(backend);
  std::int64_t study = 0;
  std::string device;
  {
    auto store = Store::open(db.location());
    device = store->add_device("Clinic A").device_id;
    study = store->begin_study(make_header(device, "cs-1")).study_id;
  }
  auto cases = CaseStore::open(db.location(), "test");
  const UnixMs t0 = now_unix_ms();
  bool opened = false;
  const auto c = cases->find_or_open_case(device, "p-1", "Clinic A", t0, &opened);
  CHECK(opened);
  const auto again = cases->find_or_open_case(device, "p-1", "Clinic A", t0 + 60'000, &opened);
  CHECK_FALSE(opened);
  CHECK(again.case_id == c.case_id);
  const auto other =
      cases->open_case(CaseRecord{0, "p-2", device, "Clinic A", t0, "open", "pending", "test"});
  CHECK(other.case_id != c.case_id);

  TimeNodeRecord fmc{0,  c.case_id,    "fmc", t0 - 600'000, t0 - 598'000, "cart", device, "cart",
                     t0, std::nullopt, ""};
  const auto fmc_seq = cases->append_node(fmc);
  TimeNodeRecord fix = fmc;
  fix.raw_ms = t0 - 660'000;
  fix.corrected_ms.reset();
  fix.supersedes = fmc_seq;
  fix.note = "clock was wrong";
  CHECK(cases->append_node(fix) > fmc_seq);
  TimeNodeRecord wrong_case = fix;
  wrong_case.case_id = other.case_id;
  CHECK_THROWS_WITH(cases->append_node(wrong_case), Contains("nothing to correct"));
  cases->append_flag(CaseFlagRecord{0, c.case_id, "transfer", true, "station", "dr.li", t0});
  cases->append_delay_reason(DelayReasonRecord{0, c.case_id, "", "traffic", "dr.li", t0});
  cases->link_study(c.case_id, study);
  CHECK(cases->case_of_study(study) == std::optional<std::int64_t>(c.case_id));
  cases->set_state(c.case_id, "closed", "stemi", "dr.li");

  const auto bundle = cases->load_case(c.case_id);
  REQUIRE(bundle.has_value());
  CHECK(bundle->info.state == "closed");
  CHECK(bundle->info.outcome == "stemi");
  REQUIRE(bundle->nodes.size() == 2);
  CHECK(bundle->nodes[0].corrected_ms == std::optional<UnixMs>(t0 - 598'000));
  CHECK(bundle->nodes[1].supersedes == std::optional<std::int64_t>(fmc_seq));
  CHECK(bundle->flags.size() == 1);
  CHECK(bundle->delay_reasons.size() == 1);
  CHECK(bundle->study_ids == std::vector<std::int64_t>{study});
  CHECK(cases->load_cases(t0 - 1000, t0 + 1000).size() == 2);
  // The database keeps a case's identity and its nodes, whoever writes.
  CHECK_THAT(error_of([&] { db.raw()->exec("UPDATE cases SET patient_id = 'x'"); }),
             Contains("identity is immutable"));
  CHECK_THAT(error_of([&] { db.raw()->exec("DELETE FROM time_nodes"); }),
             Contains("time_nodes are append-only"));
}

TEST_CASE("station store on both backends: users, sessions, worklist, study, audit",
          "[storage][backends][station]") {
  const auto backend = GC_BACKENDS;
  INFO(backend_name(backend));
  TestDb db(backend);
  std::int64_t study = 0;
  std::int64_t alert_id = 0;
  {
    auto store = Store::open(db.location());
    const auto device = store->add_device("Clinic A").device_id;
    study = store->begin_study(make_header(device, "st-1")).study_id;
    AlertRecord a;
    a.study_id = study;
    a.tier = "critical";
    a.category = "stemi";
    a.summary_en = "STEMI";
    a.summary_zh = "ST段抬高";
    alert_id = store->raise_alert(a);
  }
  auto station = StationStore::open(db.location());
  CHECK(station->healthy());
  UserRecord user;
  user.username = "dr.li";
  user.role = "cardiologist";
  user.password_hash.assign(32, 0xab);
  user.salt.assign(16, 0x01);
  user.iterations = 310000;
  user.created_ms = now_unix_ms();
  station->insert_user(user, "cli:admin");
  CHECK_THROWS_WITH(station->insert_user(user, "cli:admin"), Contains("already exists"));
  const auto found = station->find_user("dr.li");
  REQUIRE(found.has_value());
  CHECK(found->password_hash == user.password_hash);
  CHECK_FALSE(found->disabled_ms.has_value());

  const UnixMs now = now_unix_ms();
  WebSessionRecord session;
  session.token_sha256.assign(32, 0x00);  // NUL bytes in a bytea key
  session.token_sha256[31] = 0xff;
  session.username = "dr.li";
  session.csrf_token = std::string(43, 'c');
  session.created_ms = now;
  session.last_seen_ms = now;
  session.expires_ms = now + 3'600'000;
  station->insert_session(session);
  REQUIRE(station->find_session(session.token_sha256).has_value());
  CHECK(station->count_live_sessions(now, 600'000) == 1);
  station->revoke_session(session.token_sha256, now + 1);
  CHECK(station->count_live_sessions(now + 2, 600'000) == 0);

  WorklistQuery all;
  const auto rows = station->worklist(all);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].alert_id == alert_id);
  CHECK(rows[0].tier == "critical");
  WorklistQuery urgent_only;
  urgent_only.tier = "urgent";
  CHECK(station->worklist(urgent_only).empty());
  CHECK(station->worklist_row(alert_id).has_value());
  const auto row = station->study(study);
  REQUIRE(row.has_value());
  CHECK(row->header.leads == std::vector<std::string>{"I", "II", "V1"});
  CHECK(row->header.resolution_nv_per_lsb == 1000.0);
  CHECK_FALSE(station->audit_log(0, 100).empty());
}
