// triage internals: the clinical decision's state and its rules, one clinical question per file.
// Quality gating, Fourth Universal Definition ST-elevation criteria with contiguity, territories,
// reciprocity, STEMI equivalents, confounders and the alert tier, with the rationale in English and
// Chinese. Every rule and its why is stated where it is coded; the member functions live in:
//   quality_gate.cpp  can this record be assessed for STEMI at all?
//   ste_criteria.cpp  does ST elevation meet the criteria in contiguous leads; where, which artery?
//   confounders.cpp   is the ST elevation explained by a mimic (LBBB, LVH, Brugada, pericarditis…)?
//   sgarbossa.cpp     LBBB / ventricular pacing / very wide QRS: is there occlusion all the same?
//   equivalents.cpp   STEMI equivalents without the criteria; elevation read as a normal variant
//   no_ste.cpp        no ST-elevation criteria met: equivalent, abnormal or normal?
//   tier_policy.cpp   how urgently does a human (or the cath lab) get it?
//   read_text.cpp     the words: confounder names, the coded statements of the read
//   phrases.cpp       the sentences of every rule, English and Chinese, in one table
//   statements.cpp    the coded-statement vocabulary (SCP-ECG codes and the project's own)
//   evaluate.cpp      the order in which the questions are asked (decide())
// Not part of the public header.
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "gc/triage.hpp"
#include "leads.hpp"
#include "occlusion.hpp"
#include "phrases.hpp"
#include "statements.hpp"

