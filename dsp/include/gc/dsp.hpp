// dsp — pure ECG signal processing: diagnostic filtering, multi-lead QRS detection, beat typing,
// median beat, fiducials (QRS onset, J point, T end), per-lead measurements and signal quality.
// No I/O, no protobuf, no SQLite: inputs are µV sample arrays, outputs are value types.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gc::dsp {

// Sample rates every entry point accepts: finite, > 0 and ≤ this (ECG carts sample at 250 Hz –
// 16 kHz; beyond 100 kHz a rate is a corrupt header, and sample counts derived from it would no
// longer fit integers). Anything else throws std::invalid_argument.
inline constexpr double kMaxSampleRateHz = 100'000.0;
inline constexpr bool valid_sample_rate_hz(double hz) { return hz > 0 && hz <= kMaxSampleRateHz; }  // NaN: false

// Canonical lead names: I, II, III, aVR, aVL, aVF, V1..V9, V3R, V4R, V5R. Accepts common spellings
// ("i", "AVR", "MLII" is *not* mapped). Returns nullopt for names it does not know.
std::optional<std::string> canonical_lead_name(std::string_view name);

// A multi-lead recording ready for analysis: samples [n_leads x n_samples], µV.
struct SignalBlock {
  double sample_rate_hz = 0;
  std::vector<std::string> lead_names;         // canonical where known, else as given
  std::vector<std::vector<float>> samples_uv;  // one vector per lead, all the same length
};

struct AnalysisOptions {
  std::optional<double> mains_hz;  // 50 or 60; nullopt = auto-detect
};

// One detected beat. Sample indices count from 0 at the record's first sample; fiducials are
// global across leads (earliest onset, latest offset).
struct Beat {
  std::int64_t r_sample = 0;
  std::optional<std::int64_t> qrs_onset_sample;
  std::optional<std::int64_t> qrs_offset_sample;  // J point
  std::optional<std::int64_t> t_end_sample;  // nullopt for the median's shape when t_end_uncertain
  bool dominant = false;  // used to build the median beat
  bool noisy = false;
};

// Median (representative) beat built from dominant beats. samples_uv [n_leads x length_samples].
struct MedianBeat {
  std::int64_t length_samples = 0;
  std::int64_t r_index_samples = 0;  // position of the fiducial R inside the median beat
  std::optional<std::int64_t> p_onset_samples;
  std::optional<std::int64_t> qrs_onset_samples;
  std::optional<std::int64_t> qrs_offset_samples;  // J point
  std::optional<std::int64_t> t_end_samples;       // nullopt when t_end_uncertain (QT not measured)
  int n_beats_used = 0;
  std::vector<std::vector<float>> samples_uv;
  // How well the J point and T end agree between independent views of the same beat (issue 12
  // item 4), in ms: the largest distance from the fiducial above to the same fiducial found on
  // the medians of the odd and of the even dominant beats (beat spread; needs ≥ 6 beats), and
  // between the limb-lead and the chest-lead delineations (lead spread; needs both groups).
  // nullopt when not assessable. Spreads above a gross error are reported in quality
  // (j_point_uncertain, j_point_leads_disagree, t_end_uncertain; see QualityProblem).
  std::optional<double> j_beat_spread_ms;
  std::optional<double> j_lead_spread_ms;
  std::optional<double> t_end_beat_spread_ms;
  std::optional<double> t_end_lead_spread_ms;
};

// Measurements of one lead on the median beat; levels relative to the isoelectric (PR) level.
struct LeadMeasurement {
  std::string lead;
  double st_j_uv = 0;        // ST deviation at the J point
  double st_j60_uv = 0;      // at J+60 ms (J+40 ms when heart rate > 120 bpm; see st_late_offset_ms)
  int st_late_offset_ms = 60;
  double st_slope_uv_per_s = 0;  // J → J+60/40
  double q_amplitude_uv = 0;     // ≤ 0
  double r_amplitude_uv = 0;     // ≥ 0
  double s_amplitude_uv = 0;     // ≤ 0
  double q_duration_ms = 0;
  double r_duration_ms = 0;
  double s_duration_ms = 0;
  double t_amplitude_uv = 0;           // signed peak of T relative to isoelectric level
  double pr_segment_vs_tp_uv = 0;      // PR-segment level relative to the TP baseline (pericarditis)
  double qrs_net_uv = 0;               // net QRS area sign/amplitude proxy: r + s + q (µV)
  // Time from the J point to the T-wave peak (the extremum behind t_amplitude_uv).
  double t_peak_from_j_ms = 0;
  // Shape of the ST segment from the J point to the T peak (upright T rising above the J level
  // by ≥ 50 µV; nullopt otherwise): the mean sag of the signal below the straight chord J → T
  // peak, as a fraction of the rise. > 0 concave (upward concavity, the benign early-
  // repolarisation shape), ≈ 0 straight, < 0 convex ("tombstone"). Occlusion lifts the ST
  // segment itself and straightens it (Brady et al., Am J Emerg Med 2001; Smith 2006).
  std::optional<double> st_concavity;
  bool analysable = true;              // false when the lead failed quality
};

struct GlobalMeasurement {
  std::optional<double> heart_rate_bpm;
  std::optional<double> rr_irregularity;  // coefficient of variation of RR
  std::optional<double> pr_ms;
  std::optional<double> qrs_duration_ms;
  std::optional<double> qt_ms;
  std::optional<double> qtc_ms;  // Bazett
  std::optional<double> qrs_axis_deg;
  bool pacing_spikes = false;  // pacemaker stimuli detected before most QRS complexes
  // False when the sample rate is too low to tell a stimulus from a QRS (kMinPacingDetectRateHz):
  // pacing_spikes is then false because nothing could be seen, not because nothing was there.
  bool pacing_assessable = true;
};

