// Study analysis for the ingest server (see analysis.hpp).
#include "analysis.hpp"

#include <algorithm>
#include <exception>

#include <boost/json.hpp>

#include "gc/dsp.hpp"
#include "gc/triage.hpp"

#if __has_include("gc/analysis_json.hpp")
#include "gc/analysis_json.hpp"
#define GC_INGEST_HAVE_ANALYSIS_JSON 1
#endif

namespace gc::ingest::detail {

namespace json = boost::json;
namespace pb = proto::pb;

namespace {

std::size_t index_of(const std::vector<std::string>& leads, std::string_view name) {
  return static_cast<std::size_t>(std::find(leads.begin(), leads.end(), name) - leads.begin());
}

// Integers → µV (nV per LSB ÷ 1000), plus III, aVR, aVL, aVF from I and II when the cart asked
// for derivation (DESIGN §2). Limb leads come first in the standard order.
dsp::SignalBlock to_signal_block(const storage::StudySamples& study) {
  const auto& header = study.header;
  if (study.samples.size() != header.leads.size()) {
    throw std::invalid_argument("stored study has " + std::to_string(study.samples.size()) +
                                " sample rows for " + std::to_string(header.leads.size()) +
                                " leads");
  }
  const double uv_per_lsb = header.resolution_nv_per_lsb / 1000.0;
  std::vector<std::vector<float>> given(study.samples.size());
  for (std::size_t lead = 0; lead < study.samples.size(); ++lead) {
    given[lead].reserve(study.samples[lead].size());
    for (const std::int32_t value : study.samples[lead]) {
      given[lead].push_back(static_cast<float>(static_cast<double>(value) * uv_per_lsb));
    }
  }
  dsp::SignalBlock block;
  block.sample_rate_hz = header.sample_rate_hz;
  if (!header.derive_limb_leads) {
    block.lead_names = header.leads;
    block.samples_uv = std::move(given);
    return block;
  }
  const std::size_t i_index = index_of(header.leads, "I");
  const std::size_t ii_index = index_of(header.leads, "II");
  if (i_index >= given.size() || ii_index >= given.size()) {
    throw std::invalid_argument("derive_limb_leads needs leads I and II");
  }
  const std::vector<float>& lead_i = given[i_index];
  const std::vector<float>& lead_ii = given[ii_index];
  const std::size_t n = std::min(lead_i.size(), lead_ii.size());
  std::vector<float> iii(n), avr(n), avl(n), avf(n);
  for (std::size_t k = 0; k < n; ++k) {
    iii[k] = lead_ii[k] - lead_i[k];
    avr[k] = -(lead_i[k] + lead_ii[k]) / 2.0f;
    avl[k] = lead_i[k] - lead_ii[k] / 2.0f;
    avf[k] = lead_ii[k] - lead_i[k] / 2.0f;
  }
  block.lead_names = {"I", "II", "III", "aVR", "aVL", "aVF"};
  block.samples_uv.push_back(lead_i);
  block.samples_uv.push_back(lead_ii);
  block.samples_uv.push_back(std::move(iii));
  block.samples_uv.push_back(std::move(avr));
  block.samples_uv.push_back(std::move(avl));
  block.samples_uv.push_back(std::move(avf));
  for (std::size_t lead = 0; lead < given.size(); ++lead) {
    if (lead != i_index && lead != ii_index) {
      block.lead_names.push_back(header.leads[lead]);
      block.samples_uv.push_back(std::move(given[lead]));
    }
  }
  return block;
}

triage::PatientContext patient_of(const storage::StudyHeader& header) {
  triage::PatientContext patient;
  patient.age_years = header.age_years;
  patient.sex = triage::parse_sex(header.sex);
  patient.chest_pain = header.chest_pain;
  return patient;
}

json::value optional_number(const std::optional<double>& value) {
  return value ? json::value(*value) : json::value(nullptr);
}

json::value optional_index(const std::optional<std::int64_t>& value) {
  return value ? json::value(*value) : json::value(nullptr);
}

json::array strings(const std::vector<std::string>& values) {
  json::array out;
  for (const auto& v : values) {
    out.emplace_back(v);
  }
  return out;
}

// The analyze --json contract, used only when the lead's triage::to_json is not built yet.
json::object contract_json(const dsp::Analysis& analysis, const triage::Finding& finding) {
  json::object root;
  root["sample_rate_hz"] = analysis.sample_rate_hz;
  root["leads"] = strings(analysis.lead_names);
  json::array beats;
  for (const auto& beat : analysis.beats) {
    beats.push_back(json::object{{"r", beat.r_sample},
                                 {"qrs_onset", optional_index(beat.qrs_onset_sample)},
                                 {"qrs_offset", optional_index(beat.qrs_offset_sample)},
                                 {"t_end", optional_index(beat.t_end_sample)}});
  }
  root["beats"] = std::move(beats);
  json::object per_lead;
  for (const auto& m : analysis.per_lead) {
    per_lead[m.lead] = json::object{{"st_j_uv", m.st_j_uv}, {"st_j60_uv", m.st_j60_uv}};
  }
  root["measurements"] =
      json::object{{"heart_rate_bpm", optional_number(analysis.global.heart_rate_bpm)},
                   {"qrs_duration_ms", optional_number(analysis.global.qrs_duration_ms)},
                   {"per_lead", std::move(per_lead)}};
  json::array elevated;
  for (const auto& lead : finding.elevated) {
    elevated.emplace_back(lead.lead);
  }
  root["finding"] = json::object{
      {"category", triage::to_string(finding.category)}, {"stemi", finding.stemi},
      {"territories", strings(finding.territories)},     {"elevated_leads", std::move(elevated)},
      {"confounders", strings(finding.confounders)},     {"explanation_en", finding.explanation_en},
      {"explanation_zh", finding.explanation_zh}};
  json::array problems;
  for (const auto& p : analysis.quality.problems) {
    problems.push_back(json::object{{"lead", p.lead}, {"kind", p.kind}});
  }
  root["quality"] = json::object{{"ok", analysis.quality.ok}, {"problems", std::move(problems)}};
  return root;
}

json::object analysis_json(const dsp::Analysis& analysis, const triage::Finding& finding) {
#ifdef GC_INGEST_HAVE_ANALYSIS_JSON
  json::value parsed = json::parse(triage::to_json(analysis, finding, false));
  if (parsed.is_object()) {
    return std::move(parsed.as_object());
  }
#endif
  return contract_json(analysis, finding);
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
