// synth — realistic synthetic 12/18-lead ECGs (sum-of-Gaussians beat model projected onto lead
// vectors) with chosen heart rate, noise, per-lead ST shifts, LBBB-like morphology, lead-off.
// Used for sample_ecgs/, tests and criterion sweeps. Deterministic for a given seed.
//
// Model: each beat is a sum of 3-D Gaussian bumps (P, Q, R, S, T; two broad bumps for LBBB and
// paced beats) forming a heart vector d(t) in mV (x = patient's left, y = inferior, z = anterior).
// A lead reads gain · (lead vector · d(t)). I and II are projections; III, aVR, aVL and aVF are
// computed from I and II (III = II − I, aVR = −(I + II)/2, aVL = I − II/2, aVF = II − I/2), so
// morphology, broadband noise, mains and wander obey those relations exactly.
// ST shift: st_shift_uv[lead] · plateau(t), the plateau rising over the last 20 ms of the QRS,
// flat (= 1) from the J point to min(J + 80 ms, T peak), then tapering (cosine) to 0 at T end.
// Each lead gets exactly the shift it is given (0 if absent) — the limb-lead relations hold for
// the ST segment only if the caller's limb values are consistent; limb_st_consistent() builds
// such a set from I and II, and territory_st_uv() builds consistent territory patterns.
// LBBB/paced beats also carry their own discordant ST-T (reported in Synthesized::st_j_uv).
// Leads off read ~0 µV with 2 µV rms noise (relations then no longer hold for those leads).
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
  bool eighteen_lead = false;                 // adds V7–V9, V3R–V5R
  std::map<std::string, double> st_shift_uv;  // per lead: ST-segment shift at the J point (µV)
  bool lbbb = false;                          // wide QRS with discordant ST-T in V1–V3/V5–V6
  bool paced = false;                         // ventricular pacing spikes + wide QRS
  double noise_rms_uv = 10;                   // broadband (EMG-like) noise
  double mains_uv = 0;                        // 50 Hz amplitude
  double mains_hz = 50;
  double baseline_wander_uv = 0;       // 0.3 Hz sinusoidal wander amplitude
  std::vector<std::string> leads_off;  // leads that read flat (electrode off)
  int age_years = 60;
  char sex = 'M';
  std::uint64_t seed = 1;
  double resolution_uv_per_lsb = 1.0;  // ADC step for the adu output
};

struct Synthesized {
  double sample_rate_hz = 0;
  std::vector<std::string> lead_names;
  std::vector<std::vector<float>> samples_uv;
  std::vector<std::vector<std::int32_t>> samples_adu;  // round(uv / resolution)
  double resolution_uv_per_lsb = 1.0;
  // True fiducials of the beats whose reference lies inside the record (sample indices from 0),
  // one entry per beat in every vector; the last beat's J / T end may lie past the last sample.
  // r_samples: R peak (normal beats) or the QRS midpoint (wide LBBB/paced beats).
  std::vector<std::int64_t> r_samples;  // true R peaks
  std::vector<std::int64_t> qrs_onset_samples;
  std::vector<std::int64_t> j_samples;
  std::vector<std::int64_t> t_end_samples;
  std::vector<std::int64_t> pace_spike_samples;  // paced records only
  // Per lead (same order as lead_names): the ST level at the J point on the noise-free signal
  // relative to the PR segment, in µV — requested shift plus LBBB/paced discordant ST.
  std::vector<double> st_j_uv;
};

// Throws std::invalid_argument for impossible specs (rate, duration, sample rate, unknown lead
// in st_shift_uv or leads_off, non-positive resolution).
Synthesized generate(const Spec& spec);

// Lead names in output order: 12 standard leads, then V7, V8, V9, V3R, V4R, V5R when 18-lead.
std::vector<std::string> lead_names(bool eighteen_lead);

// ST shifts for all six limb leads consistent with the given I and II shifts (µV).
std::map<std::string, double> limb_st_consistent(double lead_i_uv, double lead_ii_uv);

// A typical acute-occlusion ST pattern for a territory, scaled so the most elevated lead reads
// about `elevation_uv`; includes reciprocal depression and consistent limb leads. Territories:
// septal, anteroseptal, anterior, extensive_anterior, lateral, high_lateral, inferior,
// inferior_rv (inferior + right ventricle), posterior, right_ventricle.
// Throws std::invalid_argument for an unknown territory.
std::map<std::string, double> territory_st_uv(const std::string& territory, double elevation_uv);
std::vector<std::string> territory_names();

// One line describing a spec ("synth: rate_bpm=72 ... seed=1"), written into record headers.
std::string describe(const Spec& spec);

// The committed sample set (sample_ecgs/): normal_sinus, stemi_anterior, stemi_inferior_rv,
// stemi_posterior, lbbb_confounder, noisy_lead_off, each with the read a correct analysis gives.
struct SampleRecord {
  std::string name;
  Spec spec;
  std::string expected;  // "expected: ..." — also written into the record's header
};
std::vector<SampleRecord> sample_set();

}  // namespace gc::synth
