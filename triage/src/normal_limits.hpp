// triage internals — one clinical question: when no STEMI pattern, equivalent or mimic has been
// found, is the ECG within normal limits, or does something a reader must see remain? `normal`
// has to mean normal: several acute STEMIs reach only 0.05–0.1 mV of ST elevation with Q waves and
// T-wave changes (LUDB 7, 33, 55, 69), and they must reach a human as abnormal, never as normal.
//
// Each finding below makes the read at least `abnormal`, named:
//   - ST deviation ≥ 0.05 mV (0.5 mm) at J, still ≥ 0.025 mV at J+60, in ≥ 2 contiguous leads,
//     elevation or depression (aVR excepted: its ST mirrors the others) — the 4th UDMI's
//     ischaemia threshold for new ST depression (0.05 mV) and the smallest deviation a reader
//     reports;
//   - pathological Q waves (≥ 40 ms and ≥ 0.1 mV, or QS) in ≥ 2 contiguous leads (4th UDMI
//     "prior MI" criteria, QS in V1 alone excepted);
//   - T-wave inversion ≥ 0.1 mV in any lead but aVR, III and V1, where a negative T is normal
//     (AHA/ACCF/HRS 2009 recommendations, part VI);
//   - QRS ≥ 120 ms (clearly, given the sampling) or QTc outside 340–470 ms (AHA/ACCF/HRS 2009,
//     part IV: QTc ≥ 470 ms women / 450 ms men prolonged, < 340 ms short; the upper limit used
//     is the women's, so that no man with 450–470 ms is called abnormal on QTc alone);
//   - QTc not measured (the analysis doubts the T end — its limb and chest leads end the T more
//     than 100 ms apart — or found none): `normal` vouches that QTc lies within the limits above,
//     and an unmeasured QT cannot; the reader measures it by hand (a long QT — congenital, drug-
//     induced, hypokalaemia — is the finding an automatic `normal` would hide). Project rule, no
//     published threshold: it only names what was not measured.
#pragma once

#include <optional>
#include <vector>

#include "gc/dsp.hpp"
#include "leads.hpp"
#include "occlusion.hpp"

namespace gc::triage::detail {

inline constexpr double kNormalStDeviationUv = 50;
inline constexpr double kNormalStLateUv = 25;
inline constexpr double kInvertedTUv = -100;
inline constexpr double kQtcLowMs = 340;
inline constexpr double kQtcHighMs = 470;

// The findings that keep the read from being normal (codes in the statement table), in order.
// `wide_qrs`: the caller's QRS judgement (clearly ≥ 120 ms).
std::vector<Evidence> outside_normal_limits(const LeadTable& table, const dsp::Analysis& analysis,
                                            bool wide_qrs);

}  // namespace gc::triage::detail
