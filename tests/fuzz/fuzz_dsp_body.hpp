// The fuzzed behaviour of the dsp entry points (issue 3 item 5), shared by the libFuzzer target
// (fuzz_dsp.cpp) and the corpus replay in the normal test suite
// (tests/dsp/test_fuzz_dsp_corpus.cpp).
//
// The input bytes describe a SignalBlock: lead count, sample rate, length, a base pattern (the
// bytes themselves as samples, zeros, a constant, saturated rails, a cheap beat train or a synth
// record) and a list of edits (flat or lead-off stretches, clipping, NaN/Inf, huge values,
// spikes, steps). analyze, filter_diagnostic, detect_mains_hz and detect_qrs then run on it and
// their documented promises are checked; a broken promise traps, so libFuzzer keeps the input.
//
// Layout (missing bytes read as 0):
//   [0] lead count 1..18     [1] sample rate selector   [2..3] length (u16, scaled to the cap)
//   [4] base pattern         [5] pattern parameter      [6] flags (bit 0: lead names permuted,
//   bit 1: unknown lead names, bit 2..3: mains option, bit 4: building blocks, bit 5: raw float
//   rate from [7..10])       [7..10] raw float rate     [11] edit count (mod 9)
//   then edits of 5 bytes each (kind, lead, start, length, value), then the rest: int16 samples
//   (little-endian, leads interleaved, cycled) for the raw patterns.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "gc/dsp.hpp"
#include "gc/synth.hpp"

