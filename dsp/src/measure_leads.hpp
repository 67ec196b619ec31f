// measure_leads — per-lead measurements on the median beat (ST at J and J+60/40 ms, ST slope,
// Q/R/S, T amplitude, PR-segment vs TP level) and the pacing-spike detector on raw samples.
// Internal to gc_dsp.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "delineate_fiducials.hpp"
#include "gc/dsp.hpp"

namespace gc::dsp::detail {

// m: one lead of the median beat (µV), fiducials in median-beat samples, rr in samples.
// Fills every numeric field of LeadMeasurement (lead name and analysable are the caller's).
void measure_lead(std::span<const float> m, double fs_hz, const Fiducials& fid,
                  double heart_rate_bpm, double rr_samples, LeadMeasurement& out);

// Pacemaker stimuli: `paced` when most dominant beats carry a one-to-few-sample spike, far
// sharper than anything in the QRS itself, from 300 ms before QRS onset through the first 40 %
// of the QRS. spike_from_onset_samples: the median position of the spikes found, relative to
// each beat's given onset (negative = before it); `spike_half_width_samples`: how far either
// side of that position the stimulus artefact reaches.
// raw: unfiltered leads µV; onsets: per-beat QRS onsets; qrs_ends: per-beat J points.
// A beat carries a stimulus only when at least kMinStimulusLeads leads (all of them, if fewer)
// show the spike at the same instant (± spike_half_width_samples): a stimulus artefact is the
// pacemaker's field and reaches every lead at once, a sharp R apex is one lead's QRS. Measured
// with `greenchannel eval stemi --resample-hz R` on the 379 twelve-lead dev records: requiring
// one lead, stimuli were found in records outside the paced class 10 times over R = 250–1000 Hz
// (5 at 250 Hz; at 500 Hz in PTB-XL 00029, a normal ECG, once a 225 Hz low-pass had touched it);
// requiring two, 2 (PTB-XL 00029 at 250 and 300 Hz), with the same 5 of 7 paced records found
// at the recorded rates.
inline constexpr std::size_t kMinStimulusLeads = 2;
struct Pacing {
  bool paced = false;
  std::optional<std::int64_t> spike_from_onset_samples;
  std::int64_t spike_half_width_samples = 0;
};
Pacing detect_pacing(const std::vector<std::span<const float>>& raw, double fs_hz,
                     std::span<const std::int64_t> onsets, std::span<const std::int64_t> qrs_ends);

}  // namespace gc::dsp::detail
