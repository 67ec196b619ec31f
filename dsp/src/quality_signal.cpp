// Per-lead signal-quality statistics (see quality_signal.hpp). All O(n), one pass or two.
#include "quality_signal.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace gc::dsp::detail {

namespace {
// A lead whose 1 s peak-to-peak stays below this carries no ECG (a QRS is ≥ ~100 µV even in
// low-voltage records; electrode-off lines sit at a few µV of quantisation noise).
constexpr double kFlatPtpUv = 20.0;
// Samples within this of the lead's extreme count as "at the rail".
constexpr double kRailToleranceUv = 0.5;
}  // namespace

RawLeadQuality raw_lead_quality(std::span<const float> x, double fs_hz) {
  RawLeadQuality q;
  const std::size_t n = x.size();
  if (n == 0) return q;
  const auto [mn_it, mx_it] = std::minmax_element(x.begin(), x.end());
  const double mn = *mn_it, mx = *mx_it;
  q.range_uv = mx - mn;

  // 1 s blocks: peak-to-peak (flatness) and block median (baseline wander).
  const std::size_t block = std::max<std::size_t>(1, static_cast<std::size_t>(fs_hz));
  std::size_t n_blocks = 0, n_flat = 0;
  std::vector<double> block_median;
  std::vector<float> tmp;
  tmp.reserve(block);
  for (std::size_t b = 0; b < n; b += block) {
    const std::size_t e = std::min(n, b + block);
    if (e - b < block / 2 && n_blocks > 0) break;  // ignore a short tail
    const auto [lo, hi] = std::minmax_element(x.begin() + b, x.begin() + e);
    if (*hi - *lo < kFlatPtpUv) ++n_flat;
    // Decimated median keeps this cheap; wander is slow, so 1 of 8 samples is plenty.
    tmp.clear();
    for (std::size_t i = b; i < e; i += 8) tmp.push_back(x[i]);
    std::nth_element(tmp.begin(), tmp.begin() + tmp.size() / 2, tmp.end());
    block_median.push_back(tmp[tmp.size() / 2]);
    ++n_blocks;
  }
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
  if (mx - mn > kFlatPtpUv) {
    const std::size_t min_run = std::max<std::size_t>(3, static_cast<std::size_t>(0.010 * fs_hz));
    // A clipped wave hits the rail steeply; a smooth plateau that happens to be the lead's
    // extreme (a flat ST segment) approaches it gently and is not clipping.
    const double steep = 0.02 * (mx - mn);
    const auto steep_edge = [&](std::size_t s, std::size_t e) {
      const bool in = s >= 2 && std::fabs(x[s] - x[s - 2]) >= steep;
      const bool out = e + 2 < n && std::fabs(x[e + 2] - x[e]) >= steep;
      return in || out;
    };
    std::size_t stuck = 0, run = 0, start = 0;
    int run_side = 0;
    for (std::size_t i = 0; i <= n; ++i) {
      int side = 0;
      if (i < n) {
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
    q.saturated_fraction = static_cast<double>(stuck) / static_cast<double>(n);
  }
  return q;
}

double tone_amplitude_uv(std::span<const float> x, double fs_hz, double f_hz) {
  const std::size_t n = x.size();
  if (n < 16 || f_hz <= 0 || f_hz >= fs_hz / 2) return 0;
  // Goertzel on the mean-removed signal, over a whole number of cycles to limit leakage.
  // 20 s from the middle of the record is plenty for a stationary tone and keeps long
  // recordings cheap.
  const std::size_t keep = std::min(n, static_cast<std::size_t>(20.0 * fs_hz));
  x = x.subspan((n - keep) / 2, keep);
  const std::size_t n_used = keep;
  const double cycles = std::floor(static_cast<double>(n_used) * f_hz / fs_hz);
  if (cycles < 1) return 0;
  const auto m = static_cast<std::size_t>(std::floor(cycles * fs_hz / f_hz));
  const std::size_t len = std::min(n_used, std::max<std::size_t>(m, 1));
  double mean = 0;
  for (std::size_t i = 0; i < len; ++i) mean += x[i];
  mean /= static_cast<double>(len);
  const double w = 2 * std::numbers::pi * f_hz / fs_hz;
  const double c = 2 * std::cos(w);
  double s1 = 0, s2 = 0;
  for (std::size_t i = 0; i < len; ++i) {
    const double s0 = (x[i] - mean) + c * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const double re = s1 - s2 * std::cos(w);
  const double im = s2 * std::sin(w);
  const double amp = 2 * std::sqrt(re * re + im * im) / static_cast<double>(len);
  return std::isfinite(amp) ? amp : 0;
}

NoiseStats hf_noise(std::span<const float> x, double fs_hz, std::span<const std::int64_t> r) {
  NoiseStats s;
  const auto n = static_cast<std::int64_t>(x.size());
  if (n < 8) return s;
  // Residual after a moving average of fs/40 samples ≈ content above ~40 Hz.
  const std::int64_t half = std::max<std::int64_t>(1, static_cast<std::int64_t>(fs_hz / 80.0));
  const std::int64_t pre = static_cast<std::int64_t>(0.06 * fs_hz);
  const std::int64_t post = static_cast<std::int64_t>(0.08 * fs_hz);
  double acc = 0;
  std::int64_t cnt = 0;
  double run = 0;  // running sum over [i-half, i+half]
  for (std::int64_t i = 0; i < std::min<std::int64_t>(n, half); ++i) run += x[i];
  std::size_t beat = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    if (i + half < n) run += x[i + half];
    if (i - half - 1 >= 0) run -= x[i - half - 1];
    if (i < half || i + half >= n) continue;
    while (beat < r.size() && r[beat] + post < i) ++beat;
    if (beat < r.size() && i >= r[beat] - pre && i <= r[beat] + post) continue;
    const double d = x[i] - run / static_cast<double>(2 * half + 1);
    acc += d * d;
    ++cnt;
  }
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
    std::nth_element(ptp.begin(), ptp.begin() + ptp.size() / 2, ptp.end());
    s.qrs_ptp_uv = ptp[ptp.size() / 2];
  }
  return s;
}

}  // namespace gc::dsp::detail
