// Report → CSV (RFC 4180). Section 1: one row per case (all time nodes in the centre's zone,
// every interval and whether it met its target). Section 2 ("# totals"): the statistics rows for
// the whole period, each month and each clinic, with the same numbers as the JSON. Section 3
// ("# checks"): the accreditation checks. Sections are separated by an empty line.
#include "gc/report.hpp"
#include "report_format.hpp"

namespace gc::workflow {
namespace {

using detail::append_number;

// Free text (clinic names, reasons) could start with = + - @ and be run as a formula by a
// spreadsheet; such cells get a leading apostrophe, the usual defence.
void text(std::string& out, std::string_view s) {
  const bool formula = !s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@');
  const bool quote = formula || s.find_first_of(",\"\r\n") != std::string_view::npos ||
                     (!s.empty() && (s.front() == ' ' || s.back() == ' '));
  if (!quote) {
    out.append(s);
    return;
  }
  out += '"';
  if (formula) out += '\'';
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

void opt_number(std::string& out, const std::optional<double>& v) {
  if (v) append_number(out, *v);
}

void opt_bool(std::string& out, const std::optional<bool>& v) {
  if (v) out += *v ? "yes" : "no";
}

void stats_rows(std::string& out, const char* section, const PeriodStats& p,
                const RuleTable& table) {
  for (std::size_t i = 0; i < p.rules.size(); ++i) {
    const auto& s = p.rules[i];
    out += section;
    out += ',';
    text(out, p.label);
    out += ',';
    out += s.rule_key;
    out += ',' + std::to_string(p.n_cases) + ',' + std::to_string(s.n_applicable) + ',' +
           std::to_string(s.n_measured) + ',' + std::to_string(s.n_compliant) + ',';
    opt_number(out, s.pct_compliant);
    out += ',';
    opt_number(out, s.mean_min);
    out += ',';
    opt_number(out, s.median_min);
    out += ',';
    opt_number(out, s.min_min);
    out += ',';
    opt_number(out, s.max_min);
    out += ',';
    append_number(out, table.rules[i].target_min);
    out += ',';
    opt_bool(out, s.mean_target_met);
    out += ',';
    opt_bool(out, s.pct_target_met);
    out += "\r\n";
  }
}

}  // namespace

std::string to_csv(const Report& report) {
  const auto& table = *report.table;
  const auto& tz = report.options.tz;
  std::string out;
  out.reserve(4096 + report.cases.size() * 600);

  out += "case_id,patient_id,clinic,device_id,pathway,outcome,compliant";
  for (auto k : all_node_kinds()) {
    out += ',';
    out += key(k);
  }
  out += ",transfer,bypassed_ed,bypassed_ccu";
  for (const auto& r : table.rules) out += "," + r.key + "_min," + r.key + "_met";
  out += ",violations,delay_reasons\r\n";

  for (const auto& row : report.cases) {
    out += std::to_string(row.info.case_id);
    out += ',';
    text(out, row.info.patient_id);
    out += ',';
    text(out, row.info.clinic);
    out += ',';
    text(out, row.info.device_id);
    out += ',';
    out += key(row.pathway);
    out += ',';
    out += key(row.info.outcome);
    out += row.compliant ? ",yes" : ",no";
    for (std::size_t i = 0; i < kNodeKindCount; ++i) {
      out += ',';
      if (row.nodes[i]) append_local(out, *row.nodes[i], tz);
    }
    for (bool f : row.flags) out += f ? ",yes" : ",no";
    for (const auto& v : row.intervals) {
      out += ',';
      if (v.minutes) append_number(out, round2(*v.minutes));
      out += ',';
      if (v.compliant)
        out += *v.compliant ? "yes" : "no";
      else if (v.applicable)
        out += "missing";
    }
    std::string joined;
    for (const auto& v : row.violations) joined += (joined.empty() ? "" : "; ") + v.message;
    out += ',';
    text(out, joined);
    joined.clear();
    for (const auto& r : row.delay_reasons) {
      joined += (joined.empty() ? "" : "; ") +
                (r.interval_key.empty() ? r.reason : r.interval_key + ": " + r.reason);
    }
    out += ',';
    text(out, joined);
    out += "\r\n";
  }

  out += "\r\n# totals\r\n";
  out +=
      "section,label,rule,n_cases,n_applicable,n_measured,n_compliant,pct_compliant,mean_min,"
      "median_min,min_min,max_min,target_min,mean_target_met,pct_target_met\r\n";
  stats_rows(out, "total", report.totals, table);
  for (const auto& m : report.months) stats_rows(out, "month", m, table);
  for (const auto& c : report.clinics) stats_rows(out, "clinic", c, table);

  out += "\r\n# checks\r\n";
  out += "check,value,comparison,threshold,passed,detail,description_en,description_zh\r\n";
  for (const auto& c : report.checks) {
    out += c.key;
    out += ',';
    opt_number(out, c.value);
    out += ',';
    text(out, c.comparison);
    out += ',';
    append_number(out, c.threshold);
    out += ',';
    opt_bool(out, c.passed);
    out += ',';
    text(out, c.detail);
    out += ',';
    text(out, c.description_en);
    out += ',';
    text(out, c.description_zh);
    out += "\r\n";
  }
  return out;
}

}  // namespace gc::workflow
