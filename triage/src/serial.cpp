// triage: serial comparison of the same patient's ECGs. Dynamic ST change (≥ 0.1 mV in the same
// direction in ≥ 2 contiguous leads) is strong evidence of an evolving infarction.
#include <algorithm>
#include <cmath>
#include <string>

#include "gc/triage.hpp"
#include "leads.hpp"
#include "text.hpp"

namespace gc::triage {

namespace {

using detail::display_lead;
using detail::format_mv;
using detail::join;

// Runs of ≥ 2 contiguous leads whose ST moved by ≥ kDynamicSTChangeUv in direction `sign`.
// −aVR takes the negated aVR change. Leads missing from either record break the run.
template <std::size_t N>
void dynamic_runs(const std::array<std::string_view, N>& chain, const detail::LeadTable& prev,
                  const detail::LeadTable& cur, double sign, std::vector<std::string>& out) {
  std::vector<std::string> run;
  auto flush = [&] {
    if (run.size() >= 2) out.insert(out.end(), run.begin(), run.end());
    run.clear();
  };
  for (auto lead : chain) {
    auto p = prev.find(lead);
    auto c = cur.find(lead);
    if (p && c && sign * (c->st_j_uv - p->st_j_uv) >= kDynamicSTChangeUv) {
      run.emplace_back(lead);
    } else {
      flush();
    }
  }
  flush();
}

}  // namespace

SerialChange compare_serial(const dsp::Analysis& previous, const dsp::Analysis& current) {
  const detail::LeadTable prev(previous), cur(current);
  SerialChange out;
  for (auto lead : detail::kStandardOrder) {
    auto p = prev.find(lead);
    auto c = cur.find(lead);
    if (!p || !c) continue;
    out.leads.push_back({std::string(lead), p->st_j_uv, c->st_j_uv, c->st_j_uv - p->st_j_uv});
  }
  for (double sign : {1.0, -1.0}) {
    auto& target = sign > 0 ? out.rising_leads : out.falling_leads;
    dynamic_runs(detail::kChestChain, prev, cur, sign, target);
    dynamic_runs(detail::kRightChain, prev, cur, sign, target);
    dynamic_runs(detail::kLimbChain, prev, cur, sign, target);
  }
  out.dynamic = !out.rising_leads.empty() || !out.falling_leads.empty();

  auto describe = [&out](const std::vector<std::string>& leads, std::vector<std::string>& en,
                         std::vector<std::string>& zh, bool rising) {
    if (leads.empty()) return;
    double max_uv = 0;
    std::vector<std::string> shown;
    for (const auto& lead : leads) {
      shown.push_back(display_lead(lead));
      const std::string base = lead == "-aVR" ? "aVR" : lead;
      for (const auto& l : out.leads) {
        if (l.lead == base) max_uv = std::max(max_uv, std::fabs(l.delta_uv));
      }
    }
    en.push_back(std::string(rising ? "new ST↑" : "ST↓ (or resolving ST↑)") +
                 " since the previous ECG in " + join(shown, ", ") + " (up to " +
                 format_mv(max_uv) + ")");
    zh.push_back("与前次心电图相比 " + join(shown, "、") +
                 (rising ? " ST 段新抬高" : " ST 段下降（或抬高回落）") + "（最大 " +
                 format_mv(max_uv) + "）");
  };
  std::vector<std::string> en, zh;
  describe(out.rising_leads, en, zh, true);
  describe(out.falling_leads, en, zh, false);
  if (out.dynamic) {
    out.text_en = "Dynamic ST change: " + join(en, "; ");
    out.text_zh = "ST 段动态改变：" + join(zh, "；");
  } else {
    double max_uv = 0;
    for (const auto& l : out.leads) max_uv = std::max(max_uv, std::fabs(l.delta_uv));
    out.text_en =
        "No dynamic ST change since the previous ECG (largest change " + format_mv(max_uv) + ")";
    out.text_zh = "与前次心电图相比无 ST 段动态改变（最大变化 " + format_mv(max_uv) + "）";
  }
  return out;
}

void attach_serial(Finding& finding, const SerialChange& change) {
  finding.notes.push_back(change.text_en);
  finding.explanation_en += (finding.explanation_en.empty() ? "" : "; ") + change.text_en;
  finding.explanation_zh += (finding.explanation_zh.empty() ? "" : "；") + change.text_zh;
  if (change.dynamic && finding.category != Category::stemi &&
      finding.category != Category::poor_quality) {
    finding.route_to_human = true;
    if (finding.category == Category::normal) finding.category = Category::abnormal;
    // Dynamic change in a confounded or abnormal record makes it urgent: it is the evidence that
    // a fixed pattern cannot provide.
    if (finding.tier == Tier::routine) finding.tier = Tier::urgent;
  }
}

}  // namespace gc::triage
