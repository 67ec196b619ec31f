// triage — does ST elevation meet the Fourth Universal Definition criteria (J point and J+60, the
// thresholds for this patient) in ≥ 2 contiguous leads; which territory, which reciprocal
// depression, which culprit artery? Also the STEMI read itself (finish_stemi).

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "evaluator.hpp"
#include "phrases.hpp"
#include "text.hpp"

namespace gc::triage::detail {

// --- Notes on thresholds ------------------------------------------------------------------

void Evaluator::threshold_notes() {
  if (p_.sex == Sex::unknown) {
    f_.notes.push_back(say("note_sex_unknown_thresholds").en);
  } else if (p_.sex == Sex::male && !p_.age_years) {
    f_.notes.push_back(say("note_age_unknown_thresholds").en);
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
std::vector<Words> Evaluator::gap_notes() const {
  std::vector<Words> out;
  auto scan = [&](auto const& chain) {
    for (std::size_t i = 0; i + 2 < chain.size(); ++i) {
      auto a = table_.find(chain[i]);
      auto c = table_.find(chain[i + 2]);
      if (a && c && meets_ste(*a) && meets_ste(*c) && !table_.has(chain[i + 1]) &&
          table_.recorded(chain[i + 1])) {
        out.push_back(say("contiguity_gap", {{"a", display_lead(chain[i])},
                                             {"b", display_lead(chain[i + 1])},
                                             {"c", display_lead(chain[i + 2])}}));
      }
    }
  };
  scan(detail::kChestChain);
  scan(detail::kRightChain);
  scan(detail::kLimbChain);
  return out;
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

std::vector<Words> Evaluator::culprits(const std::set<std::string>& e) const {
  std::vector<Words> out;
  const bool inferior = e.count("II") || e.count("III") || e.count("aVF");
  const bool rv =
      e.count("V3R") || e.count("V4R") || e.count("V5R") || (inferior && st("V1") >= 100);
  const bool anterior = e.count("V1") || e.count("V2") || e.count("V3") || e.count("V4");
  if (inferior) {
    const bool iii_gt_ii = st("III") > st("II");
    const bool lateral = e.count("I") || e.count("aVL") || e.count("V5") || e.count("V6");
    if (iii_gt_ii && rv) {
      const Arg where = e.count("V4R")                       ? Arg("V4R")
                        : (e.count("V3R") || e.count("V5R")) ? Arg(say("right_sided_leads"))
                                                             : Arg("V1");
      out.push_back(say("culprit_rca_rv", {{"where", where}}));
    } else if (iii_gt_ii) {
      out.push_back(say("culprit_rca"));
    } else if (lateral) {
      out.push_back(say("culprit_lcx"));
    }
    std::vector<std::string> v13;
    for (const char* lead : {"V1", "V2", "V3"}) {
      auto v = table_.find(lead);
      if (v && depressed(*v, kDepressionUv)) v13.emplace_back(lead);
    }
    if (v13.size() >= 2 && !e.count("V7") && !e.count("V8") && !e.count("V9")) {
      out.push_back(say("culprit_posterior_extension", {{"leads", Arg::leads(v13)}}));
    }
  }
  if (anterior && !inferior) {
    auto avl = table_.find("aVL");
    if ((e.count("V1") || e.count("V2")) && (e.count("V3") || e.count("V4")) && avl &&
        avl->st_j_uv >= 100) {
      out.push_back(say("culprit_proximal_lad"));
    } else {
      out.push_back(say("culprit_lad"));
    }
  }
  if (!inferior && !anterior && (e.count("V7") || e.count("V8") || e.count("V9"))) {
    out.push_back(say("culprit_posterior"));
  }
  if (left_main_pattern()) {
    out.push_back(say("culprit_left_main"));
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

  const auto recip = detail::reciprocal_leads_for(f_.territories);
  std::vector<std::string> recip_hit, other_std;
  for (const auto& d : f_.depressed) {
    if (std::find(recip.begin(), recip.end(), d.lead) != recip.end()) {
      recip_hit.push_back(d.lead);
    } else if (d.lead != "aVR") {
      other_std.push_back(d.lead);
    }
  }

  std::vector<Words> findings{say("ste_runs", {{"runs", ste_text(runs)}})};
  if (!recip_hit.empty()) {
    findings.push_back(say("reciprocal_std_leads", {{"leads", Arg::leads(recip_hit)}}));
  }
  if (!other_std.empty()) findings.push_back(say("other_std_leads", {{"leads", Arg::leads(other_std)}}));
  Words read = say("stemi_read", {{"findings", join_clauses(findings)},
                                  {"territories", territory_names(f_.territories)}});
  for (const auto& c : culprits(e)) {
    f_.culprit_hints.push_back(c.en);
    append_clause(read, say("culprit", {{"culprit", c}}));
  }
  if (detect_rbbb()) f_.notes.push_back(say("note_rbbb_criteria_valid").en);
  if (detect_lvh()) f_.notes.push_back(say("note_lvh_exceeded").en);
  explain(read);
}

}  // namespace gc::triage::detail
