// measure_leads — per-lead measurements on the median beat (ST at J and J+60/40 ms, ST slope,
// Q/R/S, T amplitude, PR-segment vs TP level) and the pacing-spike detector on raw samples.
// Internal to gc_dsp.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "delineate_fiducials.hpp"
#include "gc/dsp.hpp"

namespace gc::dsp::detail {

// m: one lead of the median beat (µV), fiducials in median-beat samples, rr in samples.
// Fills every numeric field of LeadMeasurement (lead name and analysable are the caller's).
void measure_lead(std::span<const float> m, double fs_hz, const Fiducials& fid,
                  double heart_rate_bpm, double rr_samples, LeadMeasurement& out);

// True when most dominant beats carry a pacemaker stimulus: a one-to-few-sample spike, far
// sharper than anything in the QRS itself, within 300 ms before (to 20 ms after) QRS onset.
// raw: unfiltered leads µV; onsets: per-beat QRS onsets; qrs_ends: per-beat J points.
bool detect_pacing(const std::vector<std::span<const float>>& raw, double fs_hz,
                   std::span<const std::int64_t> onsets, std::span<const std::int64_t> qrs_ends);

}  // namespace gc::dsp::detail