// Pacemaker stimuli last 0.1–2 ms; behind a cart's anti-alias filter they are 1–3 samples at
// ≥ 500 Hz, sharper than any myocardial deflection. Below 250 Hz (4 ms a sample) a narrow R wave
// is itself only 2–4 samples wide and reads as a "spike" (Brugada-HUCA at 100 Hz: 1177018 and
// others read as paced with a 50 ms QRS), so stimuli are not looked for there; carts that record
// at such rates flag pacing in hardware (IEC 60601-2-25 pacemaker pulse detection).
inline constexpr double kMinPacingDetectRateHz = 250;

struct QualityProblem {
  std::string lead;  // "" for the whole record
  std::string kind;  // flat, lead_off, saturation, hf_noise, baseline_wander, mains, too_few_beats,
                     // too_short, invalid_samples, recording_stopped, delineation_failed,
                     // j_point_uncertain (odd/even beats disagree: ST not measured, quality
                     // not ok), j_point_leads_disagree (limb/chest leads disagree; reported,
                     // quality stays ok), t_end_uncertain (QT not reported; quality stays ok)
  std::string detail;
};

// Every QualityProblem::kind analyze() may report (the read names each in words: a test checks
// that triage has Chinese text for all of them).
inline constexpr std::string_view kQualityProblemKinds[] = {
    "flat",           "lead_off",          "saturation",         "hf_noise",
    "baseline_wander", "mains",            "too_few_beats",      "too_short",
    "invalid_samples", "recording_stopped", "delineation_failed", "detection_failed",
    "filter_failed",  "no_usable_leads",   "too_many_bad_leads", "key_leads_unusable",
    "j_point_uncertain", "j_point_leads_disagree", "t_end_uncertain"};

struct Quality {
  bool ok = true;
  std::vector<QualityProblem> problems;
};

struct Analysis {
  double sample_rate_hz = 0;
  std::vector<std::string> lead_names;
  std::optional<double> mains_hz_detected;
  std::vector<Beat> beats;
  MedianBeat median;
  std::vector<LeadMeasurement> per_lead;  // same order as lead_names
  GlobalMeasurement global;
  Quality quality;
};

// Full analysis. Never throws on odd signals (flat, saturated, 1 s or 24 h): problems are
// reported in `quality`. Throws std::invalid_argument on structurally invalid input
// (lead count mismatch, ragged leads, a sample rate not in (0, kMaxSampleRateHz]).
Analysis analyze(const SignalBlock& block, const AnalysisOptions& options = {});

// Process-wide: keep freed heap memory for the next analysis instead of returning it to the
// kernel after each one (glibc's M_TRIM_THRESHOLD raised to 64 MiB). An analysis allocates and
// frees a few MiB of scratch; with glibc's default the top of the heap is given back after every
// record and page-faulted in again on the next, up to ~40 % of a 10 s 12-lead analysis
// (`bench_dsp` vs `bench_dsp --default-heap`). Blocks under 32 MiB then come from the heap (no
// mmap per block) and up to 64 MiB of free heap stays with the process. greenchannel's main()
// calls it; a program that embeds dsp decides for itself.
void keep_heap_between_analyses();

// --- Building blocks, public for tests and benchmarks -------------------------------------

// Diagnostic filter: zero-phase, 0.05–150 Hz equivalent with baseline removal that keeps the ST
// segment, plus mains (50/60 Hz and harmonics) suppression. Input/output µV, same length.
// Zero-phase: gain ≥ 0 at every frequency, so waveform timing and the ST level are not shifted.
// Baseline: x minus a near-Gaussian smoothing (σ 1.6 s, mirrored edges): passes ≥ 0.67 Hz
// untouched (−3 dB ≈ 0.12 Hz), meets the AHA 2007 impulse test. No low-pass: the passband runs to
// Nyquist (≥ 150 Hz at fs ≥ 300 Hz). Mains: narrow notches at mains_hz and its harmonics up to
// 170 Hz; mains_hz = nullopt auto-detects on this lead and notches only when a line is present.
// Any length, O(n) plus FFTs on bounded blocks; non-finite input samples are held at the last
// finite value for filtering. Throws std::invalid_argument when sample_rate_hz is not in (0, kMaxSampleRateHz].
std::vector<float> filter_diagnostic(std::span<const float> samples_uv, double sample_rate_hz,
                                     std::optional<double> mains_hz);

// Mains-interference detection: 50 or 60 when a narrow line at that frequency stands well above
// the neighbouring spectrum (looks at the first ≤ 60 s), else nullopt. The multi-lead overload
// takes a majority over leads, for one decision per record. Throws std::invalid_argument for a
// sample rate not in (0, kMaxSampleRateHz].
std::optional<double> detect_mains_hz(std::span<const float> samples_uv, double sample_rate_hz);
std::optional<double> detect_mains_hz(const std::vector<std::vector<float>>& leads_uv,
                                      double sample_rate_hz);

// Multi-lead QRS detection on filtered leads [n_leads][n_samples] µV. Returns R sample indices,
// strictly increasing. Any lead count (flat, lead-off and noisy leads are down-weighted
// automatically), any rate ≥ ~100 Hz, any length; < 0.5 s or no QRS above ~100 µV → empty.
// Throws std::invalid_argument on ragged leads or a sample rate not in (0, kMaxSampleRateHz].
std::vector<std::int64_t> detect_qrs(const std::vector<std::vector<float>>& filtered_uv,
                                     double sample_rate_hz);

}  // namespace gc::dsp
