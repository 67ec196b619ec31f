// Small statistics shared by the evaluations: quantiles, the gross-error share and the 95 %
// intervals printed beside the figures.
#include <algorithm>
#include <cmath>
#include <random>

#include "gc/eval.hpp"

namespace gc::eval {

double quantile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double pos = q * static_cast<double>(values.size() - 1);
  const auto i = static_cast<std::size_t>(pos);
  const double f = pos - static_cast<double>(i);
  return i + 1 < values.size() ? values[i] * (1 - f) + values[i + 1] * f : values[i];
}

GrossErrors gross_errors(std::span<const double> err_ms, double limit_ms) {
  GrossErrors g;
  g.measured = err_ms.size();
  for (const double e : err_ms) g.above += std::fabs(e) > limit_ms ? 1 : 0;
  return g;
}

double p95_abs_ms(std::span<const double> err_ms) {
  std::vector<double> magnitudes;
  magnitudes.reserve(err_ms.size());
  for (const double e : err_ms) magnitudes.push_back(std::fabs(e));
  return quantile(std::move(magnitudes), 0.95);
}

Interval wilson_95(std::size_t k, std::size_t n) {
  if (n == 0) return {};
  constexpr double z = 1.959963984540054;  // two-sided 95 %
  const double nn = static_cast<double>(n);
  const double p = static_cast<double>(std::min(k, n)) / nn;
  const double denom = 1 + z * z / nn;
  const double centre = (p + z * z / (2 * nn)) / denom;
  const double half = z * std::sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn)) / denom;
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

Interval record_bootstrap_95(std::span<const GrossErrors> per_record, int resamples,
                             std::uint64_t seed) {
  if (per_record.empty() || resamples <= 0) return {};
  std::mt19937_64 rng(seed);
  const auto n = static_cast<std::uint64_t>(per_record.size());
  std::vector<double> shares;
  shares.reserve(static_cast<std::size_t>(resamples));
  for (int b = 0; b < resamples; ++b) {
    std::size_t above = 0, measured = 0;
    for (std::uint64_t i = 0; i < n; ++i) {
      const auto& r = per_record[static_cast<std::size_t>(rng() % n)];  // bias < 2⁻⁵⁰: negligible
      above += r.above;
      measured += r.measured;
    }
    shares.push_back(measured ? static_cast<double>(above) / static_cast<double>(measured) : 0.0);
  }
  return {quantile(shares, 0.025), quantile(shares, 0.975)};
}

}  // namespace gc::eval
