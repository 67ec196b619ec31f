// Private to dsp: the diagnostic filter's design constants (see filter.cpp for the reasoning).
#pragma once

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

}  // namespace gc::dsp::detail
