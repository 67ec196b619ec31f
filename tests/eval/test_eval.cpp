// gc_eval: the figures the evaluations print, on small inputs whose answers are known by hand —
// the gross-error share and p95, bxb-style matching, class tallies and headline from known
// findings, the age/sex override, and the manifest layouts (CRLF, Brugada-HUCA columns).
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "gc/eval.hpp"

using namespace gc;
using namespace gc::eval;
namespace fs = std::filesystem;

namespace {

StemiRecord record(const std::string& source, const std::string& label, bool dev_set,
                   std::optional<triage::Category> category,
                   triage::Tier tier = triage::Tier::routine,
                   std::vector<std::string> confounders = {}, const std::string& verbatim = "") {
  StemiRecord r;
  r.row.source = source;
  r.row.label_class = label;
  r.row.labels_verbatim = verbatim;
  r.row.dev_set = dev_set;
  r.row.n_leads = 12;
  r.group = group_of(label);
  if (category) {
    triage::Finding f;
    f.category = *category;
    f.tier = tier;
    f.confounders = std::move(confounders);
    r.finding = f;
  } else {
    r.error = "unreadable";
  }
  return r;
}

const ClassTally& class_of(const DatabaseTally& d, const std::string& cls) {
  for (const auto& [name, t] : d.per_class) {
    if (name == cls) return t;
  }
  FAIL("no class " << cls << " in " << d.source);
  throw std::logic_error("unreachable");
}

// The dev data directory when `relative` exists under it; otherwise the test warns and skips.
std::optional<fs::path> dev_data_with(const fs::path& relative) {
  const fs::path data = GC_ECG_DATA_DIR;
  if (fs::exists(data / relative)) return data;
  WARN("no " << relative.string() << " under " GC_ECG_DATA_DIR " — skipped");
  return std::nullopt;
}

}  // namespace

TEST_CASE("gross_errors counts |error| strictly above the limit, both signs", "[eval][stats]") {
  const std::vector<double> err_ms = {-50, 10, 40, 40.5, -40, 100, 0, -39.9};
  const auto g = gross_errors(err_ms, 40);
  CHECK(g.measured == 8);
  CHECK(g.above == 3);  // -50, 40.5, 100; exactly ±40 is not a gross error
  CHECK(g.share() == Approx(3.0 / 8.0));
  const auto t_end = gross_errors(err_ms, 80);
  CHECK(t_end.above == 1);
  CHECK(gross_errors({}, 40).share() == 0.0);
}

TEST_CASE("p95_abs_ms is the 95th percentile of |error|, interpolated", "[eval][stats]") {
  std::vector<double> err_ms;
  for (int i = 1; i <= 20; ++i) err_ms.push_back(i % 2 ? -i : i);  // |e| = 1..20, mixed signs
  // Sorted |e| = 1..20; position 0.95·19 = 18.05 → 19 + 0.05·(20 − 19).
  CHECK(p95_abs_ms(err_ms) == Approx(19.05));
  CHECK(p95_abs_ms(std::vector<double>{-7}) == Approx(7));
  CHECK(p95_abs_ms({}) == 0.0);
  CHECK(quantile({3, 1, 2}, 0.5) == Approx(2));
  CHECK(quantile({0, 10}, 0.25) == Approx(2.5));
}

TEST_CASE("wilson_95: the Wilson score interval, values by hand and edge cases", "[eval][stats]") {
  // 5 of 10: centre 0.5, half-width 1.96·√(0.025 + 1.96²/400) / (1 + 1.96²/10) = 0.2634.
  const auto half = wilson_95(5, 10);
  CHECK(half.lo == Approx(0.2366).margin(5e-5));
  CHECK(half.hi == Approx(0.7634).margin(5e-5));
  // 0 of n: lower bound 0, upper z²/(n + z²) — not the zero-width interval of p ± z·SE.
  const auto none = wilson_95(0, 10);
  CHECK(none.lo == 0.0);
  CHECK(none.hi == Approx(3.8415 / 13.8415).margin(1e-4));
  // n of n mirrors 0 of n.
  const auto all = wilson_95(10, 10);
  CHECK(all.hi == Approx(1.0));
  CHECK(all.lo == Approx(1 - none.hi).margin(1e-12));
  // 1 of 83 (Brugada-HUCA's dev critical alerts): 0.2–6.5 %, whose top is above the 5 % target.
  const auto one = wilson_95(1, 83);
  CHECK(one.lo == Approx(0.00213).margin(5e-5));
  CHECK(one.hi == Approx(0.0651).margin(5e-5));
  // More records, same share: a narrower interval around it.
  const auto many = wilson_95(10, 830);
  CHECK(many.hi - many.lo < one.hi - one.lo);
  CHECK(many.lo < 10.0 / 830);
  CHECK(many.hi > 10.0 / 830);
  CHECK(wilson_95(0, 0).hi == 0.0);
}

