// CaseStore (migration 0002) round trips through the workflow types:
// append-only time nodes, corrections, find-or-open within the window, period
// loading, and the report from the database.
#include <limits>
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <random>

#include "gc/case_ingest.hpp"
#include "gc/case_io.hpp"
#include "gc/case_store.hpp"
#include "gc/case_synth.hpp"
#include "gc/report.hpp"

using namespace gc;
using namespace gc::workflow;

namespace {

struct TempDb {
  std::filesystem::path dir;
  TempDb() {
    std::random_device rd;
    dir = std::filesystem::temp_directory_path() /
          ("gc_case_store_" + std::to_string(rd()));
    std::filesystem::create_directories(dir);
  }
  ~TempDb() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::filesystem::path db() const { return dir / "gc.db"; }
};

// Runs raw SQL on its own connection; returns the SQLite error message ("" on
// success).
std::string raw_exec(const std::filesystem::path &db, const std::string &sql) {
  sqlite3 *h = nullptr;
  sqlite3_open(db.c_str(), &h);
  char *err = nullptr;
  sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &err);
  std::string msg = err != nullptr ? err : "";
  sqlite3_free(err);
  sqlite3_close(h);
  return msg;
}

} // namespace

TEST_CASE(
    "case store: the seed case round-trips and gives the same intervals") {
  TempDb tmp;
  auto store = storage::CaseStore::open(tmp.db());
  const Case seed = seed_case();
  auto rec = to_record(seed.info);
  const auto opened = store->open_case(rec);
  CHECK(opened.case_id > 0);
  for (const auto &e : seed.nodes)
    store->append_node(to_record(opened.case_id, e));
  for (const auto &f : seed.flags)
    store->append_flag(to_record(opened.case_id, f));

  const auto loaded = store->load_case(opened.case_id);
  REQUIRE(loaded);
  const Case c = to_case(*loaded);
  CHECK(c.nodes.size() == seed.nodes.size());
  const auto t = resolve(c);
  CHECK(t.violations.empty());
  CHECK(t.pathway == Pathway::transfer_pci);
  const auto values = compute_intervals(rule_table("cn-cpc-2021"), t);
  CHECK(*values[2].minutes == Approx(29)); // d2w
  CHECK(*values[4].minutes == Approx(49)); // fmc2w
}

TEST_CASE(
    "case store: corrections append; time nodes cannot be updated or deleted") {
  TempDb tmp;
  auto store = storage::CaseStore::open(tmp.db());
  storage::CaseRecord r;
  r.clinic =
      "Clinic A"; // (a one-letter literal trips GCC 12 -Wrestrict, bug 105329)
  r.opened_ms = 1778572800000;
  const auto c1 = store->open_case(r);
  const auto c2 = store->open_case(r);
  storage::TimeNodeRecord n;
  n.case_id = c1.case_id;
  n.kind = "door_in";
  n.raw_ms = 1778573000000;
  n.source = "cli";
  n.clock = "manual";
  n.recorded_ms = n.raw_ms;
  const auto first = store->append_node(n);
  auto fix = n;
  fix.raw_ms += 120'000;
  fix.supersedes = first;
  fix.note = "typo";
  const auto second = store->append_node(fix);
  CHECK(second > first);

  const auto c = to_case(*store->load_case(c1.case_id));
  REQUIRE(c.nodes.size() == 2);
  CHECK(*resolve(c).at(NodeKind::door_in) == fix.raw_ms);

  CHECK(raw_exec(tmp.db(), "UPDATE time_nodes SET raw_ms = 0") ==
        "time_nodes are append-only");
  CHECK(raw_exec(tmp.db(), "DELETE FROM time_nodes") ==
        "time_nodes are append-only");
  CHECK(raw_exec(tmp.db(), "UPDATE cases SET clinic = 'B'") ==
        "a case's identity is immutable");
  // A correction must stay within its case.
  auto cross = fix;
  cross.case_id = c2.case_id;
  CHECK_THROWS_AS(store->append_node(cross), storage::Error);
  // Issue 16 #6: a correction stays within its kind — a wire_crossing cannot "correct" the
  // door-in (it would silently drop the door-in time from every interval) — and the error says
  // so, without SQL.
  auto other_kind = fix;
  other_kind.kind = "wire_crossing";
  other_kind.supersedes = second;
  try {
    store->append_node(other_kind);
    FAIL("a correction of another kind was stored");
  } catch (const storage::Error& e) {
    CHECK(std::string(e.what()).find("same kind") != std::string::npos);
    CHECK(std::string(e.what()).find("SQL") == std::string::npos);
  }
  auto dangling = fix;
  dangling.supersedes = 424242;
  try {
    store->append_node(dangling);
    FAIL("a correction of a missing node was stored");
  } catch (const storage::Error& e) {
    CHECK(std::string(e.what()).find("nothing to correct") != std::string::npos);
    CHECK(std::string(e.what()).find("FOREIGN KEY") == std::string::npos);
  }
  CHECK(*resolve(to_case(*store->load_case(c1.case_id))).at(NodeKind::door_in) == fix.raw_ms);
  // Unknown case.
  auto orphan = n;
  orphan.case_id = 999;
  CHECK_THROWS_AS(store->append_node(orphan), storage::Error);
}

