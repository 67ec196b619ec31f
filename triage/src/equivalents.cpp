// triage — occlusion without the ST-elevation criteria, and criteria without occlusion: the STEMI
// equivalents (left main, de Winter, hyperacute T, posterior MI, anterior Q/QS with rising ST) and
// Q waves; and ST elevation that meets the voltages but reads as a normal variant (occlusion.hpp).

#include <set>
#include <string>
#include <vector>

#include "evaluator.hpp"
#include "text.hpp"

namespace gc::triage::detail {

// --- STEMI equivalents ----------------------------------------------------------------------

// ST depression ≥ 0.1 mV in ≥ 8 leads with ST elevation in aVR and/or V1.
bool Evaluator::left_main_pattern() const {
  int count = 0;
  for (auto lead : detail::kTwelveLeads) {
    if (lead == "aVR") continue;
    auto v = table_.find(lead);
    if (v && depressed(*v, kDeepDepressionUv)) ++count;
  }
  auto avr = table_.find("aVR");
  auto v1 = table_.find("V1");
  const bool ste = (avr && avr->st_j_uv >= 100) || (v1 && v1->st_j_uv >= 100);
  return count >= 8 && ste;
}

// de Winter: upsloping ST depression ≥ 1 mm at J in ≥ 2 contiguous of V1–V4 that is still
// depressed (≥ 0.5 mm) at J+60 and runs into tall positive T waves (≥ 0.5 mV). The J+60 condition
// separates it from the common benign J-point depression whose ST is back at baseline by J+60.
bool Evaluator::de_winter(std::vector<std::string>& leads) const {
  auto pred = [](const LeadView& v) {
    const bool anterior = v.name == "V1" || v.name == "V2" || v.name == "V3" || v.name == "V4";
    return anterior && v.st_j_uv <= -kDeepDepressionUv && v.st_late_uv >= v.st_j_uv + 50 &&
           v.st_late_uv <= -kDepressionUv && v.t_uv >= 500;
  };
  for (auto& r : detail::runs(detail::kChestChain, table_, pred)) {
    if (r.size() >= 2) leads.insert(leads.end(), r.begin(), r.end());
  }
  return !leads.empty();
}

// Hyperacute T: T waves taller than the whole QRS (peak to peak) and large in absolute terms
// (≥ 0.5 mV limb, ≥ 1.0 mV chest), without ST depression, in ≥ 2 contiguous leads, narrow QRS.
bool Evaluator::hyperacute_t(std::vector<std::string>& leads) const {
  if (wide_qrs()) return false;
  auto pred = [](const LeadView& v) {
    const bool chest = v.name[0] == 'V';
    const double min_t = chest ? 1000 : 500;
    return v.t_uv >= min_t && v.t_uv >= v.qrs_peak_to_peak_uv() && v.st_j_uv >= 0 &&
           v.st_late_uv >= 50;
  };
  for (auto& r : detail::runs(detail::kChestChain, table_, pred)) {
    if (r.size() >= 2) leads.insert(leads.end(), r.begin(), r.end());
  }
  for (auto& r : detail::runs(detail::kLimbChain, table_, pred)) {
    if (r.size() >= 2) leads.insert(leads.end(), r.begin(), r.end());
  }
  return !leads.empty();
}

// Posterior MI suspected: ST depression ≥ 0.05 mV in ≥ 2 contiguous of V1–V3 (≥ 0.1 mV in at least
// one) with upright T, narrow QRS and no dominant-R bundle branch block (RBBB depresses V1–V3).
bool Evaluator::posterior_std(std::vector<std::string>& leads) const {
  if (wide_qrs()) return false;
  auto pred = [this](const LeadView& v) {
    const bool v1to3 = v.name == "V1" || v.name == "V2" || v.name == "V3";
    return v1to3 && depressed(v, kDepressionUv) && v.t_uv > 0;
  };
  for (auto& r : detail::runs(detail::kChestChain, table_, pred)) {
    if (r.size() < 2) continue;
    bool deep = false;
    for (const auto& lead : r) {
      auto v = table_.find(lead);
      if (v && v->st_j_uv <= -kDeepDepressionUv) deep = true;
    }
    if (deep) leads.insert(leads.end(), r.begin(), r.end());
  }
  return !leads.empty();
}

// Anterior Q/QS waves with persistent ST elevation (see anterior_qs_ste()).
constexpr int kAnteriorQsMinLeads = 3;

// Anterior Q/QS waves with persistent, rising ST elevation: Q/QS in ≥ 3 contiguous of V1–V4, each
// with ST elevation ≥ 0.05 mV at J that is higher still at J+60. Below the J-point voltage
// criteria, but an acute or evolving anterior MI (QS waves form within hours; the ST segment is
// still lifted and rising into the T wave) looks like this, and an old MI can too: it is not a
// STEMI call but an urgent human read (stemi_equivalent). Not a published rule: derived from the
// development records; the published T/QRS rule (Smith/Klein) is reported alongside.
bool Evaluator::anterior_qs_ste(std::vector<std::string>& leads) const {
  if (qrs_clearly_at_least(kIvcdQrsMs)) return false;
  auto pred = [](const LeadView& v) {
    const bool anterior = v.name == "V1" || v.name == "V2" || v.name == "V3" || v.name == "V4";
    const bool q = is_qs(v) || (v.q_uv <= -100 && v.q_duration_ms >= 40);
    return anterior && q && v.st_j_uv >= kDepressionUv && v.st_late_uv > v.st_j_uv;
  };
  for (auto& r : detail::runs(detail::kChestChain, table_, pred)) {
    if (static_cast<int>(r.size()) >= kAnteriorQsMinLeads)
      leads.insert(leads.end(), r.begin(), r.end());
  }
  return !leads.empty();
}

// Pathological Q or QS complexes in ≥ 2 contiguous of V1–V4, at least one of them beyond V1 (a QS
// in V1 alone is a normal variant). Q: ≥ 0.1 mV deep and ≥ 40 ms; QS: see is_qs().
bool Evaluator::anterior_q_waves(std::vector<std::string>& leads) const {
  auto pred = [](const LeadView& v) {
    const bool anterior = v.name == "V1" || v.name == "V2" || v.name == "V3" || v.name == "V4";
    return anterior && (is_qs(v) || (v.q_uv <= -100 && v.q_duration_ms >= 40));
  };
  for (auto& r : detail::runs(detail::kChestChain, table_, pred)) {
    if (r.size() >= 2) leads.insert(leads.end(), r.begin(), r.end());
  }
  return !leads.empty();
}

// Pathological Q/QS in ≥ 2 contiguous leads anywhere: the anterior rule above, or in the limb
// chain (Q ≥ 0.1 mV and ≥ 40 ms, or QS), excluding the inverted aVR.
bool Evaluator::pathological_q_waves(std::vector<std::string>& leads) const {
  anterior_q_waves(leads);
  auto pred = [](const LeadView& v) {
    return v.name != detail::kMinusAvr && (is_qs(v) || (v.q_uv <= -100 && v.q_duration_ms >= 40));
  };
  for (auto& r : detail::runs(detail::kLimbChain, table_, pred)) {
    if (r.size() >= 2) leads.insert(leads.end(), r.begin(), r.end());
  }
  return !leads.empty();
}

// --- ST elevation read as a normal variant -----------------------------------------------------

void Evaluator::finish_normal_variant(const std::vector<std::vector<std::string>>& runs,
                                      const std::set<std::string>& e,
                                      const detail::OcclusionAssessment& occlusion) {
  for (auto lead : detail::kStandardOrder) {
    const std::string name(lead);
    if (auto v = table_.find(name); v && e.count(name)) {
      f_.elevated.push_back({name, v->st_j_uv, v->st_late_uv, thr(name)});
    }
  }
  list_depressions(e);
  // The evidence against occlusion, then what speaks for it without deciding.
  std::vector<Words> evidence;
  for (const auto& ev : occlusion.variant) evidence.push_back(evidence_words(ev));
  std::vector<Words> also;
  for (const auto& ev : occlusion.supporting) also.push_back(evidence_words(ev));
  if (!also.empty()) evidence.push_back(say("not_enough_alone", {{"evidence", join_clauses(also)}}));
  finish_confounded("normal_variant", say("normal_variant_read", {{"runs", ste_text(runs)},
                                                                  {"evidence", join_clauses(evidence)}}));
}

}  // namespace gc::triage::detail
