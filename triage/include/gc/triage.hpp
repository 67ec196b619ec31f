// triage — turns a dsp::Analysis plus patient context into a clinical finding: Fourth Universal
// Definition STEMI criteria (12 and 18 leads), territories, reciprocity, STEMI equivalents,
// confounders, quality gating and the alert tier. Pure computation.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gc/dsp.hpp"

namespace gc::triage {

enum class Sex { unknown, male, female };

struct PatientContext {
  std::optional<int> age_years;
  Sex sex = Sex::unknown;
  bool chest_pain = false;
};

enum class Category { stemi, stemi_equivalent, confounded, abnormal, normal, poor_quality };
enum class Tier { critical, urgent, routine };

std::string_view to_string(Category c);
std::string_view to_string(Tier t);
std::string_view to_string(Sex s);
Sex parse_sex(std::string_view text);  // "M"/"male"/"F"/"female"/other → unknown

// A lead whose ST deviation met (or was tested against) a threshold.
struct LeadST {
  std::string lead;
  double st_j_uv = 0;
  double st_late_uv = 0;
  double threshold_uv = 0;
};

// One coded statement of the read: a code from a scheme (SCP-ECG as used by PTB-XL, or the
// project's own vocabulary where SCP-ECG has none), the leads and values that triggered it, and the
// words a clinician reads, rendered from one statement table (triage/src/statements.cpp).
struct Statement {
  std::string code;                     // e.g. "STE_", "ASMI", "reciprocal_std"
  std::string scheme;                   // "SCP-ECG" or "greenchannel"
  std::vector<std::string> leads;       // standard order
  std::map<std::string, double> values;  // named, units in the names: st_j_uv, score, ratio, …
  std::string text_en;
  std::string text_zh;
};

// One row of the statement vocabulary: every code a rule may emit, with its scheme and its
// English and Chinese text templates ({leads}, {value} filled in per statement).
struct StatementDefinition {
  std::string code;
  std::string scheme;
  std::string text_en;
  std::string text_zh;
};
const std::vector<StatementDefinition>& statement_vocabulary();

struct Finding {
  Category category = Category::normal;
  bool stemi = false;
  Tier tier = Tier::routine;
  std::vector<std::string> territories;  // keys: septal, anteroseptal, anterior, ...
  std::vector<LeadST> elevated;          // leads meeting the STE criterion (contiguous)
  std::vector<LeadST> depressed;         // reciprocal / diffuse ST depression ≥ 0.05 mV
  std::vector<std::string> confounders;  // lbbb, paced, ivcd, lvh, early_repolarization,
                                         // pericarditis, brugada, lv_aneurysm, rbbb (secondary
                                         // ST-T of RBBB), ivcd_secondary (same, IVCD)
  std::vector<std::string> equivalents;  // posterior_suspected, de_winter, hyperacute_t, left_main,
                                         // anterior_qs_ste
  std::vector<std::string> culprit_hints;  // English text
  std::vector<std::string> notes;          // e.g. "age/sex unknown: most sensitive threshold used"
  bool route_to_human = false;
  bool repeat_ecg = false;  // poor quality: ask the clinic to repeat
  std::string explanation_en;
  std::string explanation_zh;
  std::vector<Statement> statements;  // the read as coded statements, in the order the rules ran
};

// English and Chinese names of a territory key ("extensive_anterior" → "extensive anterior",
// "广泛前壁").
std::string_view territory_name_en(std::string_view key);
std::string_view territory_name_zh(std::string_view key);

// Threshold (µV) for ST elevation at the J point in `lead` for this patient (§4).
double ste_threshold_uv(std::string_view lead, const PatientContext& patient);

// The clinical decision, in this order (each rule's rationale is at its code in triage/src/):
// 1. Quality: dsp quality not ok, or < 6 of the 12 standard leads analysable → poor_quality,
//    repeat_ecg; tier urgent with chest pain (or when ST elevation already meets the criteria in
//    the analysable leads), else routine. A record with < 6 of the 12 standard leads *recorded*
//    (2-lead Holter, rhythm strip) keeps the category poor_quality ("cannot be assessed; record a
//    12-lead ECG") but its explanation says so and lists the leads present, not "poor quality".
// 2. LBBB (Strauss QRS: ≥ 140 ms men, ≥ 130 ms women), ventricular pacing (spikes with QRS
//    ≥ 120 ms, or < 60 ms = delineation fooled by the spike) or QRS ≥ 160 ms without a
//    bundle-branch pattern ("ivcd"): Sgarbossa / Smith-modified Sgarbossa (concordant STE ≥ 1 mm
//    at J and J+60 in any lead with a clearly positive QRS, concordant STD ≥ 1 mm in V1–V3,
//    discordant STE ≥ 1 mm with ST/S ≤ −0.25) → stemi, else confounded. For the ST/S ratio a J
//    point that the median beat shows sitting on the discordant ST ramp is traced back to the
//    knee (end of the steep terminal QRS), because a late J inflates the ratio.
// 3. ST elevation: J point ≥ ste_threshold_uv and J+60 ≥ half of it, in ≥ 2 contiguous leads
//    (Cabrera aVL, I, −aVR, II, aVF, III; V1…V9; V3R…V5R). Absent or unanalysable leads break
//    contiguity (a one-lead gap is noted and routed to a human). RBBB keeps the criteria.
//    Explained by a mimic → confounded: Brugada type 1, pericarditis (diffuse STE, no reciprocity,
//    PR depression, no Q waves), LVH (STE only V1–V3, < 25 % of S depth), wide QRS 120–179 ms
//    (RBBB / IVCD) with STE only in leads with a dominant S and < 25 % of its depth (secondary
//    ST-T), LV aneurysm (QS V1–V4, small T/QRS), early repolarization (anterior STE, tall T,
//    Smith 4-variable score < 18.2).
//    Otherwise → stemi (critical) with territories, reciprocal depression and culprit hints.
// 4. No ST elevation: left main pattern, de Winter, hyperacute T, posterior MI suspected (V1–V3
//    STD, 12 leads), anterior Q/QS waves in ≥ 3 contiguous of V1–V4 each with STE ≥ 0.05 mV at J
//    rising further at J+60 (acute/evolving anterior MI not excluded; T/QRS reported) →
//    stemi_equivalent (urgent); Brugada type 1 → confounded; any ST depression,
//    isolated STE, wide QRS, LVH, anterior Q waves → abnormal; else normal. An abnormal read is
//    routine, but urgent with chest pain when it shows the 4th UDMI's ST-T changes of acute
//    ischaemia (chest_pain_ischaemia.cpp) or a finding already routed to a human.
// Notes say when age/sex were unknown (most sensitive thresholds used).
Finding evaluate(const dsp::Analysis& analysis, const PatientContext& patient);

// --- Serial comparison (issue 4) ------------------------------------------------------------
// Compares the same patient's earlier ECG with the current one: ST change at the J point per lead
// (current − previous, µV). Dynamic ST change — |Δ| ≥ 100 µV in the same direction in ≥ 2
// contiguous leads (Cabrera limb order incl. −aVR, V1→V9, V3R→V5R) — is strong evidence of an
// evolving infarction and is flagged.
struct LeadSTChange {
  std::string lead;  // canonical name; "-aVR" is not listed (it mirrors aVR)
  double previous_st_j_uv = 0;
  double current_st_j_uv = 0;
  double delta_uv = 0;  // current − previous
};

struct SerialChange {
  std::vector<LeadSTChange> leads;         // leads analysable in both records, standard order
  bool dynamic = false;                    // ≥ 100 µV in ≥ 2 contiguous leads, same direction
  std::vector<std::string> rising_leads;   // leads of the qualifying rising runs
  std::vector<std::string> falling_leads;  // leads of the qualifying falling runs
  std::string text_en;
  std::string text_zh;
};

inline constexpr double kDynamicSTChangeUv = 100;

SerialChange compare_serial(const dsp::Analysis& previous, const dsp::Analysis& current);

// Adds a serial comparison to a finding: its text joins the explanations and notes; a dynamic
// change sends a record that is not already STEMI/poor-quality to a human (never downgrades).
void attach_serial(Finding& finding, const SerialChange& change);

}  // namespace gc::triage
