// Report → JSON. Written by a small streaming writer rather than a boost::json::value tree: a
// 100,000-case report stays well under a second, and numbers print as "8.2" (Boost.JSON would
// print "8.2E0"), the same digits as the CSV. Tests parse the output with Boost.JSON.
#include <algorithm>

#include "gc/report.hpp"
#include "report_format.hpp"

namespace gc::workflow {
namespace {

using detail::append_number;

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  void begin_object() {
    value_prefix();
    out_ += '{';
    first_ = true;
  }
  void end_object() {
    out_ += '}';
    first_ = false;
  }
  void begin_array() {
    value_prefix();
    out_ += '[';
    first_ = true;
  }
  void end_array() {
    out_ += ']';
    first_ = false;
  }
  void key(std::string_view k) {
    if (!first_) out_ += ',';
    string_literal(k);
    out_ += ':';
    after_key_ = true;
  }
  void value(std::string_view s) {
    value_prefix();
    string_literal(s);
  }
  void value(const char* s) { value(std::string_view(s)); }
  void value(const std::string& s) { value(std::string_view(s)); }
  void value(double v) {
    value_prefix();
    append_number(out_, v);
  }
  void value(std::size_t v) {
    value_prefix();
    out_ += std::to_string(v);
  }
  void value(std::int64_t v) {
    value_prefix();
    out_ += std::to_string(v);
  }
  void value(bool v) {
    value_prefix();
    out_ += v ? "true" : "false";
  }
  void iso_time(UnixMs t, const TimeZone& tz) {
    value_prefix();
    out_ += '"';
    append_iso(out_, t, tz);
    out_ += '"';
  }
  void null() {
    value_prefix();
    out_ += "null";
  }
  template <class T>
  void value(const std::optional<T>& v) {
    if (v)
      value(*v);
    else
      null();
  }
  template <class T>
  void field(std::string_view k, const T& v) {
    key(k);
    value(v);
  }

 private:
  void value_prefix() {
    if (after_key_) {
      after_key_ = false;
    } else if (!first_) {
      out_ += ',';
    }
    first_ = false;
  }
  void string_literal(std::string_view s) {
    out_ += '"';
    // Fast path: most strings (keys, ids, times) need no escaping.
    const bool plain = std::all_of(s.begin(), s.end(), [](char ch) {
      const auto c = static_cast<unsigned char>(ch);
      return c >= 0x20 && c != '"' && c != '\\';
    });
    if (plain) {
      out_.append(s);
      out_ += '"';
      return;
    }
    for (const char ch : s) {
      const auto c = static_cast<unsigned char>(ch);
      switch (c) {
        case '"':
          out_ += "\\\"";
          break;
        case '\\':
          out_ += "\\\\";
          break;
        case '\n':
          out_ += "\\n";
          break;
        case '\r':
          out_ += "\\r";
          break;
        case '\t':
          out_ += "\\t";
          break;
        default:
          if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out_ += buf;
          } else {
            out_ += ch;  // UTF-8 passes through
          }
      }
    }
    out_ += '"';
  }

  std::string& out_;
  bool first_ = true;
  bool after_key_ = false;
};

