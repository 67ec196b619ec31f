// Report aggregation: cases → rows, per-rule statistics (totals, months, clinics), outliers and
// accreditation checks.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>

#include "gc/report.hpp"
#include "report_format.hpp"

namespace gc::workflow {
namespace {

struct RuleAcc {
  std::size_t n_applicable = 0;
  std::size_t n_compliant = 0;
  std::vector<double> values;
};

struct GroupAcc {
  std::size_t n_cases = 0;
  std::vector<RuleAcc> rules;
};

void add(GroupAcc& g, const CaseRow& row) {
  ++g.n_cases;
  for (std::size_t i = 0; i < row.intervals.size(); ++i) {
    const auto& v = row.intervals[i];
    auto& a = g.rules[i];
    if (!v.applicable) continue;
    ++a.n_applicable;
    if (v.minutes) {
      a.values.push_back(*v.minutes);
      if (v.compliant.value_or(false)) ++a.n_compliant;
    }
  }
}

bool meets(double value, double target, bool strict) {
  return strict ? value < target : value <= target;
}

PeriodStats finish(const std::string& label, GroupAcc& g, const RuleTable& table) {
  PeriodStats p;
  p.label = label;
  p.n_cases = g.n_cases;
  for (std::size_t i = 0; i < table.rules.size(); ++i) {
    const auto& rule = table.rules[i];
    auto& a = g.rules[i];
    RuleStats s;
    s.rule_key = rule.key;
    s.n_applicable = a.n_applicable;
    s.n_measured = a.values.size();
    s.n_compliant = a.n_compliant;
    if (!a.values.empty()) {
      const auto n = a.values.size();
      double sum = 0;
      for (double v : a.values) sum += v;
      s.mean_min = round2(sum / static_cast<double>(n));
      s.pct_compliant = round2(100.0 * static_cast<double>(a.n_compliant) / static_cast<double>(n));
      // Median: the middle value, or the mean of the two middle values.
      auto mid = a.values.begin() + static_cast<std::ptrdiff_t>(n / 2);
      std::nth_element(a.values.begin(), mid, a.values.end());
      double median = *mid;
      if (n % 2 == 0) median = (median + *std::max_element(a.values.begin(), mid)) / 2.0;
      s.median_min = round2(median);
      const auto [lo, hi] = std::minmax_element(a.values.begin(), a.values.end());
      s.min_min = round2(*lo);
      s.max_min = round2(*hi);
      // Judged on the rounded numbers the report prints, so what is shown and what is
      // judged agree.
      if (rule.mean_target)
        s.mean_target_met = meets(*s.mean_min, rule.target_min, rule.mean_strict);
      if (rule.min_compliant_pct) s.pct_target_met = *s.pct_compliant >= *rule.min_compliant_pct;
    }
    p.rules.push_back(std::move(s));
  }
  return p;
}

std::string fmt2(double v) {
  return detail::number(round2(v));
}

}  // namespace

double round2(double v) {
  return std::round(v * 100.0) / 100.0;
}

Report build_report(const std::vector<Case>& cases, const ReportOptions& options) {
  if (options.to_ms <= options.from_ms) throw Error("report period is empty (to ≤ from)");
  Report report;
  report.options = options;
  report.table = &rule_table(options.rules_version);
  const RuleTable& table = *report.table;

  report.cases.reserve(cases.size());
  for (const auto& c : cases) {
    if (options.clinic && c.info.clinic != *options.clinic) continue;
    Timeline t = resolve(c);
    const UnixMs reference = t.at(NodeKind::fmc).value_or(c.info.opened_ms);
    if (reference < options.from_ms || reference >= options.to_ms) continue;
    CaseRow row;
    row.info = c.info;
    row.pathway = t.pathway;
    row.reference_ms = reference;
    for (std::size_t i = 0; i < kNodeKindCount; ++i) {
      if (t.nodes[i]) row.nodes[i] = t.nodes[i]->at_ms;
    }
    row.flags = t.flags;
    row.intervals = compute_intervals(table, t);
    for (const auto& v : row.intervals) {
      if (v.compliant == false) row.compliant = false;
    }
    row.violations = std::move(t.violations);
    report.n_violations += row.violations.size();
    row.delay_reasons = c.delay_reasons;
    report.cases.push_back(std::move(row));
  }
  std::sort(report.cases.begin(), report.cases.end(), [](const CaseRow& a, const CaseRow& b) {
    return a.reference_ms != b.reference_ms ? a.reference_ms < b.reference_ms
                                            : a.info.case_id < b.info.case_id;
  });

  const auto empty_group = [&] {
    GroupAcc g;
    g.rules.resize(table.rules.size());
    return g;
  };
  GroupAcc total = empty_group();
  std::map<std::string, GroupAcc> months;
  std::map<std::string, GroupAcc> clinics;
  // Months are contiguous in the sorted rows: compute the month label only at boundaries.
  UnixMs month_end = std::numeric_limits<UnixMs>::min();
  GroupAcc* month = nullptr;
  for (const auto& row : report.cases) {
    add(total, row);
    if (row.reference_ms >= month_end || month == nullptr) {
      const auto label = local_month(row.reference_ms, options.tz);
      month = &months.try_emplace(label, empty_group()).first->second;
      month_end = next_month_start(row.reference_ms, options.tz);
    }
    add(*month, row);
    auto it = clinics.find(row.info.clinic);
    if (it == clinics.end()) it = clinics.emplace(row.info.clinic, empty_group()).first;
    add(it->second, row);
  }
  report.totals = finish("all", total, table);
  for (auto& [label, g] : months) report.months.push_back(finish(label, g, table));
  for (auto& [label, g] : clinics) report.clinics.push_back(finish(label, g, table));

  // Outliers: every measured interval beyond its per-case target, with the reasons on record.
  for (const auto& row : report.cases) {
    for (const auto& v : row.intervals) {
      if (v.compliant != false) continue;
      Outlier o;
      o.case_id = row.info.case_id;
      o.clinic = row.info.clinic;
      o.rule_key = v.rule->key;
      o.minutes = round2(*v.minutes);
      o.target_min = v.rule->target_min;
      for (const auto& r : row.delay_reasons) {
        if (r.interval_key.empty() || r.interval_key == v.rule->key)
          o.delay_reasons.push_back(r.reason);
      }
      report.outliers.push_back(std::move(o));
    }
  }

  // Accreditation checks: monthly means and compliance rates must hold in every month with data.
  for (std::size_t i = 0; i < table.rules.size(); ++i) {
    const auto& rule = table.rules[i];
    const auto& tot = report.totals.rules[i];
    if (rule.mean_target) {
      CheckResult c;
      c.key = rule.key + "_mean";
      c.description_en = "monthly mean " + rule.name_en + (rule.mean_strict ? " < " : " ≤ ") +
                         fmt2(rule.target_min) + " min";
      c.description_zh = "月平均" + rule.name_zh + (rule.mean_strict ? " < " : " ≤ ") +
                         fmt2(rule.target_min) + " 分钟";
      c.value = tot.mean_min;
      c.threshold = rule.target_min;
      c.comparison = rule.mean_strict ? "<" : "<=";
      std::string failing;
      for (const auto& m : report.months) {
        const auto& s = m.rules[i];
        if (!s.mean_target_met) continue;
        if (!c.passed) c.passed = true;
        if (!*s.mean_target_met) {
          c.passed = false;
          failing += (failing.empty() ? "" : ", ") + m.label + " " + fmt2(*s.mean_min);
        }
      }
      c.detail = std::to_string(tot.n_measured) + " cases measured";
      if (!failing.empty()) c.detail += "; failing months: " + failing;
      report.checks.push_back(std::move(c));
    }
    if (rule.min_compliant_pct) {
      CheckResult c;
      c.key = rule.key + "_pct";
      c.description_en = "≥ " + fmt2(*rule.min_compliant_pct) + " % of cases with " + rule.name_en +
                         (rule.case_strict ? " < " : " ≤ ") + fmt2(rule.target_min) + " min";
      c.description_zh = rule.name_zh + "达标率 ≥ " + fmt2(*rule.min_compliant_pct) + " %";
      c.value = tot.pct_compliant;
      c.threshold = *rule.min_compliant_pct;
      c.comparison = ">=";
      std::string failing;
      for (const auto& m : report.months) {
        const auto& s = m.rules[i];
        if (!s.pct_target_met) continue;
        if (!c.passed) c.passed = true;
        if (!*s.pct_target_met) {
          c.passed = false;
          failing += (failing.empty() ? "" : ", ") + m.label + " " + fmt2(*s.pct_compliant) + " %";
        }
      }
      c.detail = std::to_string(tot.n_compliant) + "/" + std::to_string(tot.n_measured) +
                 " cases compliant";
      if (!failing.empty()) c.detail += "; failing months: " + failing;
      report.checks.push_back(std::move(c));
    }
  }
  for (const auto& req : table.ratios) {
    std::size_t num = 0, den = 0;
    CheckResult c;
    c.key = std::string(key(req.check));
    c.threshold = req.min_pct;
    c.comparison = ">=";
    for (const auto& row : report.cases) {
      const bool ambulance = row.nodes[static_cast<std::size_t>(NodeKind::call_for_help)] ||
                             row.nodes[static_cast<std::size_t>(NodeKind::ambulance_dispatch)] ||
                             row.nodes[static_cast<std::size_t>(NodeKind::door_out)] ||
                             row.flags[static_cast<std::size_t>(CaseFlag::transfer)];
      if (!ambulance || row.pathway == Pathway::not_stemi) continue;
      if (req.check == RatioCheck::remote_ecg_transmission) {
        ++den;
        const auto sent = row.nodes[static_cast<std::size_t>(NodeKind::ecg_transmitted)];
        const auto door = row.nodes[static_cast<std::size_t>(NodeKind::door_in)];
        if (sent && (!door || *sent <= *door)) ++num;
      } else {
        if (row.pathway != Pathway::primary_pci && row.pathway != Pathway::transfer_pci) continue;
        ++den;
        if (row.flags[static_cast<std::size_t>(CaseFlag::bypassed_ed)]) ++num;
      }
    }
    if (req.check == RatioCheck::remote_ecg_transmission) {
      c.description_en = "≥ " + fmt2(req.min_pct) +
                         " % of ambulance-borne STEMI with an ECG transmitted before door-in";
      c.description_zh =
          "经救护车入院的STEMI患者入门前远程传输心电图比例 ≥ " + fmt2(req.min_pct) + " %";
    } else {
      c.description_en = "≥ " + fmt2(req.min_pct) +
                         " % of ambulance-borne PCI STEMI bypassing the emergency department";
      c.description_zh = "经救护车入院接受PCI的STEMI患者绕行急诊比例 ≥ " + fmt2(req.min_pct) + " %";
    }
    if (den > 0) {
      c.value = round2(100.0 * static_cast<double>(num) / static_cast<double>(den));
      c.passed = *c.value >= req.min_pct;
    }
    c.detail = std::to_string(num) + "/" + std::to_string(den) + " cases";
    report.checks.push_back(std::move(c));
  }
  return report;
}

}  // namespace gc::workflow
