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
  // Evaluate segment by segment as a cubic in u = i − t[seg] (Horner): a few flops per sample.
  // Within a segment u spans one RR (a few hundred samples): single precision leaves errors far
  // below 0.01 µV and lets the loop vectorise.
  const auto sub = [&](std::int64_t from, std::int64_t to, double c0, double c1, double c2, double c3,
                       double origin) {
    const std::int64_t a = std::max<std::int64_t>(0, from), b = std::min(n, to);
    if (b <= a) return;
    const auto f0 = static_cast<float>(c0), f1 = static_cast<float>(c1), f2 = static_cast<float>(c2),
               f3 = static_cast<float>(c3);
    const auto u0 = static_cast<float>(static_cast<double>(a) - origin);
    float* y = x.data() + a;
    const auto count = static_cast<std::int32_t>(b - a);
    for (std::int32_t j = 0; j < count; ++j) {
      const float u = u0 + static_cast<float>(j);
      y[j] -= ((f3 * u + f2) * u + f1) * u + f0;
    }
  };
  const auto first = static_cast<std::int64_t>(t.front()), last = static_cast<std::int64_t>(t.back());
  sub(0, first, y.front(), 0, 0, 0, 0);
  for (std::size_t seg = 0; seg + 1 < m; ++seg) {
    const double h = t[seg + 1] - t[seg];
    // S(u) = y0 + b u + c u² + d u³ with the natural-spline second derivatives M.
    const double c0 = y[seg];
    const double c1 = (y[seg + 1] - y[seg]) / h - h * (2 * M[seg] + M[seg + 1]) / 6.0;
    const double c2 = M[seg] / 2.0;
    const double c3 = (M[seg + 1] - M[seg]) / (6.0 * h);
    if (!std::isfinite(c1) || !std::isfinite(c3)) continue;
    sub(static_cast<std::int64_t>(t[seg]), static_cast<std::int64_t>(t[seg + 1]), c0, c1, c2, c3, t[seg]);
  }
  sub(last, n, y.back(), 0, 0, 0, 0);
}

}  // namespace gc::dsp::detail