namespace gc::triage::detail {

// --- Rule constants used by several files (µV, ms); the others sit beside their rule ----------

// ST at J+60 must reach this fraction of the J-point threshold: a true injury current lifts the
// whole ST segment, whereas a J point placed on the QRS tail (slurred S, J notch) is high only at
// J.
inline constexpr double kLateConfirmFraction = 0.5;
inline constexpr double kDepressionUv = 50;       // "ST depression" as listed/reported (0.5 mm)
inline constexpr double kDeepDepressionUv = 100;  // left main / Sgarbossa / de Winter (1 mm)
inline constexpr double kWideQrsMs = 120;         // wide QRS (bundle-branch block, IVCD)
// Very wide QRS without a bundle-branch pattern: repolarisation distorted like LBBB (decide()).
inline constexpr double kIvcdQrsMs = 160;
inline constexpr double kSgarbossaUv = 100;       // Sgarbossa concordant / discordant ST (1 mm)
inline constexpr double kPolarityFraction = 0.3;  // |net QRS| / peak-to-peak for a clearly +/− QRS
inline constexpr double kSmithRatio = 0.25;  // discordant STE / S depth (Smith-modified Sgarbossa)
// Smith/Klein T/QRS in any of V1–V4 above which acute anterior MI is favoured over LV aneurysm.
inline constexpr double kLvAneurysmLeadRatio = 0.36;
inline constexpr double kMinAnalysableStandardLeads = 6;  // of the 12; fewer → poor_quality

inline bool has(const std::vector<std::string>& v, std::string_view x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// QS complex: no R wave worth the name (< 0.1 mV above the J level — on a QS complex the measured
// "R" can be the elevated J point itself) and a deep negative deflection (≥ 0.3 mV).
inline bool is_qs(const LeadView& v) {
  return v.r_uv - std::max(0.0, v.st_j_uv) < 100 && v.negative_uv() <= -300;
}

// --- Words (read_text.cpp) ------------------------------------------------------------------

// Chinese names of dsp::QualityProblem kinds (unknown kinds are shown as given).
std::string quality_kind_zh(const std::string& kind);

struct ConfounderText {
  const char* key;
  const char* short_en;  // as a reason in a sentence
  const char* en;        // with its rationale
  const char* zh;
};
const ConfounderText& confounder_text(const std::string& key);

// Evidence for / against occlusion in the words of the statement table.
std::optional<double> evidence_value(const detail::Evidence& ev);
Words evidence_words(const detail::Evidence& ev);
// Territory names joined: "anterior + inferior" / the Chinese names (each Chinese name said once).
Arg territory_names(const std::vector<std::string>& keys);

class Evaluator {
 public:
  Evaluator(const dsp::Analysis& analysis, const PatientContext& patient)
      : a_(analysis), p_(patient), table_(analysis) {}

  Finding run();

 private:
  void decide();
  void build_statements();
  // The read's sentences (phrases.cpp), replacing what was said before.
  void explain(const Words& read) {
    f_.explanation_en = read.en;
    f_.explanation_zh = read.zh;
  }
  Words explanation() const { return {f_.explanation_en, f_.explanation_zh}; }
  const dsp::Analysis& a_;
  const PatientContext& p_;
  LeadTable table_;
  Finding f_;
  bool critical_allowed_ = true;  // see the sex-unknown policy in decide()
  // Evidence behind the read, kept for its coded statements (build_statements()).
  std::optional<detail::OcclusionAssessment> occlusion_;
  std::vector<detail::Evidence> outside_normal_;
  std::vector<std::string> ischaemia_leads_;  // chest pain + acute_ischaemia_st_t(): urgent
  bool chest_pain_read_ = false;              // chest pain + a finding routed to a human: urgent
  std::map<std::string, std::vector<std::string>> equivalent_leads_;

  double thr(const std::string& lead) const { return ste_threshold_uv(lead, p_); }
  bool meets_ste(const LeadView& v) const {
    const double t = thr(v.name);
    return v.st_j_uv >= t && v.st_late_uv >= kLateConfirmFraction * t;
  }
  bool depressed(const LeadView& v, double uv) const {
    return v.st_j_uv <= -uv && v.st_late_uv <= -0.5 * uv;
  }
  std::optional<double> qrs_ms() const { return a_.global.qrs_duration_ms; }
  // A QRS width decides only when it is beyond the limit by more than the sampling allows: the
  // onset and the end are each placed to a sample, so the measurement may be up to one sample
  // period long at each end (4 ms at 500 Hz; 20 ms at 100 Hz, where healthy young adults measure
  // 110–150 ms — Brugada-HUCA).
  bool qrs_clearly_at_least(double limit_ms) const {
    if (!qrs_ms() || a_.sample_rate_hz <= 0) return false;
    return *qrs_ms() - 2000.0 / a_.sample_rate_hz >= limit_ms - 1e-9;
  }
  bool wide_qrs() const { return qrs_clearly_at_least(kWideQrsMs); }
  double st(std::string_view lead) const {
    auto v = table_.find(lead);
    return v ? v->st_j_uv : 0.0;
  }

  // quality_gate.cpp
  bool gate_quality();
  void quality_text(int analysable, bool too_few);
  void ste_safety_net();

  // ste_criteria.cpp
  void threshold_notes();
  std::vector<std::vector<std::string>> ste_runs() const;
  // True when ≥ 2 contiguous leads meet the criteria at the thresholds for `patient`.
  bool has_ste_runs(const PatientContext& patient) const;
  std::vector<Words> gap_notes() const;
  std::vector<std::string> territories_of(const std::set<std::string>& e) const;
  void list_depressions(const std::set<std::string>& exclude);
  std::vector<Words> culprits(const std::set<std::string>& e) const;
  void finish_stemi(const std::vector<std::vector<std::string>>& runs,
                    const std::set<std::string>& e);

  // confounders.cpp
  bool detect_lbbb() const;
  bool detect_rbbb() const;
  bool detect_lvh() const;
  bool lvh_strain() const;
  std::optional<detail::Evidence> detect_brugada() const;
  std::optional<detail::Evidence> detect_brugada_like(const std::set<std::string>& elevated) const;
  bool pr_depression() const;
  std::optional<std::string> explain_ste_by_confounder(const std::set<std::string>& e);
  void finish_confounded(const std::string& key, const Words& read);

  // sgarbossa.cpp
  double st_j_low_uv(const LeadView& v) const;
  bool sgarbossa(const std::string& reason_key);

  // equivalents.cpp
  bool left_main_pattern() const;
  bool de_winter(std::vector<std::string>& leads) const;
  bool hyperacute_t(std::vector<std::string>& leads) const;
  bool posterior_std(std::vector<std::string>& leads) const;
  bool anterior_qs_ste(std::vector<std::string>& leads) const;
  bool anterior_q_waves(std::vector<std::string>& leads) const;
  bool pathological_q_waves(std::vector<std::string>& leads) const;
  void finish_normal_variant(const std::vector<std::vector<std::string>>& runs,
                             const std::set<std::string>& e,
                             const detail::OcclusionAssessment& occlusion);

  // no_ste.cpp
  void finish_no_ste();

  // chest_pain_ischaemia.cpp: leads with the ST-T changes of acute ischaemia (4th UDMI), empty
  // where the definition does not apply (LVH, a wide QRS other than RBBB).
  std::vector<std::string> acute_ischaemia_st_t() const;

  // tier_policy.cpp
  void set_tier();

  // read_text.cpp
  // "V1–V6 0.35 mV (3.5 mm), I/aVL 0.15 mV (1.5 mm)" / "…，…"
  Words ste_text(const std::vector<std::vector<std::string>>& runs) const;
};

}  // namespace gc::triage::detail
