#include "gc/resample.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

namespace gc::eval {

namespace {

constexpr double kCutoffFraction = 0.45;  // of the lower rate: 45 Hz when reading at 100 Hz
constexpr double kZeroCrossings = 16;     // of the low-pass sinc, each side of the output instant
constexpr double kKaiserBeta = 8.0;       // side lobes about −80 dB

// Zeroth-order modified Bessel function of the first kind (power series; converges fast for the
// arguments a Kaiser window with β = 8 needs).
double bessel_i0(double x) {
  double sum = 1, term = 1;
  for (int k = 1; k < 50; ++k) {
    term *= (x / (2.0 * k)) * (x / (2.0 * k));
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

}  // namespace

dsp::SignalBlock resample(const dsp::SignalBlock& in, double out_rate_hz) {
  if (!(out_rate_hz > 0) || !std::isfinite(out_rate_hz) || !(in.sample_rate_hz > 0) ||
      !std::isfinite(in.sample_rate_hz)) {
    throw std::invalid_argument("resample: sample rates must be positive and finite");
  }
  const std::size_t n_in = in.samples_uv.empty() ? 0 : in.samples_uv.front().size();
  for (const auto& lead : in.samples_uv) {
    if (lead.size() != n_in) throw std::invalid_argument("resample: leads differ in length");
  }
  dsp::SignalBlock out;
  out.sample_rate_hz = out_rate_hz;
  out.lead_names = in.lead_names;
  const double fs_in = in.sample_rate_hz;
  const auto n_out =
      static_cast<std::size_t>(std::floor(static_cast<double>(n_in) * out_rate_hz / fs_in));
  const double cutoff_hz = kCutoffFraction * std::min(fs_in, out_rate_hz);
  const double half_width_s = kZeroCrossings / (2.0 * cutoff_hz);
  const auto half_taps = static_cast<std::ptrdiff_t>(std::ceil(half_width_s * fs_in));
  const double i0_beta = bessel_i0(kKaiserBeta);

  // The kernel depends on the output instant's fractional position between input samples, so it
  // is computed per output sample once and applied to every lead.
  out.samples_uv.assign(in.samples_uv.size(), std::vector<float>(n_out));
  std::vector<double> weights(static_cast<std::size_t>(2 * half_taps));
  for (std::size_t k = 0; k < n_out; ++k) {
    const double t_s = static_cast<double>(k) / out_rate_hz;
    const double centre = t_s * fs_in;  // in input samples
    const auto first = static_cast<std::ptrdiff_t>(std::floor(centre)) - half_taps + 1;
    double sum_w = 0;
    for (std::ptrdiff_t j = 0; j < 2 * half_taps; ++j) {
      const double dt_s = (static_cast<double>(first + j) - centre) / fs_in;
      const double r = dt_s / half_width_s;
      double w = 0;
      if (std::abs(r) < 1) {
        const double x = 2.0 * cutoff_hz * dt_s;
        const double sinc = x == 0 ? 1.0 : std::sin(std::numbers::pi * x) / (std::numbers::pi * x);
        w = sinc * bessel_i0(kKaiserBeta * std::sqrt(1 - r * r)) / i0_beta;
      }
      weights[static_cast<std::size_t>(j)] = w;
      sum_w += w;
    }
    // Normalised to unit DC gain, so a constant (the baseline) passes unchanged.
    for (std::size_t l = 0; l < in.samples_uv.size(); ++l) {
      const auto& x = in.samples_uv[l];
      double acc = 0;
      for (std::ptrdiff_t j = 0; j < 2 * half_taps; ++j) {
        const auto idx =
            std::clamp<std::ptrdiff_t>(first + j, 0, static_cast<std::ptrdiff_t>(n_in) - 1);
        acc += weights[static_cast<std::size_t>(j)] * x[static_cast<std::size_t>(idx)];
      }
      out.samples_uv[l][k] = static_cast<float>(acc / sum_w);
    }
  }
  return out;
}

}  // namespace gc::eval