TEST_CASE("record_bootstrap_95: records are resampled whole, deterministically", "[eval][stats]") {
  // Every record with the same share: every resample has it too.
  const std::vector<GrossErrors> same(20, GrossErrors{30, 3});
  const auto flat = record_bootstrap_95(same);
  CHECK(flat.lo == Approx(0.1));
  CHECK(flat.hi == Approx(0.1));
  // One record of twenty carries all the gross beats (the clustered tails of a delineation
  // set): the pooled share is 5 %, but another twenty records may well have none, or it twice.
  std::vector<GrossErrors> clustered(20, GrossErrors{30, 0});
  clustered[7] = GrossErrors{30, 30};
  const auto ci = record_bootstrap_95(clustered);
  CHECK(ci.lo == 0.0);  // P(record 7 never drawn) = 0.95²⁰ ≈ 36 %
  // The top is where record 7 is drawn 3–4 times (P(≥ 3) ≈ 7.5 %, P(≥ 4) ≈ 1.6 %): 15–20 %.
  CHECK(ci.hi >= 0.15);
  CHECK(ci.hi <= 0.20);
  // The same beats counted as independent would give a far narrower interval: the bootstrap
  // by record is the honest one for clustered tails.
  const auto beats = wilson_95(30, 600);
  CHECK(beats.hi < ci.hi);
  CHECK(beats.lo > ci.lo);
  // Deterministic: the same call gives the same interval.
  const auto again = record_bootstrap_95(clustered);
  CHECK(again.lo == ci.lo);
  CHECK(again.hi == ci.hi);
  CHECK(record_bootstrap_95({}).hi == 0.0);
}

TEST_CASE("ErrStats: per-record gross counts survive merging", "[eval][delineation]") {
  ErrStats a, b, c, db, all;
  a.err_ms = {0, 50, -60};  // two > 40 ms
  b.err_ms = {};            // a record with no measured beats still counts as a record
  c.err_ms = {41, 5};
  db.merge(a);
  db.merge(b);
  all.merge(db);
  all.merge(c);
  const auto per = all.per_record_gross(40);
  REQUIRE(per.size() == 3);
  CHECK(per[0].measured == 3);
  CHECK(per[0].above == 2);
  CHECK(per[1].measured == 0);
  CHECK(per[2].measured == 2);
  CHECK(per[2].above == 1);
  const auto single = a.per_record_gross(40);
  REQUIRE(single.size() == 1);
  CHECK(single[0].above == 2);
}

TEST_CASE("ErrStats: errors in ms from samples, missing fiducials apart", "[eval][delineation]") {
  ErrStats e;
  e.add(100, 110, 250.0);           // +10 samples at 250 Hz = +40 ms
  e.add(200, 190, 250.0);           // −40 ms
  e.add(300, std::nullopt, 250.0);  // detector gave nothing
  e.add(std::nullopt, 5, 250.0);    // not annotated: not scored
  CHECK(e.err_ms == std::vector<double>{40.0, -40.0});
  CHECK(e.missing == 1);
  CHECK(e.mean() == Approx(0));
  CHECK(e.sd() == Approx(std::sqrt(3200.0)));
}

