// triage — chest pain without the ST-elevation criteria: does the ECG show the ST-T changes of
// acute myocardial ischaemia, so that a human must read it now rather than in the routine queue?
//
// A non-ST-elevation ACS, or an occlusion whose elevation has not (yet) reached the criteria, shows
// as ST depression or T-wave inversion. The Fourth Universal Definition of Myocardial Infarction
// (Thygesen et al., Eur Heart J 2019;40:237–269, table "ECG manifestations of acute myocardial
// ischaemia, in the absence of LVH and LBBB") names them:
//   - new horizontal or downsloping ST depression ≥ 0.05 mV in two contiguous leads;
//   - T inversion > 0.1 mV in two contiguous leads with a prominent R wave or R/S ratio > 1.
// With chest pain, such an ECG is a high-risk presentation that must be interpreted by a physician
// at once (ESC 2023 ACS guidelines, Byrne et al., Eur Heart J 2023;44:3720–3826: ECG read within
// 10 min of first medical contact). The changes alone — without chest pain — stay `abnormal`,
// routine, named in the read as before (normal_limits.hpp): ST-T changes are common and mostly
// chronic, and paging a reader for each would bury the ones that matter.
//
// "Horizontal or downsloping" is read as: still ≥ 0.05 mV below the PR level at J+60, not only at
// J (the J-point depression of tachycardia rises back by J+60; de Winter's upsloping depression is
// its own STEMI-equivalent rule, equivalents.cpp).
// Not in LVH or a wide QRS, where the definition does not apply (secondary ST-T changes of strain,
// LBBB, IVCD); in RBBB the secondary ST-T changes of V1–V3 are left out and the other leads still
// count.

#include "evaluator.hpp"

namespace gc::triage::detail {

constexpr double kIschaemicStdUv = 50;          // ST depression ≥ 0.05 mV, at J and at J+60
constexpr double kIschaemicTInversionUv = 100;  // T inversion > 0.1 mV

std::vector<std::string> Evaluator::acute_ischaemia_st_t() const {
  const bool rbbb = wide_qrs() && detect_rbbb();
  if (detect_lvh() || (wide_qrs() && !rbbb)) return {};
  const auto secondary = [rbbb](const LeadView& v) {
    return rbbb && (v.name == "V1" || v.name == "V2" || v.name == "V3");
  };
  const auto std_leads = contiguous(table_, [&](const LeadView& v) {
    return !secondary(v) && v.st_j_uv <= -kIschaemicStdUv && v.st_late_uv <= -kIschaemicStdUv;
  });
  const auto t_leads = contiguous(table_, [&](const LeadView& v) {
    return !secondary(v) && v.t_uv < -kIschaemicTInversionUv && v.r_uv > -v.s_uv;
  });
  std::vector<std::string> out;
  for (auto lead : kStandardOrder) {
    const std::string name(lead);
    if (std_leads.count(name) || t_leads.count(name)) out.push_back(name);
  }
  return out;
}

}  // namespace gc::triage::detail
