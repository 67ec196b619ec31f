// triage internals: lead look-up over a dsp::Analysis (with the derived −aVR lead), contiguity
// chains and run finding. Shared by the rule files (evaluator.hpp) and serial.cpp; not public.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "gc/dsp.hpp"

namespace gc::triage::detail {

// "-aVR" is the inverted aVR lead of the Cabrera display: ST(−aVR) = −ST(aVR).
inline constexpr std::string_view kMinusAvr = "-aVR";

// Contiguity chains (DESIGN.md §4). Neighbours in a chain are contiguous; nothing else is.
inline constexpr std::array<std::string_view, 6> kLimbChain = {"aVL", "I",   "-aVR",
                                                               "II",  "aVF", "III"};
inline constexpr std::array<std::string_view, 9> kChestChain = {"V1", "V2", "V3", "V4", "V5",
                                                                "V6", "V7", "V8", "V9"};
inline constexpr std::array<std::string_view, 3> kRightChain = {"V3R", "V4R", "V5R"};

// Standard display order of all leads triage knows.
inline constexpr std::array<std::string_view, 18> kStandardOrder = {
    "I",  "II", "III", "aVR", "aVL", "aVF", "V1",  "V2",  "V3",
    "V4", "V5", "V6",  "V7",  "V8",  "V9",  "V3R", "V4R", "V5R"};

inline constexpr std::array<std::string_view, 12> kTwelveLeads = {
    "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"};

// One lead as triage sees it. For −aVR the ST and T levels are negated; QRS amplitudes are those of
// aVR mirrored (r ↔ −s) so that "positive QRS" keeps its meaning.
struct LeadView {
  std::string name;
  double st_j_uv = 0;
  double st_late_uv = 0;
  double st_slope_uv_per_s = 0;
  double q_uv = 0;  // ≤ 0
  double r_uv = 0;  // ≥ 0
  double s_uv = 0;  // ≤ 0
  double q_duration_ms = 0;
  double r_duration_ms = 0;
  double s_duration_ms = 0;
  double t_uv = 0;
  double pr_vs_tp_uv = 0;
  double qrs_net_uv = 0;
  std::optional<double> st_concavity;  // dsp::LeadMeasurement::st_concavity (none for −aVR)

  // Deepest negative QRS deflection (Q or S), ≤ 0.
  double negative_uv() const { return q_uv < s_uv ? q_uv : s_uv; }
  // Peak-to-peak QRS amplitude, ≥ 0.
  double qrs_peak_to_peak_uv() const { return r_uv - negative_uv(); }
};

// Analysable leads of an Analysis by canonical name. Leads that are absent, not analysable or
// listed twice are simply not found: callers treat "not found" as a gap.
class LeadTable {
 public:
  explicit LeadTable(const dsp::Analysis& analysis) {
    const std::size_t n = std::min(analysis.lead_names.size(), analysis.per_lead.size());
    for (std::size_t i = 0; i < n; ++i) {
      const auto& m = analysis.per_lead[i];
      // dsp::Analysis carries canonical names where known (dsp.hpp); others are never matched.
      const std::string& name = analysis.lead_names[i];
      recorded_[name] = true;
      if (!m.analysable) continue;
      LeadView v;
      v.name = name;
      v.st_j_uv = m.st_j_uv;
      v.st_late_uv = m.st_j60_uv;
      v.st_slope_uv_per_s = m.st_slope_uv_per_s;
      v.q_uv = m.q_amplitude_uv;
      v.r_uv = m.r_amplitude_uv;
      v.s_uv = m.s_amplitude_uv;
      v.q_duration_ms = m.q_duration_ms;
      v.r_duration_ms = m.r_duration_ms;
      v.s_duration_ms = m.s_duration_ms;
      v.t_uv = m.t_amplitude_uv;
      v.pr_vs_tp_uv = m.pr_segment_vs_tp_uv;
      v.qrs_net_uv = m.qrs_net_uv;
      v.st_concavity = m.st_concavity;
      leads_.emplace(name, v);
    }
    if (auto avr = find("aVR")) {
      LeadView v = *avr;
      v.name = std::string(kMinusAvr);
      v.st_j_uv = -avr->st_j_uv;
      v.st_late_uv = -avr->st_late_uv;
      v.st_slope_uv_per_s = -avr->st_slope_uv_per_s;
      v.r_uv = -avr->negative_uv();
      v.q_uv = 0;
      v.s_uv = -avr->r_uv;
      v.t_uv = -avr->t_uv;
      v.pr_vs_tp_uv = -avr->pr_vs_tp_uv;
      v.qrs_net_uv = -avr->qrs_net_uv;
      v.st_concavity.reset();  // the shape of an inverted lead's ST is not a shape we judge
      leads_.emplace(v.name, v);
    }
  }

  std::optional<LeadView> find(std::string_view name) const {
    auto it = leads_.find(std::string(name));
    if (it == leads_.end()) return std::nullopt;
    return it->second;
  }
  bool has(std::string_view name) const { return leads_.count(std::string(name)) != 0; }
  // True when the lead is in the record at all (analysable or not).
  bool recorded(std::string_view name) const {
    if (name == kMinusAvr) return recorded_.count("aVR") != 0;
    return recorded_.count(std::string(name)) != 0;
  }

 private:
  std::map<std::string, LeadView, std::less<>> leads_;
  std::map<std::string, bool, std::less<>> recorded_;
};

// Maximal runs of consecutive chain leads that are analysable and satisfy `pred`. A lead that is
// absent or not analysable ends a run: contiguity is never assumed across a gap.
template <std::size_t N>
std::vector<std::vector<std::string>> runs(const std::array<std::string_view, N>& chain,
                                           const LeadTable& table,
                                           const std::function<bool(const LeadView&)>& pred) {
  std::vector<std::vector<std::string>> out;
  std::vector<std::string> current;
  for (auto name : chain) {
    auto v = table.find(name);
    if (v && pred(*v)) {
      current.emplace_back(name);
    } else if (!current.empty()) {
      out.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) out.push_back(std::move(current));
  return out;
}

// Leads of every run of ≥ 2 contiguous leads satisfying `pred` (−aVR and aVR left out).
template <typename Pred>
std::set<std::string> contiguous(const LeadTable& table, Pred pred) {
  std::set<std::string> hit;
  const std::function<bool(const LeadView&)> p = [&](const LeadView& v) {
    return v.name != kMinusAvr && pred(v);
  };
  for (const auto& rs :
       {runs(kChestChain, table, p), runs(kRightChain, table, p), runs(kLimbChain, table, p)}) {
    for (const auto& r : rs) {
      if (r.size() >= 2) hit.insert(r.begin(), r.end());
    }
  }
  return hit;
}

}  // namespace gc::triage::detail