TEST_CASE("print_delineation prints the gross-error share and p95 per fiducial",
          "[eval][delineation]") {
  DelineationReport report;
  DelineationStats s;
  s.records = 1;
  s.annotated = 4;
  s.onset.err_ms = {0, 4, -8, 60};      // one > 40 ms
  s.offset.err_ms = {-50, 45, 2, 2};    // two > 40 ms
  s.t_end.err_ms = {-79, 81, 100, 10};  // two > 80 ms
  report.databases.push_back({"qtdb", s});
  std::ostringstream out;
  print_delineation(out, report, false);
  const auto text = out.str();
  CHECK(text.find("|error| > 40 ms in  25.0 % of beats (1/4)") != std::string::npos);
  CHECK(text.find("|error| > 40 ms in  50.0 % of beats (2/4)") != std::string::npos);
  CHECK(text.find("|error| > 80 ms in  50.0 % of beats (2/4)") != std::string::npos);
  // T end p95 of |e| = {10, 79, 81, 100}: position 2.85 → 81 + 0.85·19 = 97.15.
  CHECK(text.find("p95 |error|   97.2 ms") != std::string::npos);
  // One record: no interval over records is printed (there is nothing to resample).
  CHECK(text.find("CI over records") == std::string::npos);

  // Two records, one with every T end off: the interval runs from 0 to 100 %.
  DelineationStats r1, r2, two;
  r1.t_end.err_ms = {100, 100};
  r2.t_end.err_ms = {0, 0};
  two.merge(r1);
  two.merge(r2);
  DelineationReport report2;
  report2.databases.push_back({"ludb", two});
  std::ostringstream out2;
  print_delineation(out2, report2, false);
  CHECK(out2.str().find("|error| > 80 ms in  50.0 % of beats (2/4)  p95 |error|  100.0 ms  95 % CI "
                        "over records 0.0–100.0 %") != std::string::npos);
  CHECK(out2.str().find("not reported") == std::string::npos);  // nothing missing, no line

  // T ends analyze did not report: the share of reported beats, then the share counting each
  // unreported beat as a gross error.
  two.t_end.missing = 2;
  DelineationReport report3;
  report3.databases.push_back({"ludb", two});
  std::ostringstream out3;
  print_delineation(out3, report3, false);
  CHECK(out3.str().find("|error| > 80 ms in  50.0 % of beats (2/4)") != std::string::npos);
  CHECK(out3.str().find("not reported for 2 beats; counting them as off by more:  66.7 % (4/6)") !=
        std::string::npos);
  CHECK(out3.str().find("a second lead confirms") == std::string::npos);  // no LUDB reference

  // LUDB beats scored against the latest T end a second lead confirms: its own line.
  two.t_end_confirmed.err_ms = {100, 10, 0, 0};
  DelineationReport report4;
  report4.databases.push_back({"ludb", two});
  std::ostringstream out4;
  print_delineation(out4, report4, false);
  CHECK(
      out4.str().find("LUDB beats against the latest T end a second lead confirms (within 40 ms): "
                      "> 80 ms in  25.0 % (1/4)") != std::string::npos);
}

TEST_CASE("run_delineation: LUDB 29's T-end tail is one lead's late annotation",
          "[eval][delineation][data]") {
  const auto data = dev_data_with("ludb/data/29.hea");
  if (!data) return;
  DelineationOptions options;
  options.data = *data;
  options.db = "ludb";
  options.only = "29";
  const auto report = run_delineation(options);
  REQUIRE(report.databases.size() == 1);
  const auto& s = report.databases[0].stats;
  REQUIRE(s.records == 1);
  // Lead II's T end is annotated ~150 ms after every other lead's, on a lead with almost no T
  // wave: against the latest lead most beats are gross errors, against the latest T end that a
  // second lead confirms none is.
  REQUIRE(s.t_end.err_ms.size() >= 6);
  CHECK(s.t_end_confirmed.err_ms.size() == s.t_end.err_ms.size());
  CHECK(gross_errors(s.t_end.err_ms, kGrossTEndMs).above >= 5);
  CHECK(gross_errors(s.t_end_confirmed.err_ms, kGrossTEndMs).above == 0);
}