void write_stats(Writer& w, const PeriodStats& p, const RuleTable& table) {
  w.begin_object();
  w.field("label", p.label);
  w.field("n_cases", p.n_cases);
  w.key("rules");
  w.begin_array();
  for (std::size_t i = 0; i < p.rules.size(); ++i) {
    const auto& s = p.rules[i];
    const auto& r = table.rules[i];
    w.begin_object();
    w.field("key", s.rule_key);
    w.field("name_en", r.name_en);
    w.field("name_zh", r.name_zh);
    w.field("target_min", r.target_min);
    w.field("n_applicable", s.n_applicable);
    w.field("n_measured", s.n_measured);
    w.field("n_compliant", s.n_compliant);
    w.field("pct_compliant", s.pct_compliant);
    w.field("mean_min", s.mean_min);
    w.field("median_min", s.median_min);
    w.field("min_min", s.min_min);
    w.field("max_min", s.max_min);
    w.field("mean_target_met", s.mean_target_met);
    w.field("pct_target_met", s.pct_target_met);
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

}  // namespace

std::string to_json(const Report& report) {
  const auto& o = report.options;
  const auto& table = *report.table;
  std::string out;
  out.reserve(1024 + report.cases.size() * 1200);
  Writer w(out);
  w.begin_object();
  w.field("report", "greenchannel audit report");
  w.field("centre", o.centre_name);
  w.field("rules_version", table.version);
  w.field("rules_title", table.title);
  w.field("time_zone", o.tz.name);
  w.field("from", format_iso(o.from_ms, o.tz));
  w.field("to", format_iso(o.to_ms, o.tz));
  w.key("clinic");
  w.value(o.clinic);
  w.field("generated", format_iso(o.generated_ms, o.tz));
  w.field("n_cases", report.cases.size());
  w.field("n_violations", report.n_violations);

  w.key("rules");
  w.begin_array();
  for (const auto& r : table.rules) {
    w.begin_object();
    w.field("key", r.key);
    w.field("name_en", r.name_en);
    w.field("name_zh", r.name_zh);
    w.field("from", key(r.from));
    if (r.from_fallback) w.field("from_fallback", key(*r.from_fallback));
    w.field("to", key(r.to));
    w.field("target_min", r.target_min);
    w.field("case_comparison", r.case_strict ? "<" : "<=");
    w.key("pathways");
    w.begin_array();
    for (auto p :
         {Pathway::primary_pci, Pathway::transfer_pci, Pathway::lysis, Pathway::not_stemi}) {
      if (applies(r.pathways, p)) w.value(key(p));
    }
    w.end_array();
    if (r.mean_target) w.field("mean_comparison", r.mean_strict ? "<" : "<=");
    if (r.min_compliant_pct) w.field("min_compliant_pct", *r.min_compliant_pct);
    if (!r.note.empty()) w.field("note", r.note);
    w.end_object();
  }
  w.end_array();

  w.key("totals");
  write_stats(w, report.totals, table);
  w.key("months");
  w.begin_array();
  for (const auto& m : report.months) write_stats(w, m, table);
  w.end_array();
  w.key("clinics");
  w.begin_array();
  for (const auto& c : report.clinics) write_stats(w, c, table);
  w.end_array();

  w.key("checks");
  w.begin_array();
  for (const auto& c : report.checks) {
    w.begin_object();
    w.field("key", c.key);
    w.field("description_en", c.description_en);
    w.field("description_zh", c.description_zh);
    w.field("value", c.value);
    w.field("comparison", c.comparison);
    w.field("threshold", c.threshold);
    w.field("passed", c.passed);
    w.field("detail", c.detail);
    w.end_object();
  }
  w.end_array();

  w.key("outliers");
  w.begin_array();
  for (const auto& x : report.outliers) {
    w.begin_object();
    w.field("case_id", x.case_id);
    w.field("clinic", x.clinic);
    w.field("rule", x.rule_key);
    w.field("minutes", x.minutes);
    w.field("target_min", x.target_min);
    w.key("delay_reasons");
    w.begin_array();
    for (const auto& r : x.delay_reasons) w.value(r);
    w.end_array();
    w.end_object();
  }
  w.end_array();

  w.key("cases");
  w.begin_array();
  for (const auto& row : report.cases) {
    w.begin_object();
    w.field("case_id", row.info.case_id);
    w.field("patient_id", row.info.patient_id);
    w.field("clinic", row.info.clinic);
    w.field("device_id", row.info.device_id);
    w.field("state", row.info.state);
    w.field("outcome", key(row.info.outcome));
    w.field("pathway", key(row.pathway));
    w.key("reference");
    w.iso_time(row.reference_ms, o.tz);
    w.field("compliant", row.compliant);
    w.key("nodes");
    w.begin_object();
    for (auto k : all_node_kinds()) {
      const auto& at = row.nodes[detail::node_index(k)];
      if (at) {
        w.key(key(k));
        w.iso_time(*at, o.tz);
      }
    }
    w.end_object();
    w.key("flags");
    w.begin_array();
    for (auto f : {CaseFlag::transfer, CaseFlag::bypassed_ed, CaseFlag::bypassed_ccu}) {
      if (row.flags[static_cast<std::size_t>(f)]) w.value(key(f));
    }
    w.end_array();
    w.key("intervals");
    w.begin_object();
    for (const auto& v : row.intervals) {
      if (!v.applicable) continue;
      w.key(v.rule->key);
      w.begin_object();
      if (v.minutes) {
        w.field("minutes", round2(*v.minutes));
        w.field("compliant", *v.compliant);
      } else {
        w.field("missing", v.missing_reason());
      }
      w.end_object();
    }
    w.end_object();
    w.key("violations");
    w.begin_array();
    for (const auto& v : row.violations) {
      w.begin_object();
      w.field("code", v.code);
      w.field("message", v.message);
      w.end_object();
    }
    w.end_array();
    w.key("delay_reasons");
    w.begin_array();
    for (const auto& r : row.delay_reasons) {
      w.begin_object();
      w.field("interval", r.interval_key);
      w.field("reason", r.reason);
      w.field("actor", r.actor);
      w.end_object();
    }
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.end_object();
  out += '\n';
  return out;
}

}  // namespace gc::workflow
