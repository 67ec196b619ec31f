// Audit report for a chest-pain centre: per-case intervals against a versioned rule table,
// monthly means/medians and compliance rates, per-clinic comparison, outliers with their delay
// reasons, and the accreditation checks (DESIGN.md §5). Rendered as JSON, CSV (per-case rows and
// a totals section carrying the same numbers as the JSON) and self-contained HTML with inline SVG.
// Pure computation: the caller loads cases (CaseStore) or synthesises them (case_synth.hpp).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gc/workflow.hpp"

namespace gc::workflow {

struct ReportOptions {
  UnixMs from_ms = 0;  // period [from, to), by the case's reference time (FMC, else opened)
  UnixMs to_ms = 0;
  std::optional<std::string> clinic;  // only this clinic's cases
  std::string rules_version = "cn-cpc-2021";
  TimeZone tz;  // Asia/Shanghai by default
  std::string centre_name = "greenchannel chest pain centre";
  UnixMs generated_ms = 0;  // shown on the report (callers pass now; tests pass a constant)
};

// Statistics of one rule over a set of cases. Numbers that go into outputs are rounded to 0.01
// once, here, so JSON and CSV print the same values.
struct RuleStats {
  std::string rule_key;
  std::size_t n_applicable = 0;  // cases on a pathway the rule applies to
  std::size_t n_measured = 0;    // … with both nodes recorded in order
  std::size_t n_compliant = 0;
  std::optional<double> pct_compliant;  // of n_measured
  std::optional<double> mean_min;
  std::optional<double> median_min;
  std::optional<double> min_min;
  std::optional<double> max_min;
  std::optional<bool> mean_target_met;  // rule has a mean target and there is data
  std::optional<bool> pct_target_met;   // rule has a compliance threshold and there is data
};

struct CaseRow {
  CaseInfo info;
  Pathway pathway = Pathway::primary_pci;
  UnixMs reference_ms = 0;  // FMC, else opened
  std::array<std::optional<UnixMs>, kNodeKindCount> nodes;
  std::array<bool, kCaseFlagCount> flags{};
  std::vector<IntervalValue> intervals;  // one per rule of the table, in table order
  std::vector<Violation> violations;
  std::vector<DelayReason> delay_reasons;
  bool compliant = true;  // every measured per-case target met
};

struct PeriodStats {
  std::string label;  // "2026-05" for a month, clinic name for a clinic, "all" for totals
  std::size_t n_cases = 0;
  std::vector<RuleStats> rules;  // table order
};

struct Outlier {
  std::int64_t case_id = 0;
  std::string clinic;
  std::string rule_key;
  double minutes = 0;
  double target_min = 0;
  std::vector<std::string> delay_reasons;  // for this interval or the case as a whole
};

struct CheckResult {
  std::string key;  // "fmc2ecg_mean", "d2w_pct", "remote_ecg_transmission", …
  std::string description_en;
  std::string description_zh;
  std::optional<double> value;  // the measured mean (min) or percentage
  double threshold = 0;
  std::string comparison;      // "<", "<=", ">="
  std::optional<bool> passed;  // nullopt: no data to judge
  std::string detail;          // e.g. "12/30 cases", failing months
};

struct Report {
  ReportOptions options;
  const RuleTable* table = nullptr;
  std::vector<CaseRow> cases;  // sorted by reference time
  PeriodStats totals;
  std::vector<PeriodStats> months;   // local months, ascending
  std::vector<PeriodStats> clinics;  // by clinic name
  std::vector<Outlier> outliers;
  std::vector<CheckResult> checks;
  std::size_t n_violations = 0;
};

Report build_report(const std::vector<Case>& cases, const ReportOptions& options);

std::string to_json(const Report& report);
std::string to_csv(const Report& report);
std::string to_html(const Report& report);

// Rounds to 0.01 (what every output prints).
double round2(double v);

}  // namespace gc::workflow
