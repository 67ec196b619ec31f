// Private to dsp: QRS detector stages and tuning constants (exposed for the detector's tests).
#pragma once

#include <cstdint>
#include <vector>

namespace gc::dsp::detail {

inline constexpr double kFeatureRateHz = 125.0;  // detection works on block means at ≥ this rate
inline constexpr float kMaxAbsUv = 1e7f;          // inputs clamped here (10 V) against overflow
// Time constants in seconds, so the detector behaves the same at 250, 360, 500 or 1000 Hz.
inline constexpr double kScaleWindowS = 2.0;       // window for local QRS / background levels
inline constexpr long kScaleNeighbours = 3;        // windows each side in the level medians
inline constexpr float kFlatEnvelopeUv = 20.0f;  // below: no QRS in the lead (QRS below ~100 µV, or noise)
inline constexpr double kNoisePercentile = 0.7;   // background level of a lead in a window
inline constexpr float kNoiseRatioFloor = 0.05f;  // background/QRS ratios below count as clean
inline constexpr double kPeakHalfWidthS = 0.10;    // a candidate dominates ±100 ms
inline constexpr double kRefractoryS = 0.20;
inline constexpr double kTWaveWindowS = 0.36;
inline constexpr float kTWaveSlopeRatio = 0.5f;
inline constexpr float kThresholdFraction = 0.4f;  // noise + 0.4 (QRS − noise), OSEA-like
inline constexpr float kThresholdCap = 0.7f;  // in units of the local QRS level
inline constexpr float kHeightClamp = 2.0f;
inline constexpr double kSearchBackRr = 1.5;
inline constexpr float kSearchBackFraction = 0.5f;
inline constexpr float kSearchBackFloor = 0.2f;  // in units of the local QRS level
inline constexpr double kFiducialHalfWidthS = 0.08;

struct LeadFeatures {
  std::vector<float> slope;     // 16 ms difference of the 20 ms-smoothed lead, µV
  std::vector<float> envelope;  // RMS of slope over 100 ms, µV
};

LeadFeatures lead_features(const std::vector<float>& x, double fs);

// Weighted mean of the leads' envelopes, each normalised to its local QRS level (≈ 1 on beats),
// the matching normalised |slope|, and per 2 s window each lead's weight and QRS level.
struct Combined {
  std::vector<float> envelope;
  std::vector<float> slope;
  std::int64_t window_samples = 1;
  std::vector<std::vector<float>> window_weights;  // [lead][window]
  std::vector<std::vector<float>> window_levels;   // [lead][window], envelope units
};
Combined combine_leads(const std::vector<LeadFeatures>& leads, double fs);

// What the detector saw and decided, for tests and tuning tools.
struct DetectorTrace {
  std::vector<float> envelope;  // combined, normalised
  std::int64_t window_samples = 1;
  std::vector<std::vector<float>> window_weights;  // [lead][window]
  struct Decision {
    std::int64_t index = 0;
    float height = 0;
    float slope = 0;
    float threshold = 0;
    char verdict = '?';  // Q qrs, N noise, T t-wave, R refractory loser, S search-back qrs
  };
  std::vector<Decision> decisions;
};

std::vector<std::int64_t> detect_qrs_traced(const std::vector<std::vector<float>>& filtered_uv,
                                            double fs, DetectorTrace* trace);

}  // namespace gc::dsp::detail
