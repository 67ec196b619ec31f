// triage — can this record be assessed for STEMI at all? Too few analysable standard leads or a
// failed quality check makes it poor_quality (repeat the ECG, human read), with what is wrong
// named; ST elevation already meeting the criteria in the analysable leads makes the repeat urgent
// (safety net), and a Brugada type-1 pattern in V1/V2 is named.

#include <set>
#include <string>
#include <vector>

#include "evaluator.hpp"
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
    std::vector<std::string> present;
    for (const auto& name : a_.lead_names) present.push_back(name);
    const std::string list = present.empty() ? "none" : join(present, ", ");
    f_.notes.push_back("insufficient leads for STEMI criteria: " + std::to_string(recorded) +
                       " of the 12 standard leads recorded (leads present: " + list + ")");
    const std::string list_zh = present.empty() ? "无" : join(present, "、");
    f_.explanation_en = "Not a 12-lead ECG: the record has " +
                        std::to_string(a_.lead_names.size()) + " lead(s) (" + list + "), " +
                        std::to_string(recorded) +
                        " of the 12 standard leads. STEMI criteria need contiguous limb and chest "
                        "leads, so they cannot be assessed: record a standard 12-lead ECG; human "
                        "read.";
    f_.explanation_zh =
        "非 12 导联心电图：本记录仅含 " + std::to_string(a_.lead_names.size()) + " 个导联（" +
        list_zh + "），标准 12 导联中仅 " + std::to_string(recorded) +
        " 个。STEMI 判定需要相邻的肢体及胸前导联，无法评估：请加做标准 12 导联心电图，"
        "需人工判读";
  } else {
    quality_text(analysable, too_few);
  }
  ste_safety_net();
  // A Brugada type-1 pattern seen in analysable V1/V2 is reported even when the record as a whole
  // cannot be assessed: it is a reason for a human read on its own.
  if (auto b = detect_brugada()) {
    f_.confounders.push_back("brugada");
    const auto st = detail::make_statement(b->code, b->leads, b->value);
    f_.notes.push_back(st.text_en);
    f_.explanation_en += " " + st.text_en + ": human read.";
    f_.explanation_zh += "；" + st.text_zh + "，需人工判读";
  }
  return true;
}

void Evaluator::quality_text(int analysable, bool too_few) {
  std::vector<std::string> problems, problems_zh;
  for (const auto& pr : a_.quality.problems) {
    std::string item = pr.lead.empty() ? pr.kind : pr.lead + " " + pr.kind;
    std::string item_zh = (pr.lead.empty() ? "" : pr.lead + " ") + quality_kind_zh(pr.kind);
    if (!pr.detail.empty()) item += " (" + pr.detail + ")";
    problems.push_back(item);
    problems_zh.push_back(item_zh);
  }
  if (too_few) {
    problems.push_back("only " + std::to_string(analysable) +
                       " of the 12 standard leads analysable");
    problems_zh.push_back("12 个标准导联中仅 " + std::to_string(analysable) + " 个可分析");
  }
  const std::string list = problems.empty() ? "unspecified" : join(problems, "; ");
  const std::string list_zh = problems_zh.empty() ? "未说明" : join(problems_zh, "；");
  f_.explanation_en = "Poor ECG quality: " + list + ". Repeat the ECG.";
  f_.explanation_zh = "心电图质量差，请重新记录。问题：" + list_zh;
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
    if (e.count("-aVR")) shown.push_back(display_lead("-aVR"));
    f_.notes.push_back("ST elevation meeting criteria in analysable leads " + join(shown, ", ") +
                       " despite poor quality: urgent repeat and human read");
    f_.explanation_en += " ST elevation seen in " + join(shown, ", ") + ": urgent human read.";
    f_.explanation_zh += "；" + join(shown, "、") + " 导联可见 ST 段抬高，请紧急人工判读";
    f_.tier = Tier::urgent;
  } else {
    f_.tier = p_.chest_pain ? Tier::urgent : Tier::routine;
  }
}

}  // namespace gc::triage::detail
