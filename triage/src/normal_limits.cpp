// Within normal limits? (see normal_limits.hpp for the rules and references).
#include "normal_limits.hpp"

#include <algorithm>
#include <set>
#include <string>

namespace gc::triage::detail {

namespace {

std::vector<std::string> ordered(const std::set<std::string>& leads) {
  std::vector<std::string> out;
  for (auto lead : kStandardOrder) {
    if (leads.count(std::string(lead))) out.emplace_back(lead);
  }
  return out;
}

bool pathological_q(const LeadView& v) {
  const bool qs = v.r_uv - std::max(0.0, v.st_j_uv) < 100 && v.negative_uv() <= -300;
  return qs || (v.q_uv <= -100 && v.q_duration_ms >= 40);
}

}  // namespace

std::vector<Evidence> outside_normal_limits(const LeadTable& table, const dsp::Analysis& analysis,
                                            bool wide_qrs) {
  std::vector<Evidence> out;
  double extreme_uv = 0;
  const auto up = contiguous(table, [&](const LeadView& v) {
    const bool hit = v.st_j_uv >= kNormalStDeviationUv && v.st_late_uv >= kNormalStLateUv;
    if (hit) extreme_uv = std::max(extreme_uv, v.st_j_uv);
    return hit;
  });
  const auto down = contiguous(table, [&](const LeadView& v) {
    const bool hit = v.st_j_uv <= -kNormalStDeviationUv && v.st_late_uv <= -kNormalStLateUv;
    if (hit) extreme_uv = std::max(extreme_uv, -v.st_j_uv);
    return hit;
  });
  std::set<std::string> deviated = up;
  deviated.insert(down.begin(), down.end());
  if (!deviated.empty()) out.push_back({"st_deviation", ordered(deviated), extreme_uv});

  // Q waves: QS in V1 alone is normal, so V1 counts only beside a V2 Q wave (the run rule does
  // that: a run needs two leads).
  const auto q = contiguous(table, [](const LeadView& v) { return pathological_q(v); });
  if (!q.empty()) out.push_back({"QWAVE", ordered(q), 0});

  std::set<std::string> inverted;
  double deepest_uv = 0;
  for (auto lead : kTwelveLeads) {
    if (lead == "aVR" || lead == "III" || lead == "V1") continue;
    auto v = table.find(lead);
    if (v && v->t_uv <= kInvertedTUv) {
      inverted.insert(std::string(lead));
      deepest_uv = std::min(deepest_uv, v->t_uv);
    }
  }
  if (!inverted.empty()) out.push_back({"INVT", ordered(inverted), deepest_uv});

  if (wide_qrs && analysis.global.qrs_duration_ms) {
    out.push_back({"wide_qrs", {}, *analysis.global.qrs_duration_ms});
  }
  if (const auto& qtc = analysis.global.qtc_ms; qtc && (*qtc < kQtcLowMs || *qtc > kQtcHighMs)) {
    out.push_back({"qtc_out_of_range", {}, *qtc});
  } else if (!qtc) {
    out.push_back({"qt_not_measured", {}, 0});
  }
  return out;
}

}  // namespace gc::triage::detail
