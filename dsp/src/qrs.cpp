// Multi-lead QRS detection, for 1 to 18+ leads at any rate and length. Leads are reduced to block
// means at ≥ 125 Hz; each becomes a QRS envelope (20 ms smoothing, 16 ms difference, RMS over
// 100 ms). Envelopes are normalised by their local QRS level (median of 2 s window maxima) and
// averaged with weights 1/(background/QRS)², so flat, lead-off or momentarily noisy leads drop
// out. Beats are picked on the combined envelope with OSEA-like adaptive thresholds (medians of
// the last 8 QRS and noise peaks, capped so artefacts cannot lock the detector out), a 200 ms
// refractory period, T-wave rejection by slope (window lengthening with RR like QT) and
// search-back after 1.5 RR. The fiducial is the largest weighted deflection of the full-rate leads
// within ±80 ms of the envelope peak.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <vector>

#include "gc/dsp.hpp"
#include "min_max.hpp"
#include "qrs_detail.hpp"
#include "select.hpp"

namespace gc::dsp {
namespace detail {
namespace {

std::int64_t samples_for(double seconds, double fs) {
  return std::max<std::int64_t>(1, std::llround(seconds * fs));
}

// Centred moving average of width 2*half+1 (edges use the available samples), O(n), running sum.
std::vector<float> moving_average(const std::vector<float>& x, std::int64_t half) {
  const auto n = static_cast<std::int64_t>(x.size());
  std::vector<float> y(x.size());
  double sum = 0;
  std::int64_t a = 0;  // window [a, b)
  std::int64_t b = 0;
  auto edge = [&](std::int64_t i) {
    const std::int64_t want_b = std::min(n, i + half + 1);
    const std::int64_t want_a = std::max<std::int64_t>(0, i - half);
    for (; b < want_b; ++b) sum += x[b];
    for (; a < want_a; ++a) sum -= x[a];
    y[i] = static_cast<float>(sum / static_cast<double>(b - a));
  };
  const std::int64_t inner_begin = std::min(n, half + 1);
  const std::int64_t inner_end = std::max(inner_begin, n - half);
  std::int64_t i = 0;
  for (; i < inner_begin; ++i) edge(i);
  // Interior: full window [i-half, i+half], b == i+half+1 on entry.
  const double inv = 1.0 / static_cast<double>(2 * half + 1);
  for (; i < inner_end; ++i) {
    sum += static_cast<double>(x[i + half]) - x[i - half - 1];
    y[i] = static_cast<float>(sum * inv);
  }
  a = std::max<std::int64_t>(0, i - half - 1);
  b = std::min(n, i + half);
  for (; i < n; ++i) edge(i);
  return y;
}

float percentile_of(std::vector<float>& v, double q) {  // reorders v
  if (v.empty()) return 0;
  return kth_smallest(v.data(), v.size(),
                      static_cast<std::size_t>(q * static_cast<double>(v.size() - 1)));
}

float median_of(std::vector<float>& v) {  // reorders v
  if (v.empty()) return 0;
  return kth_smallest(v.data(), v.size(), v.size() / 2);
}

float median_copy(std::vector<float> v) { return median_of(v); }

}  // namespace

LeadFeatures lead_features(const std::vector<float>& x, double fs) {
  LeadFeatures f;
  const auto n = static_cast<std::int64_t>(x.size());
  // 20 ms boxcar: first null at 50 Hz, keeps QRS slopes, removes most EMG and mains.
  const std::vector<float> smooth = moving_average(x, samples_for(0.010, fs));
  const std::int64_t k = samples_for(0.008, fs);
  f.slope.assign(x.size(), 0.0f);
  std::vector<float> energy(x.size(), 0.0f);
  const auto diff_at = [&](std::int64_t i) {
    const float d = smooth[std::min(n - 1, i + k)] - smooth[std::max<std::int64_t>(0, i - k)];
    f.slope[i] = d;
    energy[i] = d * d;
  };
  // Clamped indices only at the ends; the interior loop is plain (and vectorises).
  const std::int64_t in_begin = std::min(n, k), in_end = std::max(in_begin, n - k);
  for (std::int64_t i = 0; i < in_begin; ++i) diff_at(i);
  {
    const float* __restrict sm = smooth.data();
    float* __restrict sl = f.slope.data();
    float* __restrict en = energy.data();
    for (std::int64_t i = in_begin; i < in_end; ++i) {
      const float d = sm[i + k] - sm[i - k];
      sl[i] = d;
      en[i] = d * d;
    }
  }
  for (std::int64_t i = in_end; i < n; ++i) diff_at(i);
  f.envelope = moving_average(energy, samples_for(0.050, fs));
  for (float& v : f.envelope) v = std::sqrt(v);  // RMS: linear in amplitude
  return f;
}

Combined combine_leads(const std::vector<LeadFeatures>& leads, double fs) {
  const std::size_t n = leads.empty() ? 0 : leads[0].envelope.size();
  const std::int64_t win = samples_for(kScaleWindowS, fs);
  const std::int64_t n_win = std::max<std::int64_t>(1, (static_cast<std::int64_t>(n) + win - 1) / win);
  Combined out;
  std::vector<float>& combined = out.envelope;
  std::vector<float>& slope = out.slope;
  combined.assign(n, 0.0f);
  slope.assign(n, 0.0f);
  std::vector<float> weight_sum(n, 0.0f);
  out.window_samples = win;
  out.window_weights.resize(leads.size());
  out.window_levels.resize(leads.size());
  std::vector<float> scratch;
  for (std::size_t l = 0; l < leads.size(); ++l) {
    const auto& env = leads[l].envelope;
    // Per window: QRS level (max) and background level (median).
    std::vector<float> peak(static_cast<std::size_t>(n_win)), floor(static_cast<std::size_t>(n_win));
    for (std::int64_t w = 0; w < n_win; ++w) {
      const auto a = static_cast<std::ptrdiff_t>(w * win);
      const auto b = static_cast<std::ptrdiff_t>(std::min<std::int64_t>(n, (w + 1) * win));
      peak[w] = min_max(env.data() + a, static_cast<std::size_t>(b - a)).second;
      scratch.assign(env.begin() + a, env.begin() + b);
      floor[w] = percentile_of(scratch, kNoisePercentile);
    }
    // Local levels: medians over neighbouring windows, robust to single PVCs and pauses.
    std::vector<float> level(peak.size()), wgt(peak.size());
    for (std::int64_t w = 0; w < n_win; ++w) {
      const std::int64_t a = std::max<std::int64_t>(0, w - kScaleNeighbours);
      const std::int64_t b = std::min<std::int64_t>(n_win, w + kScaleNeighbours + 1);
      level[w] = median_copy(std::vector<float>(peak.begin() + a, peak.begin() + b));
    }
    // Weight: inverse square of the background-to-QRS ratio in this and the adjacent windows, so
    // a lead drops out quickly during a noise burst and flat leads never count.
    for (std::int64_t w = 0; w < n_win; ++w) {
      if (level[w] < kFlatEnvelopeUv) {
        wgt[w] = 0;
        continue;
      }
      float ratio = 0;
      for (std::int64_t k = std::max<std::int64_t>(0, w - 1); k <= std::min<std::int64_t>(n_win - 1, w + 1); ++k) {
        ratio = std::max(ratio, floor[k] / level[w]);
      }
      wgt[w] = 1.0f / (ratio * ratio + kNoiseRatioFloor * kNoiseRatioFloor);
    }
    // Interpolate weight and weight/level linearly between window centres (no steps, no
    // per-sample division).
    std::vector<float> ratio(peak.size());
    for (std::int64_t w = 0; w < n_win; ++w) ratio[w] = level[w] > 0 ? wgt[w] / level[w] : 0.0f;
    const auto& e = leads[l].envelope;
    const auto& sl = leads[l].slope;
    const std::int64_t ni = static_cast<std::int64_t>(n);
    for (std::int64_t w0 = -1; w0 < n_win; ++w0) {
      const std::int64_t lo = w0 < 0 ? 0 : std::min(ni, w0 * win + win / 2);
      const std::int64_t hi = w0 + 1 >= n_win ? ni : std::min(ni, (w0 + 1) * win + win / 2);
      const std::int64_t a = std::max<std::int64_t>(0, w0);
      const std::int64_t b = std::min<std::int64_t>(n_win - 1, w0 + 1);
      const bool flat = w0 < 0 || w0 + 1 >= n_win;
      const float inv = flat ? 0.0f : 1.0f / static_cast<float>(win);
      const float dw = (wgt[b] - wgt[a]) * inv;
      const float dq = (ratio[b] - ratio[a]) * inv;
      const float w_start = wgt[a];
      const float q_start = ratio[a];
      float* __restrict c_out = combined.data();
      float* __restrict s_out = slope.data();
      float* __restrict w_out = weight_sum.data();
      const float* __restrict e_in = e.data();
      const float* __restrict s_in = sl.data();
      for (std::int64_t i = lo; i < hi; ++i) {
        const auto k = static_cast<float>(i - lo);
        const float q = q_start + dq * k;
        c_out[i] += q * e_in[i];
        s_out[i] += q * std::abs(s_in[i]);
        w_out[i] += w_start + dw * k;
      }
    }
    out.window_weights[l] = std::move(wgt);
    out.window_levels[l] = std::move(level);
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (weight_sum[i] > 0) {
      combined[i] /= weight_sum[i];
      slope[i] /= weight_sum[i];
    }
  }
  return out;
}

}  // namespace detail

namespace {

struct Candidate {
  std::int64_t index = 0;
  float height = 0;
  float slope = 0;  // max combined |slope| around the peak, relative units
};

float median_last(const std::vector<float>& v, std::size_t count) {
  if (v.empty()) return 0;
  const std::size_t a = v.size() > count ? v.size() - count : 0;
  std::vector<float> tail(v.begin() + static_cast<std::ptrdiff_t>(a), v.end());
  const auto mid = tail.begin() + static_cast<std::ptrdiff_t>(tail.size() / 2);
  std::nth_element(tail.begin(), mid, tail.end());
  return *mid;
}

}  // namespace

namespace detail {

std::vector<std::int64_t> detect_qrs_traced(const std::vector<std::vector<float>>& filtered_uv,
                                            double sample_rate_hz, DetectorTrace* trace) {
  if (!valid_sample_rate_hz(sample_rate_hz)) {
    throw std::invalid_argument("detect_qrs: sample rate must be > 0 and <= 100 kHz");
  }
  if (filtered_uv.empty()) return {};
  const std::size_t n = filtered_uv[0].size();
  for (const auto& lead : filtered_uv) {
    if (lead.size() != n) throw std::invalid_argument("detect_qrs: leads differ in length");
  }
  const double fs_full = sample_rate_hz;
  if (static_cast<double>(n) < 0.5 * fs_full) return {};

  // The QRS energy used for detection lies below ~40 Hz: work on block means at ≈ 125–250 Hz
  // (the block mean is the anti-alias filter) and place the fiducial at the full rate at the end.
  const std::int64_t decim = std::max<std::int64_t>(1, static_cast<std::int64_t>(fs_full / kFeatureRateHz));
  const double fs = fs_full / static_cast<double>(decim);
  const auto n_full = static_cast<std::int64_t>(n);
  const std::int64_t n_dec = (n_full + decim - 1) / decim;
  std::vector<LeadFeatures> features;
  features.reserve(filtered_uv.size());
  std::vector<float> reduced(static_cast<std::size_t>(n_dec));
  for (const auto& lead : filtered_uv) {
    // Non-finite samples count as 0; checked once on the bits so a clean lead (the usual case)
    // takes the plain loop.
    std::size_t n_bad = 0;
    for (const float v : lead) n_bad += (std::bit_cast<std::uint32_t>(v) & 0x7f800000u) == 0x7f800000u;
    for (std::int64_t j = 0; j < n_dec; ++j) {
      const std::int64_t a = j * decim;
      const std::int64_t b = std::min(n_full, a + decim);
      float sum = 0;
      if (n_bad == 0) {
        for (std::int64_t i = a; i < b; ++i) sum += std::clamp(lead[i], -kMaxAbsUv, kMaxAbsUv);
      } else {
        for (std::int64_t i = a; i < b; ++i) {
          sum += std::isfinite(lead[i]) ? std::clamp(lead[i], -kMaxAbsUv, kMaxAbsUv) : 0.0f;
        }
      }
      // Clamp to ±10 V: no ECG gets near it, and squares of absurd inputs cannot overflow.
      reduced[j] = std::clamp(sum / static_cast<float>(b - a), -kMaxAbsUv, kMaxAbsUv);
    }
    features.push_back(lead_features(reduced, fs));
  }
  Combined comb = combine_leads(features, fs);
  const std::vector<float>& env = comb.envelope;
  const std::vector<float>& slope = comb.slope;

  // Candidates: local maxima of the envelope, dominant within ±kPeakHalfWidthS.
  const std::int64_t half = samples_for(kPeakHalfWidthS, fs);
  const std::int64_t slope_half = samples_for(0.06, fs);
  std::vector<Candidate> cands;
  const std::int64_t ni = n_dec;
  for (std::int64_t i = 1; i + 1 < ni; ++i) {
    if (!(env[i] > env[i - 1] && env[i] >= env[i + 1]) || env[i] <= 0) continue;
    const std::int64_t a = std::max<std::int64_t>(0, i - half);
    const std::int64_t b = std::min<std::int64_t>(ni, i + half + 1);
    bool dominant = true;
    for (std::int64_t j = a; j < b && dominant; ++j) {
      if (env[j] > env[i] || (env[j] == env[i] && j < i)) dominant = false;
    }
    if (!dominant) continue;
    const std::int64_t sa = std::max<std::int64_t>(0, i - slope_half);
    const std::int64_t sb = std::min<std::int64_t>(ni, i + slope_half + 1);
    const float s = *std::max_element(slope.begin() + sa, slope.begin() + sb);
    cands.push_back({i, env[i], s});
  }
  if (cands.empty()) return {};

  // Adaptive thresholding (OSEA-like: medians of the last 8 QRS and noise peaks).
  const std::int64_t refractory = samples_for(kRefractoryS, fs);
  std::vector<float> qrs_heights{1.0f};  // envelopes are normalised to the local QRS level
  std::vector<float> noise_heights;
  {
    std::vector<float> sub;  // strided subsample: the median needs no more
    for (std::size_t i = 0; i < env.size(); i += 16) sub.push_back(env[i]);
    noise_heights.push_back(2 * median_of(sub));
  }
  std::vector<std::int64_t> rr;
  std::vector<std::size_t> detected;  // indices into cands
  std::vector<float> detected_slope;
  auto threshold = [&]() {
    const float q = median_last(qrs_heights, 8);
    const float nz = median_last(noise_heights, 8);
    // Envelopes are normalised so a typical QRS is ≈ 1: the cap stops a run of artefacts from
    // lifting the threshold above every real beat that follows.
    return std::min(kThresholdCap, nz + kThresholdFraction * std::max(0.0f, q - nz));
  };
  auto mean_rr = [&]() -> double {
    if (rr.empty()) return fs;  // assume 60 bpm until we know better
    const std::size_t a = rr.size() > 8 ? rr.size() - 8 : 0;
    std::vector<std::int64_t> tail(rr.begin() + static_cast<std::ptrdiff_t>(a), rr.end());
    std::nth_element(tail.begin(), tail.begin() + static_cast<std::ptrdiff_t>(tail.size() / 2), tail.end());
    return static_cast<double>(tail[tail.size() / 2]);
  };
  // Where a T wave can follow a QRS: 360 ms up to 60 bpm, lengthening like QT (√RR) below.
  auto t_wave_window = [&]() {
    const double rr_s = mean_rr() / fs;
    return static_cast<std::int64_t>(std::llround(kTWaveWindowS * std::sqrt(std::max(1.0, rr_s)) * fs));
  };
  auto accept = [&](std::size_t c) {
    if (!detected.empty()) rr.push_back(cands[c].index - cands[detected.back()].index);
    detected.push_back(c);
    // Clamped so one huge artefact or PVC cannot dominate the running level.
    qrs_heights.push_back(std::min(cands[c].height, kHeightClamp * median_last(qrs_heights, 8)));
    detected_slope.push_back(cands[c].slope);
  };

  std::size_t last_searched = 0;  // candidates before this were already considered by search-back
  for (std::size_t c = 0; c < cands.size(); ++c) {
    const Candidate& cand = cands[c];
    // Search-back: a long gap since the last beat → take the biggest skipped peak above thr/2.
    if (!detected.empty()) {
      const std::int64_t last = cands[detected.back()].index;
      if (static_cast<double>(cand.index - last) > kSearchBackRr * mean_rr()) {
        const float thr2 = kSearchBackFraction * threshold();
        std::optional<std::size_t> best;
        for (std::size_t j = std::max(last_searched, detected.back() + 1); j < c; ++j) {
          if (cands[j].index - last < refractory) continue;
          if (cand.index - cands[j].index < refractory) continue;
          // Skipped peaks must still look like a QRS: not a shallow T wave after the last beat,
          // and not far below the local QRS level (≈ 1 after normalisation).
          const bool t_wave_like = cands[j].index - last < t_wave_window() &&
                                   cands[j].slope < kTWaveSlopeRatio * detected_slope.back();
          if (t_wave_like || cands[j].height < kSearchBackFloor) continue;
          if (cands[j].height > thr2 && (!best || cands[j].height > cands[*best].height)) best = j;
        }
        if (best) {
          accept(*best);
          if (trace) trace->decisions.push_back({cands[*best].index, cands[*best].height, cands[*best].slope, thr2, 'S'});
        }
        last_searched = c;
      }
    }
    const float thr = threshold();
    auto note = [&](char verdict) {
      if (trace) trace->decisions.push_back({cand.index, cand.height, cand.slope, thr, verdict});
    };
    if (cand.height <= thr) {
      noise_heights.push_back(cand.height);
      note('N');
      continue;
    }
    if (!detected.empty()) {
      const std::int64_t gap = cand.index - cands[detected.back()].index;
      if (gap < refractory) {
        // Two peaks closer than a refractory period: keep the bigger one.
        if (cand.height > cands[detected.back()].height) {
          noise_heights.push_back(cands[detected.back()].height);
          detected.pop_back();
          qrs_heights.pop_back();
          detected_slope.pop_back();
          if (!rr.empty()) rr.pop_back();
          accept(c);
          note('q');
        } else {
          noise_heights.push_back(cand.height);
          note('R');
        }
        continue;
      }
      if (gap < t_wave_window() &&
          cand.slope < kTWaveSlopeRatio * detected_slope.back()) {
        noise_heights.push_back(cand.height);  // T wave: shallower than the QRS before it
        note('T');
        continue;
      }
    }
    accept(c);
    note('Q');
  }
  if (trace) {
    for (auto& d : trace->decisions) d.index = d.index * decim + decim / 2;  // full-rate samples
    trace->envelope = env;
    trace->window_weights = comb.window_weights;
    trace->window_samples = comb.window_samples;
  }

  // Fiducial: largest weighted absolute deflection of the leads near the envelope peak, measured
  // from the local median level.
  const std::int64_t fid_half = samples_for(kFiducialHalfWidthS, fs_full);
  const std::int64_t base_half = samples_for(0.15, fs_full);
  std::vector<std::int64_t> r;
  r.reserve(detected.size());
  std::vector<float> fid_scratch;
  std::vector<float> score;
  for (const std::size_t c : detected) {
    const std::int64_t i_dec = cands[c].index;
    const std::int64_t i = i_dec * decim + decim / 2;
    const std::int64_t a = std::max<std::int64_t>(0, i - fid_half);
    const std::int64_t b = std::min<std::int64_t>(n_full, i + fid_half + 1);
    score.assign(static_cast<std::size_t>(b - a), 0.0f);
    const auto win = static_cast<std::size_t>(std::min<std::int64_t>(
        i_dec / comb.window_samples, static_cast<std::int64_t>(comb.window_weights[0].size()) - 1));
    for (std::size_t l = 0; l < filtered_uv.size(); ++l) {
      // Same weighting as the envelope: lead weight over the lead's local envelope level.
      const float w = comb.window_weights[l][win];
      const float level = comb.window_levels[l][win];
      if (w <= 0 || level <= 0) continue;
      const float gain = w / level;
      const auto& x = filtered_uv[l];
      const std::int64_t ba = std::max<std::int64_t>(0, i - base_half);
      const std::int64_t bb = std::min<std::int64_t>(n_full, i + base_half + 1);
      // Local level: median of a strided subsample (~30 points) is plenty for a reference.
      std::vector<float>& around = fid_scratch;
      around.clear();
      const std::int64_t stride = std::max<std::int64_t>(1, (bb - ba) / 30);
      for (std::int64_t j = ba; j < bb; j += stride) around.push_back(std::isfinite(x[j]) ? x[j] : 0.0f);
      const float base = median_of(around);
      for (std::int64_t j = a; j < b; ++j) {
        const float v = std::isfinite(x[j]) ? x[j] : base;
        score[static_cast<std::size_t>(j - a)] += gain * std::abs(v - base);
      }
    }
    const auto best = std::max_element(score.begin(), score.end());
    std::int64_t pos = std::min(i, n_full - 1);
    if (!score.empty() && *best > 0) pos = a + (best - score.begin());
    if (r.empty() || pos > r.back()) r.push_back(pos);
  }
  return r;
}

}  // namespace detail

std::vector<std::int64_t> detect_qrs(const std::vector<std::vector<float>>& filtered_uv,
                                     double sample_rate_hz) {
  return detail::detect_qrs_traced(filtered_uv, sample_rate_hz, nullptr);
}

}  // namespace gc::dsp
