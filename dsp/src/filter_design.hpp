// Private to dsp: the diagnostic filter's design constants (see filter.cpp for the reasoning).
#pragma once

#include <optional>
#include <span>
#include <vector>

namespace gc::dsp::detail {

// Baseline estimator: four cascaded centred moving averages (a cubic B-spline, close to a Gaussian
// with this σ). AHA pulse displacement ≈ 0.3 mV·s × (2/3)/(√3·σ) ≈ 0.072 mV at σ = 1.6 s, while
// everything ≥ 0.67 Hz passes within 0.02 dB.
inline constexpr double kBaselineSigmaS = 1.6;
inline constexpr int kBaselinePasses = 4;
inline constexpr double kBaselineBlockS = 0.02;  // baseline computed on 20 ms block means
inline constexpr double kNotchFlatHz = 0.3;    // full rejection within ±0.3 Hz of each harmonic
inline constexpr double kNotchSkirtHz = 1.0;   // smooth skirt keeps ringing short and small
inline constexpr double kNotchMarginS = 1.0;   // mirrored/overlap margin around each FFT block
inline constexpr double kMainsTopHz = 170.0;   // harmonics notched up to here (and below Nyquist)
inline constexpr double kMainsDetectRatio = 10.0;  // line power / neighbouring spectrum (10 dB)
inline constexpr double kMainsMinAmplitudeUv = 2.0;
// A lead whose Goertzel 50/60 Hz amplitude (2 s, exact bin) is below this cannot pass the line
// test above (half of its minimum amplitude: mains drifting 0.2 Hz off the bin loses ~25 %).
inline constexpr double kMainsPrecheckUv = 1.0;

// filter_diagnostic with the mains decision already taken (analyze decides once per record and
// shares it across leads): notch at notch_hz and its harmonics, or no notch at all when nullopt.
std::vector<float> filter_with_notch(std::span<const float> samples_uv, double sample_rate_hz,
                                     std::optional<double> notch_hz);

}  // namespace gc::dsp::detail
