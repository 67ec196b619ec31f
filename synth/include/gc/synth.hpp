// synth — realistic synthetic 12/18-lead ECGs (sum-of-Gaussians beat model projected onto lead
// vectors) with chosen heart rate, noise, per-lead ST shifts, LBBB-like morphology, lead-off.
// Used for sample_ecgs/, tests and criterion sweeps. Deterministic for a given seed.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace gc::synth {

struct Spec {
  double sample_rate_hz = 500;
  double duration_s = 10;
  double heart_rate_bpm = 72;
  bool eighteen_lead = false;              // adds V7–V9, V3R–V5R
  std::map<std::string, double> st_shift_uv;  // per lead: ST-segment shift at the J point (µV)
  bool lbbb = false;                       // wide QRS with discordant ST-T in V1–V3/V5–V6
  bool paced = false;                      // ventricular pacing spikes + wide QRS
  double noise_rms_uv = 10;                // broadband (EMG-like) noise
  double mains_uv = 0;                     // 50 Hz amplitude
  double mains_hz = 50;
  double baseline_wander_uv = 0;           // 0.3 Hz sinusoidal wander amplitude
  std::vector<std::string> leads_off;      // leads that read flat (electrode off)
  int age_years = 60;
  char sex = 'M';
  std::uint64_t seed = 1;
  double resolution_uv_per_lsb = 1.0;      // ADC step for the adu output
};

struct Synthesized {
  double sample_rate_hz = 0;
  std::vector<std::string> lead_names;
  std::vector<std::vector<float>> samples_uv;
  std::vector<std::vector<std::int32_t>> samples_adu;  // round(uv / resolution)
  double resolution_uv_per_lsb = 1.0;
  std::vector<std::int64_t> r_samples;                // true R peaks
  std::vector<std::int64_t> qrs_onset_samples;
  std::vector<std::int64_t> j_samples;
};

Synthesized generate(const Spec& spec);

}  // namespace gc::synth
