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
struct Pacing {
  bool paced = false;
  std::optional<std::int64_t> spike_from_onset_samples;
  std::int64_t spike_half_width_samples = 0;
};
Pacing detect_pacing(const std::vector<std::span<const float>>& raw, double fs_hz,
                     std::span<const std::int64_t> onsets, std::span<const std::int64_t> qrs_ends);

}  // namespace gc::dsp::detail
