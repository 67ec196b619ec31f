// Occlusion or normal variant (see occlusion.hpp for the question, the rules and references).
#include "occlusion.hpp"

#include <algorithm>
#include <cmath>

namespace gc::triage::detail {

namespace {

bool is_chest_v1_to_v6(const std::string& lead) {
  return lead.size() == 2 && lead[0] == 'V' && lead[1] >= '1' && lead[1] <= '6';
}

std::vector<std::string> in_standard_order(const std::set<std::string>& leads) {
  std::vector<std::string> out;
  for (auto lead : kStandardOrder) {
    if (leads.count(std::string(lead))) out.emplace_back(lead);
  }
  if (leads.count(std::string(kMinusAvr))) out.emplace_back(kMinusAvr);
  return out;
}

// Smith's formula was derived on anterior ST elevation (≥ 1 mm in at least one of V2–V4) with a
// narrow QRS, excluding obvious STEMI and other mimics; only there does it decide.
bool in_smith_domain(const std::set<std::string>& elevated, const dsp::Analysis& a) {
  const bool chest_only =
      std::all_of(elevated.begin(), elevated.end(), [](const auto& l) { return is_chest_v1_to_v6(l); });
  const bool v3_or_v4 = elevated.count("V3") || elevated.count("V4");
  // Narrow: not clearly ≥ 120 ms given one sample of uncertainty at each end.
  const bool narrow = a.global.qrs_duration_ms && a.sample_rate_hz > 0 &&
                      *a.global.qrs_duration_ms - 2000.0 / a.sample_rate_hz < 120;
  return chest_only && v3_or_v4 && narrow;
}

}  // namespace

std::vector<std::string> reciprocal_leads_for(const std::vector<std::string>& territories) {
  std::set<std::string> r;
  for (const auto& t : territories) {
    if (t == "inferior" || t == "right_ventricle") r.insert({"I", "aVL"});
    if (t == "high_lateral") r.insert({"II", "III", "aVF"});
    if (t == "septal" || t == "anteroseptal" || t == "anterior" || t == "extensive_anterior") {
      r.insert({"II", "III", "aVF"});
    }
    if (t == "lateral") r.insert({"III", "aVF", "V1"});
    if (t == "posterior") r.insert({"V1", "V2", "V3"});
  }
  return in_standard_order(r);
}

std::optional<double> smith_lad_score(const LeadTable& table, std::optional<double> qtc_ms) {
  auto v2 = table.find("V2");
  auto v3 = table.find("V3");
  auto v4 = table.find("V4");
  if (!v2 || !v3 || !v4 || !qtc_ms) return std::nullopt;
  return 0.052 * *qtc_ms - 0.151 * v2->qrs_peak_to_peak_uv() / 100.0 - 0.268 * v4->r_uv / 100.0 +
         1.062 * v3->st_late_uv / 100.0;
}

OcclusionAssessment assess_occlusion(const LeadTable& table, const dsp::Analysis& analysis,
                                     const std::set<std::string>& elevated,
                                     const std::vector<std::string>& territories,
                                     const std::map<std::string, double>& threshold_uv) {
  OcclusionAssessment out;

  // 0a. Elevation in the posterior or right-sided leads: those are recorded to look for an
  //     occlusion (posterior, right ventricle), their criteria are already set at the normal
  //     limits (0.05 mV; 0.1 mV in young men), and no normal variant is described there.
  {
    std::set<std::string> hit;
    double highest_uv = 0;
    for (const auto& lead : elevated) {
      if (lead == "V7" || lead == "V8" || lead == "V9" || lead == "V3R" || lead == "V4R" ||
          lead == "V5R") {
        hit.insert(lead);
        if (auto v = table.find(lead)) highest_uv = std::max(highest_uv, v->st_j_uv);
      }
    }
    if (!hit.empty()) out.decisive.push_back({"ste_extra_leads", in_standard_order(hit), highest_uv});
  }

  // 0b. Elevation far beyond the normal range in ≥ 2 contiguous leads.
  {
    auto beyond = [&](const LeadView& v) {
      const auto t = threshold_uv.find(v.name);
      return elevated.count(v.name) && t != threshold_uv.end() &&
             v.st_j_uv >= kBeyondVariantFactor * t->second;
    };
    std::set<std::string> hit;
    double highest_uv = 0;
    for (const auto& rs : {runs(kChestChain, table, beyond), runs(kRightChain, table, beyond),
                           runs(kLimbChain, table, beyond)}) {
      for (const auto& r : rs) {
        if (r.size() < 2) continue;
        for (const auto& lead : r) {
          hit.insert(lead);
          highest_uv = std::max(highest_uv, table.find(lead)->st_j_uv);
        }
      }
    }
    if (!hit.empty()) out.decisive.push_back({"ste_beyond_normal_range", in_standard_order(hit), highest_uv});
  }

  // 1. Reciprocal ST depression opposite the elevated territory (leads that are themselves
  //    elevated are not reciprocal to anything).
  {
    std::set<std::string> hit;
    double deepest_uv = 0;
    for (const auto& lead : reciprocal_leads_for(territories)) {
      if (elevated.count(lead)) continue;
      auto v = table.find(lead);
      if (v && v->st_j_uv <= -kReciprocalDepressionUv && v->st_late_uv <= -kReciprocalLateUv) {
        hit.insert(lead);
        deepest_uv = std::min(deepest_uv, v->st_j_uv);
      }
    }
    if (!hit.empty()) {
      out.decisive.push_back({"reciprocal_std", in_standard_order(hit), deepest_uv});
    } else {
      out.variant.push_back({"no_reciprocal_std", {}, 0});
    }
  }

  // 2. ST shape in the elevated leads beyond V1 (V1's T is often flat or negative in health, so
  //    its ST has no upward concavity to lose). Leads whose T does not rise above the J level
  //    have no judgeable shape and count for neither side.
  std::set<std::string> straight, concave;
  double straightest = 1e9, most_concave = -1e9;
  for (const auto& lead : elevated) {
    if (lead == "V1" || lead == kMinusAvr) continue;
    auto v = table.find(lead);
    if (!v || !v->st_concavity) continue;
    if (*v->st_concavity < kConcaveSag) {
      straight.insert(lead);
      straightest = std::min(straightest, *v->st_concavity);
    } else {
      concave.insert(lead);
      most_concave = std::max(most_concave, *v->st_concavity);
    }
  }
  std::size_t judged_beyond_v1 = 0;
  for (const auto& lead : elevated) {
    if (lead != "V1" && lead != kMinusAvr) ++judged_beyond_v1;
  }
  const bool shape_straight =
      !straight.empty() && (straight.size() >= 2 || straight.size() == judged_beyond_v1);
  const auto smith = smith_lad_score(table, analysis.global.qtc_ms);
  const bool smith_domain = in_smith_domain(elevated, analysis);
  if (shape_straight) {
    Evidence e{"straight_st", in_standard_order(straight), straightest};
    if (smith_domain && smith && *smith < kSmithLadThreshold) {
      out.supporting.push_back(std::move(e));  // the formula, in its domain, says ER
    } else {
      out.decisive.push_back(std::move(e));
    }
  }
  if (!concave.empty()) out.variant.push_back({"concave_st", in_standard_order(concave), most_concave});
  if (smith_domain && smith) {
    if (*smith >= kSmithLadThreshold) {
      // In its domain the formula decides unless the ST segment shows the upward concavity of
      // early repolarisation (then it is reported beside it and a human weighs the two).
      Evidence e{"smith_lad_occlusion", {"V2", "V3", "V4"}, *smith};
      if (concave.empty()) {
        out.decisive.push_back(std::move(e));
      } else {
        out.supporting.push_back(std::move(e));
      }
    } else {
      out.variant.push_back({"smith_early_repolarization", {"V2", "V3", "V4"}, *smith});
    }
  }

  // 3. Reported, not decisive.
  // Terminal QRS distortion: in V2 or V3 with ST elevation, a QRS that ends on its R wave (no S
  // wave) — the ST segment swallows the end of the QRS.
  {
    std::set<std::string> hit;
    for (const char* lead : {"V2", "V3"}) {
      if (!elevated.count(lead)) continue;
      auto v = table.find(lead);
      if (v && v->r_uv - std::max(0.0, v->st_j_uv) >= 100 && v->s_uv > -50) hit.insert(lead);
    }
    if (!hit.empty()) out.supporting.push_back({"terminal_qrs_distortion", in_standard_order(hit), 0});
  }
  // Q waves (≥ 40 ms and ≥ 0.1 mV) in elevated leads beyond V1–V2 (a QS in V1–V2 is common in
  // health).
  {
    std::set<std::string> hit;
    for (const auto& lead : elevated) {
      if (lead == "V1" || lead == "V2" || lead == "III" || lead == kMinusAvr) continue;
      auto v = table.find(lead);
      if (v && v->q_uv <= -100 && v->q_duration_ms >= 40) hit.insert(lead);
    }
    if (!hit.empty()) out.supporting.push_back({"q_waves_with_ste", in_standard_order(hit), 0});
  }
  // Proportion of the ST elevation to the QRS it follows.
  {
    std::set<std::string> high;
    double max_ratio = 0;
    for (const auto& lead : elevated) {
      auto v = table.find(lead);
      if (!v || v->qrs_peak_to_peak_uv() <= 0) continue;
      const double ratio = v->st_j_uv / v->qrs_peak_to_peak_uv();
      max_ratio = std::max(max_ratio, ratio);
      if (ratio >= kDisproportionRatio) high.insert(lead);
    }
    if (!high.empty()) {
      out.supporting.push_back({"ste_disproportionate", in_standard_order(high), max_ratio});
    } else {
      out.variant.push_back({"ste_proportionate", {}, max_ratio});
    }
  }
  return out;
}

}  // namespace gc::triage::detail