TEST_CASE("run_delineation: beats keep near the median beat's J on an upsloping ST (QTDB)",
          "[eval][delineation][data]") {
  // sele0606 (ST-change record, upsloping ST depression in ML5) and sel820: their local templates'
  // spatial velocity stayed above the J threshold on the sloping ST, so the beats' J drifted up
  // to 40 ms past the median beat's: 11 of sele0606's 30 annotated beats and 4 of sel820's were
  // > 40 ms after the cardiologist's J (mean +41 and +30 ms). A beat's J now comes at most
  // 16 ms after the median beat's (DelineationParams::hint_j_late_s).
  for (const char* rec : {"sele0606", "sel820"}) {
    const auto data = dev_data_with(std::string("qtdb/") + rec + ".hea");
    if (!data) return;
    DelineationOptions options;
    options.data = *data;
    options.db = "qtdb";
    options.only = rec;
    const auto report = run_delineation(options);
    REQUIRE(report.databases.size() == 1);
    const auto& s = report.databases[0].stats;
    REQUIRE(s.records == 1);
    REQUIRE(s.offset.err_ms.size() >= 25);
    INFO(rec);
    CHECK(gross_errors(s.offset.err_ms, kGrossJMs).above == 0);
    CHECK(s.offset.mean() < 20);
  }
}

TEST_CASE("print_injection: each cell's critical share with its Wilson interval",
          "[eval][inject]") {
  InjectionReport report;
  report.baselines = 46;
  InjectionCell cell;
  cell.territory = "anterior";
  cell.factor = 1.0;
  cell.peak_uv = 200;
  cell.n = 46;
  // 50 % of 46: 0.5 ± 1.96·√(0.25/46 + 1.96²/(4·46²)) / (1 + 1.96²/46) = 36.1–63.9 %
  cell.critical = 23;
  cell.urgent = 20;
  cell.routine = 3;
  report.cells.push_back(cell);
  std::ostringstream out;
  print_injection(out, report, false);
  CHECK(out.str().find("23 ( 50.0 %,  36– 64 %)      20        3") != std::string::npos);
  CHECK(out.str().find("all: 23 of 46 critical (50.0 %)") != std::string::npos);
}

TEST_CASE("match_beats: one-to-one, nearest unmatched detection within the window", "[eval][qrs]") {
  const std::vector<std::int64_t> ref = {100, 200, 300};
  const std::vector<std::int64_t> det = {105, 190, 195, 500};
  const auto c = match_beats(ref, det, 10);
  CHECK(c.tp == 2);  // 100↔105, 200↔195 (nearer than 190)
  CHECK(c.fn == 1);
  CHECK(c.fn_samples == std::vector<std::int64_t>{300});
  CHECK(c.fp == 2);
  CHECK(c.fp_samples == std::vector<std::int64_t>{190, 500});
}

TEST_CASE("group_of: acute STEMI, candidates and the rest", "[eval][stemi]") {
  CHECK(group_of("acute_STEMI_anterior+lateral;mimic_LVH") == Group::positive);
  CHECK(group_of("acute_STEMI_candidate_inferior+lateral_(day2)") == Group::candidate);
  CHECK(group_of("acute_or_recent_MI_candidate_anterior") == Group::candidate);
  CHECK(group_of("MI_stadium_III_inferior") == Group::negative);
  CHECK(group_of("mimic_Brugada") == Group::negative);
}

