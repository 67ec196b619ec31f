// db copy (gc/db_copy.hpp): a SQLite database with a row in every table, written through the
// stores the server uses, copied into the throwaway PostgreSQL cluster and back: every table's
// rows, every study's samples bit for bit, ids kept and new ids after them; a destination with
// rows refused; an interrupted copy leaves the destination empty and the copy can be run again.
#include <catch2/catch.hpp>
#include <limits>

#include "../../storage/src/migrations.hpp"
#include "gc/alert_store.hpp"
#include "gc/case_store.hpp"
#include "gc/db_copy.hpp"
#include "gc/station_store.hpp"
#include "storage_test_util.hpp"

using namespace gc::storage;
using Catch::Matchers::Contains;
using gc::storage::test::Backend;
using gc::storage::test::make_chunk;
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

std::int64_t count(db::Connection& db, const std::string& table) {
  auto q = db.query("SELECT count(*) FROM " + table);
  q.step();
  return q.int64(0);
}

std::vector<std::uint8_t> session_token() {
  std::vector<std::uint8_t> t(32, 0x00);  // NUL bytes in a bytea key
  t[31] = 0xff;
  return t;
}

struct Populated {
  std::vector<std::int64_t> study_ids;
  std::string device;
};

// A row in every table, through the stores serve uses: two carts (one revoked), a complete
// 12-lead study with extreme sample values and a file source, an open study, an analysis, an
// alert raised, acknowledged and paged with a webhook outcome and a cart update, a case with a
// corrected time node, a flag and a delay reason, a roster, a user with a session, events with a
// correction, audit rows.
Populated populate(const std::filesystem::path& location) {
  Populated out;
  auto store = Store::open(location);
  out.device = store->add_device("城关镇卫生院").device_id;
  const auto revoked = store->add_device("Clinic B", "cart-revoked").device_id;
  store->revoke_device(revoked);

  const std::vector<std::string> twelve = {"I",  "II", "III", "aVR", "aVL", "aVF",
                                           "V1", "V2", "V3",  "V4",  "V5",  "V6"};
  auto header = make_header(out.device, "copy-complete", twelve);
  header.resolution_nv_per_lsb = 4.88;  // not exact in binary: must come back the same double
  header.source = StudySource{"SCP-ECG", "ecg 01.scp", "Acme", "X1", "sn-1", "1.2"};
  const auto complete = store->begin_study(header);
  std::vector<std::int32_t> all;
  for (std::uint64_t seq = 0; seq < 5; ++seq) {
    auto c = make_chunk(seq, twelve.size(), 500, static_cast<std::int32_t>(seq));
    if (seq == 0) {
      c.samples[0] = std::numeric_limits<std::int32_t>::min();
      c.samples[1] = std::numeric_limits<std::int32_t>::max();
    }
    all.insert(all.end(), c.samples.begin(), c.samples.end());
    store->append_chunk(complete.study_id, c);
  }
  store->complete_study(complete.study_id, 2500, samples_crc32(all));
  const auto open = store->begin_study(make_header(out.device, "copy-open"));
  store->append_chunk(open.study_id, make_chunk(0, 3, 250, 7));
  out.study_ids = {complete.study_id, open.study_id};

  store->save_analysis(complete.study_id, "stemi", "critical",
                       R"({"st_j_uv":{"V2":312.5,"V3":0.1},"text":"急性前壁"})");
  AlertRecord a;
  a.study_id = complete.study_id;
  a.tier = "critical";
  a.category = "stemi";
  a.summary_en = "Anterior STEMI";
  a.summary_zh = "急性前壁ST段抬高型心肌梗死";
  const auto alert_id = store->raise_alert(a);
  EventRecord e;
  e.study_id = complete.study_id;
  e.kind = "fmc";
  e.at = Stamp{1'778'573'100'000, "cart", "cart"};
  e.corrected_unix_ms = 1'778'573'101'500;
  e.detail_json = R"({"note":"O'Brien"})";
  e.actor = out.device;
  const auto fmc = store->append_event(e);
  e.corrects_seq = fmc;
  e.at.unix_ms -= 60'000;
  store->append_event(e);
  store->append_audit("cli:test", "note", "copy", "");

  auto alerts = AlertStore::open(location, "test");
  alerts->set_roster({{1000, 2000, {"dr.li", "dr.wang"}}}, "admin");
  TransitionWrite raise;
  raise.transition = AlertTransitionRow{0, alert_id, "", "raised", 1500, "server", "", ""};
  raise.cart_device_id = out.device;
  raise.cart_study_uid = "copy-complete";
  raise.cart_payload = std::string("\x00\x01\xff payload", 11);
  const auto written = alerts->record_transition(raise);
  TransitionWrite ack;
  ack.transition =
      AlertTransitionRow{0, alert_id, "raised", "acknowledged", 1600, "station:dr.li", "", "ok"};
  alerts->record_transition(ack);
  const auto page = alerts->record_page(
      {0, alert_id, 0, "dr.li", "raised", 1500, 1501, "station,webhook", "pending"});
  alerts->claim_page_webhook(*page, "node-a", 1501, 20'000);
  alerts->record_delivery({0, *page, "webhook", "delivered", 2, 1900});
  alerts->mark_cart_update_delivered(*written.outbox_id, 1700);

  auto cases = CaseStore::open(location, "test");
  bool opened = false;
  const auto c =
      cases->find_or_open_case(out.device, "p-1", "城关镇卫生院", 1'778'573'000'000, &opened);
  TimeNodeRecord node{0,         c.case_id, "fmc",    1'778'573'100'000, std::nullopt,
                      "station", "dr.li",   "server", 1'778'573'200'000, std::nullopt,
                      ""};
  const auto node_seq = cases->append_node(node);
  node.supersedes = node_seq;
  node.raw_ms -= 60'000;
  node.note = "clock";
  cases->append_node(node);
  cases->append_flag({0, c.case_id, "transfer", true, "station", "dr.li", 1'778'573'300'000});
  cases->append_delay_reason({0, c.case_id, "", "traffic", "dr.li", 1'778'573'300'000});
  cases->link_study(c.case_id, complete.study_id);

  auto station = StationStore::open(location);
  UserRecord user;
  user.username = "dr.li";
  user.role = "cardiologist";
  user.password_hash.assign(32, 0xab);
  user.salt.assign(16, 0x01);
  user.iterations = 310000;
  user.created_ms = 1'778'573'000'000;
  station->insert_user(user, "cli:admin");
  WebSessionRecord session;
  session.token_sha256 = session_token();
  session.username = "dr.li";
  session.csrf_token = std::string(43, 'c');
  session.created_ms = 1'778'573'000'000;
  session.last_seen_ms = session.created_ms;
  session.expires_ms = session.created_ms + 3'600'000;
  station->insert_session(session);
  return out;
}

void check_same_samples(const std::filesystem::path& a, const std::filesystem::path& b,
                        const std::vector<std::int64_t>& study_ids) {
  auto sa = Store::open(a);
  auto sb = Store::open(b);
  for (const auto id : study_ids) {
    INFO("study " << id);
    const auto x = sa->load_samples(id);
    const auto y = sb->load_samples(id);
    CHECK(x.samples == y.samples);
    CHECK(x.header.resolution_nv_per_lsb == y.header.resolution_nv_per_lsb);
    CHECK(x.header.leads == y.header.leads);
    CHECK(x.header.source == y.header.source);
    CHECK(sa->get_study(id)->complete == sb->get_study(id)->complete);
  }
}

}  // namespace

