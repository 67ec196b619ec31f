// delineate_fiducials — QRS onset, J point, T end and P onset on a beat template (median beat or
// local average), global across leads: QRS limits from the multi-lead spatial velocity (any lead
// still moving keeps the QRS open, so onset is the earliest and J the latest across leads), T end
// per lead by the trapezium-area method (Vázquez-Seisdedos et al. 2011), then a late-ranked vote
// over the leads with a clear T wave. Per-lead QRS limits extend the spatial ones so that a
// 12-lead record gets the earliest onset / latest offset of any lead. Internal to gc_dsp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace gc::dsp::detail {

// Which bound of the T-end search a T end ran into (see Fiducials::t_end_limit).
enum class TSearchLimit {
  none,       // the T wave ended inside the search range
  next_beat,  // RR − 160 ms after R: the next beat's P wave
  qtc_max,    // the QTc (Bazett) of DelineationParams::qtc_max_s
  window,     // the end of the beat template
};

struct Fiducials {
  std::optional<std::int64_t> p_onset;
  std::optional<std::int64_t> qrs_onset;
  std::optional<std::int64_t> qrs_offset;  // J point
  std::optional<std::int64_t> t_end;
  // Set (with `t_end`) when the T end is the last sample of the search range: the T wave was still
  // returning to baseline where the search had to stop, so `t_end` is that bound, not a measured
  // end (set on the median beat only; a local template's range follows the median beat's T end).
  TSearchLimit t_end_limit = TSearchLimit::none;
  // Ventricular pacemaker stimulus of this (paced) template, set only when it lies within 40 ms
  // before the QRS onset or inside the QRS: the isoelectric reference is taken before it.
  std::optional<std::int64_t> pacing_stimulus;
};

// Thresholds calibrated with `greenchannel eval delineation` on QTDB (2 leads, 250 Hz) and LUDB
// (12 leads, 500 Hz) together — one setting for both, none per record or per database.
struct DelineationParams {
  double onset_fraction = 0.06;        // spatial velocity threshold, of (peak − baseline)
  double offset_fraction = 0.10;
  double persist_s = 0.016;            // the velocity must stay below threshold this long
  double rearm_fraction = 0.30;        // ... and not climb back above this within rearm_span_s
  double rearm_span_s = 0.04;
  double t_end_shift_s = 0.0;          // calibration offset added to the trapezium T end
  double qtc_max_s = 0.62;             // T end search stops at this QTc (Bazett)
  double t_hint_tol_s = 0.03;          // per-beat T end within this of the median beat's
  double t_ref_span_s = 0.15;          // trapezium reference point: steepest descent + span
  double t_min_rel_amp = 0.5;          // leads voting on T end: T amplitude ≥ this × largest
  double t_rank_fraction = 0.1;        // T end = k-th latest vote, k = fraction × votes
  double t_biphasic_fraction = 0.5;    // both lobes ≥ this × the larger: the T ends after the later
  double lead_onset_fraction = 0.04;   // per-lead slope threshold, of the lead's QRS peak slope
  double lead_offset_fraction = 0.06;
  double lead_extend_on_s = 0.03;      // how far per-lead limits may extend the spatial ones
  double lead_extend_off_s = 0.06;
  // How far after the spatial J point a lead's terminal deflection (R′, late S) may end.
  double lead_late_deflection_s = 0.10;
  std::size_t lead_rank = 0;           // k-th earliest onset / latest offset (0 = extreme)
  // With a hint (a local template, or a beat of the median's shape): its QRS onset lies within
  // ±hint_qrs_s of the median beat's, its J point from hint_qrs_s before to hint_j_late_s after
  // the median's. The median beat is the consensus of every clean beat; a local template of a
  // few beats is noisier, and on a sloping ST segment (upsloping ST depression in the ST-change
  // records of QTDB) its spatial velocity stays above the J threshold longer, so its J drifts
  // late while the QRS itself has not changed (same shape class; a real change of conduction
  // is another shape and is delineated without a hint). The late bound swept on QTDB beats,
  // J > 40 ms off: 0 ms 2.9 %, 8 ms 2.3 %, 12–20 ms 1.1 %, 24 ms 1.3 %, 30 ms 1.8 %, 40 ms
  // 1.9 % (the bound until 2026-12-05); LUDB 1.3 % from 12 to 40 ms. 16 ms is the middle of the
  // plateau. Per record, sele0606 (J +41 → +17 ms on average), sel820 (+30 → +10), sel40 and
  // sele0114 moved towards the annotations; sel52 (−11 ms) and sele0704 (−8 ms), whose median
  // beat's J is early, moved away. The onset bound is not tightened: at ±20 ms QTDB onsets
  // > 40 ms off rose from 0.6 to 1.5 %.
  double hint_qrs_s = 0.04;
  double hint_j_late_s = 0.016;
};
const DelineationParams& delineation_params();

// leads: template samples [n_leads][len] µV (analysable leads only), fiducial R at r_index.
// rr_samples: the beat's reference RR. `hint` (from the median beat) narrows the searches for
// per-beat templates to ±40 ms (QRS onset), −40/+16 ms (J) and ±30 ms (T) around the hinted
// positions (DelineationParams::hint_qrs_s, hint_j_late_s).
Fiducials delineate(const std::vector<std::span<const float>>& leads, double fs_hz,
                    std::int64_t r_index, double rr_samples, const Fiducials* hint = nullptr);

}  // namespace gc::dsp::detail
