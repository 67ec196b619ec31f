// triage — no ST-elevation criteria met: is there a STEMI equivalent (urgent), a Brugada pattern,
// or anything else outside normal limits (abnormal, named)? Only what remains is `normal`.

#include <algorithm>
#include <string>
#include <vector>

#include "evaluator.hpp"
#include "normal_limits.hpp"
#include "phrases.hpp"

namespace gc::triage::detail {

// --- The read without ST-elevation criteria ------------------------------------------------------

void Evaluator::finish_no_ste() {
  list_depressions({});
  std::vector<Words> read;

  std::vector<std::string> leads;
  if (left_main_pattern()) {
    f_.category = Category::stemi_equivalent;
    f_.equivalents.push_back("left_main");
    for (const auto& d : f_.depressed) {
      if (d.st_j_uv <= -kDeepDepressionUv) equivalent_leads_["left_main"].push_back(d.lead);
    }
    f_.culprit_hints.push_back(say("culprit_left_main_equivalent").en);
    std::vector<std::string> std_leads;
    for (const auto& d : f_.depressed) {
      if (d.st_j_uv <= -kDeepDepressionUv) std_leads.push_back(d.lead);
    }
    std::vector<Words> up;  // "aVR 0.12 mV (1.2 mm), V1 …"
    for (const char* lead : {"aVR", "V1"}) {
      if (st(lead) >= 100) up.push_back(say("lead_st", {{"lead", lead}, {"st", Arg::mv(st(lead))}}));
    }
    read.push_back(say("left_main_read", {{"n", Arg::count(std_leads.size())},
                                          {"leads", Arg::leads(std_leads)},
                                          {"elevated", join_list(up)}}));
  }
  leads.clear();
  if (de_winter(leads)) {
    f_.category = Category::stemi_equivalent;
    f_.equivalents.push_back("de_winter");
    equivalent_leads_["de_winter"] = leads;
    read.push_back(say("de_winter_read", {{"leads", Arg::leads(leads)}}));
  }
  leads.clear();
  if (hyperacute_t(leads)) {
    f_.category = Category::stemi_equivalent;
    f_.equivalents.push_back("hyperacute_t");
    equivalent_leads_["hyperacute_t"] = leads;
    read.push_back(say("hyperacute_t_read", {{"leads", Arg::leads(leads)}}));
  }
  leads.clear();
  // de Winter's upsloping precordial depression is not read a second time as posterior MI.
  if (!has(f_.equivalents, "de_winter") && posterior_std(leads)) {
    const bool posterior_recorded = table_.has("V7") || table_.has("V8") || table_.has("V9");
    if (posterior_recorded) {
      f_.notes.push_back(say("note_posterior_std_recorded", {{"leads", Arg::leads(leads)}}).en);
      read.push_back(say("posterior_std_recorded_read", {{"leads", Arg::leads(leads)}}));
      if (f_.category != Category::stemi_equivalent) f_.category = Category::abnormal;
    } else {
      f_.category = Category::stemi_equivalent;
      f_.equivalents.push_back("posterior_suspected");
      equivalent_leads_["posterior_suspected"] = leads;
      read.push_back(say("posterior_suspected_read", {{"leads", Arg::leads(leads)}}));
    }
  }
  leads.clear();
  if (anterior_qs_ste(leads)) {
    f_.category = Category::stemi_equivalent;
    f_.equivalents.push_back("anterior_qs_ste");
    equivalent_leads_["anterior_qs_ste"] = leads;
    double max_j_uv = 0, max_late_uv = 0, max_tqrs = 0;
    for (const auto& l : leads) {
      auto v = table_.find(l);
      max_j_uv = std::max(max_j_uv, v->st_j_uv);
      max_late_uv = std::max(max_late_uv, v->st_late_uv);
    }
    for (const char* l : {"V1", "V2", "V3", "V4"}) {
      // Smith/Klein T/QRS: T amplitude over the largest QRS deflection; > 0.36 in any of V1–V4
      // favours acute anterior MI over LV aneurysm.
      if (auto v = table_.find(l)) {
        const double qrs = std::max(v->r_uv, -v->negative_uv());
        if (qrs > 0) max_tqrs = std::max(max_tqrs, v->t_uv / qrs);
      }
    }
    const bool acute_tqrs = max_tqrs > kLvAneurysmLeadRatio;
    read.push_back(say("anterior_qs_ste_read",
                       {{"run", leads.front() + "–" + leads.back()},
                        {"j", Arg::mv(max_j_uv)},
                        {"late", Arg::mv(max_late_uv)},
                        {"tqrs", Arg::number(max_tqrs, 2)},
                        {"tqrs_reading", say(acute_tqrs ? "tqrs_favours_acute" : "tqrs_not_acute")}}));
  }
  if (f_.category == Category::stemi_equivalent) {
    f_.route_to_human = true;
    explain(join_clauses(read));
    return;
  }

  // Not an emergency pattern: normal or abnormal, with what was seen.
  if (detect_brugada()) {
    const auto& t = confounder_text("brugada");
    finish_confounded("brugada", say("confounder_to_human", {{"confounder", Arg(t.en, t.zh)}}));
    return;
  }
  std::vector<std::string> std_leads;
  for (const auto& d : f_.depressed) {
    if (d.lead != "aVR") std_leads.push_back(d.lead);
  }
  if (!std_leads.empty()) {
    double max_uv = 0;
    for (const auto& d : f_.depressed) {
      if (d.lead != "aVR") max_uv = std::max(max_uv, -d.st_j_uv);
    }
    read.push_back(
        say("std_without_criteria", {{"leads", Arg::leads(std_leads)}, {"max", Arg::mv(max_uv)}}));
  }
  // Single leads that meet the criterion without a contiguous partner.
  std::vector<std::string> isolated;
  for (auto lead : detail::kStandardOrder) {
    auto v = table_.find(lead);
    if (v && lead != "aVR" && meets_ste(*v)) isolated.push_back(std::string(lead));
  }
  if (!isolated.empty()) {
    read.push_back(say("isolated_ste", {{"leads", Arg::leads(isolated)}}));
  }
  // Anterior Q waves with some ST elevation: infarction of undetermined age. Not a STEMI call,
  // but a human should compare with an earlier ECG (an evolved anterior STEMI looks like this).
  std::vector<std::string> q_leads;
  if (anterior_q_waves(q_leads)) {
    double max_late_uv = 0;
    for (const auto& l : q_leads) max_late_uv = std::max(max_late_uv, table_.find(l)->st_late_uv);
    f_.route_to_human = true;
    const Words q_read = say(
        "anterior_q_waves",
        {{"leads", Arg::leads(q_leads)},
         {"late", max_late_uv >= kDepressionUv
                      ? Arg(say("late_ste_up_to", {{"max", Arg::mv(max_late_uv)}}))
                      : Arg("")}});
    f_.notes.push_back(q_read.en);
    read.push_back(q_read);
  }
  const std::vector<Words> gaps = gap_notes();
  if (!gaps.empty()) {
    f_.route_to_human = true;
    for (const auto& g : gaps) f_.notes.push_back(g.en);
    read.insert(read.end(), gaps.begin(), gaps.end());
  }
  if (wide_qrs()) {
    if (detect_rbbb()) {
      read.push_back(say("rbbb_criteria_valid", {{"qrs", Arg::ms(*qrs_ms())}}));
      f_.notes.push_back(say("note_rbbb_criteria_valid").en);
    } else {
      read.push_back(say("wide_qrs", {{"qrs", Arg::ms(*qrs_ms())}}));
    }
  }
  if (detect_lvh()) {
    const bool strain = lvh_strain();
    read.push_back(say(strain ? "lvh_strain" : "lvh_voltage"));
    f_.notes.push_back(say(strain ? "note_lvh_strain" : "note_lvh_voltage").en);
  }
  if (a_.global.pacing_spikes) read.push_back(say("atrial_pacing"));
  // `normal` means normal (normal_limits.hpp): what remains outside normal limits is named.
  for (const auto& ev : detail::outside_normal_limits(table_, a_, wide_qrs())) {
    if (ev.code == "wide_qrs") continue;  // named above, with its bundle-branch reading
    const auto covered = [&](const std::vector<std::string>& named) {
      return std::all_of(ev.leads.begin(), ev.leads.end(),
                         [&](const std::string& l) { return has(named, l); });
    };
    if (ev.code == "st_deviation" && covered(std_leads)) continue;
    if (ev.code == "QWAVE" && covered(q_leads)) continue;
    read.push_back(evidence_words(ev));
    outside_normal_.push_back(ev);
  }
  if (read.empty()) {
    f_.category = Category::normal;
    explain(say("normal_read"));
  } else {
    f_.category = Category::abnormal;
    explain(join_clauses(read));
  }
}

}  // namespace gc::triage::detail
