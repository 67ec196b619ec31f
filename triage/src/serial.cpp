// triage: serial comparison of the same patient's ECGs. Dynamic ST change (≥ 0.1 mV in the same
// direction in ≥ 2 contiguous leads) is strong evidence of an evolving infarction.
#include <algorithm>
#include <cmath>
#include <string>

#include "gc/triage.hpp"
#include "leads.hpp"
#include "phrases.hpp"

namespace gc::triage {

namespace {


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

  auto describe = [&out](const std::vector<std::string>& leads, std::vector<detail::Words>& said,
                         bool rising) {
    if (leads.empty()) return;
    double max_uv = 0;
    for (const auto& lead : leads) {
      const std::string base = lead == "-aVR" ? "aVR" : lead;
      for (const auto& l : out.leads) {
        if (l.lead == base) max_uv = std::max(max_uv, std::fabs(l.delta_uv));
      }
    }
    said.push_back(detail::say(rising ? "serial_new_ste" : "serial_falling_st",
                               {{"leads", detail::Arg::leads(leads)},
                                {"max", detail::Arg::mv(max_uv)}}));
  };
  std::vector<detail::Words> changes;
  describe(out.rising_leads, changes, true);
  describe(out.falling_leads, changes, false);
  detail::Words text;
  if (out.dynamic) {
    text = detail::say("serial_dynamic", {{"changes", detail::join_clauses(changes)}});
  } else {
    double max_uv = 0;
    for (const auto& l : out.leads) max_uv = std::max(max_uv, std::fabs(l.delta_uv));
    text = detail::say("serial_no_change", {{"max", detail::Arg::mv(max_uv)}});
  }
  out.text_en = std::move(text.en);
  out.text_zh = std::move(text.zh);
  return out;
}

void attach_serial(Finding& finding, const SerialChange& change) {
  finding.notes.push_back(change.text_en);
  detail::Words read{finding.explanation_en, finding.explanation_zh};
  detail::append_clause(read, {change.text_en, change.text_zh});
  finding.explanation_en = std::move(read.en);
  finding.explanation_zh = std::move(read.zh);
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
