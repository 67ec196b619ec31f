// triage internals — one clinical question: ST elevation meets the Fourth Universal Definition
// voltages; does the rest of the ECG support acute coronary occlusion, or is it a normal variant
// (benign early repolarisation, the "male pattern" of healthy young men)?
//
// The voltages are necessary, not sufficient: 0.1–0.3 mV of ST elevation in V1–V4 is common in
// healthy young men (Macfarlane et al., J Electrocardiol 2004; 4th UDMI 2018 §"ECG pitfalls").
// A critical (cath-lab pre-alert) read therefore needs evidence of occlusion beyond the voltage:
//   1. reciprocal ST depression in the leads opposite the elevated territory (Smith, "Subtle
//      ECG findings in STEMI"; Brady, Am J Emerg Med 2001 — never part of early repolarisation);
//   2. elevation far beyond the normal range: twice the criterion voltage in ≥ 2 contiguous leads;
//   3. a straight or convex ST segment (loss of the upward concavity) in the elevated leads
//      beyond V1 (Brady et al. 2001; Smith 2006) — in the domain of Smith's LAD-occlusion vs
//      early-repolarisation formula (anterior elevation, narrow QRS) only when the formula also
//      favours occlusion (Driver et al., Am J Emerg Med 2017, 4 variables, ≥ 18.2).
// Without either, the elevation is read as a normal variant with its features named, and goes to
// a human as urgent — never dropped. Supporting features that are reported but do not decide on
// their own: terminal QRS distortion in V2–V3 (Armstrong et al., Am J Emerg Med 2012), Q waves in
// the elevated leads, ST elevation large relative to the QRS.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gc/dsp.hpp"
#include "leads.hpp"

namespace gc::triage::detail {

// --- Thresholds, each with its reference -----------------------------------------------------

// Reciprocal ST depression: ≥ 0.05 mV at J, still ≥ 0.025 mV at J+60 (0.5 mm, as "ST depression"
// is reported elsewhere in the read).
inline constexpr double kReciprocalDepressionUv = 50;
inline constexpr double kReciprocalLateUv = 25;
// ST shape: mean sag below the J → T-peak chord as a fraction of the rise (dsp st_concavity).
// Early repolarisation sags ≥ 0.1 (the ST segment hugs the baseline, then turns up into a tall T);
// occlusion lifts the segment itself to a straight or convex line (< 0.1). Brady 2001 judged the
// same chord by eye; 0.1 is where the two shapes part on the development records (Brugada-HUCA
// young adults: median 0.19 in V2–V4; synthetic injury currents 0.03–0.09).
inline constexpr double kConcaveSag = 0.10;
// Magnitude: the Fourth Universal Definition voltages sit near the upper limit of normal J-point
// elevation for each sex/age group (≈ 98th percentile; Macfarlane et al., J Electrocardiol 2004),
// so the male pattern and early repolarisation cluster just above them. Elevation of 1.75× the
// criterion in ≥ 2 contiguous leads (0.35 mV in V2–V3 for a man ≥ 40, 0.175 mV elsewhere) is read
// as beyond a normal variant whatever the shape. The factor is the project's, chosen on the
// development data with both sides measured (README, "STEMI triage"): 2.0 let a third of injected
// 0.3 mV anterior injury currents in young adults through as "normal variant"; 1.5 raised critical
// alerts on 8 % of Brugada-HUCA baselines.
inline constexpr double kBeyondVariantFactor = 1.75;
// Smith 4-variable LAD-occlusion vs early-repolarisation formula, Driver et al. 2017: ≥ 18.2
// favours occlusion (sensitivity 89 %, specificity 95 % in its derivation).
inline constexpr double kSmithLadThreshold = 18.2;
// ST elevation relative to the QRS it follows: ≥ 25 % of the peak-to-peak QRS amplitude is
// disproportionate (Armstrong/Smith proportionality; reported, not decisive).
inline constexpr double kDisproportionRatio = 0.25;

// --- Result ------------------------------------------------------------------------------------

struct Evidence {
  std::string code;                // project vocabulary (statements.cpp): reciprocal_std, ...
  std::vector<std::string> leads;  // standard order
  double value = 0;                // the number that decided (µV, ratio or score; see code)
};

struct OcclusionAssessment {
  std::vector<Evidence> decisive;    // evidence of occlusion that supports a critical alert
  std::vector<Evidence> supporting;  // evidence of occlusion that is reported only
  std::vector<Evidence> variant;     // features of a normal variant
  bool supported() const { return !decisive.empty(); }
};

// The leads where reciprocal ST depression is expected for the given territories.
std::vector<std::string> reciprocal_leads_for(const std::vector<std::string>& territories);

// Smith's 4-variable score (Driver 2017): 0.052·QTc − 0.151·QRS amplitude V2 − 0.268·R V4 +
// 1.062·STE60 V3 (ms and mm). Needs V2, V3, V4 and QTc.
std::optional<double> smith_lad_score(const LeadTable& table, std::optional<double> qtc_ms);

// `elevated`: leads meeting the voltage criteria (contiguous runs); `territories` from them.
// `threshold_uv`: each elevated lead's criterion voltage for this patient.
OcclusionAssessment assess_occlusion(const LeadTable& table, const dsp::Analysis& analysis,
                                     const std::set<std::string>& elevated,
                                     const std::vector<std::string>& territories,
                                     const std::map<std::string, double>& threshold_uv);

}  // namespace gc::triage::detail
