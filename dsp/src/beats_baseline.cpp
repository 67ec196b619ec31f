// Isoelectric-point spline baseline (see beats_baseline.hpp).
#include "beats_baseline.hpp"

#include <algorithm>
#include <cmath>

namespace gc::dsp::detail {

void subtract_isoelectric_spline(std::vector<float>& x, std::span<const std::int64_t> knots,
                                 std::int64_t half_window) {
  const auto n = static_cast<std::int64_t>(x.size());
  std::vector<double> t, y;
  for (const auto k : knots) {
    const std::int64_t a = std::max<std::int64_t>(0, k - half_window);
    const std::int64_t b = std::min(n - 1, k + half_window);
    if (b < a || (!t.empty() && static_cast<double>(k) <= t.back())) continue;
    double s = 0;
    for (std::int64_t i = a; i <= b; ++i) s += x[static_cast<std::size_t>(i)];
    t.push_back(static_cast<double>(k));
    y.push_back(s / static_cast<double>(b - a + 1));
  }
  const std::size_t m = t.size();
  if (m == 0) return;
  if (m == 1) {
    for (auto& v : x) v = static_cast<float>(v - y[0]);
    return;
  }
  // Natural cubic spline: second derivatives M by the Thomas algorithm.
  std::vector<double> M(m, 0.0);
  if (m > 2) {
    const std::size_t k = m - 2;  // unknowns M[1..m-2]
    std::vector<double> diag(k), upper(k), rhs(k);
    for (std::size_t i = 1; i + 1 < m; ++i) {
      const double h0 = t[i] - t[i - 1], h1 = t[i + 1] - t[i];
      diag[i - 1] = 2 * (h0 + h1);
      upper[i - 1] = h1;
      rhs[i - 1] = 6 * ((y[i + 1] - y[i]) / h1 - (y[i] - y[i - 1]) / h0);
    }
    for (std::size_t i = 1; i < k; ++i) {
      const double lower = t[i + 1] - t[i];  // h_{i} for row i (M[i+1]) couples to M[i]
      const double w = lower / diag[i - 1];
      diag[i] -= w * upper[i - 1];
      rhs[i] -= w * rhs[i - 1];
    }
    M[k] = rhs[k - 1] / diag[k - 1];
    for (std::size_t i = k - 1; i >= 1; --i) {
      M[i] = (rhs[i - 1] - upper[i - 1] * M[i + 1]) / diag[i - 1];
    }
  }
  std::size_t seg = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const double ti = static_cast<double>(i);
    double base;
    if (ti <= t.front()) {
      base = y.front();
    } else if (ti >= t.back()) {
      base = y.back();
    } else {
      while (seg + 2 < m && ti > t[seg + 1]) ++seg;
      const double h = t[seg + 1] - t[seg];
      const double a = (t[seg + 1] - ti) / h, b = (ti - t[seg]) / h;
      base = a * y[seg] + b * y[seg + 1] +
             ((a * a * a - a) * M[seg] + (b * b * b - b) * M[seg + 1]) * h * h / 6.0;
    }
    if (std::isfinite(base)) x[static_cast<std::size_t>(i)] = static_cast<float>(x[static_cast<std::size_t>(i)] - base);
  }
}

}  // namespace gc::dsp::detail