TEST_CASE("db copy: SQLite to PostgreSQL and back, every table and every sample",
          "[storage][db_copy]") {
  TestDb sqlite(Backend::sqlite);
  TestDb pg(Backend::postgresql);
  const auto populated = populate(sqlite.location());

  const auto report = copy_database(sqlite.location(), pg.location());
  CHECK(report.schema_version == Store::latest_schema_version());
  REQUIRE(report.tables.size() == copied_tables().size());
  auto src = sqlite.raw();
  auto dst = pg.raw();
  for (const auto& t : report.tables) {
    INFO(t.table);
    CHECK(t.rows > 0);  // the fixture covers every table
    CHECK(count(*src, t.table) == t.rows);
    CHECK(count(*dst, t.table) == t.rows);
  }
  CHECK(report.studies_verified == 2);
  CHECK(report.complete_studies_crc_checked == 1);
  CHECK(report.samples_verified == 12 * 2500 + 3 * 250);
  check_same_samples(sqlite.location(), pg.location(), populated.study_ids);

  // What the server reads comes back the same: the worklist row, the case, the alert's pages.
  {
    auto a = StationStore::open(sqlite.location());
    auto b = StationStore::open(pg.location());
    const auto wa = a->worklist({});
    const auto wb = b->worklist({});
    REQUIRE_FALSE(wa.empty());
    REQUIRE(wb.size() == wa.size());
    CHECK(wb[0].alert_id == wa[0].alert_id);
    CHECK(wb[0].summary_zh == wa[0].summary_zh);
    CHECK(wb[0].fmc_ms == wa[0].fmc_ms);
    CHECK(wb[0].acknowledged_by == wa[0].acknowledged_by);
    CHECK(b->find_session(session_token())->username == "dr.li");
    CHECK(b->find_user("dr.li")->password_hash == a->find_user("dr.li")->password_hash);
  }
  // The copy's ids continue after the copied ones (PostgreSQL's identity sequences moved).
  {
    auto store = Store::open(pg.location());
    AlertRecord a;
    a.study_id = populated.study_ids[0];
    a.tier = "urgent";
    a.category = "other";
    a.summary_en = "after the copy";
    a.summary_zh = "复制后";
    auto q = src->query("SELECT max(id) FROM alerts");
    q.step();
    CHECK(store->raise_alert(a) == q.int64(0) + 1);
    CHECK(store->verify_device(populated.device, "wrong") == false);
    CHECK(store->list_devices().size() == 2);
  }

  // Back into a new SQLite file: the same rows again.
  TestDb back(Backend::sqlite);
  const auto report_back = copy_database(pg.location(), back.location());
  auto again = back.raw();
  for (const auto& t : report_back.tables) {
    INFO(t.table);
    CHECK(count(*again, t.table) == count(*dst, t.table));
  }
  check_same_samples(sqlite.location(), back.location(), populated.study_ids);
}