TEST_CASE("case store: a new ECG of the same cart and patient joins the open "
          "case within 6 h") {
  TempDb tmp;
  auto store = storage::CaseStore::open(tmp.db());
  const storage::UnixMs t0 = 1778572800000;
  bool opened = false;
  const auto a = store->find_or_open_case("cart-1", "P1", "A", t0, &opened);
  CHECK(opened);
  const auto b =
      store->find_or_open_case("cart-1", "P1", "A", t0 + 3600'000, &opened);
  CHECK_FALSE(opened);
  CHECK(b.case_id == a.case_id);
  const auto other_patient =
      store->find_or_open_case("cart-1", "P2", "A", t0 + 60'000, &opened);
  CHECK(opened);
  CHECK(other_patient.case_id != a.case_id);
  const auto later =
      store->find_or_open_case("cart-1", "P1", "A", t0 + 7 * 3600'000, &opened);
  CHECK(opened);
  CHECK(later.case_id != a.case_id);
  // No patient id: never merged.
  const auto anon1 = store->find_or_open_case("cart-1", "", "A", t0, &opened);
  const auto anon2 =
      store->find_or_open_case("cart-1", "", "A", t0 + 1000, &opened);
  CHECK(anon1.case_id != anon2.case_id);
  // A closed case is not joined.
  store->set_state(a.case_id, "closed", "stemi", "tester");
  const auto after_close =
      store->find_or_open_case("cart-1", "P1", "A", t0 + 2 * 3600'000, &opened);
  CHECK(opened);
  CHECK(after_close.case_id != a.case_id);
  CHECK(store->get_case(a.case_id)->outcome == "stemi");
}

TEST_CASE("case store: a synthetic month imported and reported equals the "
          "in-memory report") {
  TempDb tmp;
  auto store = storage::CaseStore::open(tmp.db());
  const TimeZone tz;
  SynthCasesOptions so;
  so.from_ms = parse_instant("2026-05-01", tz);
  so.to_ms = parse_instant("2026-06-01", tz);
  so.n_cases = 120;
  so.seed = 11;
  const auto cases = synth_cases(so);
  std::vector<storage::CaseBundle> bundles;
  for (const auto &c : cases)
    bundles.push_back(to_bundle(c));
  const auto ids = store->import_cases(bundles);
  CHECK(ids.size() == cases.size());

  ReportOptions o;
  o.from_ms = so.from_ms;
  o.to_ms = so.to_ms;
  std::vector<Case> loaded;
  for (const auto &b : store->load_cases(o.from_ms, o.to_ms))
    loaded.push_back(to_case(b));
  CHECK(loaded.size() == cases.size());
  const auto mem = build_report(cases, o);
  const auto db = build_report(loaded, o);
  REQUIRE(mem.totals.rules.size() == db.totals.rules.size());
  for (std::size_t i = 0; i < mem.totals.rules.size(); ++i) {
    INFO(mem.totals.rules[i].rule_key);
    CHECK(mem.totals.rules[i].n_measured == db.totals.rules[i].n_measured);
    CHECK(mem.totals.rules[i].n_compliant == db.totals.rules[i].n_compliant);
    CHECK(mem.totals.rules[i].mean_min == db.totals.rules[i].mean_min);
  }
  CHECK(mem.outliers.size() == db.outliers.size());
  CHECK(mem.n_violations == db.n_violations);
  // Clinic filter in SQL.
  const auto one = store->load_cases(o.from_ms, o.to_ms, so.clinics[0]);
  for (const auto &b : one)
    CHECK(b.info.clinic == so.clinics[0]);
  CHECK_FALSE(one.empty());
}

TEST_CASE("case store: a study's arrival opens a case with clock-corrected "
          "nodes; a repeat joins") {
  TempDb tmp;
  auto store = storage::CaseStore::open(tmp.db());
  auto core = storage::Store::open(tmp.db());
  core->add_device("石桥乡卫生院", "cart-7");
  const TimeZone tz;
  const auto at = [&](const char *hhmm) {
    return parse_instant(std::string("2026-05-12T") + hhmm + "+08:00", tz);
  };
  const std::int64_t ahead = 180'000; // the cart's clock is 3 min fast

  storage::StudyHeader h;
  h.device_id = "cart-7";
  h.study_uid = "uid-1";
  h.leads = {"I", "II", "V1", "V2", "V3", "V4", "V5", "V6"};
  h.sample_rate_hz = 500;
  h.resolution_nv_per_lsb = 1000;
  h.patient_id = "P-77";
  h.chest_pain = true;
  h.first_medical_contact = storage::Stamp{at("16:05") + ahead, "cart", "cart"};
  h.acquired_at = storage::Stamp{at("16:06") + ahead, "cart", "cart"};
  h.expected_samples_per_lead = 5000;
  const auto s1 = core->begin_study(h);
  const auto a1 = record_study_arrival(*store, h, s1.study_id, "石桥乡卫生院",
                                       ahead, at("16:07"));
  CHECK(a1.opened);
  CHECK(a1.node_seqs.size() == 3); // fmc, first_ecg, ecg_transmitted

  auto h2 = h;
  h2.study_uid = "uid-2";
  h2.acquired_at = storage::Stamp{at("16:30") + ahead, "cart", "cart"};
  const auto s2 = core->begin_study(h2);
  const auto a2 = record_study_arrival(*store, h2, s2.study_id, "石桥乡卫生院",
                                       ahead, at("16:31"));
  CHECK_FALSE(a2.opened);
  CHECK(a2.case_id == a1.case_id);
  CHECK(a2.node_seqs.empty());

  const auto bundle = store->load_case(a1.case_id);
  REQUIRE(bundle);
  CHECK(bundle->study_ids.size() == 2);
  const auto t = resolve(to_case(*bundle));
  CHECK(*t.at(NodeKind::fmc) == at("16:05"));       // corrected
  CHECK(*t.at(NodeKind::first_ecg) == at("16:06")); // corrected
  CHECK(*t.at(NodeKind::ecg_transmitted) == at("16:07"));
  CHECK(t.nodes[static_cast<std::size_t>(NodeKind::fmc)]->clock_corrected);
  bool raw_kept = false;
  for (const auto &n : bundle->nodes)
    raw_kept |= n.kind == "fmc" && n.raw_ms == at("16:05") + ahead;
  CHECK(raw_kept);
  CHECK(t.violations.empty());

  // Issue 16 #1: a cart clock at 2200 with an FMC in 1970 — the ECG's case opens at receipt (in
  // its own month's report), the impossible times are reported and not recorded.
  auto h3 = h;
  h3.study_uid = "uid-3";
  h3.patient_id = "P-78";
  h3.first_medical_contact = storage::Stamp{0, "cart", "cart"};                 // 1970-01-01
  h3.acquired_at = storage::Stamp{7'258'118'400'000, "cart", "cart"};          // 2200-01-01
  const auto s3 = core->begin_study(h3);
  const auto a3 = record_study_arrival(*store, h3, s3.study_id, "石桥乡卫生院", ahead, at("17:00"));
  CHECK(a3.opened);
  REQUIRE(a3.implausible.size() == 2);
  CHECK(a3.implausible[0].find("1970-01-01") != std::string::npos);
  CHECK(a3.implausible[1].find("2200-01-01") != std::string::npos);
  CHECK(a3.node_seqs.size() == 1);  // ecg_transmitted only
  CHECK(store->get_case(a3.case_id)->opened_ms == at("17:00"));
}

TEST_CASE("case store: a time node outside the plausible window is refused, naming the value") {
  TempDb tmp;
  auto store = storage::CaseStore::open(tmp.db());
  storage::CaseRecord r;
  r.patient_id = "p";
  r.device_id = "cart-1";
  r.clinic = "A";
  r.opened_ms = 1778572800000;
  const auto opened = store->open_case(r);
  storage::TimeNodeRecord n;
  n.case_id = opened.case_id;
  n.kind = "door_in";
  n.source = "station";
  n.clock = "station";
  n.recorded_ms = 1778572800000;  // 2026-05-12T08:00:00Z
  for (const auto& [raw, named] : std::vector<std::pair<std::int64_t, std::string>>{
           {253'402'300'800'000, "10000-01-01T00:00:00Z"},           // year 10000
           {-86'400'000, "1969-12-31T00:00:00Z"},                    // before 1970
           {std::numeric_limits<std::int64_t>::max(), "is more than 1 day after"},
           {std::numeric_limits<std::int64_t>::min(), "is more than 366 days before"},
           {1778572800000 + 2 * 86'400'000, "2026-05-14T08:00:00Z"}}) {
    CAPTURE(raw);
    n.raw_ms = raw;
    try {
      store->append_node(n);
      FAIL("stored");
    } catch (const storage::Error& e) {
      CHECK(std::string(e.what()).find(named) != std::string::npos);
      CHECK(std::string(e.what()).find("door_in") != std::string::npos);
    }
  }
  n.raw_ms = 1778572800000 - 30LL * 86'400'000;  // a month back: backfilled for the audit
  CHECK(store->append_node(n) > 0);
  n.raw_ms = 1778572800000;
  n.corrected_ms = -1;  // a corrected time is checked too
  CHECK_THROWS_AS(store->append_node(n), storage::Error);
  CHECK(storage::implausible_time(1778572800000 + 3'600'000, 1778572800000) == std::nullopt);
}
