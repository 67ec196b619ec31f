// Study analysis for the ingest server (see analysis.hpp).
#include "analysis.hpp"

#include <algorithm>
#include <exception>

#include <boost/json.hpp>

#include "gc/analysis_json.hpp"
#include "gc/derive.hpp"
#include "gc/dsp.hpp"
#include "gc/triage.hpp"

namespace gc::ingest::detail {

namespace json = boost::json;
namespace pb = proto::pb;

namespace {

// Integers → µV plus the derived limb leads when the cart asked for derivation (DESIGN §2).
dsp::SignalBlock to_signal_block(const storage::StudySamples& study) {
  const auto& h = study.header;
  return dsp::block_from_counts(study.samples, h.leads, h.sample_rate_hz,
                                h.resolution_nv_per_lsb, h.derive_limb_leads);
}

triage::PatientContext patient_of(const storage::StudyHeader& header) {
  triage::PatientContext patient;
  patient.age_years = header.age_years;
  patient.sex = triage::parse_sex(header.sex);
  patient.chest_pain = header.chest_pain;
  return patient;
}

json::object analysis_json(const dsp::Analysis& analysis, const triage::Finding& finding) {
  return triage::to_json_object(analysis, finding);
}

void fill_lead_st(const std::vector<triage::LeadST>& from,
                  google::protobuf::RepeatedPtrField<pb::LeadST>* to) {
  for (const auto& lead : from) {
    pb::LeadST* out = to->Add();
    out->set_lead(lead.lead);
    out->set_st_j_uv(lead.st_j_uv);
    out->set_st_late_uv(lead.st_late_uv);
    out->set_threshold_uv(lead.threshold_uv);
  }
}

pb::Finding to_frame(const std::string& study_uid, const triage::Finding& finding) {
  pb::Finding out;
  out.set_study_uid(study_uid);
  out.set_category(std::string(triage::to_string(finding.category)));
  out.set_tier(std::string(triage::to_string(finding.tier)));
  out.set_stemi(finding.stemi);
  for (const auto& t : finding.territories) {
    out.add_territories(t);
  }
  out.set_explanation_en(finding.explanation_en);
  out.set_explanation_zh(finding.explanation_zh);
  out.set_repeat_ecg(finding.repeat_ecg);
  out.mutable_analysed_at()->set_unix_ms(storage::now_unix_ms());
  out.mutable_analysed_at()->set_clock("server");
  fill_lead_st(finding.elevated, out.mutable_elevated());
  fill_lead_st(finding.depressed, out.mutable_depressed());
  for (const auto& c : finding.confounders) {
    out.add_confounders(c);
  }
  out.set_route_to_human(finding.route_to_human);
  for (const auto& n : finding.notes) {
    out.add_notes(n);
  }
  return out;
}

}  // namespace

namespace {

AnalysisOutcome finish_outcome(const storage::StudyHeader& header, const triage::Finding& finding,
                               json::object root, bool analysed) {
  AnalysisOutcome outcome;
  outcome.analysed = analysed;
  outcome.category = std::string(triage::to_string(finding.category));
  outcome.tier = std::string(triage::to_string(finding.tier));
  root["alert"] = json::object{{"tier", outcome.tier},
                               {"repeat_ecg", finding.repeat_ecg},
                               {"route_to_human", finding.route_to_human}};
  root["source"] = json::object{{"study_uid", header.study_uid},
                                {"device_id", header.device_id},
                                {"resolution_nv_per_lsb", header.resolution_nv_per_lsb},
                                {"derive_limb_leads", header.derive_limb_leads}};
  outcome.json = json::serialize(root);
  outcome.finding = to_frame(header.study_uid, finding);
  return outcome;
}

}  // namespace

AnalysisOutcome failed_analysis(const storage::StudyHeader& header, const std::string& reason) {
  // Never silently nothing: the clinic is told at once to repeat the ECG, and a human reads it.
  triage::Finding finding;
  finding.category = triage::Category::poor_quality;
  finding.tier = triage::Tier::urgent;
  finding.repeat_ecg = true;
  finding.route_to_human = true;
  finding.explanation_en = "The ECG could not be analysed (" + reason +
                           "). Repeat the ECG now; a cardiologist will read this one.";
  finding.explanation_zh = "心电图无法自动分析（" + reason +
                           "），请立即重新采集心电图；心内科医生将人工判读本份心电图。";
  json::object root{
      {"finding", json::object{{"category", "poor_quality"},
                               {"stemi", false},
                               {"territories", json::array{}},
                               {"elevated_leads", json::array{}},
                               {"confounders", json::array{}},
                               {"explanation_en", finding.explanation_en},
                               {"explanation_zh", finding.explanation_zh}}},
      {"quality", json::object{{"ok", false},
                               {"problems", json::array{json::object{
                                                {"lead", ""}, {"kind", "analysis_failed"}}}}}},
      {"error", reason}};
  return finish_outcome(header, finding, std::move(root), false);
}

AnalysisOutcome analyse_study(const storage::StudySamples& study) {
  try {
    const dsp::SignalBlock block = to_signal_block(study);
    const dsp::Analysis analysis = dsp::analyze(block);
    const triage::Finding finding = triage::evaluate(analysis, patient_of(study.header));
    return finish_outcome(study.header, finding, analysis_json(analysis, finding), true);
  } catch (const std::exception& e) {
    return failed_analysis(study.header, e.what());
  }
}

pb::Finding finding_from_json(const std::string& study_uid, const std::string& text) {
  pb::Finding out;
  out.set_study_uid(study_uid);
  boost::system::error_code ec;
  const json::value root = json::parse(text, ec);
  if (ec || !root.is_object()) {
    return out;
  }
  const auto string_at = [](const json::object& o, std::string_view key) -> std::string {
    const json::value* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  const auto bool_at = [](const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v && v->is_bool() && v->as_bool();
  };
  if (const json::value* f = root.as_object().if_contains("finding"); f && f->is_object()) {
    const json::object& finding = f->as_object();
    out.set_category(string_at(finding, "category"));
    out.set_stemi(bool_at(finding, "stemi"));
    out.set_explanation_en(string_at(finding, "explanation_en"));
    out.set_explanation_zh(string_at(finding, "explanation_zh"));
    const auto each_string = [&](std::string_view key, auto add) {
      if (const json::value* list = finding.if_contains(key); list && list->is_array()) {
        for (const auto& item : list->as_array()) {
          if (item.is_string()) {
            add(std::string(item.as_string()));
          }
        }
      }
    };
    each_string("territories", [&](std::string v) { out.add_territories(std::move(v)); });
    each_string("confounders", [&](std::string v) { out.add_confounders(std::move(v)); });
    each_string("notes", [&](std::string v) { out.add_notes(std::move(v)); });
    const auto number = [](const json::object& o, std::string_view key) {
      const json::value* v = o.if_contains(key);
      return v && v->is_number() ? v->to_number<double>() : 0.0;
    };
    const auto lead_st = [&](std::string_view key, auto* repeated) {
      if (const json::value* list = finding.if_contains(key); list && list->is_array()) {
        for (const auto& item : list->as_array()) {
          if (!item.is_object()) {
            continue;
          }
          const json::object& o = item.as_object();
          pb::LeadST* l = repeated->Add();
          l->set_lead(string_at(o, "lead"));
          l->set_st_j_uv(number(o, "st_j_uv"));
          l->set_st_late_uv(number(o, "st_late_uv"));
          l->set_threshold_uv(number(o, "threshold_uv"));
        }
      }
    };
    lead_st("elevated", out.mutable_elevated());
    lead_st("depressed", out.mutable_depressed());
    out.set_tier(string_at(finding, "tier"));
    out.set_route_to_human(bool_at(finding, "route_to_human"));
    out.set_repeat_ecg(bool_at(finding, "repeat_ecg"));
  }
  if (const json::value* a = root.as_object().if_contains("alert"); a && a->is_object()) {
    out.set_tier(string_at(a->as_object(), "tier"));
    out.set_repeat_ecg(bool_at(a->as_object(), "repeat_ecg"));
    out.set_route_to_human(bool_at(a->as_object(), "route_to_human"));
  }
  return out;
}

}  // namespace gc::ingest::detail