TEST_CASE("tally: per database and class from known findings", "[eval][stemi]") {
  using triage::Category;
  using triage::Tier;
  std::vector<StemiRecord> records = {
      record("brugada_huca", "mimic_Brugada", false, Category::confounded, Tier::urgent,
             {"brugada"}),
      record("brugada_huca", "mimic_Brugada", false, Category::stemi, Tier::critical),
      record("brugada_huca", "normal", false, Category::normal),
      record("brugada_huca", "normal", false, Category::confounded, Tier::urgent, {"paced"}),
      record("brugada_huca", "other_abnormal", false, Category::stemi, Tier::critical, {},
             "metadata.csv: brugada=1; basal_pattern=0; sudden_death=0"),
      record("brugada_huca", "other_abnormal", false, Category::abnormal, Tier::routine, {},
             "metadata.csv: brugada=0; basal_pattern=1; sudden_death=0"),
      record("ludb", "acute_STEMI_anterior+lateral;mimic_LVH", true, Category::normal),
      record("ludb", "normal", true, Category::stemi_equivalent, Tier::urgent),
      record("ludb", "mimic_LVH", true, std::nullopt),
  };
  records[3].pacing_spikes = true;  // the normal baseline read as paced
  const auto dbs = tally(records);
  REQUIRE(dbs.size() == 2);
  CHECK(dbs[0].source == "brugada_huca");  // first-seen order
  const auto& bh = dbs[0];
  CHECK(bh.all.n == 6);
  CHECK(bh.all.critical == 2);
  CHECK(bh.all.urgent == 2);
  CHECK(bh.all.stemi == 2);
  CHECK(bh.all.normal == 1);
  CHECK(bh.all.brugada == 1);
  CHECK(bh.all.paced == 1);
  CHECK(bh.all.spikes == 1);
  CHECK(class_of(bh, "normal").spikes == 1);
  CHECK(class_of(bh, "mimic_Brugada").spikes == 0);
  CHECK(class_of(bh, "mimic_Brugada").n == 2);
  CHECK(class_of(bh, "mimic_Brugada").critical == 1);
  CHECK(class_of(bh, "mimic_Brugada").urgent == 1);
  CHECK(class_of(bh, "normal").urgent == 1);
  CHECK(class_of(bh, "mimic_Brugada").brugada == 1);
  CHECK(class_of(bh, "other_abnormal").n == 2);
  CHECK(class_of(bh, "other_abnormal: Brugada syndrome, no basal pattern").critical == 1);
  CHECK(class_of(bh, "other_abnormal: basal pattern, no Brugada diagnosis").n == 1);
  CHECK(class_of(bh, "other_abnormal: basal pattern, no Brugada diagnosis").critical == 0);

  const auto& ludb = dbs[1];
  CHECK(ludb.all.n == 3);
  CHECK(ludb.all.errors == 1);
  CHECK(ludb.all.equivalent == 1);
  CHECK(ludb.all.urgent == 1);                // the unreadable record has no tier
  CHECK(class_of(ludb, "mimic_LVH").n == 2);  // a record counts in each of its classes
  CHECK(class_of(ludb, "acute_STEMI_anterior+lateral").normal == 1);

  const auto h = headline(records);
  CHECK(h.brugada_huca_n == 6);
  CHECK(h.brugada_huca_critical == 2);
  CHECK(h.spontaneous_n == 2);
  CHECK(h.spontaneous_brugada == 1);
  CHECK(h.dev_negative_n == 2);  // the unreadable one counts, and raises no alert
  CHECK(h.dev_negative_critical == 0);
  CHECK(h.acute_n == 1);
  CHECK(h.acute_normal == 1);
  CHECK(h.acute_critical == 0);
  CHECK(h.acute_at_once == 0);

  // An acute STEMI read now: critical or urgent counts, routine does not.
  records.push_back(record("ludb", "acute_STEMI_inferior", true, Category::abnormal, Tier::urgent));
  records.push_back(record("ludb", "acute_STEMI_inferior", true, Category::stemi, Tier::critical));
  records.push_back(record("ludb", "acute_STEMI_inferior", true, Category::abnormal));
  const auto h2 = headline(records);
  CHECK(h2.acute_n == 4);
  CHECK(h2.acute_critical == 1);
  CHECK(h2.acute_at_once == 2);
}

