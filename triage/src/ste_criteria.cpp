// triage — does ST elevation meet the Fourth Universal Definition criteria (J point and J+60, the
// thresholds for this patient) in ≥ 2 contiguous leads; which territory, which reciprocal
// depression, which culprit artery? Also the STEMI read itself (finish_stemi).

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "evaluator.hpp"
#include "text.hpp"

namespace gc::triage::detail {

// --- Notes on thresholds ------------------------------------------------------------------

void Evaluator::threshold_notes() {
  if (p_.sex == Sex::unknown) {
    f_.notes.push_back(
        "sex unknown: most sensitive ST-elevation thresholds used (V2–V3 0.15 mV, V7–V9 and "
        "V3R–V5R 0.05 mV)");
  } else if (p_.sex == Sex::male && !p_.age_years) {
    f_.notes.push_back(
        "age unknown: most sensitive ST-elevation thresholds for men used (V2–V3 0.20 mV, V7–V9 "
        "and V3R–V5R 0.05 mV)");
  }
}

// --- ST elevation runs ----------------------------------------------------------------------

std::vector<std::vector<std::string>> Evaluator::ste_runs() const {
  std::vector<std::vector<std::string>> out;
  auto pred = [this](const LeadView& v) { return meets_ste(v); };
  auto keep = [&out](std::vector<std::vector<std::string>> rs) {
    for (auto& r : rs) {
      if (r.size() >= 2) out.push_back(std::move(r));
    }
  };
  keep(detail::runs(detail::kChestChain, table_, pred));
  keep(detail::runs(detail::kRightChain, table_, pred));
  keep(detail::runs(detail::kLimbChain, table_, pred));
  return out;
}

bool Evaluator::has_ste_runs(const PatientContext& patient) const {
  auto pred = [&patient](const LeadView& v) {
    const double t = ste_threshold_uv(v.name, patient);
    return v.st_j_uv >= t && v.st_late_uv >= kLateConfirmFraction * t;
  };
  for (const auto& rs : {detail::runs(detail::kChestChain, table_, pred),
                         detail::runs(detail::kRightChain, table_, pred),
                         detail::runs(detail::kLimbChain, table_, pred)}) {
    for (const auto& r : rs) {
      if (r.size() >= 2) return true;
    }
  }
  return false;
}

// Two leads meeting the criterion with exactly one recorded-but-unanalysable lead between them are
// not contiguous (we do not guess the missing lead), but a human should look.
void Evaluator::gap_notes(std::vector<std::string>& en, std::vector<std::string>& zh) const {
  auto scan = [&](auto const& chain) {
    for (std::size_t i = 0; i + 2 < chain.size(); ++i) {
      auto a = table_.find(chain[i]);
      auto c = table_.find(chain[i + 2]);
      if (a && c && meets_ste(*a) && meets_ste(*c) && !table_.has(chain[i + 1]) &&
          table_.recorded(chain[i + 1])) {
        en.push_back("ST elevation in " + display_lead(chain[i]) + " and " +
                     display_lead(chain[i + 2]) + " with " + display_lead(chain[i + 1]) +
                     " not analysable: contiguity cannot be assessed");
        zh.push_back(display_lead(chain[i]) + " 与 " + display_lead(chain[i + 2]) + " ST 段抬高，" +
                     display_lead(chain[i + 1]) + " 导联无法分析，相邻性无法判断");
      }
    }
  };
  scan(detail::kChestChain);
  scan(detail::kRightChain);
  scan(detail::kLimbChain);
}

// Territories from the set of elevated leads: the most specific consistent set.
std::vector<std::string> Evaluator::territories_of(const std::set<std::string>& e) const {
  std::vector<std::string> t;
  const bool v1v2 = e.count("V1") || e.count("V2");
  const bool v3v4 = e.count("V3") || e.count("V4");
  const bool v5v6 = e.count("V5") || e.count("V6");
  // Extensive anterior: elevation spans septal to lateral precordium (at least V2–V5 and V1 or
  // V6, i.e. ≥ 5 of V1–V6); V1–V6 with I/aVL adds high lateral separately.
  const bool extensive = e.count("V2") && e.count("V3") && e.count("V4") && e.count("V5") &&
                         (e.count("V1") || e.count("V6"));
  if (extensive) {
    t.push_back("extensive_anterior");
  } else {
    if (v1v2 && v3v4) {
      t.push_back("anteroseptal");
    } else if (v1v2) {
      t.push_back("septal");
    } else if (v3v4) {
      t.push_back("anterior");
    }
    if (v5v6) t.push_back("lateral");
  }
  if (e.count("I") || e.count("aVL")) t.push_back("high_lateral");
  if (e.count("II") || e.count("III") || e.count("aVF")) t.push_back("inferior");
  if (e.count("V7") || e.count("V8") || e.count("V9")) t.push_back("posterior");
  if (e.count("V3R") || e.count("V4R") || e.count("V5R")) t.push_back("right_ventricle");
  // −aVR alone with neither I nor II elevated cannot form a run, so it needs no territory.
  return t;
}

void Evaluator::list_depressions(const std::set<std::string>& exclude) {
  for (auto lead : detail::kStandardOrder) {
    const std::string name(lead);
    if (exclude.count(name)) continue;
    auto v = table_.find(name);
    if (v && depressed(*v, kDepressionUv)) {
      f_.depressed.push_back({name, v->st_j_uv, v->st_late_uv, -kDepressionUv});
    }
  }
}

// --- Culprit artery hints -------------------------------------------------------------------

std::vector<Culprit> Evaluator::culprits(const std::set<std::string>& e) const {
  std::vector<Culprit> out;
  const bool inferior = e.count("II") || e.count("III") || e.count("aVF");
  const bool rv =
      e.count("V3R") || e.count("V4R") || e.count("V5R") || (inferior && st("V1") >= 100);
  const bool anterior = e.count("V1") || e.count("V2") || e.count("V3") || e.count("V4");
  if (inferior) {
    const bool iii_gt_ii = st("III") > st("II");
    const bool lateral = e.count("I") || e.count("aVL") || e.count("V5") || e.count("V6");
    if (iii_gt_ii && rv) {
      out.push_back(
          {"proximal RCA with right-ventricular involvement (STE III > II, STE " +
               std::string(e.count("V4R")
                               ? "V4R"
                               : (e.count("V3R") || e.count("V5R") ? "right-sided leads" : "V1")) +
               ")",
           "右冠状动脉近段闭塞合并右室受累（III 导联抬高 > II）"});
    } else if (iii_gt_ii) {
      out.push_back({"RCA (STE III > II)", "右冠状动脉（III 导联抬高 > II）"});
    } else if (lateral) {
      out.push_back({"LCx (inferior with lateral STE, STE III ≤ II)",
                     "左回旋支（下壁合并侧壁抬高，III ≤ II）"});
    }
    std::vector<std::string> v13;
    for (const char* lead : {"V1", "V2", "V3"}) {
      auto v = table_.find(lead);
      if (v && depressed(*v, kDepressionUv)) v13.emplace_back(lead);
    }
    if (v13.size() >= 2 && !e.count("V7") && !e.count("V8") && !e.count("V9")) {
      out.push_back({"posterior extension suspected (ST↓ " + join(v13, ", ") + "): record V7–V9",
                     "疑似合并后壁受累（" + join(v13, "、") + " ST 段压低），请加做 V7–V9"});
    }
  }
  if (anterior && !inferior) {
    auto avl = table_.find("aVL");
    if ((e.count("V1") || e.count("V2")) && (e.count("V3") || e.count("V4")) && avl &&
        avl->st_j_uv >= 100) {
      out.push_back(
          {"proximal LAD (V1–V4 with aVL elevation)", "前降支近段（V1–V4 合并 aVL 抬高）"});
    } else {
      out.push_back({"LAD", "前降支"});
    }
  }
  if (!inferior && !anterior && (e.count("V7") || e.count("V8") || e.count("V9"))) {
    out.push_back({"LCx or RCA (posterior)", "回旋支或右冠（后壁）"});
  }
  if (left_main_pattern()) {
    out.push_back({"left main / multivessel disease (STE aVR with diffuse ST depression)",
                   "左主干/多支病变（aVR 抬高伴广泛 ST 段压低）"});
  }
  return out;
}

// --- The STEMI read ---------------------------------------------------------------------------

void Evaluator::finish_stemi(const std::vector<std::vector<std::string>>& runs,
                             const std::set<std::string>& e) {
  f_.category = Category::stemi;
  f_.stemi = true;
  f_.route_to_human = true;  // the cardiologist confirms before the green channel opens
  f_.territories = territories_of(e);
  for (auto lead : detail::kStandardOrder) {
    const std::string name(lead);
    if (!e.count(name)) continue;
    auto v = table_.find(name);
    f_.elevated.push_back({name, v->st_j_uv, v->st_late_uv, thr(name)});
  }
  if (e.count("-aVR")) {
    auto v = table_.find("-aVR");
    f_.elevated.push_back({"-aVR", v->st_j_uv, v->st_late_uv, thr("-aVR")});
  }
  list_depressions(e);

  std::vector<std::string> terr_en, terr_zh;
  for (const auto& t : f_.territories) {
    terr_en.emplace_back(territory_name_en(t));
    const std::string zh(territory_name_zh(t));
    if (std::find(terr_zh.begin(), terr_zh.end(), zh) == terr_zh.end()) terr_zh.push_back(zh);
  }
  const auto recip = detail::reciprocal_leads_for(f_.territories);
  std::vector<std::string> recip_hit, other_std;
  for (const auto& d : f_.depressed) {
    if (std::find(recip.begin(), recip.end(), d.lead) != recip.end()) {
      recip_hit.push_back(d.lead);
    } else if (d.lead != "aVR") {
      other_std.push_back(d.lead);
    }
  }

  std::string en = "ST↑ " + ste_text(runs);
  std::string zh = "ST 段抬高 " + ste_text(runs, "，");
  if (!recip_hit.empty()) {
    en += "; reciprocal ST↓ " + join(recip_hit, ", ");
    zh += "；对应导联 ST 段压低 " + join(recip_hit, "、");
  }
  if (!other_std.empty()) {
    en += "; ST↓ " + join(other_std, ", ");
    zh += "；ST 段压低 " + join(other_std, "、");
  }
  en += " → acute " + join(terr_en, " + ") + " STEMI";
  zh += " → 急性" + join(terr_zh, "、") + " STEMI";
  for (const auto& c : culprits(e)) {
    f_.culprit_hints.push_back(c.en);
    en += "; culprit: " + c.en;
    zh += "；提示：" + c.zh;
  }
  if (detect_rbbb()) {
    f_.notes.push_back("RBBB present: ST-elevation criteria remain valid in RBBB");
  }
  if (detect_lvh()) {
    f_.notes.push_back("LVH voltage criteria met: ST elevation exceeds what LVH explains");
  }
  f_.explanation_en = en;
  f_.explanation_zh = zh;
}

}  // namespace gc::triage::detail
