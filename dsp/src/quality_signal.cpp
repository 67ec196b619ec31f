// Per-lead signal-quality statistics (see quality_signal.hpp). All O(n), one pass or two.
#include "quality_signal.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "min_max.hpp"
#include "select.hpp"

namespace gc::dsp::detail {

namespace {
// Samples within this of the lead's extreme count as "at the rail".
constexpr double kRailToleranceUv = 0.5;

}  // namespace

RawLeadQuality raw_lead_quality(std::span<const float> x, double fs_hz) {
  RawLeadQuality q;
  const std::size_t n = x.size();
  if (n == 0) return q;

  // One pass over 1 s blocks: block min/max (flatness, and the lead's extremes) and a decimated
  // block median (baseline wander).
  const std::size_t block = std::max<std::size_t>(1, static_cast<std::size_t>(fs_hz));
  std::size_t n_blocks = 0, n_flat = 0;
  std::vector<double> block_median;
  std::vector<float> block_lo, block_hi;
  std::vector<float> tmp;
  tmp.reserve(block / 8 + 1);
  for (std::size_t b = 0; b < n; b += block) {
    const std::size_t e = std::min(n, b + block);
    const auto [lo, hi] = min_max(x.data() + b, e - b);
    block_lo.push_back(lo);
    block_hi.push_back(hi);
    if (e - b < block / 2 && n_blocks > 0) continue;  // a short tail: extremes only
    if (hi - lo < kFlatPtpUv) ++n_flat;
    // Decimated median keeps this cheap; wander is slow, so 1 of 8 samples is plenty.
    tmp.clear();
    for (std::size_t i = b; i < e; i += 8) tmp.push_back(x[i]);
    block_median.push_back(kth_smallest(tmp.data(), tmp.size(), tmp.size() / 2));
    ++n_blocks;
  }
  const double mn = *std::min_element(block_lo.begin(), block_lo.end());
  const double mx = *std::max_element(block_hi.begin(), block_hi.end());
  q.range_uv = mx - mn;
  q.flat_fraction = n_blocks ? static_cast<double>(n_flat) / static_cast<double>(n_blocks) : 0;
  // Wander: baseline excursion within 10 s (an ECG's span), the 90th percentile over the
  // record so that one movement artefact in a Holter recording does not flag all of it.
  std::vector<double> ranges;
  constexpr std::size_t kSpan = 10;
  for (std::size_t i = 0; !block_median.empty() && i + std::min(kSpan, block_median.size()) <= block_median.size(); ++i) {
    const auto b0 = block_median.begin() + static_cast<std::ptrdiff_t>(i);
    const auto b1 = b0 + static_cast<std::ptrdiff_t>(std::min(kSpan, block_median.size()));
    const auto [lo, hi] = std::minmax_element(b0, b1);
    ranges.push_back(*hi - *lo);
    if (block_median.size() <= kSpan) break;
  }
  if (!ranges.empty()) {
    const std::size_t k = (ranges.size() - 1) * 9 / 10;
    std::nth_element(ranges.begin(), ranges.begin() + static_cast<std::ptrdiff_t>(k), ranges.end());
    q.wander_uv = ranges[k];
  }

  // Saturation: runs of ≥ 10 ms stuck at the lead's minimum or maximum (a clipped amplifier).
  // Clipping repeats beat after beat: only when the lead's extreme is reached in more than
  // one 1 s block is the (full-length) run scan worth doing.
  std::size_t blocks_at_rail = 0;
  for (std::size_t i = 0; i < block_lo.size(); ++i) {
    if (block_hi[i] >= mx - kRailToleranceUv || block_lo[i] <= mn + kRailToleranceUv) ++blocks_at_rail;
  }
  // And only if enough samples sit at a rail to reach the reporting level at all (a vectorisable
  // count over the blocks that touch a rail).
  std::size_t rail_samples = 0;
  for (std::size_t i = 0; i < block_lo.size() && blocks_at_rail >= 2; ++i) {
    if (!(block_hi[i] >= mx - kRailToleranceUv || block_lo[i] <= mn + kRailToleranceUv)) continue;
    const std::size_t a = i * block, e = std::min(n, a + block);
    for (std::size_t k = a; k < e; ++k) {
      rail_samples += static_cast<std::size_t>(x[k] >= mx - kRailToleranceUv) +
                      static_cast<std::size_t>(x[k] <= mn + kRailToleranceUv);
    }
  }
  const bool worth_scanning = static_cast<double>(rail_samples) >= 0.004 * static_cast<double>(n);
  if (mx - mn > kFlatPtpUv && (blocks_at_rail >= 2 || n <= block) && worth_scanning) {
    const std::size_t min_run = std::max<std::size_t>(3, static_cast<std::size_t>(0.010 * fs_hz));
    // A clipped wave hits the rail steeply; a smooth plateau that happens to be the lead's
    // extreme (a flat ST segment) approaches it gently and is not clipping.
    const double steep = 0.02 * (mx - mn);
    const auto steep_edge = [&](std::size_t s, std::size_t e) {
      const bool in = s >= 2 && std::fabs(x[s] - x[s - 2]) >= steep;
      const bool out = e + 2 < n && std::fabs(x[e + 2] - x[e]) >= steep;
      return in || out;
    };
    std::size_t stuck = 0;
    const auto at_rail = [&](std::size_t i) {
      return block_hi[i] >= mx - kRailToleranceUv || block_lo[i] <= mn + kRailToleranceUv;
    };
    // Scan only runs of consecutive blocks that touch a rail (a run of stuck samples never
    // crosses a block that does not).
    for (std::size_t bi = 0; bi < block_lo.size();) {
      if (!at_rail(bi)) {
        ++bi;
        continue;
      }
      std::size_t bj = bi;
      while (bj < block_lo.size() && at_rail(bj)) ++bj;
      const std::size_t a = bi * block, e = std::min(n, bj * block);
      std::size_t run = 0, start = a;
      int run_side = 0;
      for (std::size_t i = a; i <= e; ++i) {
        int side = 0;
        if (i < e) {
          if (x[i] >= mx - kRailToleranceUv) side = 1;
          else if (x[i] <= mn + kRailToleranceUv) side = -1;
        }
        if (side != 0 && side == run_side) {
          ++run;
        } else {
          if (run >= min_run && steep_edge(start, start + run - 1)) stuck += run;
          run = side != 0 ? 1 : 0;
          run_side = side;
          start = i;
        }
      }
      bi = bj;
    }
    q.saturated_fraction = static_cast<double>(stuck) / static_cast<double>(n);
  }
  return q;
}

namespace {

// Goertzel on one frequency over x (see tone_amplitude_uv): the analysed stretch, its mean, the
// recursion's coefficient and state. The recursions of several tones (two frequencies, two
// leads) step interleaved, which hides their latency; each performs the same operations as alone.
struct Tone {
  bool valid = false;
  std::span<const float> x;
  std::size_t len = 0;
  double mean = 0, w = 0, c = 0;
  double s1 = 0, s2 = 0;
  void step(double v) {
    const double s0 = (v - mean) + c * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  void run(std::size_t from) {  // the rest of the stretch
    for (std::size_t i = from; i < len; ++i) step(x[i]);
  }
  double amplitude_uv() const {
    const double re = s1 - s2 * std::cos(w);
    const double im = s2 * std::sin(w);
    const double amp = 2 * std::sqrt(re * re + im * im) / static_cast<double>(len);
    return std::isfinite(amp) ? amp : 0;
  }
};

// Two leads' means over the same stretch, summed interleaved (each exactly as the single sum).
void tone_means(Tone& p, Tone& q) {
  double sp = 0, sq = 0;
  for (std::size_t i = 0; i < p.len; ++i) {
    sp += p.x[i];
    sq += q.x[i];
  }
  p.mean = sp / static_cast<double>(p.len);
  q.mean = sq / static_cast<double>(q.len);
}

Tone tone_setup(std::span<const float> x, double fs_hz, double f_hz, bool with_mean = true) {
  Tone t;
  const std::size_t n = x.size();
  if (n < 16 || f_hz <= 0 || f_hz >= fs_hz / 2) return t;
  // Goertzel on the mean-removed signal, over a whole number of cycles to limit leakage.
  // 2 s from the middle of the record (100 mains cycles, 0.5 Hz resolution) is plenty for a
  // stationary tone and keeps the check cheap.
  const std::size_t keep = std::min(n, static_cast<std::size_t>(2.0 * fs_hz));
  x = x.subspan((n - keep) / 2, keep);
  const double cycles = std::floor(static_cast<double>(keep) * f_hz / fs_hz);
  if (cycles < 1) return t;
  const auto m = static_cast<std::size_t>(std::floor(cycles * fs_hz / f_hz));
  t.len = std::min(keep, std::max<std::size_t>(m, 1));
  t.x = x;
  if (with_mean) {
    for (std::size_t i = 0; i < t.len; ++i) t.mean += x[i];
    t.mean /= static_cast<double>(t.len);
  }
  t.w = 2 * std::numbers::pi * f_hz / fs_hz;
  t.c = 2 * std::cos(t.w);
  t.valid = true;
  return t;
}

}  // namespace

double tone_amplitude_uv(std::span<const float> x, double fs_hz, double f_hz) {
  Tone t = tone_setup(x, fs_hz, f_hz);
  if (!t.valid) return 0;
  t.run(0);
  return t.amplitude_uv();
}

std::pair<double, double> tone_amplitudes_uv(std::span<const float> x, double fs_hz, double f_a_hz,
                                             double f_b_hz) {
  Tone ta = tone_setup(x, fs_hz, f_a_hz), tb = tone_setup(x, fs_hz, f_b_hz);
  if (!ta.valid || !tb.valid || ta.x.data() != tb.x.data()) {
    return {tone_amplitude_uv(x, fs_hz, f_a_hz), tone_amplitude_uv(x, fs_hz, f_b_hz)};
  }
  const std::size_t both = std::min(ta.len, tb.len);
  for (std::size_t i = 0; i < both; ++i) {
    const double v = ta.x[i];
    ta.step(v);
    tb.step(v);
  }
  ta.run(both);
  tb.run(both);
  return {ta.amplitude_uv(), tb.amplitude_uv()};
}

std::vector<std::pair<double, double>> tone_amplitudes_uv(
    const std::vector<std::span<const float>>& leads, double fs_hz, double f_a_hz, double f_b_hz) {
  std::vector<std::pair<double, double>> out(leads.size());
  std::size_t l = 0;
  for (; l + 1 < leads.size(); l += 2) {
    Tone pa = tone_setup(leads[l], fs_hz, f_a_hz, false),
         pb = tone_setup(leads[l], fs_hz, f_b_hz, false);
    Tone qa = tone_setup(leads[l + 1], fs_hz, f_a_hz, false),
         qb = tone_setup(leads[l + 1], fs_hz, f_b_hz, false);
    const bool paired = pa.valid && pb.valid && qa.valid && qb.valid &&
                        pa.x.data() == pb.x.data() && qa.x.data() == qb.x.data() &&
                        pa.len == qa.len && pb.len == qb.len;
    if (!paired) {
      out[l] = tone_amplitudes_uv(leads[l], fs_hz, f_a_hz, f_b_hz);
      out[l + 1] = tone_amplitudes_uv(leads[l + 1], fs_hz, f_a_hz, f_b_hz);
      continue;
    }
    // Both frequencies usually span the same whole number of samples (2 s at 50 and 60 Hz):
    // then one mean serves both.
    tone_means(pa, qa);
    if (pb.len == pa.len) {
      pb.mean = pa.mean;
      qb.mean = qa.mean;
    } else {
      tone_means(pb, qb);
    }
    const std::size_t both = std::min(pa.len, pb.len);
    for (std::size_t i = 0; i < both; ++i) {
      const double v = pa.x[i], w = qa.x[i];
      pa.step(v);
      pb.step(v);
      qa.step(w);
      qb.step(w);
    }
    for (Tone* t : {&pa, &pb, &qa, &qb}) t->run(both);
    out[l] = {pa.amplitude_uv(), pb.amplitude_uv()};
    out[l + 1] = {qa.amplitude_uv(), qb.amplitude_uv()};
  }
  if (l < leads.size()) out[l] = tone_amplitudes_uv(leads[l], fs_hz, f_a_hz, f_b_hz);
  return out;
}

NoiseStats hf_noise(std::span<const float> x, double fs_hz, std::span<const std::int64_t> r) {
  NoiseStats s;
  const auto n = static_cast<std::int64_t>(x.size());
  if (n < 8) return s;
  // Residual after a centred moving average of fs/40 samples ≈ content above ~40 Hz, summed over
  // the stretches between QRS windows (segment loops, no per-sample beat test).
  const std::int64_t half = std::max<std::int64_t>(1, static_cast<std::int64_t>(fs_hz / 80.0));
  const std::int64_t pre = static_cast<std::int64_t>(0.06 * fs_hz);
  const std::int64_t post = static_cast<std::int64_t>(0.08 * fs_hz);
  const double inv = 1.0 / static_cast<double>(2 * half + 1);
  double acc = 0;
  std::int64_t cnt = 0;
  // The running sum and the sum of squares are serial chains (one add latency per sample).
  // A segment is cut into kChains interleaved stretches, each with its own running sum, so the
  // chains overlap (about 3x faster; the sums differ from one chain only in the last bits).
  constexpr std::int64_t kChains = 4;
  const auto window_sum = [&](std::int64_t c) {
    double s = 0;
    for (std::int64_t k = c - half; k <= c + half; ++k) s += x[k];
    return s;
  };
  const auto segment = [&](std::int64_t a, std::int64_t b) {  // [a, b)
    a = std::max(a, half);
    b = std::min(b, n - half);
    if (b <= a) return;
    const std::int64_t len = (b - a) / kChains;
    double run[kChains], sq[kChains];
    for (std::int64_t c = 0; c < kChains; ++c) {
      run[c] = window_sum(a + c * len);
      sq[c] = 0;
    }
    // The last sample of each stretch needs no update of its running sum (and the last
    // stretch's would read past the record when b = n − half).
    for (std::int64_t k = 0; k + 1 < len; ++k) {
      for (std::int64_t c = 0; c < kChains; ++c) {
        const std::int64_t i = a + c * len + k;
        const double d = x[i] - run[c] * inv;
        sq[c] += d * d;
        run[c] += x[i + half + 1] - x[i - half];
      }
    }
    for (std::int64_t c = 0; len > 0 && c < kChains; ++c) {
      const double d = x[a + c * len + len - 1] - run[c] * inv;
      sq[c] += d * d;
    }
    double tail = 0;
    if (const std::int64_t t0 = a + kChains * len; t0 < b) {
      double tail_run = window_sum(t0);
      for (std::int64_t i = t0; i < b; ++i) {
        const double d = x[i] - tail_run * inv;
        tail += d * d;
        if (i + half + 1 < n) tail_run += x[i + half + 1] - x[i - half];
      }
    }
    acc += (sq[0] + sq[1]) + (sq[2] + sq[3]) + tail;
    cnt += b - a;
  };
  std::int64_t from = 0;
  for (const auto ri : r) {
    segment(from, ri - pre);
    from = std::max(from, ri + post + 1);
  }
  segment(from, n);
  s.hf_rms_uv = cnt ? std::sqrt(acc / static_cast<double>(cnt)) : 0;
  std::vector<float> ptp;
  ptp.reserve(r.size());
  for (const auto ri : r) {
    const std::int64_t a = std::max<std::int64_t>(0, ri - pre), b = std::min(n, ri + post);
    if (b - a < 2) continue;
    const auto [lo, hi] = std::minmax_element(x.begin() + a, x.begin() + b);
    ptp.push_back(*hi - *lo);
  }
  if (!ptp.empty()) {
    s.qrs_ptp_uv = kth_smallest(ptp.data(), ptp.size(), ptp.size() / 2);
  }
  return s;
}

}  // namespace gc::dsp::detail
