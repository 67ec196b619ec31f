// median_beat — sample-wise median of aligned beats per lead, and a running local average
// template (±K dominant beats) for per-beat delineation. Internal to gc_dsp.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace gc::dsp::detail {

struct BeatWindow {
  std::int64_t pre = 0;   // samples before the fiducial
  std::int64_t post = 0;  // samples after the fiducial
  std::int64_t len() const { return pre + post + 1; }
};

// Median over `fiducials` (aligned R samples) of each lead in [f − pre, f + post]. Samples a beat
// does not cover (record edges) are left out of that sample's median; a sample no beat covers
// takes the nearest covered value. Uses at most `max_beats` beats, evenly spread.
// Returns [n_leads][w.len()].
std::vector<std::vector<float>> median_beat(const std::vector<std::span<const float>>& leads,
                                            std::span<const std::int64_t> fiducials,
                                            const BeatWindow& w, std::size_t max_beats = 256);

// Sample-wise mean over the same beats (edges as in median_beat). Cheap; for intermediate
// fiducials where robustness to one odd beat matters less.
std::vector<std::vector<float>> mean_beat(const std::vector<std::span<const float>>& leads,
                                          std::span<const std::int64_t> fiducials,
                                          const BeatWindow& w, std::size_t max_beats = 256);

}  // namespace gc::dsp::detail
