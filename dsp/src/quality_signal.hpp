// quality_signal — per-lead signal-quality statistics used by analyze(): flat line / lead-off,
// saturation (clipping), high-frequency noise, baseline wander and mains residual.
// Internal to gc_dsp.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace gc::dsp::detail {

// A lead whose 1 s peak-to-peak stays below this carries no ECG (a QRS is ≥ ~100 µV even in
// low-voltage records; electrode-off lines sit at a few µV of quantisation noise).
inline constexpr double kFlatPtpUv = 20.0;

// Checks on the raw (unfiltered) lead, µV. Non-finite samples must already be replaced.
struct RawLeadQuality {
  double flat_fraction = 0;        // fraction of 1 s blocks with peak-to-peak < flat threshold
  double saturated_fraction = 0;   // fraction of samples in runs stuck at the lead's min/max
  double wander_uv = 0;            // range of 1 s block medians (baseline excursion)
  double range_uv = 0;             // max − min over the lead
};
RawLeadQuality raw_lead_quality(std::span<const float> x_uv, double fs_hz);

// Amplitude (µV, sine peak) of a single frequency by Goertzel over the whole lead.
double tone_amplitude_uv(std::span<const float> x_uv, double fs_hz, double f_hz);
// The same for two frequencies at once (identical results; the two recursions run interleaved,
// which hides their latency — mains 50 and 60 Hz are always asked together).
std::pair<double, double> tone_amplitudes_uv(std::span<const float> x_uv, double fs_hz, double f_a_hz,
                                             double f_b_hz);
// The same for several leads of one length: two leads' four recursions run interleaved
// (identical results again).
std::vector<std::pair<double, double>> tone_amplitudes_uv(
    const std::vector<std::span<const float>>& leads_uv, double fs_hz, double f_a_hz,
    double f_b_hz);

// High-frequency (≳ 40 Hz) noise RMS outside the QRS complexes of a filtered lead, and the
// median QRS peak-to-peak amplitude of that lead over the given beats.
struct NoiseStats {
  double hf_rms_uv = 0;
  double qrs_ptp_uv = 0;
};
NoiseStats hf_noise(std::span<const float> filtered_uv, double fs_hz,
                    std::span<const std::int64_t> r_samples);

}  // namespace gc::dsp::detail
