// Report → one self-contained HTML file: inline CSS, hand-written inline SVG charts, no scripts,
// no external assets (it is mailed and archived with the accreditation submission). Chinese
// first with English beside it, as the clinicians read it.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "gc/report.hpp"
#include "report_format.hpp"

namespace gc::workflow {
namespace {

using detail::number;

void esc(std::string& out, std::string_view s) {
  if (s.find_first_of("&<>\"'") == std::string_view::npos) {
    out.append(s);
    return;
  }
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
}

std::string esc(std::string_view s) {
  std::string out;
  esc(out, s);
  return out;
}

std::string f1(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string opt(const std::optional<double>& v) {
  return v ? number(*v) : "—";
}

std::string badge(const std::optional<bool>& passed) {
  if (!passed) return "<span class=\"badge na\">无数据 n/a</span>";
  return *passed ? "<span class=\"badge ok\">达标 passed</span>"
                 : "<span class=\"badge fail\">未达标 failed</span>";
}

constexpr const char* kStyle = R"css(
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif;margin:24px;color:#1d2730;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:2px solid #c8102e;padding-bottom:4px}
.en{color:#5b6770;font-weight:normal;font-size:.85em}
.meta{color:#44525c;font-size:13px;line-height:1.6}
table{border-collapse:collapse;font-size:12.5px;margin:6px 0}
th,td{border:1px solid #d5dbe0;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f1f4f6}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.late td{background:#fff4ec}td.bad{color:#b3261e;font-weight:600}td.good{color:#1b7a3a}
.badge{display:inline-block;padding:1px 8px;border-radius:9px;font-size:12px;font-weight:600}
.badge.ok{background:#dff3e4;color:#1b7a3a}.badge.fail{background:#fbe3e1;color:#b3261e}.badge.na{background:#eceff1;color:#5b6770}
figure{display:inline-block;margin:8px 18px 8px 0;vertical-align:top}figcaption{font-size:13px;color:#44525c;margin-bottom:4px}
svg text{font-family:inherit;font-size:11px;fill:#44525c}
.note{font-size:12px;color:#5b6770}
@media print{body{margin:8mm}h2{break-after:avoid}}
)css";

// At most max_chars code points (never cutting a UTF-8 sequence), "…" when shortened.
std::string truncate_utf8(const std::string& s, std::size_t max_chars) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;  // continuation byte
    if (chars == max_chars) return s.substr(0, i) + "…";
    ++chars;
  }
  return s;
}

// --- SVG charts -------------------------------------------------------------------------------

// A "nice" axis maximum and tick step for values up to v.
std::pair<double, double> nice_axis(double v) {
  if (v <= 0) return {1, 1};
  const double raw_step = v / 5;
  const double mag = std::pow(10.0, std::floor(std::log10(raw_step)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * mag >= raw_step) {
      step = m * mag;
      break;
    }
  }
  return {std::ceil(v / step) * step, step};
}

void histogram(std::string& out, const Report& report, std::size_t rule_index) {
  const auto& rule = report.table->rules[rule_index];
  std::vector<double> values;
  for (const auto& row : report.cases) {
    const auto& v = row.intervals[rule_index];
    if (v.minutes) values.push_back(*v.minutes);
  }
  constexpr double kBin = 10;
  const double cap = std::max(240.0, rule.target_min * 2);  // the last bin collects the rest
  double hi = rule.target_min + 30;
  for (double v : values) hi = std::max(hi, std::min(v, cap) + kBin);
  const auto n_bins = static_cast<std::size_t>(std::ceil(hi / kBin));
  std::vector<std::size_t> counts(n_bins, 0);
  for (double v : values) {
    auto b = static_cast<std::size_t>(std::min(v, cap) / kBin);
    counts[std::min(b, n_bins - 1)]++;
  }
  const double max_count =
      counts.empty() ? 1.0 : static_cast<double>(*std::max_element(counts.begin(), counts.end()));
  const auto [y_max, y_step] = nice_axis(std::max(1.0, max_count));
  constexpr double W = 640, H = 260, L = 44, R = 16, T = 16, B = 40;
  const double pw = W - L - R, ph = H - T - B;
  const double x_max = static_cast<double>(n_bins) * kBin;
  const auto X = [&](double m) { return L + m / x_max * pw; };
  const auto Y = [&](double c) { return T + ph - c / y_max * ph; };

  out += "<figure><figcaption>" + esc(rule.name_zh) + "分布 · distribution of " +
         esc(rule.name_en) + " (n=" + std::to_string(values.size()) + ", " + number(kBin) +
         "-min bins)</figcaption>";
  out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + number(W) + "\" height=\"" +
         number(H) + "\" viewBox=\"0 0 " + number(W) + " " + number(H) +
         "\" role=\"img\" aria-label=\"histogram\" class=\"chart histogram\">";
  for (double c = 0; c <= y_max + 1e-9; c += y_step) {
    out += "<line x1=\"" + f1(L) + "\" x2=\"" + f1(W - R) + "\" y1=\"" + f1(Y(c)) + "\" y2=\"" +
           f1(Y(c)) + "\" stroke=\"#e3e7ea\"/><text x=\"" + f1(L - 6) + "\" y=\"" + f1(Y(c) + 4) +
           "\" text-anchor=\"end\">" + number(c) + "</text>";
  }
  for (std::size_t b = 0; b < n_bins; ++b) {
    if (counts[b] == 0) continue;
    const double x0 = X(static_cast<double>(b) * kBin), x1 = X(static_cast<double>(b + 1) * kBin);
    const bool within = static_cast<double>(b + 1) * kBin <= rule.target_min;
    out += "<rect x=\"" + f1(x0 + 1) + "\" y=\"" + f1(Y(static_cast<double>(counts[b]))) +
           "\" width=\"" + f1(x1 - x0 - 2) + "\" height=\"" +
           f1(Y(0) - Y(static_cast<double>(counts[b]))) + "\" fill=\"" +
           (within ? "#3c8d5a" : "#e07b39") + "\"><title>" + number(static_cast<double>(b) * kBin) +
           "–" + number(static_cast<double>(b + 1) * kBin) + " min: " + std::to_string(counts[b]) +
           "</title></rect>";
  }
  for (double m = 0; m <= x_max + 1e-9; m += 30) {
    out += "<text x=\"" + f1(X(m)) + "\" y=\"" + f1(H - B + 16) + "\" text-anchor=\"middle\">" +
           (m >= cap ? "≥" + number(cap) : number(m)) + "</text>";
  }
  out += "<line x1=\"" + f1(L) + "\" x2=\"" + f1(W - R) + "\" y1=\"" + f1(Y(0)) + "\" y2=\"" +
         f1(Y(0)) + "\" stroke=\"#44525c\"/>";
  const double tx = X(rule.target_min);
  out += "<line class=\"target\" x1=\"" + f1(tx) + "\" x2=\"" + f1(tx) + "\" y1=\"" + f1(T) +
         "\" y2=\"" + f1(Y(0)) +
         "\" stroke=\"#c8102e\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>";
  out += "<text x=\"" + f1(tx + 4) + "\" y=\"" + f1(T + 10) + "\" style=\"fill:#c8102e\">" +
         number(rule.target_min) + " min</text>";
  out += "<text x=\"" + f1(L + pw / 2) + "\" y=\"" + f1(H - 6) +
         "\" text-anchor=\"middle\">分钟 minutes</text>";
  out += "</svg></figure>";
}

// Vertical bars with a dashed target line; labels under each bar.
void bar_chart(std::string& out, const std::string& caption,
               const std::vector<std::pair<std::string, std::optional<double>>>& bars,
               double target, bool strict, double width) {
  double vmax = target * 1.25;
  for (const auto& [_, v] : bars) {
    if (v) vmax = std::max(vmax, *v * 1.1);
  }
  const auto [y_max, y_step] = nice_axis(vmax);
  const double W = width, H = 200, L = 40, R = 10, T = 14, B = 34;
  const double pw = W - L - R, ph = H - T - B;
  const auto Y = [&](double v) { return T + ph - v / y_max * ph; };
  out += "<figure><figcaption>" + caption +
         "</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + number(W) +
         "\" height=\"" + number(H) + "\" viewBox=\"0 0 " + number(W) + " " + number(H) +
         "\" role=\"img\" class=\"chart bars\">";
  for (double c = 0; c <= y_max + 1e-9; c += y_step) {
    out += "<line x1=\"" + f1(L) + "\" x2=\"" + f1(W - R) + "\" y1=\"" + f1(Y(c)) + "\" y2=\"" +
           f1(Y(c)) + "\" stroke=\"#e3e7ea\"/><text x=\"" + f1(L - 5) + "\" y=\"" + f1(Y(c) + 4) +
           "\" text-anchor=\"end\">" + number(c) + "</text>";
  }
  const double slot = bars.empty() ? pw : pw / static_cast<double>(bars.size());
  const double bw = std::min(48.0, slot * 0.7);
  std::string trend;
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const double cx = L + slot * (static_cast<double>(i) + 0.5);
    const auto& [label, v] = bars[i];
    if (v) {
      const bool ok = strict ? *v < target : *v <= target;
      out += "<rect x=\"" + f1(cx - bw / 2) + "\" y=\"" + f1(Y(*v)) + "\" width=\"" + f1(bw) +
             "\" height=\"" + f1(Y(0) - Y(*v)) + "\" fill=\"" + (ok ? "#3c8d5a" : "#e07b39") +
             "\"><title>" + esc(label) + ": " + number(*v) + " min</title></rect>";
      out += "<text x=\"" + f1(cx) + "\" y=\"" + f1(Y(*v) - 3) + "\" text-anchor=\"middle\">" +
             f1(*v) + "</text>";
      trend += (trend.empty() ? "" : " ") + f1(cx) + "," + f1(Y(*v));
    }
    // Long clinic names are shortened on the axis; the full name is in the tooltip and tables.
    std::string shown = truncate_utf8(label, 10);
    out += "<text x=\"" + f1(cx) + "\" y=\"" + f1(H - B + 14) + "\" text-anchor=\"middle\">" +
           esc(shown) + "</text>";
  }
  if (bars.size() > 1 && !trend.empty()) {
    out += "<polyline points=\"" + trend +
           "\" fill=\"none\" stroke=\"#2c5f8a\" stroke-width=\"1.5\"/>";
  }
  out += "<line x1=\"" + f1(L) + "\" x2=\"" + f1(W - R) + "\" y1=\"" + f1(Y(0)) + "\" y2=\"" +
         f1(Y(0)) + "\" stroke=\"#44525c\"/>";
  out += "<line class=\"target\" x1=\"" + f1(L) + "\" x2=\"" + f1(W - R) + "\" y1=\"" +
         f1(Y(target)) + "\" y2=\"" + f1(Y(target)) +
         "\" stroke=\"#c8102e\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>";
  out += "<text x=\"" + f1(W - R) + "\" y=\"" + f1(Y(target) - 3) +
         "\" text-anchor=\"end\" style=\"fill:#c8102e\">" + (strict ? "&lt; " : "≤ ") +
         number(target) + "</text></svg></figure>";
}

void stats_table(std::string& out, const std::vector<PeriodStats>& groups, const RuleTable& table,
                 const char* group_header) {
  out += "<table><tr><th>" + std::string(group_header) + "</th><th>病例 cases</th>";
  for (const auto& r : table.rules) {
    out += "<th>" + esc(r.name_zh) + "<br><span class=\"en\">" + esc(r.name_en) + " (" +
           (r.case_strict ? "&lt;" : "≤") + number(r.target_min) + ")</span></th>";
  }
  out += "</tr>";
  for (const auto& g : groups) {
    out +=
        "<tr><td>" + esc(g.label) + "</td><td class=\"num\">" + std::to_string(g.n_cases) + "</td>";
    for (std::size_t i = 0; i < g.rules.size(); ++i) {
      const auto& s = g.rules[i];
      const bool bad = s.mean_target_met == false || s.pct_target_met == false;
      out += std::string("<td class=\"num") + (bad ? " bad" : "") + "\">";
      if (s.n_measured == 0) {
        out += "—";
      } else {
        out += "均 " + opt(s.mean_min) + " / 中 " + opt(s.median_min) + "<br>" +
               opt(s.pct_compliant) + "% (" + std::to_string(s.n_compliant) + "/" +
               std::to_string(s.n_measured) + ")";
      }
      out += "</td>";
    }
    out += "</tr>";
  }
  out += "</table>";
}

}  // namespace

std::string to_html(const Report& report) {
  const auto& o = report.options;
  const auto& table = *report.table;
  const auto& tz = o.tz;
  std::string out;
  out.reserve(16384 + report.cases.size() * 700);

  out +=
      "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>胸痛中心时间节点审计报告 · Chest-pain centre audit report</title><style>";
  out += kStyle;
  out += "</style></head><body>\n";
  const int off = std::abs(tz.offset_min);
  char offset[16];
  std::snprintf(offset, sizeof offset, "UTC%c%02d:%02d", tz.offset_min < 0 ? '-' : '+', off / 60,
                off % 60);
  out +=
      "<header><h1>胸痛中心时间节点审计报告 <span class=\"en\">Chest-pain centre time-node "
      "audit</span></h1>";
  out += "<div class=\"meta\">" + esc(o.centre_name) +
         "<br>期间 period: " + esc(format_local(o.from_ms, tz)) + " – " +
         esc(format_local(o.to_ms, tz)) + " (to exclusive)";
  if (o.clinic) out += " · 单位 clinic: " + esc(*o.clinic);
  out += "<br>规则 rules: " + esc(table.version) + " — " + esc(table.title) +
         "<br>时区 time zone: " + esc(tz.name) + " (" + offset +
         ", fixed offset) · 生成 generated " + esc(format_local(o.generated_ms, tz)) +
         "<br>病例 cases: " + std::to_string(report.cases.size()) +
         " · 时间顺序问题 order problems: " + std::to_string(report.n_violations) +
         "</div></header>\n";

  // Accreditation checks first: the page's answer.
  out += "<h2 id=\"checks\">认证指标 <span class=\"en\">Accreditation checks</span></h2>";
  if (report.checks.empty()) {
    out += "<p class=\"note\">This rule table defines per-case targets only (see the summary).</p>";
  } else {
    out +=
        "<table><tr><th>指标 check</th><th>值 value</th><th>要求 required</th><th>结果 "
        "result</th><th>明细 detail</th></tr>";
    for (const auto& c : report.checks) {
      out += "<tr><td>" + esc(c.description_zh) + "<br><span class=\"en\">" +
             esc(c.description_en) + "</span></td><td class=\"num\">" + opt(c.value) +
             "</td><td class=\"num\">" + esc(c.comparison) + " " + number(c.threshold) +
             "</td><td>" + badge(c.passed) + "</td><td>" + esc(c.detail) + "</td></tr>";
    }
    out += "</table>";
  }

  out +=
      "<h2 id=\"summary\">时间指标汇总 <span class=\"en\">Intervals over the "
      "period</span></h2><table>"
      "<tr><th>指标 interval</th><th>从 from → 到 to</th><th>目标 target (min)</th><th>测得/适用 "
      "measured/applicable</th>"
      "<th>均值 mean</th><th>中位数 median</th><th>最小 min</th><th>最大 max</th><th>达标率 "
      "compliant</th></tr>";
  for (std::size_t i = 0; i < table.rules.size(); ++i) {
    const auto& r = table.rules[i];
    const auto& s = report.totals.rules[i];
    const bool bad = s.mean_target_met == false || s.pct_target_met == false;
    out += "<tr><td>" + esc(r.name_zh) + "<br><span class=\"en\">" + esc(r.name_en) +
           "</span></td><td>" + esc(label_zh(r.from)) + " → " + esc(label_zh(r.to)) +
           "<br><span class=\"en\">" + esc(key(r.from)) +
           (r.from_fallback ? " (or " + esc(key(*r.from_fallback)) + ")" : "") + " → " +
           esc(key(r.to)) + "</span></td><td class=\"num\">" + (r.case_strict ? "&lt; " : "≤ ") +
           number(r.target_min);
    if (r.mean_target)
      out += std::string("<br><span class=\"en\">mean ") + (r.mean_strict ? "&lt; " : "≤ ") +
             number(r.target_min) + "</span>";
    if (r.min_compliant_pct)
      out += "<br><span class=\"en\">≥ " + number(*r.min_compliant_pct) + " % of cases</span>";
    out +=
        "</td><td class=\"num\">" + std::to_string(s.n_measured) + " / " +
        std::to_string(s.n_applicable) + "</td><td class=\"num" +
        (s.mean_target_met == false ? " bad" : "") + "\">" + opt(s.mean_min) +
        "</td><td class=\"num\">" + opt(s.median_min) + "</td><td class=\"num\">" + opt(s.min_min) +
        "</td><td class=\"num\">" + opt(s.max_min) + "</td><td class=\"num" + (bad ? " bad" : "") +
        "\">" +
        (s.pct_compliant ? number(*s.pct_compliant) + " % (" + std::to_string(s.n_compliant) + ")"
                         : "—") +
        "</td></tr>";
    if (!r.note.empty())
      out += "<tr><td></td><td colspan=\"8\" class=\"note\">" + esc(r.note) + "</td></tr>";
  }
  out += "</table>\n";

  out += "<h2 id=\"charts\">图表 <span class=\"en\">Charts</span></h2>";
  const auto head = detail::headline_rule(table);
  histogram(out, report, head);
  out += "<br>";
  // Monthly trend: one small chart per rule with a mean target (every rule if none has one).
  bool any_mean = std::any_of(table.rules.begin(), table.rules.end(),
                              [](const auto& r) { return r.mean_target; });
  for (std::size_t i = 0; i < table.rules.size(); ++i) {
    const auto& r = table.rules[i];
    if (any_mean && !r.mean_target) continue;
    std::vector<std::pair<std::string, std::optional<double>>> bars;
    for (const auto& m : report.months) bars.emplace_back(m.label, m.rules[i].mean_min);
    bar_chart(out,
              "月平均 " + esc(r.name_zh) + " <span class=\"en\">monthly mean " + esc(r.name_en) +
                  "</span>",
              bars, r.target_min, r.mean_target ? r.mean_strict : r.case_strict,
              std::max(220.0, 70.0 * static_cast<double>(bars.size()) + 60));
  }
  out += "<br>";
  {
    const auto& r = table.rules[head];
    std::vector<std::pair<std::string, std::optional<double>>> bars;
    for (const auto& c : report.clinics) bars.emplace_back(c.label, c.rules[head].mean_min);
    bar_chart(out,
              "各单位平均 " + esc(r.name_zh) + " <span class=\"en\">mean " + esc(r.name_en) +
                  " per clinic</span>",
              bars, r.target_min, r.mean_target ? r.mean_strict : r.case_strict,
              std::max(320.0, 110.0 * static_cast<double>(bars.size()) + 60));
  }
  out += "\n";

  out +=
      "<h2 id=\"months\">月度 <span class=\"en\">By month (mean / median, % compliant)</span></h2>";
  stats_table(out, report.months, table, "月份 month");
  out += "<h2 id=\"clinics\">各单位对比 <span class=\"en\">By clinic</span></h2>";
  stats_table(out, report.clinics, table, "单位 clinic");

  out +=
      "<h2 id=\"outliers\">超时病例 <span class=\"en\">Outliers (beyond the per-case target) and "
      "recorded delay reasons</span></h2>";
  if (report.outliers.empty()) {
    out += "<p class=\"note\">None.</p>";
  } else {
    out +=
        "<table><tr><th>病例 case</th><th>单位 clinic</th><th>指标 interval</th><th>分钟 "
        "min</th><th>目标 target</th><th>延误原因 delay reasons</th></tr>";
    for (const auto& x : report.outliers) {
      std::string reasons;
      for (const auto& r : x.delay_reasons) reasons += (reasons.empty() ? "" : "; ") + esc(r);
      out += "<tr><td class=\"num\"><a href=\"#case-" + std::to_string(x.case_id) + "\">" +
             std::to_string(x.case_id) + "</a></td><td>" + esc(x.clinic) + "</td><td>" +
             esc(x.rule_key) + "</td><td class=\"num bad\">" + number(x.minutes) +
             "</td><td class=\"num\">" + number(x.target_min) + "</td><td>" +
             (reasons.empty() ? "<span class=\"bad\">未记录 none recorded</span>" : reasons) +
             "</td></tr>";
    }
    out += "</table>";
  }

  out += "<h2 id=\"cases\">病例明细 <span class=\"en\">Cases (times in " + esc(tz.name) +
         ")</span></h2>";
  out +=
      "<table><tr><th>病例 case</th><th>单位 clinic</th><th>路径 pathway</th><th>首次医疗接触 "
      "FMC</th>"
      "<th>入门 door</th><th>导丝通过 wire</th>";
  for (const auto& r : table.rules)
    out += "<th>" + esc(r.key) + "<br><span class=\"en\">" + (r.case_strict ? "&lt;" : "≤") +
           number(r.target_min) + "</span></th>";
  out += "<th>问题 problems</th></tr>\n";
  // The per-case rows are the bulk of a large report: appended piece by piece, no temporaries.
  const auto node_cell = [&](const CaseRow& row, NodeKind k) {
    out += "<td>";
    if (const auto& at = row.nodes[detail::node_index(k)]) {
      append_local(out, *at, tz);
    } else {
      out += "—";
    }
    out += "</td>";
  };
  for (const auto& row : report.cases) {
    const auto id = std::to_string(row.info.case_id);
    out += "<tr id=\"case-";
    out += id;
    out += row.compliant ? "\"><td class=\"num\">" : "\" class=\"late\"><td class=\"num\">";
    out += id;
    out += "</td><td>";
    esc(out, row.info.clinic);
    out += "</td><td>";
    out += key(row.pathway);
    out += "</td>";
    node_cell(row, NodeKind::fmc);
    node_cell(row, NodeKind::door_in);
    node_cell(row, NodeKind::wire_crossing);
    for (const auto& v : row.intervals) {
      if (v.minutes) {
        out += *v.compliant ? "<td class=\"num good\">" : "<td class=\"num bad\">";
        detail::append_number(out, round2(*v.minutes));
        out += "</td>";
      } else if (v.applicable) {
        out += "<td class=\"note\" title=\"";
        esc(out, v.missing_reason());
        out += "\">缺 missing</td>";
      } else {
        out += "<td></td>";
      }
    }
    out += "<td>";
    for (const auto& v : row.violations) {
      esc(out, v.message);
      out += "<br>";
    }
    for (const auto& r : row.delay_reasons) {
      out += "延误 delay: ";
      if (!r.interval_key.empty()) {
        esc(out, r.interval_key);
        out += ": ";
      }
      esc(out, r.reason);
      out += "<br>";
    }
    out += "</td></tr>\n";
  }
  out +=
      "</table>\n<p class=\"note\">Generated by greenchannel. Intervals from the versioned rule "
      "table " +
      esc(table.version) +
      "; every time node keeps its source and clock in the database; corrections "
      "are appended, never overwritten.</p></body></html>\n";
  return out;
}

}  // namespace gc::workflow
