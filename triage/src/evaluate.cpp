// triage: the clinical decision — the order in which the questions are asked (decide()): quality;
// LBBB / pacing / very wide QRS (Sgarbossa); ST-elevation criteria, then a mimic that explains
// them, then evidence of occlusion (else a normal variant); without the criteria, the equivalents;
// then the tier and the coded statements. One file per question (evaluator.hpp).

#include <map>
#include <set>
#include <string>
#include <vector>

#include "evaluator.hpp"
#include "text.hpp"

namespace gc::triage::detail {

// A QRS measured shorter than this next to pacing spikes is not physiological (see decide()).
constexpr double kImplausibleQrsMs = 60;

Finding Evaluator::run() {
  decide();
  build_statements();
  return f_;
}

void Evaluator::decide() {
  threshold_notes();
  if (!a_.global.pacing_assessable) {
    f_.notes.push_back(detail::make_statement("pacing_not_assessable", {}, a_.sample_rate_hz).text_en);
  }
  if (gate_quality()) return;

  // LBBB and ventricular pacing invalidate the ST-elevation criteria: Sgarbossa instead.
  // Pacing spikes with a narrow QRS (60–119 ms) are atrial pacing: STE criteria apply. A QRS
  // measured shorter than 60 ms next to pacing spikes is not physiological — the spike has fooled
  // the delineation — so it is treated as ventricular pacing.
  const bool paced =
      a_.global.pacing_spikes && (!qrs_ms() || wide_qrs() || *qrs_ms() < kImplausibleQrsMs);
  const bool lbbb = !paced && detect_lbbb();
  // A very wide QRS (≥ 160 ms) without a bundle-branch pattern — ventricular pacing whose spikes
  // were not detected, or severe IVCD — distorts repolarisation like LBBB: Sgarbossa rules apply.
  // A nonspecific IVCD of 120–159 ms keeps the ordinary criteria, as the guidelines do.
  // A Brugada type-1 pattern widens the QRS's right-precordial end and lifts V1–V2 discordant to
  // it: that is the pattern itself, not an IVCD for Sgarbossa rules (it is read below).
  const bool ivcd = !paced && !lbbb && qrs_clearly_at_least(kIvcdQrsMs) && !detect_rbbb() &&
                    !detect_brugada();
  if (paced || lbbb || ivcd) {
    const std::string key = paced ? "paced" : (lbbb ? "lbbb" : "ivcd");
    f_.confounders.push_back(key);
    // With an implausible QRS measurement the ST levels are taken at the wrong place: Sgarbossa
    // cannot be assessed, so the record goes to a human without it.
    const bool unreliable = qrs_ms() && *qrs_ms() < kImplausibleQrsMs;
    if (unreliable) {
      f_.notes.push_back(say("note_paced_qrs_unreliable", {{"qrs", Arg::ms(*qrs_ms())}}).en);
    }
    if (unreliable || !sgarbossa(key)) {
      const auto& t = confounder_text(key);
      list_depressions({});
      // What the ST segments show, for the human who reads it.
      std::vector<std::string> up, down;
      for (auto lead : detail::kStandardOrder) {
        auto v = table_.find(lead);
        if (v && v->st_j_uv >= kSgarbossaUv) up.emplace_back(lead);
      }
      for (const auto& d : f_.depressed) down.push_back(d.lead);
      std::vector<Words> assessment{
          say(unreliable ? "sgarbossa_not_assessable" : "sgarbossa_negative")};
      if (!up.empty()) assessment.push_back(say("seen_ste_1mm", {{"leads", Arg::leads(up)}}));
      if (!down.empty()) assessment.push_back(say("seen_std", {{"leads", Arg::leads(down)}}));
      finish_confounded(key, say("criteria_do_not_apply",
                                 {{"confounder", Arg(t.en, t.zh)},
                                  {"assessment", join_clauses(assessment)}}));
    }
    set_tier();
    return;
  }

  const auto runs = ste_runs();
  std::set<std::string> e;
  for (const auto& r : runs) e.insert(r.begin(), r.end());

  if (!e.empty()) {
    if (auto key = explain_ste_by_confounder(e)) {
      const auto& t = confounder_text(*key);
      for (auto lead : detail::kStandardOrder) {
        const std::string name(lead);
        if (auto v = table_.find(name); v && e.count(name)) {
          f_.elevated.push_back({name, v->st_j_uv, v->st_late_uv, thr(name)});
        }
      }
      list_depressions(e);
      finish_confounded(*key, say("ste_explained_by", {{"runs", ste_text(runs)},
                                                       {"confounder", Arg(t.en, t.zh)}}));
    } else {
      // The voltages are necessary, not sufficient (occlusion.hpp): a critical read needs ECG
      // evidence of occlusion; without it the elevation goes to a human as urgent, reasons named.
      // "Beyond the normal range" is judged against the thresholds that may raise a critical
      // alert (with sex unknown: a man's of this age; see the policy below).
      PatientContext critical_context = p_;
      if (critical_context.sex == Sex::unknown) critical_context.sex = Sex::male;
      std::map<std::string, double> thresholds;
      for (const auto& lead : e) thresholds[lead] = ste_threshold_uv(lead, critical_context);
      const auto occlusion = detail::assess_occlusion(table_, a_, e, territories_of(e), thresholds);
      occlusion_ = occlusion;
      if (occlusion.supported()) {
        finish_stemi(runs, e);
        // Sex unknown (policy, stated in the read): the most sensitive thresholds (women's
        // 0.15 mV in V2–V3) decide that a human reads the ECG, but a critical alert also needs the
        // criteria met at the thresholds for a man of this age. Half of healthy young men exceed
        // the women's threshold in V2–V3 (Macfarlane 2004), so on its own it would page the
        // cath-lab team for them; a woman's STEMI that reaches only 0.15–0.20 mV still goes to a
        // human as urgent within the same minute.
        if (p_.sex == Sex::unknown) {
          PatientContext as_man = p_;
          as_man.sex = Sex::male;
          if (!has_ste_runs(as_man)) {
            critical_allowed_ = false;
            const auto st = detail::make_statement("thresholds_sex_unknown");
            f_.notes.push_back(st.text_en);
            Words read = explanation();
            append_clause(read, say("sex_unknown_womens_thresholds_only"));
            explain(read);
          }
        }
        for (const auto& ev : occlusion.decisive) {
          f_.notes.push_back(say("note_occlusion_supported", {{"evidence", evidence_words(ev)}}).en);
        }
        for (const auto& ev : occlusion.supporting) {
          f_.notes.push_back(say("note_also", {{"evidence", evidence_words(ev)}}).en);
        }
      } else {
        finish_normal_variant(runs, e, occlusion);
      }
    }
  } else {
    finish_no_ste();
  }
  set_tier();
  return;
}

}  // namespace gc::triage::detail

namespace gc::triage {

Finding evaluate(const dsp::Analysis& analysis, const PatientContext& patient) {
  return detail::Evaluator(analysis, patient).run();
}

}  // namespace gc::triage