namespace gc::fuzz {

namespace dsp_detail {

// Per-run cap: enough for 60 s of 12 leads at 250 Hz or 1 s of 18 leads at 8 kHz, small enough that
// one instrumented run stays well under a second.
constexpr std::size_t kMaxTotalSamples = 180'000;
constexpr double kMaxDurationS = 60.0;

constexpr std::array<const char*, 18> kLeadNames = {"I",  "II", "III", "aVR", "aVL", "aVF",
                                                    "V1", "V2", "V3",  "V4",  "V5",  "V6",
                                                    "V7", "V8", "V9",  "V3R", "V4R", "V5R"};
constexpr std::array<const char*, 4> kUnknownNames = {"MLII", "ECG", "", "lead 7"};
constexpr std::array<double, 12> kRates = {100,   250,  360, 500,  1000, 128,
                                           257.3, 2000, 50,  99.5, 8000, 1};

class Bytes {
 public:
  Bytes(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  std::uint8_t u8() { return pos_ < size_ ? data_[pos_++] : 0; }
  std::uint16_t u16() { return static_cast<std::uint16_t>(u8() | (u8() << 8)); }
  std::uint32_t u32() { return u16() | (static_cast<std::uint32_t>(u16()) << 16); }
  const std::uint8_t* rest() const { return data_ + std::min(pos_, size_); }
  std::size_t rest_size() const { return size_ > pos_ ? size_ - pos_ : 0; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

// Names the broken promise on stderr, then traps (libFuzzer keeps the input; a test run aborts).
[[noreturn]] inline void broken(const char* promise) {
  std::fprintf(stderr, "broken promise: %s\n", promise);
  __builtin_trap();
}
inline void require(bool ok, const char* promise) {
  if (!ok) broken(promise);
}
inline void require_finite(double v, const char* what) {
  require(std::isfinite(v), what);
}
inline void require_finite(const std::optional<double>& v, const char* what) {
  if (v) require(std::isfinite(*v), what);
}

// A cheap beat train: narrow R, small Q/S, broad T, every `rr` samples (amplitudes in µV).
inline void beat_train(std::vector<float>& x, double fs, double rr_s, double r_uv) {
  // Clamped before the conversion: at absurd rates rr_s * fs does not fit an integer.
  const auto rr = static_cast<std::int64_t>(
      std::clamp(rr_s * fs, 1.0, static_cast<double>(std::max<std::size_t>(x.size(), 1))));
  const double qrs_sigma = std::max(1.0, 0.012 * fs);
  const double t_sigma = std::max(1.0, 0.05 * fs);
  const auto n = static_cast<std::int64_t>(x.size());
  for (std::int64_t i = 0; i < n; ++i) {
    const double phase = static_cast<double>(i % rr);
    const double dr = phase - 0.3 * static_cast<double>(rr);
    const double dt = phase - 0.3 * static_cast<double>(rr) - 0.3 * fs;
    x[static_cast<std::size_t>(i)] =
        static_cast<float>(r_uv * std::exp(-0.5 * dr * dr / (qrs_sigma * qrs_sigma)) +
                           0.25 * r_uv * std::exp(-0.5 * dt * dt / (t_sigma * t_sigma)));
  }
}

inline bool synth_leads(dsp::SignalBlock& block, std::size_t n, double hr_bpm, std::uint8_t param,
                        const std::vector<std::size_t>& order) {
  synth::Spec spec;
  spec.sample_rate_hz = block.sample_rate_hz;
  spec.duration_s = static_cast<double>(n + 1) / block.sample_rate_hz;
  spec.heart_rate_bpm = hr_bpm;
  spec.eighteen_lead = true;
  spec.lbbb = (param & 1) != 0;
  spec.paced = (param & 2) != 0;
  spec.noise_rms_uv = (param & 4) ? 60 : 5;
  spec.mains_uv = (param & 8) ? 80 : 0;
  spec.mains_hz = (param & 16) ? 60 : 50;
  spec.baseline_wander_uv = (param & 32) ? 800 : 0;
  if (param & 64) spec.st_shift_uv = synth::territory_st_uv("anterior", 300);
  spec.seed = param;
  synth::Synthesized s;
  try {
    s = synth::generate(spec);
  } catch (const std::invalid_argument&) {
    return false;  // rate or length synth does not support: the caller uses the beat train
  }
  for (std::size_t l = 0; l < block.samples_uv.size(); ++l) {
    const auto& src = s.samples_uv.at(order[l]);
    auto& dst = block.samples_uv[l];
    for (std::size_t i = 0; i < n; ++i)
      dst[i] = src.empty() ? 0.f : src[std::min(i, src.size() - 1)];
  }
  return true;
}

}  // namespace dsp_detail

// A decoded fuzz input: the block and options to analyse, and whether the building blocks run.
struct DspInput {
  dsp::SignalBlock block;
  dsp::AnalysisOptions options;
  bool building_blocks = false;
};

inline DspInput decode_dsp_input(const std::uint8_t* data, std::size_t size) {
  using namespace dsp_detail;
  Bytes in(data, size);
  const std::size_t nl = 1 + in.u8() % 18;
  const std::uint8_t rate_sel = in.u8();
  const std::uint16_t length_code = in.u16();
  const std::uint8_t pattern = in.u8();
  const std::uint8_t param = in.u8();
  const std::uint8_t flags = in.u8();
  const std::uint32_t raw_rate_bits = in.u32();

  DspInput out;
  out.building_blocks = (flags & 16) != 0;
  switch ((flags >> 2) & 3) {
    case 1:
      out.options.mains_hz = 50.0;
      break;
    case 2:
      out.options.mains_hz = 60.0;
      break;
    default:
      break;
  }
  dsp::SignalBlock& block = out.block;
  block.sample_rate_hz = kRates[rate_sel % kRates.size()];
  if (flags & 32) {
    // Any float, including NaN, ±Inf, 0, negatives and rates beyond dsp::kMaxSampleRateHz (up
    // to 3e38 Hz), all of which every entry point must refuse.
    block.sample_rate_hz = static_cast<double>(std::bit_cast<float>(raw_rate_bits));
  }
  const bool rate_valid = dsp::valid_sample_rate_hz(block.sample_rate_hz);

  // Length: any count from 0 to the cap (≤ 60 s and ≤ kMaxTotalSamples over all leads).
  std::size_t max_n = kMaxTotalSamples / nl;
  if (rate_valid) {
    max_n = static_cast<std::size_t>(
        std::min(static_cast<double>(max_n), kMaxDurationS * block.sample_rate_hz));
  } else {
    max_n = std::min<std::size_t>(max_n, 4096);
  }
  const std::size_t n = length_code % (max_n + 1);

  // Lead order and names: canonical, permuted by the bytes, or partly unknown.
  std::vector<std::size_t> order(nl);
  for (std::size_t l = 0; l < nl; ++l) order[l] = l;
  if (flags & 1) {
    for (std::size_t l = nl; l > 1; --l) std::swap(order[l - 1], order[param % l]);
  }
  for (std::size_t l = 0; l < nl; ++l) {
    block.lead_names.emplace_back(kLeadNames[order[l]]);
    if ((flags & 2) && l % 3 == 2)
      block.lead_names.back() = kUnknownNames[l % kUnknownNames.size()];
  }
  block.samples_uv.assign(nl, std::vector<float>(n, 0.f));

  // Edits are read before the sample bytes that follow them (applied after the base pattern).
  struct Edit {
    std::uint8_t kind, lead, start, length, value;
  };
  std::vector<Edit> edits(in.u8() % 9);
  for (auto& e : edits) e = {in.u8(), in.u8(), in.u8(), in.u8(), in.u8()};

  // Base pattern.
  const double hr_bpm = 30 + (param % 200);
  switch (pattern % 7) {
    case 0:
    case 1: {  // the remaining bytes as int16 samples, cycled, at one of four scales
      const double scale = std::array<double, 4>{1, 10, 0.1, 1000}[(pattern / 7) % 4];
      const std::uint8_t* raw = in.rest();
      const std::size_t m = in.rest_size() / 2;
      if (m == 0) break;
      std::size_t k = 0;
      for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t l = 0; l < nl; ++l, k = (k + 1) % m) {
          const auto v = static_cast<std::int16_t>(raw[2 * k] | (raw[2 * k + 1] << 8));
          block.samples_uv[l][i] = static_cast<float>(v * scale);
        }
      }
      break;
    }
    case 2:  // all zero
      break;
    case 3:  // constant per lead
      for (std::size_t l = 0; l < nl; ++l) {
        std::fill(
            block.samples_uv[l].begin(), block.samples_uv[l].end(),
            static_cast<float>((static_cast<int>(param) - 128) * 100 * static_cast<int>(l + 1)));
      }
      break;
    case 4:  // saturated rails: alternating ±rail in blocks
      for (std::size_t l = 0; l < nl; ++l) {
        for (std::size_t i = 0; i < n; ++i) {
          block.samples_uv[l][i] = ((i / (1 + param)) % 2) ? 32767.f : -32768.f;
        }
      }
      break;
    case 5:  // cheap beat train
      if (rate_valid) {
        for (std::size_t l = 0; l < nl; ++l) {
          beat_train(block.samples_uv[l], block.sample_rate_hz, 60.0 / hr_bpm,
                     (l % 2 ? -1.0 : 1.0) * (200.0 + 40.0 * static_cast<double>(param % 50)));
        }
      }
      break;
    case 6:  // synthetic ECG (falls back to the beat train where synth refuses the spec)
      if (rate_valid && n > 0 && !synth_leads(block, n, hr_bpm, param, order)) {
        for (std::size_t l = 0; l < nl; ++l) {
          beat_train(block.samples_uv[l], block.sample_rate_hz, 60.0 / hr_bpm, 1000.0);
        }
      }
      break;
  }

