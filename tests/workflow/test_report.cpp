// Report aggregation and its three renderings: known-answer statistics on hand-built cases,
// the seed case listed compliant, CSV totals equal to JSON totals, self-contained HTML.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <map>
#include <sstream>

#include "gc/case_synth.hpp"
#include "gc/report.hpp"

using namespace gc::workflow;
namespace json = boost::json;

namespace {

const TimeZone kShanghai;
constexpr std::int64_t kMin = 60'000;

UnixMs day(const char* date_time) {
  return parse_instant(date_time, kShanghai);
}

ReportOptions may_2026() {
  ReportOptions o;
  o.from_ms = day("2026-05-01");
  o.to_ms = day("2026-06-01");
  o.generated_ms = day("2026-06-02T09:00");
  return o;
}

TimeNodeEvent ev(NodeKind k, UnixMs t) {
  TimeNodeEvent e;
  e.kind = k;
  e.raw_ms = t;
  e.source = "cli";
  e.clock = "server";
  e.recorded_ms = t;
  return e;
}

// A primary-PCI case with the given FMC→ECG and door→wire minutes.
Case pci_case(std::int64_t id, const std::string& clinic, UnixMs fmc, int fmc2ecg_min,
              int d2w_min) {
  Case c;
  c.info.case_id = id;
  c.info.clinic = clinic;
  c.info.opened_ms = fmc;
  c.info.outcome = Outcome::stemi;
  c.append(ev(NodeKind::fmc, fmc));
  c.append(ev(NodeKind::first_ecg, fmc + fmc2ecg_min * kMin));
  const UnixMs door = fmc + 20 * kMin;
  c.append(ev(NodeKind::door_in, door));
  c.append(ev(NodeKind::wire_crossing, door + d2w_min * kMin));
  return c;
}

std::vector<std::string> split_csv_line(const std::string& line) {
  // Enough CSV for the totals section: quoted fields with doubled quotes.
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

}  // namespace

TEST_CASE("report: known-answer statistics on four hand-built cases") {
  // D2W 30, 60, 100, 120 min → mean 77.5, median 80, 2/4 = 50 % compliant (< 75 %: fails).
  // FMC→ECG 5, 8, 12, 9 → mean 8.5 (< 10 passes), 3/4 = 75 % compliant (passes).
  std::vector<Case> cases = {
      pci_case(1, "A", day("2026-05-03T10:00"), 5, 30),
      pci_case(2, "A", day("2026-05-10T10:00"), 8, 60),
      pci_case(3, "B", day("2026-05-20T10:00"), 12, 100),
      pci_case(4, "B", day("2026-05-28T10:00"), 9, 120),
      pci_case(5, "B", day("2026-04-28T10:00"), 1, 1),  // outside the period
  };
  DelayReason reason;
  reason.reason = "cath lab busy";
  reason.interval_key = "d2w";
  cases[3].append(reason);

  const Report r = build_report(cases, may_2026());
  REQUIRE(r.cases.size() == 4);
  const auto& d2w = r.totals.rules[2];
  REQUIRE(d2w.rule_key == "d2w");
  CHECK(d2w.n_measured == 4);
  CHECK(d2w.n_compliant == 2);
  CHECK(*d2w.mean_min == Approx(77.5));
  CHECK(*d2w.median_min == Approx(80));
  CHECK(*d2w.min_min == Approx(30));
  CHECK(*d2w.max_min == Approx(120));
  CHECK(*d2w.pct_compliant == Approx(50));
  CHECK(d2w.mean_target_met == true);
  CHECK(d2w.pct_target_met == false);
  const auto& fmc2ecg = r.totals.rules[0];
  CHECK(*fmc2ecg.mean_min == Approx(8.5));
  CHECK(*fmc2ecg.pct_compliant == Approx(75));
  CHECK(fmc2ecg.pct_target_met == true);

  // Per clinic: A has D2W 30, 60; B has 100, 120.
  REQUIRE(r.clinics.size() == 2);
  CHECK(r.clinics[0].label == "A");
  CHECK(*r.clinics[0].rules[2].mean_min == Approx(45));
  CHECK(*r.clinics[1].rules[2].mean_min == Approx(110));
  CHECK(r.clinics[1].rules[2].mean_target_met == false);
  REQUIRE(r.months.size() == 1);
  CHECK(r.months[0].label == "2026-05");

  // Outliers: case 3 (D2W 100) without reasons, case 4 (D2W 120) with its reason; FMC→ECG 12
  // for case 3; FMC→wire 20 + 120 = 140 > 120 for case 4 (case 3: 120, on target).
  std::map<std::pair<std::int64_t, std::string>, std::vector<std::string>> outliers;
  for (const auto& o : r.outliers) outliers[{o.case_id, o.rule_key}] = o.delay_reasons;
  CHECK(outliers.size() == 4);
  CHECK(outliers.count({4, "fmc2w"}) == 1);
  CHECK(outliers.count({3, "d2w"}) == 1);
  CHECK(outliers.count({3, "fmc2ecg"}) == 1);
  REQUIRE(outliers.count({4, "d2w"}) == 1);
  CHECK(outliers[{4, "d2w"}] == std::vector<std::string>{"cath lab busy"});

  std::map<std::string, std::optional<bool>> checks;
  for (const auto& c : r.checks) checks[c.key] = c.passed;
  CHECK(checks["fmc2ecg_mean"] == true);
  CHECK(checks["fmc2ecg_pct"] == true);
  CHECK(checks["d2w_mean"] == true);
  CHECK(checks["d2w_pct"] == false);
  CHECK_FALSE(checks["d2n_mean"].has_value());  // no lysis cases: not judged
  // No ambulance-borne STEMI among these walk-ins: the ratio checks have no data.
  CHECK_FALSE(checks["bypass_ed"].has_value());

  // The clinic filter.
  auto only_a = may_2026();
  only_a.clinic = "A";
  const Report ra = build_report(cases, only_a);
  CHECK(ra.cases.size() == 2);
  CHECK(*ra.totals.rules[2].mean_min == Approx(45));
}

TEST_CASE("report: a month across two months of data judges each month") {
  std::vector<Case> cases = {
      pci_case(1, "A", day("2026-05-03T10:00"), 5, 60),
      pci_case(2, "A", day("2026-06-10T10:00"), 5, 130),
  };
  auto o = may_2026();
  o.to_ms = day("2026-07-01");
  const Report r = build_report(cases, o);
  REQUIRE(r.months.size() == 2);
  CHECK(*r.totals.rules[2].mean_min == Approx(95));
  for (const auto& c : r.checks) {
    if (c.key == "d2w_mean") {
      CHECK(c.passed == false);
      CHECK(c.detail.find("2026-06 130") != std::string::npos);
    }
  }
}

TEST_CASE("report: ratio checks for remote ECG transmission and ED bypass") {
  auto ambulance = [](std::int64_t id, bool transmitted, bool bypass) {
    Case c = pci_case(id, "EMS", day("2026-05-05T08:00") + id * 3600'000, 5, 50);
    c.append(ev(NodeKind::call_for_help, c.info.opened_ms - 20 * kMin));
    if (transmitted) c.append(ev(NodeKind::ecg_transmitted, c.info.opened_ms + 6 * kMin));
    if (bypass) {
      FlagEvent f;
      f.flag = CaseFlag::bypassed_ed;
      c.append(f);
    }
    return c;
  };
  // 1 of 4 transmitted (25 %: fails), 2 of 4 bypassed (50 %: passes).
  std::vector<Case> cases = {ambulance(1, true, true), ambulance(2, false, true),
                             ambulance(3, false, false), ambulance(4, false, false),
                             pci_case(9, "walk-in", day("2026-05-06T08:00"), 5, 50)};
  const Report r = build_report(cases, may_2026());
  std::map<std::string, const CheckResult*> checks;
  for (const auto& c : r.checks) checks[c.key] = &c;
  REQUIRE(checks.count("remote_ecg_transmission"));
  CHECK(*checks["remote_ecg_transmission"]->value == Approx(25));
  CHECK(checks["remote_ecg_transmission"]->passed == false);
  CHECK(checks["remote_ecg_transmission"]->detail == "1/4 cases");
  CHECK(*checks["bypass_ed"]->value == Approx(50));
  CHECK(checks["bypass_ed"]->passed == true);
}

TEST_CASE("report: the seed case is listed compliant in every format") {
  const Report r = build_report({seed_case(42)}, may_2026());
  REQUIRE(r.cases.size() == 1);
  CHECK(r.cases[0].compliant);
  CHECK(r.outliers.empty());

  const auto j = json::parse(to_json(r));
  const auto& c = j.at("cases").at(0);
  CHECK(c.at("case_id").as_int64() == 42);
  CHECK(c.at("compliant").as_bool());
  CHECK(c.at("intervals").at("fmc2w").at("minutes").to_number<double>() == Approx(49));
  CHECK(c.at("intervals").at("d2w").at("minutes").to_number<double>() == Approx(29));
  CHECK(c.at("intervals").at("d2w").at("compliant").as_bool());
  CHECK(c.at("nodes").at("wire_crossing").as_string() == "2026-05-12T16:54:00+08:00");

  const auto csv = to_csv(r);
  CHECK(csv.find("\r\n42,P-seed,石桥乡卫生院,cart-shiqiao-01,transfer_pci,stemi,yes,") !=
        std::string::npos);
  CHECK(csv.find("2026-05-12 16:54") != std::string::npos);

  const auto html = to_html(r);
  CHECK(html.find("id=\"case-42\">") != std::string::npos);  // no class="late"
  CHECK(html.find("2026-05-12 16:54") != std::string::npos);
}

TEST_CASE("report: CSV totals agree with JSON totals on a synthetic month") {
  SynthCasesOptions so;
  so.from_ms = day("2026-05-01");
  so.to_ms = day("2026-06-01");
  so.n_cases = 300;
  so.seed = 7;
  const auto cases = synth_cases(so);
  for (const auto& version : {"cn-cpc-2021", "esc-2023", "acc-aha-2013"}) {
    INFO(version);
    auto o = may_2026();
    o.rules_version = version;
    const Report r = build_report(cases, o);
    CHECK(r.cases.size() == 300);
    const auto j = json::parse(to_json(r));
    const auto csv = to_csv(r);

    // Collect the CSV totals section keyed by (section, label, rule).
    std::istringstream in(csv);
    std::string line;
    bool in_totals = false;
    std::vector<std::string> header;
    std::map<std::string, std::map<std::string, std::string>> rows;
    while (std::getline(in, line)) {
      if (line == "# totals\r") {
        in_totals = true;
        std::getline(in, line);
        header = split_csv_line(line);
        continue;
      }
      if (!in_totals) continue;
      if (line == "\r" || line.empty()) break;
      const auto f = split_csv_line(line);
      REQUIRE(f.size() == header.size());
      std::map<std::string, std::string> m;
      for (std::size_t i = 0; i < f.size(); ++i) m[header[i]] = f[i];
      rows[f[0] + "|" + f[1] + "|" + f[2]] = m;
    }
    const auto compare = [&](const char* section, const json::value& period) {
      const std::string label(period.at("label").as_string());
      for (const auto& rule : period.at("rules").as_array()) {
        const std::string k =
            std::string(section) + "|" + label + "|" + std::string(rule.at("key").as_string());
        INFO(k);
        REQUIRE(rows.count(k) == 1);
        auto& row = rows[k];
        for (const char* field : {"n_applicable", "n_measured", "n_compliant"}) {
          CHECK(std::stoll(row[field]) == rule.at(field).as_int64());
        }
        for (const char* field :
             {"pct_compliant", "mean_min", "median_min", "min_min", "max_min"}) {
          if (rule.at(field).is_null()) {
            CHECK(row[field].empty());
          } else {
            REQUIRE_FALSE(row[field].empty());
            CHECK(std::stod(row[field]) == rule.at(field).to_number<double>());
          }
        }
        CHECK(std::stoll(row["n_cases"]) == period.at("n_cases").as_int64());
        rows.erase(k);
      }
    };
    compare("total", j.at("totals"));
    for (const auto& m : j.at("months").as_array()) compare("month", m);
    for (const auto& c : j.at("clinics").as_array()) compare("clinic", c);
    CHECK(rows.empty());  // nothing in the CSV that the JSON lacks
    // Per-case rows: one per case, plus the header.
    const auto first_blank = csv.find("\r\n\r\n");
    REQUIRE(first_blank != std::string::npos);
    std::size_t n_lines = 0;
    for (std::size_t i = 0; i < first_blank; ++i) n_lines += csv[i] == '\n';
    CHECK(n_lines == r.cases.size());  // header + rows, the last row's CRLF is the blank's first
  }
}

TEST_CASE("report: a synthetic month looks like a real one") {
  SynthCasesOptions so;
  so.from_ms = day("2026-05-01");
  so.to_ms = day("2026-06-01");
  so.n_cases = 80;
  so.seed = 2026;
  const auto a = synth_cases(so);
  const auto b = synth_cases(so);
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i)
    CHECK(a[i].nodes.size() == b[i].nodes.size());  // deterministic
  const Report r = build_report(a, may_2026());
  std::map<Pathway, int> pathways;
  for (const auto& row : r.cases) pathways[row.pathway]++;
  CHECK(pathways[Pathway::primary_pci] > 0);
  CHECK(pathways[Pathway::transfer_pci] > 0);
  CHECK(pathways[Pathway::lysis] > 0);
  CHECK(pathways[Pathway::not_stemi] > 0);
  CHECK_FALSE(r.outliers.empty());               // some late cases …
  CHECK(*r.totals.rules[2].pct_compliant > 50);  // … but most on time
  std::size_t with_reason = 0;
  for (const auto& o : r.outliers) with_reason += !o.delay_reasons.empty();
  CHECK(with_reason > 0);
  CHECK(r.clinics.size() == so.clinics.size());
}

TEST_CASE("report: HTML is self-contained with the three charts") {
  SynthCasesOptions so;
  so.from_ms = day("2026-05-01");
  so.to_ms = day("2026-06-01");
  so.n_cases = 60;
  const auto html = to_html(build_report(synth_cases(so), may_2026()));
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("src=") == std::string::npos);
  CHECK(html.find("<link") == std::string::npos);
  CHECK(html.find("url(") == std::string::npos);
  CHECK(html.find("class=\"chart histogram\"") != std::string::npos);
  std::size_t n_svg = 0;
  for (auto p = html.find("<svg"); p != std::string::npos; p = html.find("<svg", p + 1)) ++n_svg;
  CHECK(n_svg >= 3);
  CHECK(html.find("90 min</text>") != std::string::npos);  // the D2W target line is labelled
  CHECK(html.find("</html>") != std::string::npos);
  // Names are escaped.
  Case c = seed_case(5);
  c.info.clinic = "<b>x</b> & co";
  const auto h2 = to_html(build_report({c}, may_2026()));
  CHECK(h2.find("<b>x</b>") == std::string::npos);
  CHECK(h2.find("&lt;b&gt;x&lt;/b&gt; &amp; co") != std::string::npos);
}

TEST_CASE("report: CSV quotes and defuses free text") {
  Case c = seed_case(6);
  c.info.clinic = "=HYPERLINK(\"x\"), clinic";
  const auto csv = to_csv(build_report({c}, may_2026()));
  CHECK(csv.find(",\"'=HYPERLINK(\"\"x\"\"), clinic\",") != std::string::npos);
}