TEST_CASE("patient override: replaces only what it sets, and reaches the thresholds",
          "[eval][stemi]") {
  triage::PatientContext shipped;
  shipped.age_years = 70;
  shipped.sex = triage::Sex::female;
  shipped.chest_pain = true;

  const auto m40 = parse_patient_override("M,40");
  const auto as_m40 = apply_override(shipped, m40);
  CHECK(as_m40.sex == triage::Sex::male);
  CHECK(as_m40.age_years == 40);
  CHECK(as_m40.chest_pain);
  CHECK(m40.label() == "as M, 40 y");

  const auto only_sex = apply_override(shipped, parse_patient_override("M"));
  CHECK(only_sex.sex == triage::Sex::male);
  CHECK(only_sex.age_years == 70);
  const auto only_age = apply_override(triage::PatientContext{}, parse_patient_override(",25"));
  CHECK(only_age.sex == triage::Sex::unknown);
  CHECK(only_age.age_years == 25);
  CHECK(PatientOverride{}.label() == "as shipped");

  // Chest pain: set by the override, never cleared by one that does not set it.
  auto pain = m40;
  pain.chest_pain = true;
  CHECK(pain.label() == "as M, 40 y, with chest pain");
  CHECK(PatientOverride{{}, {}, true}.label() == "as shipped, with chest pain");
  CHECK_FALSE(PatientOverride{{}, {}, true}.empty());
  CHECK(apply_override(triage::PatientContext{}, pain).chest_pain);
  CHECK_FALSE(apply_override(triage::PatientContext{}, m40).chest_pain);
  CHECK(apply_override(shipped, PatientOverride{}).age_years == 70);

  // The point of reading Brugada-HUCA "as a man of 40": the V2–V3 voltage threshold of the
  // Fourth Universal Definition follows the override (men ≥ 40 y 0.2 mV, < 40 y 0.25 mV).
  CHECK(triage::ste_threshold_uv("V2", as_m40) == Approx(200));
  CHECK(triage::ste_threshold_uv("V2", apply_override(shipped, parse_patient_override("M,30"))) ==
        Approx(250));

  CHECK_THROWS_AS(parse_patient_override(""), std::invalid_argument);
  CHECK_THROWS_AS(parse_patient_override("X,40"), std::invalid_argument);
  CHECK_THROWS_AS(parse_patient_override("M,forty"), std::invalid_argument);
  CHECK_THROWS_AS(parse_patient_override("M,40y"), std::invalid_argument);
  CHECK_THROWS_AS(parse_patient_override("M,200"), std::invalid_argument);
  CHECK(parse_sex_option("U") == triage::Sex::unknown);
}

TEST_CASE("read_manifest: both layouts, CRLF line ends", "[eval][stemi]") {
  const auto dir = fs::temp_directory_path() / "gc_eval_manifest_test";
  fs::create_directories(dir);
  const auto path = dir / "MANIFEST.tsv";
  {
    std::ofstream out(path, std::ios::binary);
    out << "source\trecord_id\trelative_path\tsample_rate_hz\tn_leads\tduration_s\tlabels_verbatim"
           "\tlabel_class\r\n"
        << "brugada_huca\t1177018\t1177018.hea\t100.0\t12\t12.0\tmetadata.csv: brugada=0; "
           "basal_pattern=0\tnormal\r\n"
        << "\r\n"
        << "brugada_huca\t42\t42.hea\t100.0\t12\t12.0\tbrugada=1; "
           "basal_pattern=1\tmimic_Brugada\r\n";
  }
  const auto rows = read_manifest(path, false);
  fs::remove_all(dir);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].source == "brugada_huca");
  CHECK(rows[0].record_id == "1177018");
  CHECK(rows[0].label_class == "normal");  // no trailing '\r'
  CHECK(rows[0].n_leads == 12);
  CHECK(rows[0].base_dir == dir);
  CHECK_FALSE(rows[0].dev_set);
  CHECK(rows[1].label_class == "mimic_Brugada");
  CHECK(rows[1].labels_verbatim == "brugada=1; basal_pattern=1");
}

TEST_CASE("run_stemi on the dev data: one Brugada-HUCA record, read twice", "[eval][stemi][data]") {
  const fs::path data = GC_ECG_DATA_DIR;
  if (!fs::exists(data / "brugada-huca" / "MANIFEST.tsv")) {
    WARN("no Brugada-HUCA at " GC_ECG_DATA_DIR " — skipped");
    return;
  }
  StemiOptions options;
  options.data = data;
  options.only = "1177018";
  options.also_as = parse_patient_override("M,40");
  const auto report = run_stemi(options);
  REQUIRE(report.readings.size() == 2);
  for (const auto& reading : report.readings) {
    REQUIRE(reading.records.size() == 1);
    const auto& r = reading.records.front();
    CHECK(r.row.source == "brugada_huca");
    CHECK(r.row.label_class == "normal");
    CHECK_FALSE(r.row.dev_set);
    CHECK(r.finding.has_value());  // read from the data folder in place
  }
  CHECK(report.readings[1].patient.label() == "as M, 40 y");
  std::ostringstream out;
  print_stemi(out, report, false);
  CHECK(out.str().find("=== issue 12: every record read as shipped ===") != std::string::npos);
  CHECK(out.str().find("=== issue 12: every record read as M, 40 y ===") != std::string::npos);
  CHECK(out.str().find("brugada-huca critical alerts:") != std::string::npos);
  // The headline rates carry their Wilson interval.
  CHECK(out.str().find("95 % CI") != std::string::npos);
}

