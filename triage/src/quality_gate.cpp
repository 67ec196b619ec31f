// triage — can this record be assessed for STEMI at all? Too few analysable standard leads or a
// failed quality check makes it poor_quality (repeat the ECG, human read), with what is wrong
// named; ST elevation already meeting the criteria in the analysable leads makes the repeat urgent
// (safety net), and a Brugada type-1 pattern in V1/V2 is named.

#include <set>
#include <string>
#include <vector>

#include "evaluator.hpp"
#include "phrases.hpp"
#include "text.hpp"

namespace gc::triage::detail {

// --- Quality gating -----------------------------------------------------------------------

bool Evaluator::gate_quality() {
  int analysable = 0, recorded = 0;
  for (auto lead : detail::kTwelveLeads) {
    analysable += table_.has(lead) ? 1 : 0;
    recorded += table_.recorded(lead) ? 1 : 0;
  }
  const bool too_few = analysable < kMinAnalysableStandardLeads;
  // Fiducial doubts that do not stop the read are still said (issue 12 item 4).
  for (const auto& p : a_.quality.problems) {
    if (p.kind == "j_point_leads_disagree" || p.kind == "t_end_uncertain") f_.notes.push_back(p.detail);
  }
  if (a_.quality.ok && !too_few) return false;

  // Contract value: poor_quality is "this record cannot be assessed for STEMI; record an ECG that
  // can". A record that simply lacks the leads (a 2-lead Holter, a rhythm strip) is not assessable
  // either, and the action is the same (record a 12-lead ECG, human read), so it keeps the
  // category — but its message says what is actually wrong: not noise, missing leads.
  f_.category = Category::poor_quality;
  f_.repeat_ecg = true;
  f_.route_to_human = true;
  if (recorded < kMinAnalysableStandardLeads) {
    // The names as the file gives them.
    std::vector<Words> names;
    for (const auto& name : a_.lead_names) names.push_back({name, name});
    const Arg present = names.empty() ? Arg(say("none")) : Arg(join_list(names));
    const Arg n_recorded = Arg::count(static_cast<std::size_t>(recorded));
    f_.notes.push_back(
        say("note_insufficient_leads", {{"recorded", n_recorded}, {"present", present}}).en);
    explain(say("not_twelve_lead", {{"n", Arg::count(a_.lead_names.size())},
                                    {"present", present},
                                    {"recorded", n_recorded}}));
  } else {
    quality_text(analysable, too_few);
  }
  ste_safety_net();
  // A Brugada type-1 pattern seen in analysable V1/V2 is reported even when the record as a whole
  // cannot be assessed: it is a reason for a human read on its own.
  if (auto b = detect_brugada()) {
    f_.confounders.push_back("brugada");
    const Words brugada = evidence_words(*b);
    f_.notes.push_back(brugada.en);
    Words read = explanation();
    append_sentence(read, say("statement_human_read", {{"statement", brugada}}));
    explain(read);
  }
  return true;
}

void Evaluator::quality_text(int analysable, bool too_few) {
  // Each problem as dsp names it (its kind and English detail; the kind's Chinese name).
  std::vector<Words> problems;
  for (const auto& pr : a_.quality.problems) {
    Words item{pr.lead.empty() ? pr.kind : pr.lead + " " + pr.kind,
               (pr.lead.empty() ? "" : pr.lead + " ") + quality_kind_zh(pr.kind)};
    if (!pr.detail.empty()) item.en += " (" + pr.detail + ")";
    problems.push_back(std::move(item));
  }
  if (too_few) {
    problems.push_back(
        say("too_few_analysable", {{"n", Arg::count(static_cast<std::size_t>(analysable))}}));
  }
  explain(say("poor_quality", {{"problems", problems.empty() ? Arg(say("unspecified"))
                                                              : Arg(join_clauses(problems))}}));
}

void Evaluator::ste_safety_net() {
  // Safety net (documented deviation): ST elevation that already meets the criteria in the
  // analysable leads makes the repeat request urgent even without reported chest pain.
  std::set<std::string> e;
  for (const auto& r : ste_runs()) e.insert(r.begin(), r.end());
  if (!e.empty()) {
    std::vector<std::string> shown;
    for (auto lead : detail::kStandardOrder) {
      if (e.count(std::string(lead))) shown.push_back(std::string(lead));
    }
    if (e.count("-aVR")) shown.push_back("-aVR");
    f_.notes.push_back(say("note_ste_despite_poor_quality", {{"leads", Arg::leads(shown)}}).en);
    Words read = explanation();
    append_sentence(read, say("poor_quality_ste_seen", {{"leads", Arg::leads(shown)}}));
    explain(read);
    f_.tier = Tier::urgent;
  } else {
    f_.tier = p_.chest_pain ? Tier::urgent : Tier::routine;
  }
}

}  // namespace gc::triage::detail
