// Diagnostic filtering, zero-phase throughout:
//  * baseline: a centred near-Gaussian smoother (4 cascaded moving averages, mirrored at the record
//    edges) subtracted from the signal. It is linear-phase with no overshoot, passes the AHA 2007
//    pulse test and leaves ≥ 0.67 Hz untouched, so the ST level is not moved. O(n), any length.
//  * mains: narrow flat-bottomed notches at 50/60 Hz and harmonics applied in the frequency domain
//    (FFTW r2c/c2r) on blocks with mirrored / overlapping margins, only when mains is configured
//    or detected. The notch skirts are smooth so ringing after a QRS is a few µV.
// No low-pass: IEC 60601-2-25 asks for a passband reaching at least 150 Hz, which every supported
// rate (fs ≥ 300 Hz) keeps up to Nyquist; the detector and delineator band-limit for themselves.
#include <fftw3.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cmath>
#include <complex>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <numbers>
#include <optional>
#include <span>
#include <stdexcept>
#include <utility>
#include <vector>

#include "filter_design.hpp"
#include "gc/dsp.hpp"

namespace gc::dsp {
namespace {

// --- FFTW plan cache ----------------------------------------------------------------------------
// FFTW's planner is not thread-safe; executing an existing plan on new (equally aligned) arrays
// is. Plans are made once per size under a mutex and live for the process. FFTW_ESTIMATE: on the
// 2·3·5-smooth sizes we use it is within a few % of FFTW_MEASURE, and MEASURE costs 0.5–4 s per
// new size, which a server seeing many record lengths cannot afford.
struct FftPlans {
  fftwf_plan forward = nullptr;  // r2c
  fftwf_plan inverse = nullptr;  // c2r (unnormalised: round trip scales by n)
};

std::mutex& planner_mutex() {
  static std::mutex m;
  return m;
}

// Destroys the plans at exit (and lets FFTW free its planner state) so leak checkers stay quiet.
struct PlanCache {
  std::map<int, FftPlans> plans;  // node-based: references stay valid after insertion
  PlanCache() = default;
  PlanCache(const PlanCache&) = delete;
  PlanCache& operator=(const PlanCache&) = delete;
  ~PlanCache() {
    for (auto& [size, p] : plans) {
      fftwf_destroy_plan(p.forward);
      fftwf_destroy_plan(p.inverse);
    }
    fftwf_cleanup();
  }
};

const FftPlans& fft_plans(int n) {
  static PlanCache cache_holder;
  auto& cache = cache_holder.plans;
  std::lock_guard lock(planner_mutex());
  auto it = cache.find(n);
  if (it != cache.end()) return it->second;
  float* a = fftwf_alloc_real(static_cast<std::size_t>(n));
  fftwf_complex* b = fftwf_alloc_complex(static_cast<std::size_t>(n / 2 + 1));
  FftPlans p;
  p.forward = fftwf_plan_dft_r2c_1d(n, a, b, FFTW_ESTIMATE);
  p.inverse = fftwf_plan_dft_c2r_1d(n, b, a, FFTW_ESTIMATE | FFTW_DESTROY_INPUT);
  fftwf_free(a);
  fftwf_free(b);
  if (p.forward == nullptr || p.inverse == nullptr) throw std::runtime_error("FFTW planning failed");
  return cache.emplace(n, p).first->second;
}

struct FftwFree {
  void operator()(void* p) const { fftwf_free(p); }
};
using RealBuffer = std::unique_ptr<float[], FftwFree>;
using ComplexBuffer = std::unique_ptr<fftwf_complex[], FftwFree>;

// Smallest size ≥ n whose only prime factors are 2, 3 and 5 (FFTW is fastest there).
int nice_size(std::int64_t n) {
  std::int64_t best = 2;
  while (best < n) best *= 2;
  for (std::int64_t p3 = 1; p3 <= best; p3 *= 3) {
    for (std::int64_t p35 = p3; p35 <= best; p35 *= 5) {
      std::int64_t v = p35;
      while (v < n) v *= 2;
      best = std::min(best, v);
    }
  }
  return static_cast<int>(best);
}

// Index into a signal of length len extended by half-sample mirroring at both ends (x[-1] = x[0]),
// repeated as often as needed so any offset is valid.
std::int64_t mirror_index(std::int64_t i, std::int64_t len) {
  const std::int64_t period = 2 * len;
  std::int64_t k = i % period;
  if (k < 0) k += period;
  return k < len ? k : period - 1 - k;
}

// Centred moving average of width 2*half+1 over the mirrored extension of x, into y. O(n); the
// mirrored index is only computed where the window leaves the record.
void box_mirrored(std::span<const float> x, std::int64_t half, std::span<float> y) {
  const auto len = static_cast<std::int64_t>(x.size());
  auto at = [&](std::int64_t j) {
    return (j >= 0 && j < len) ? x[static_cast<std::size_t>(j)] : x[mirror_index(j, len)];
  };
  double sum = 0;
  for (std::int64_t j = -half; j <= half; ++j) sum += at(j);
  const double inv = 1.0 / static_cast<double>(2 * half + 1);
  const std::int64_t inner_begin = std::min(len, half);
  const std::int64_t inner_end = std::max(inner_begin, len - half - 1);
  std::int64_t i = 0;
  for (; i < inner_begin; ++i) {
    y[i] = static_cast<float>(sum * inv);
    sum += at(i + half + 1) - at(i - half);
  }
  for (; i < inner_end; ++i) {  // window fully inside: plain indexing
    y[i] = static_cast<float>(sum * inv);
    sum += static_cast<double>(x[i + half + 1]) - x[i - half];
  }
  for (; i < len; ++i) {
    y[i] = static_cast<float>(sum * inv);
    sum += at(i + half + 1) - at(i - half);
  }
}

// x − baseline(x), baseline = 4 cascaded boxes with the variance of a Gaussian of σ = 1.6 s.
// The baseline is so smooth that it is computed on block means of ~20 ms (decimation) and
// interpolated back linearly: the error is far below 0.1 µV and the cost is one pass over x.
void remove_baseline(std::span<const float> x, double fs, std::span<float> out) {
  const auto len = static_cast<std::int64_t>(x.size());
  const std::int64_t block = std::max<std::int64_t>(1, static_cast<std::int64_t>(fs * detail::kBaselineBlockS));
  const std::int64_t n_blocks = (len + block - 1) / block;
  std::vector<float> a(static_cast<std::size_t>(n_blocks));
  std::vector<double> centre(static_cast<std::size_t>(n_blocks));
  for (std::int64_t j = 0; j < n_blocks; ++j) {
    const std::int64_t b0 = j * block;
    const std::int64_t b1 = std::min(len, b0 + block);
    double sum = 0;
    for (std::int64_t i = b0; i < b1; ++i) sum += x[i];
    a[j] = static_cast<float>(sum / static_cast<double>(b1 - b0));
    centre[j] = 0.5 * static_cast<double>(b0 + b1 - 1);
  }
  const double sigma_blocks = detail::kBaselineSigmaS * fs / static_cast<double>(block);
  // A box of width L has variance (L² − 1)/12; P passes add up.
  const double width = std::sqrt(12.0 * sigma_blocks * sigma_blocks / detail::kBaselinePasses + 1.0);
  const auto half = std::max<std::int64_t>(1, std::llround((width - 1.0) / 2.0));
  std::vector<float> b(a.size());
  for (int p = 0; p < detail::kBaselinePasses; ++p) {
    box_mirrored(a, half, b);
    std::swap(a, b);
  }
  // Linear interpolation between block centres; constant before the first / after the last.
  // ceil(centre) = (b0 + b1) / 2 in integers (centre = (b0 + b1 − 1) / 2): no libm call per block.
  const auto ceil_centre = [&](std::int64_t j) { return (j * block + std::min(len, (j + 1) * block)) / 2; };
  const std::int64_t first_centre = ceil_centre(0);
  for (std::int64_t i = 0; i < std::min(len, first_centre); ++i) out[i] = x[i] - a[0];
  std::int64_t i0 = first_centre;
  for (std::int64_t j = 0; j + 1 < n_blocks; ++j) {
    const std::int64_t i1 = std::min(len, ceil_centre(j + 1));
    const double step = (a[j + 1] - a[j]) / (centre[j + 1] - centre[j]);
    const double start = a[j] + (static_cast<double>(i0) - centre[j]) * step;
    const auto fstep = static_cast<float>(step);
    const auto fstart = static_cast<float>(start);
    const auto count = static_cast<std::int32_t>(i1 - i0);
    const float* xi = x.data() + i0;
    float* oi = out.data() + i0;
    for (std::int32_t k = 0; k < count; ++k) oi[k] = xi[k] - (fstart + static_cast<float>(k) * fstep);
    i0 = i1;
  }
  for (std::int64_t i = std::max<std::int64_t>(0, i0); i < len; ++i) out[i] = x[i] - a[n_blocks - 1];
}

// Notch gain at f_hz: 0 within ±kNotchFlatHz of each harmonic, raised-cosine skirts.
double notch_gain(double f_hz, double fs, double mains_hz) {
  double g = 1.0;
  const double top = std::min(fs / 2, detail::kMainsTopHz);
  for (double h = mains_hz; h < top + detail::kNotchFlatHz + detail::kNotchSkirtHz; h += mains_hz) {
    const double d = std::abs(f_hz - h);
    if (d <= detail::kNotchFlatHz) {
      g = 0;
    } else if (d < detail::kNotchFlatHz + detail::kNotchSkirtHz) {
      const double u = (d - detail::kNotchFlatHz) / detail::kNotchSkirtHz;
      g *= 0.5 * (1.0 - std::cos(std::numbers::pi * u));
    }
  }
  return g;
}

// Notch gain per r2c bin including the 1/n of the round trip; cached per thread for the last
// (size, rate, mains): the leads of one record share it.
const std::vector<float>& notch_gains(int n, double fs, double mains_hz) {
  thread_local std::tuple<int, double, double> key{0, 0.0, 0.0};
  thread_local std::vector<float> gains;
  const auto want = std::make_tuple(n, fs, mains_hz);
  if (want == key && !gains.empty()) return gains;
  key = want;
  gains.resize(static_cast<std::size_t>(n / 2 + 1));
  for (int k = 0; k <= n / 2; ++k) {
    gains[static_cast<std::size_t>(k)] =
        static_cast<float>(notch_gain(k * fs / n, fs, mains_hz) / n);
  }
  return gains;
}

// In-place notch of y (already baseline-free) in blocks of fixed FFT size with kNotchMarginS of
// context on each side (mirrored at the record's ends), so long records need bounded memory and a
// single plan.
void apply_notch(std::span<float> y, double fs, double mains_hz) {
  const auto len = static_cast<std::int64_t>(y.size());
  const auto margin = static_cast<std::int64_t>(std::ceil(detail::kNotchMarginS * fs));
  const std::int64_t max_block = std::max<std::int64_t>(std::int64_t{1} << 16, 8 * margin);
  const std::int64_t core =
      len + 2 * margin <= max_block ? len : max_block - 2 * margin;  // one block when it fits
  const int n = nice_size(std::min<std::int64_t>(len, core) + 2 * margin);
  const FftPlans& plans = fft_plans(n);
  const RealBuffer buf(fftwf_alloc_real(static_cast<std::size_t>(n)));
  const ComplexBuffer spec(fftwf_alloc_complex(static_cast<std::size_t>(n / 2 + 1)));
  const std::vector<float>& g = notch_gains(n, fs, mains_hz);
  // Blocks read unmodified input: the only modified samples a block can reach are the previous
  // block's last `margin` outputs (its left context), kept aside before they are overwritten.
  std::vector<float> saved(static_cast<std::size_t>(margin));
  std::int64_t saved_begin = 0, saved_end = 0;  // [begin, end) of the record held in `saved`
  const auto source = [&](std::int64_t i) {
    return i >= saved_begin && i < saved_end ? saved[static_cast<std::size_t>(i - saved_begin)]
                                             : y[static_cast<std::size_t>(i)];
  };
  for (std::int64_t c0 = 0; c0 < len; c0 += core) {
    const std::int64_t c1 = std::min(len, c0 + core);
    const std::int64_t start = c0 - margin;
    const std::int64_t used = c1 - c0 + 2 * margin;
    // Mirrored indices only where the block reaches past the record's ends.
    const std::int64_t in_lo = std::clamp<std::int64_t>(-start, 0, used);
    const std::int64_t in_hi = std::clamp<std::int64_t>(len - start, in_lo, used);
    for (std::int64_t i = 0; i < in_lo; ++i) buf[i] = source(mirror_index(start + i, len));
    const std::int64_t split = std::clamp(saved_end, start + in_lo, start + in_hi);
    for (std::int64_t i = start + in_lo; i < split; ++i) buf[i - start] = source(i);
    std::copy(y.begin() + split, y.begin() + (start + in_hi), buf.get() + (split - start));
    for (std::int64_t i = in_hi; i < used; ++i) buf[i] = source(mirror_index(start + i, len));
    // Fill the rest by mirroring the block itself so the circular wrap has no step.
    for (std::int64_t i = used; i < n; ++i) buf[i] = buf[mirror_index(i, used)];
    fftwf_execute_dft_r2c(plans.forward, buf.get(), spec.get());
    for (int k = 0; k <= n / 2; ++k) {
      spec[k][0] *= g[static_cast<std::size_t>(k)];
      spec[k][1] *= g[static_cast<std::size_t>(k)];
    }
    fftwf_execute_dft_c2r(plans.inverse, spec.get(), buf.get());
    if (c1 < len) {
      saved_begin = std::max(c0, c1 - margin);
      saved_end = c1;
      std::copy(y.begin() + saved_begin, y.begin() + saved_end, saved.begin());
    }
    std::copy(buf.get() + margin, buf.get() + margin + (c1 - c0), y.begin() + c0);
  }
}

}  // namespace

std::optional<double> detect_mains_hz(std::span<const float> samples_uv, double sample_rate_hz) {
  if (!valid_sample_rate_hz(sample_rate_hz)) {
    throw std::invalid_argument("detect_mains_hz: sample rate must be > 0 and <= 100 kHz");
  }
  const double fs = sample_rate_hz;
  // Hann-windowed 4 s segments (0.25 Hz bins), up to 4 spread over the record, powers averaged:
  // cheap, and one bad stretch cannot decide alone.
  const auto total = static_cast<std::int64_t>(samples_uv.size());
  const std::int64_t seg = std::min<std::int64_t>(total, std::llround(4.0 * fs));
  // < 1 s: resolution too coarse; no samples at all (empty lead, or fs < 0.125 Hz): nothing to do.
  if (seg < 1 || seg < std::llround(1.0 * fs)) return std::nullopt;
  const int n = nice_size(seg);
  const FftPlans& plans = fft_plans(n);
  const RealBuffer buf(fftwf_alloc_real(static_cast<std::size_t>(n)));
  const ComplexBuffer spec(fftwf_alloc_complex(static_cast<std::size_t>(n / 2 + 1)));
  std::vector<double> power(static_cast<std::size_t>(n / 2 + 1), 0.0);
  // Hann window, cached per thread for the last segment length.
  thread_local std::vector<float> hann;
  if (hann.size() != static_cast<std::size_t>(seg)) {
    hann.resize(static_cast<std::size_t>(seg));
    for (std::int64_t i = 0; i < seg; ++i) {
      hann[i] = static_cast<float>(0.5 - 0.5 * std::cos(2 * std::numbers::pi * (static_cast<double>(i) + 0.5) / static_cast<double>(seg)));
    }
  }
  const std::int64_t n_segments = std::clamp<std::int64_t>(total / seg, 1, 4);
  for (std::int64_t s = 0; s < n_segments; ++s) {
    const std::int64_t start = n_segments == 1 ? 0 : s * (total - seg) / (n_segments - 1);
    double mean = 0;
    for (std::int64_t i = 0; i < seg; ++i) {
      const float v = samples_uv[start + i];
      mean += std::isfinite(v) ? v : 0.0f;
    }
    mean /= static_cast<double>(seg);
    const auto fmean = static_cast<float>(mean);
    for (std::int64_t i = 0; i < seg; ++i) {
      const float v = samples_uv[start + i];
      buf[i] = hann[i] * ((std::isfinite(v) ? v : fmean) - fmean);
    }
    for (std::int64_t i = seg; i < n; ++i) buf[i] = 0;
    fftwf_execute_dft_r2c(plans.forward, buf.get(), spec.get());
    for (int k = 0; k <= n / 2; ++k) {
      power[k] += static_cast<double>(spec[k][0]) * spec[k][0] + static_cast<double>(spec[k][1]) * spec[k][1];
    }
  }
  const double bin_hz = fs / n;
  auto bins = [&](double lo, double hi, bool take_max) {
    const int k0 = std::max(1, static_cast<int>(std::ceil(lo / bin_hz)));
    const int k1 = std::min(n / 2, static_cast<int>(std::floor(hi / bin_hz)));
    double acc = 0;
    int count = 0;
    for (int k = k0; k <= k1; ++k) {
      acc = take_max ? std::max(acc, power[k]) : acc + power[k];
      ++count;
    }
    return take_max || count == 0 ? acc : acc / count;
  };
  std::optional<double> best;
  double best_ratio = 0;
  for (const double f0 : {50.0, 60.0}) {
    if (f0 + 6.0 >= fs / 2) continue;  // the line and its neighbourhood must be below Nyquist
    // Line: the strongest bin within ±0.6 Hz (mains drifts; Hann main lobe is ±0.5 Hz).
    const double line = bins(f0 - 0.6, f0 + 0.6, true);
    const double side = 0.5 * (bins(f0 - 6, f0 - 2, false) + bins(f0 + 2, f0 + 6, false));
    // A sinusoid of amplitude A gives a Hann peak power ≈ (A·Σw/2)², Σw ≈ seg/2.
    const double amp_uv = std::sqrt(line / static_cast<double>(n_segments)) * 4.0 / static_cast<double>(seg);
    if (amp_uv < detail::kMainsMinAmplitudeUv) continue;
    const double ratio = line / std::max(side, 1e-30);
    if (ratio > detail::kMainsDetectRatio && ratio > best_ratio) {
      best_ratio = ratio;
      best = f0;
    }
  }
  return best;
}

std::optional<double> detect_mains_hz(const std::vector<std::vector<float>>& leads_uv,
                                      double sample_rate_hz) {
  // Majority over leads: mains couples into most leads alike; one noisy lead must not decide.
  int votes50 = 0;
  int votes60 = 0;
  for (const auto& lead : leads_uv) {
    const auto f = detect_mains_hz(std::span<const float>(lead), sample_rate_hz);
    if (f && *f == 50.0) ++votes50;
    if (f && *f == 60.0) ++votes60;
  }
  const int need = std::max(1, static_cast<int>(leads_uv.size() + 2) / 3);
  if (votes50 >= need && votes50 >= votes60) return 50.0;
  if (votes60 >= need) return 60.0;
  return std::nullopt;
}

namespace {

std::vector<float> filter_impl(std::span<const float> samples_uv, double sample_rate_hz,
                               std::optional<double> mains_hz, bool auto_detect) {
  if (!valid_sample_rate_hz(sample_rate_hz)) {
    throw std::invalid_argument("filter_diagnostic: sample rate must be > 0 and <= 100 kHz");
  }
  if (mains_hz && !(*mains_hz > 0 && std::isfinite(*mains_hz))) {
    throw std::invalid_argument("filter_diagnostic: mains_hz must be positive");
  }
  const std::size_t n_samples = samples_uv.size();
  std::vector<float> out(n_samples, 0.0f);
  if (n_samples < 2) return out;  // a single sample has no AC content; baseline removal leaves 0

  // Non-finite samples would spread through the filters; hold the last finite value across them
  // for filtering only (the caller's quality check reports invalid samples).
  std::vector<float> clean;
  std::span<const float> x = samples_uv;
  // Exponent bits all ones = Inf or NaN; counted on the bits so the check vectorises.
  std::size_t n_bad = 0;
  for (const float v : x) n_bad += (std::bit_cast<std::uint32_t>(v) & 0x7f800000u) == 0x7f800000u;
  if (n_bad > 0) {
    clean.assign(x.begin(), x.end());
    float last = 0;
    for (float& v : clean) {
      if (std::isfinite(v)) {
        last = v;
      } else {
        v = last;
      }
    }
    x = clean;
  }
  remove_baseline(x, sample_rate_hz, out);
  const std::optional<double> mains =
      mains_hz || !auto_detect ? mains_hz : detect_mains_hz(out, sample_rate_hz);
  if (mains && *mains < sample_rate_hz / 2) apply_notch(out, sample_rate_hz, *mains);
  return out;
}

}  // namespace

std::vector<float> filter_diagnostic(std::span<const float> samples_uv, double sample_rate_hz,
                                     std::optional<double> mains_hz) {
  return filter_impl(samples_uv, sample_rate_hz, mains_hz, true);
}

std::vector<float> detail::filter_with_notch(std::span<const float> samples_uv, double sample_rate_hz,
                                             std::optional<double> notch_hz) {
  return filter_impl(samples_uv, sample_rate_hz, notch_hz, false);
}

}  // namespace gc::dsp