TEST_CASE("criterion_peak_uv: the smallest pattern peak meeting the criteria in two contiguous leads",
          "[eval][inject]") {
  gc::triage::PatientContext man40;
  man40.sex = gc::triage::Sex::male;
  man40.age_years = 40;
  // Anterior: V3 and V4 carry the full peak; V3 needs 0.20 mV in a man of 40.
  CHECK(criterion_peak_uv("anterior", man40) == Approx(200));
  // Inferior (III > aVF > II): aVF carries 0.85 of the peak and needs 0.10 mV → 118 → 120.
  CHECK(criterion_peak_uv("inferior", man40) == Approx(120));
  gc::triage::PatientContext woman = man40;
  woman.sex = gc::triage::Sex::female;
  CHECK(criterion_peak_uv("anterior", woman) == Approx(150));
}

TEST_CASE("run_injection: occlusion in young adults' baselines still raises critical alerts",
          "[eval][inject][data]") {
  const fs::path data = GC_ECG_DATA_DIR;
  if (!fs::exists(data / "brugada-huca" / "MANIFEST.tsv")) {
    WARN("no Brugada-HUCA at " GC_ECG_DATA_DIR " — skipped");
    return;
  }
  InjectionOptions options;
  options.data = data;
  options.factors = {2.0};
  options.territories = {"inferior", "extensive_anterior"};
  const auto report = run_injection(options);
  REQUIRE(report.baselines >= 40);
  REQUIRE(report.cells.size() == 2);
  for (const auto& c : report.cells) {
    CAPTURE(c.territory, c.critical, c.n);
    CHECK(c.n == report.baselines);
    // Twice the criterion with the territory's reciprocal depression: every one critical.
    CHECK(c.critical >= c.n - 1);
  }
}

TEST_CASE("run_stemi --chest-pain: an acute STEMI read abnormal goes from routine to urgent",
          "[eval][stemi][data]") {
  // LUDB 33 (acute anterior + lateral STEMI with LVH) is read abnormal: routine without chest
  // pain, an urgent human read with it (triage/src/tier_policy.cpp). The option must reach every
  // reading, the also-as one included.
  const auto data = dev_data_with("ludb/data/33.hea");
  if (!data) return;
  StemiOptions options;
  options.data = *data;
  options.only = "ludb/data/33.hea";
  const auto without = run_stemi(options);
  REQUIRE(without.readings.size() == 1);
  REQUIRE(without.readings[0].records.size() == 1);
  REQUIRE(without.readings[0].records[0].finding);
  CHECK(without.readings[0].records[0].finding->tier == triage::Tier::routine);
  CHECK(headline(without.readings[0].records).acute_at_once == 0);

  options.chest_pain = true;
  options.also_as = parse_patient_override("M,40");
  const auto with = run_stemi(options);
  REQUIRE(with.readings.size() == 2);
  for (const auto& reading : with.readings) {
    CHECK(reading.patient.chest_pain);
    REQUIRE(reading.records.size() == 1);
    REQUIRE(reading.records[0].finding);
    CHECK(reading.records[0].finding->tier == triage::Tier::urgent);
    const auto h = headline(reading.records);
    CHECK(h.acute_n == 1);
    CHECK(h.acute_at_once == 1);
    CHECK(h.acute_normal == 0);
  }
  std::ostringstream out;
  print_stemi(out, with, false);
  CHECK(
      out.str().find("every record read as shipped, with chest pain (--sex/--age/--chest-pain)") !=
      std::string::npos);
  CHECK(out.str().find("=== issue 12: every record read as M, 40 y, with chest pain ===") !=
        std::string::npos);
  CHECK(out.str().find("dev acute STEMI read now (critical or urgent tier):  100.0 % (1/1;") !=
        std::string::npos);
}
