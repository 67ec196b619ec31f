// The `analyze --json` contract (see analysis_json.hpp and issue 2).
#include <boost/json.hpp>
#include <cmath>
#include <optional>
#include <sstream>
#include <string>

#include "gc/analysis_json.hpp"

namespace gc::triage {
namespace {

namespace json = boost::json;

// JSON has no NaN/inf: a non-finite measurement becomes null rather than a fake number.
json::value number_or_null(double v) {
  if (!std::isfinite(v)) return nullptr;
  return v;
}

json::value number_or_null(const std::optional<double>& v) {
  if (!v) return nullptr;
  return number_or_null(*v);
}

json::value index_or_null(const std::optional<std::int64_t>& v) {
  if (!v) return nullptr;
  return *v;
}

// Rounds to 0.1 µV/ms so the output stays readable without losing clinical precision.
double tidy(double v) {
  return std::round(v * 10.0) / 10.0;
}

json::array strings(const std::vector<std::string>& items) {
  json::array out;
  for (const auto& s : items) out.emplace_back(s);
  return out;
}

json::array statements_array(const std::vector<Statement>& statements) {
  json::array out;
  for (const auto& st : statements) {
    json::object values;
    for (const auto& [k, v] : st.values) values[k] = number_or_null(v);
    out.emplace_back(json::object{{"code", st.code},
                                  {"scheme", st.scheme},
                                  {"leads", strings(st.leads)},
                                  {"values", std::move(values)},
                                  {"text_en", st.text_en},
                                  {"text_zh", st.text_zh}});
  }
  return out;
}


json::array lead_st_array(const std::vector<LeadST>& items) {
  json::array out;
  for (const auto& l : items) {
    out.emplace_back(json::object{{"lead", l.lead},
                                  {"st_j_uv", number_or_null(tidy(l.st_j_uv))},
                                  {"st_late_uv", number_or_null(tidy(l.st_late_uv))},
                                  {"threshold_uv", number_or_null(l.threshold_uv)}});
  }
  return out;
}

void pretty_print(std::ostream& os, const json::value& jv, std::string& indent) {
  switch (jv.kind()) {
    case json::kind::object: {
      const auto& obj = jv.get_object();
      if (obj.empty()) {
        os << "{}";
        return;
      }
      os << "{\n";
      indent.append(2, ' ');
      bool first = true;
      for (const auto& kv : obj) {
        if (!first) os << ",\n";
        first = false;
        os << indent << json::serialize(kv.key()) << ": ";
        pretty_print(os, kv.value(), indent);
      }
      indent.resize(indent.size() - 2);
      os << "\n" << indent << "}";
      return;
    }
    case json::kind::array: {
      const auto& arr = jv.get_array();
      if (arr.empty()) {
        os << "[]";
        return;
      }
      // Arrays of scalars (lead names, problem kinds) stay on one line.
      bool scalars = true;
      for (const auto& v : arr) scalars = scalars && !v.is_object() && !v.is_array();
      if (scalars) {
        os << json::serialize(jv);
        return;
      }
      os << "[\n";
      indent.append(2, ' ');
      bool first = true;
      for (const auto& v : arr) {
        if (!first) os << ",\n";
        first = false;
        os << indent;
        // Beats are many and small: one per line.
        if (v.is_object() && v.get_object().size() <= 6) {
          os << json::serialize(v);
        } else {
          pretty_print(os, v, indent);
        }
      }
      indent.resize(indent.size() - 2);
      os << "\n" << indent << "]";
      return;
    }
    default:
      os << json::serialize(jv);
  }
}

}  // namespace

json::object to_json_object(const dsp::Analysis& analysis, const Finding& finding) {
  json::object root;
  root["sample_rate_hz"] = analysis.sample_rate_hz;
  root["leads"] = strings(analysis.lead_names);
  root["mains_hz_detected"] = number_or_null(analysis.mains_hz_detected);

  json::array beats;
  for (const auto& b : analysis.beats) {
    beats.emplace_back(json::object{{"r", b.r_sample},
                                    {"qrs_onset", index_or_null(b.qrs_onset_sample)},
                                    {"qrs_offset", index_or_null(b.qrs_offset_sample)},
                                    {"t_end", index_or_null(b.t_end_sample)},
                                    {"dominant", b.dominant}});
  }
  root["beats"] = std::move(beats);

  const auto& g = analysis.global;
  json::object measurements{
      {"heart_rate_bpm", number_or_null(g.heart_rate_bpm)},
      {"rr_irregularity", number_or_null(g.rr_irregularity)},
      {"pr_ms", number_or_null(g.pr_ms)},
      {"qrs_duration_ms", number_or_null(g.qrs_duration_ms)},
      {"qt_ms", number_or_null(g.qt_ms)},
      {"qtc_ms", number_or_null(g.qtc_ms)},
      {"qrs_axis_deg", number_or_null(g.qrs_axis_deg)},
      {"pacing_spikes", g.pacing_spikes},
      {"pacing_assessable", g.pacing_assessable},
  };
  json::object per_lead;
  for (const auto& m : analysis.per_lead) {
    per_lead[m.lead] = json::object{
        {"st_j_uv", number_or_null(tidy(m.st_j_uv))},
        {"st_j60_uv", number_or_null(tidy(m.st_j60_uv))},
        {"st_late_offset_ms", m.st_late_offset_ms},
        {"st_slope_uv_per_s", number_or_null(tidy(m.st_slope_uv_per_s))},
        {"q_amplitude_uv", number_or_null(tidy(m.q_amplitude_uv))},
        {"r_amplitude_uv", number_or_null(tidy(m.r_amplitude_uv))},
        {"s_amplitude_uv", number_or_null(tidy(m.s_amplitude_uv))},
        {"q_duration_ms", number_or_null(tidy(m.q_duration_ms))},
        {"r_duration_ms", number_or_null(tidy(m.r_duration_ms))},
        {"s_duration_ms", number_or_null(tidy(m.s_duration_ms))},
        {"t_amplitude_uv", number_or_null(tidy(m.t_amplitude_uv))},
        {"pr_segment_vs_tp_uv", number_or_null(tidy(m.pr_segment_vs_tp_uv))},
        {"t_peak_from_j_ms", number_or_null(tidy(m.t_peak_from_j_ms))},
        {"st_concavity", number_or_null(m.st_concavity)},
        {"analysable", m.analysable},
    };
  }
  measurements["per_lead"] = std::move(per_lead);
  root["measurements"] = std::move(measurements);

  const auto& med = analysis.median;
  root["median_beat"] = json::object{
      {"length_samples", med.length_samples},
      {"r_index", med.r_index_samples},
      {"p_onset", index_or_null(med.p_onset_samples)},
      {"qrs_onset", index_or_null(med.qrs_onset_samples)},
      {"qrs_offset", index_or_null(med.qrs_offset_samples)},
      {"t_end", index_or_null(med.t_end_samples)},
      {"n_beats_used", med.n_beats_used},
      // How far the J point / T end move between independent views (odd/even beats, limb/chest
      // leads), ms; null when not assessable (issue 12 item 4).
      {"j_beat_spread_ms", number_or_null(med.j_beat_spread_ms)},
      {"j_lead_spread_ms", number_or_null(med.j_lead_spread_ms)},
      {"t_end_beat_spread_ms", number_or_null(med.t_end_beat_spread_ms)},
      {"t_end_lead_spread_ms", number_or_null(med.t_end_lead_spread_ms)},
  };

  json::array elevated_leads;
  for (const auto& l : finding.elevated) elevated_leads.emplace_back(l.lead);
  root["finding"] = json::object{
      {"category", to_string(finding.category)},
      {"stemi", finding.stemi},
      {"tier", to_string(finding.tier)},
      {"territories", strings(finding.territories)},
      {"elevated_leads", std::move(elevated_leads)},
      {"elevated", lead_st_array(finding.elevated)},
      {"depressed", lead_st_array(finding.depressed)},
      {"confounders", strings(finding.confounders)},
      {"equivalents", strings(finding.equivalents)},
      {"culprit_hints", strings(finding.culprit_hints)},
      {"notes", strings(finding.notes)},
      {"route_to_human", finding.route_to_human},
      {"repeat_ecg", finding.repeat_ecg},
      {"explanation_en", finding.explanation_en},
      {"explanation_zh", finding.explanation_zh},
      {"statements", statements_array(finding.statements)},
  };

  json::array problems;
  for (const auto& p : analysis.quality.problems) {
    problems.emplace_back(json::object{{"lead", p.lead}, {"kind", p.kind}, {"detail", p.detail}});
  }
  root["quality"] = json::object{{"ok", analysis.quality.ok}, {"problems", std::move(problems)}};
  return root;
}

std::string to_json(const dsp::Analysis& analysis, const Finding& finding, bool pretty) {
  return to_json_text(to_json_object(analysis, finding), pretty);
}

std::string to_json_text(const json::value& v, bool pretty) {
  if (!pretty) return json::serialize(v);
  std::ostringstream os;
  std::string indent;
  pretty_print(os, v, indent);
  os << "\n";
  return os.str();
}

}  // namespace gc::triage