  // Edits: stretches of the record made flat, lead-off, clipped, non-finite, huge, spiky.
  for (const Edit& e : edits) {
    if (n == 0) break;
    auto& x = block.samples_uv[e.lead % nl];
    const std::size_t start = n * e.start / 256;
    const std::size_t len = e.length == 255 ? n : std::max<std::size_t>(1, n * e.length / 256);
    const std::size_t end = std::min(n, start + len);
    const int value = e.value;
    float fill = 0.f;
    switch (e.kind % 8) {
      case 0:
        fill = static_cast<float>((value - 128) * 50);
        break;  // flat
      case 1:
        fill = 0.f;
        break;  // lead off
      case 2:
        fill = (value & 1) ? 32767.f : -32768.f;
        break;  // saturated rail
      case 3:
        fill = std::numeric_limits<float>::quiet_NaN();
        break;  // NaN
      case 4:
        fill = (value & 1) ? std::numeric_limits<float>::infinity()  // ±Inf
                           : -std::numeric_limits<float>::infinity();
        break;
      case 5:
        fill = (value & 1) ? 1e30f : -1e30f;
        break;  // huge
      case 6:   // single spike
        x[start] = static_cast<float>((value - 128) * 1000);
        continue;
      case 7:  // step
        for (std::size_t i = start; i < n; ++i) x[i] += static_cast<float>((value - 128) * 100);
        continue;
    }
    std::fill(x.begin() + static_cast<std::ptrdiff_t>(start),
              x.begin() + static_cast<std::ptrdiff_t>(end), fill);
  }
  return out;
}

inline void fuzz_dsp_one(const std::uint8_t* data, std::size_t size) {
  using namespace dsp_detail;
  const DspInput input = decode_dsp_input(data, size);
  const dsp::SignalBlock& block = input.block;
  const dsp::AnalysisOptions& options = input.options;
  const std::size_t nl = block.samples_uv.size();
  const std::size_t n = block.samples_uv.at(0).size();
  const bool rate_valid = dsp::valid_sample_rate_hz(block.sample_rate_hz);
  bool any_non_finite = false;
  float max_abs_uv = 0.f;
  for (const auto& x : block.samples_uv) {
    for (const float v : x) {
      if (!std::isfinite(v)) {
        any_non_finite = true;
      } else {
        max_abs_uv = std::max(max_abs_uv, std::fabs(v));
      }
    }
  }

  // --- analyze ---------------------------------------------------------------------------------
  if (!rate_valid) {
    // The one structural error this input can have: it must be refused, and only that way.
    try {
      (void)dsp::analyze(block, options);
    } catch (const std::invalid_argument&) {
      return;
    } catch (...) {
      broken("analyze: wrong exception type for an invalid sample rate");
    }
    broken("analyze: accepted an invalid sample rate");
  }
  dsp::Analysis a;
  try {
    a = dsp::analyze(block, options);
  } catch (...) {
    broken("analyze: threw on a structurally valid block");
  }
  const auto n64 = static_cast<std::int64_t>(n);
  require(a.lead_names == block.lead_names, "analyze: lead names echoed");
  require(a.per_lead.size() == nl, "analyze: one measurement per lead");
  if (a.mains_hz_detected) {
    require(*a.mains_hz_detected == 50.0 || *a.mains_hz_detected == 60.0, "analyze: mains 50/60");
  }
  for (const auto& m : a.per_lead) {
    for (const double v :
         {m.st_j_uv, m.st_j60_uv, m.st_slope_uv_per_s, m.q_amplitude_uv, m.r_amplitude_uv,
          m.s_amplitude_uv, m.q_duration_ms, m.r_duration_ms, m.s_duration_ms, m.t_amplitude_uv,
          m.pr_segment_vs_tp_uv, m.qrs_net_uv}) {
      require_finite(v, "analyze: lead measurement finite");
    }
  }
  const auto& g = a.global;
  for (const auto* v : {&g.heart_rate_bpm, &g.rr_irregularity, &g.pr_ms, &g.qrs_duration_ms,
                        &g.qt_ms, &g.qtc_ms, &g.qrs_axis_deg}) {
    require_finite(*v, "analyze: global measurement finite");
  }
  std::int64_t previous_r = -1;
  for (const auto& b : a.beats) {
    require(b.r_sample > previous_r && b.r_sample < n64, "analyze: beats increasing within [0,n)");
    previous_r = b.r_sample;
    for (const auto& f : {b.qrs_onset_sample, b.qrs_offset_sample, b.t_end_sample}) {
      if (f) require(*f >= 0 && *f < n64, "analyze: beat fiducial within [0,n)");
    }
    if (b.qrs_onset_sample && b.qrs_offset_sample) {
      require(*b.qrs_onset_sample <= *b.qrs_offset_sample, "analyze: beat onset <= offset");
    }
    if (b.qrs_offset_sample && b.t_end_sample) {
      require(*b.qrs_offset_sample <= *b.t_end_sample, "analyze: beat J <= T end");
    }
  }
  const auto& med = a.median;
  require(med.length_samples >= 0 && med.n_beats_used >= 0, "analyze: median sizes");
  if (!med.samples_uv.empty()) {
    require(med.samples_uv.size() == nl, "analyze: median has every lead");
    for (const auto& x : med.samples_uv) {
      require(static_cast<std::int64_t>(x.size()) == med.length_samples, "analyze: median length");
      for (const float v : x) require(std::isfinite(v), "analyze: median samples finite");
    }
  }
  if (med.length_samples > 0) {
    require(med.r_index_samples >= 0 && med.r_index_samples < med.length_samples,
            "analyze: median R inside");
  }
  for (const auto& spread : {med.j_beat_spread_ms, med.j_lead_spread_ms, med.t_end_beat_spread_ms,
                             med.t_end_lead_spread_ms}) {
    if (spread) require(std::isfinite(*spread) && *spread >= 0, "analyze: fiducial spreads finite, >= 0");
  }
  std::optional<std::int64_t> previous_fiducial;
  for (const auto& f :
       {med.p_onset_samples, med.qrs_onset_samples, med.qrs_offset_samples, med.t_end_samples}) {
    if (!f) continue;
    require(*f >= 0 && *f < med.length_samples, "analyze: median fiducial inside its length");
    if (previous_fiducial) require(*previous_fiducial <= *f, "analyze: median fiducials ordered");
    previous_fiducial = f;
  }
  if (a.beats.empty() || med.n_beats_used == 0) {
    require(!a.quality.ok, "analyze: quality.ok false without analysable beats");
  }
  if (any_non_finite) {
    require(std::any_of(a.quality.problems.begin(), a.quality.problems.end(),
                        [](const dsp::QualityProblem& p) { return p.kind == "invalid_samples"; }),
            "analyze: non-finite samples reported");
  }

  // --- building blocks -------------------------------------------------------------------------
  if (!input.building_blocks) return;
  const double fs = block.sample_rate_hz;
  for (const auto& x : block.samples_uv) {
    const auto mains = dsp::detect_mains_hz(x, fs);
    require(!mains || *mains == 50.0 || *mains == 60.0, "detect_mains_hz: 50, 60 or none");
  }
  const auto mains_all = dsp::detect_mains_hz(block.samples_uv, fs);
  require(!mains_all || *mains_all == 50.0 || *mains_all == 60.0, "detect_mains_hz: leads");
  std::vector<std::vector<float>> filtered;
  for (const auto& x : block.samples_uv) {
    try {
      filtered.push_back(dsp::filter_diagnostic(x, fs, options.mains_hz));
    } catch (...) {
      broken("filter_diagnostic: threw with a valid rate");
    }
    require(filtered.back().size() == n, "filter_diagnostic: same length");
    // Non-finite input is held at the last finite value; within ±10 V the output stays finite.
    if (max_abs_uv <= 1e7f) {
      for (const float v : filtered.back()) require(std::isfinite(v), "filter_diagnostic: finite");
    } else {
      for (auto& v : filtered.back()) {
        if (!std::isfinite(v)) v = 0.f;
      }
    }
  }
  std::vector<std::int64_t> r;
  try {
    r = dsp::detect_qrs(filtered, fs);
  } catch (...) {
    broken("detect_qrs: threw on equal-length leads and a valid rate");
  }
  previous_r = -1;
  for (const auto s : r) {
    require(s > previous_r && s < n64, "detect_qrs: strictly increasing within [0,n)");
    previous_r = s;
  }
}

}  // namespace gc::fuzz