TEST_CASE("db copy: a destination that is not empty is refused and left alone",
          "[storage][db_copy]") {
  TestDb sqlite(Backend::sqlite);
  TestDb pg(Backend::postgresql);
  populate(sqlite.location());
  Store::open(pg.location())->add_device("Already here", "cart-there");
  CHECK_THAT(error_of([&] { copy_database(sqlite.location(), pg.location()); }),
             Contains("is not empty (table devices has rows)"));
  auto dst = pg.raw();
  CHECK(count(*dst, "devices") == 1);
  CHECK(count(*dst, "studies") == 0);

  // The same with a SQLite destination holding only a user.
  TestDb lite(Backend::sqlite);
  {
    auto station = StationStore::open(lite.location());
    UserRecord user;
    user.username = "admin";
    user.role = "admin";
    user.password_hash.assign(32, 1);
    user.salt.assign(16, 2);
    user.iterations = 310000;
    user.created_ms = 1;
    station->insert_user(user, "cli:admin");
  }
  CHECK_THAT(error_of([&] { copy_database(pg.location(), lite.location()); }),
             Contains("is not empty (table "));
}

TEST_CASE("db copy: an interrupted copy leaves the destination empty and can be run again",
          "[storage][db_copy]") {
  TestDb sqlite(Backend::sqlite);
  TestDb pg(Backend::postgresql);
  const auto populated = populate(sqlite.location());
  CopyOptions interrupt;
  interrupt.progress = [](std::string_view table, std::int64_t) {
    if (table == "alerts") throw Error("interrupted (test)");
  };
  CHECK_THAT(error_of([&] { copy_database(sqlite.location(), pg.location(), interrupt); }),
             Contains("interrupted (test)"));
  {
    auto dst = pg.raw();
    for (const auto& t : copied_tables()) {
      INFO(t);
      CHECK(count(*dst, t) == 0);  // devices, studies, chunks ... were written, then rolled back
    }
  }
  const auto report = copy_database(sqlite.location(), pg.location());
  CHECK(report.studies_verified == 2);
  check_same_samples(sqlite.location(), pg.location(), populated.study_ids);
}

TEST_CASE("db copy: clear refusals (no source, same database, older schema, foreign table)",
          "[storage][db_copy]") {
  TestDb a(Backend::sqlite);
  TestDb b(Backend::postgresql);
  CHECK_THAT(error_of([&] { copy_database(a.dir().path() / "missing.db", b.location()); }),
             Contains("no such SQLite database file"));
  CHECK_FALSE(std::filesystem::exists(a.dir().path() / "missing.db"));
  Store::open(a.location());
  CHECK_THAT(error_of([&] { copy_database(a.location(), a.location()); }),
             Contains("the same database"));

  // A database left at an older schema version by an older greenchannel.
  TestDb old(Backend::sqlite);
  {
    auto conn = old.raw();
    auto all = detail::migrations(db::Dialect::sqlite);
    all.pop_back();
    detail::migrate(*conn, all);
  }
  CHECK_THAT(error_of([&] { copy_database(old.location(), b.location()); }),
             Contains("is older than this greenchannel"));

  // A table someone added by hand is not silently left behind.
  a.raw()->exec("CREATE TABLE notes (x TEXT)");
  CHECK_THAT(error_of([&] { copy_database(a.location(), b.location()); }),
             Contains("table 'notes' is not part of greenchannel's schema"));
  // Nothing was written on any refusal.
  auto dst = b.raw();
  for (const auto& t : copied_tables()) CHECK(count(*dst, t) == 0);
}
