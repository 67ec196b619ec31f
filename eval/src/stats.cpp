// Small statistics shared by the evaluations: quantiles and the gross-error share.
#include <algorithm>
#include <cmath>

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

}  // namespace gc::eval
