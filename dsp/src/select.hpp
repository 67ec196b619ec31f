// kth_smallest — one order statistic of a short float stretch, fast. Internal to gc_dsp.
#pragma once

#include <algorithm>
#include <cstddef>

namespace gc::dsp::detail {

// The k-th smallest of a[0, n) (k < n), as std::nth_element would place at a[k]; a is
// reordered. Only the value is returned (the range is not left partitioned around it).
//
// The analysis takes many medians and percentiles of a few hundred samples (per-window noise
// floors, per-block baselines). std::nth_element's partition branches on every comparison and
// mispredicts about half of them on noisy data; this quickselect partitions without branches
// (Lomuto, the comparison result added to the write index) and splits off the run of values
// equal to the pivot, so flat stretches (a lead off: all zeros) finish in one pass. After 64
// rounds — an adversarial order — it hands over to std::nth_element. The result is the same
// value either way for finite input.
inline float kth_smallest(float* a, std::size_t n, std::size_t k) {
  std::size_t lo = 0, hi = n;  // a[k] lies in [lo, hi)
  for (int round = 0; hi - lo > 16; ++round) {
    if (round == 64) {
      std::nth_element(a + lo, a + k, a + hi);
      return a[k];
    }
    const float x = a[lo], y = a[lo + (hi - lo) / 2], z = a[hi - 1];
    const float p = std::max(std::min(x, y), std::min(std::max(x, y), z));  // median of three
    std::size_t m = lo;                                                     // [lo, m) < p
    for (std::size_t i = lo; i < hi; ++i) {
      const float t = a[i];
      a[i] = a[m];
      a[m] = t;
      m += static_cast<std::size_t>(t < p);
    }
    if (k < m) {
      hi = m;
      continue;
    }
    std::size_t e = m;  // [m, e) == p
    for (std::size_t i = m; i < hi; ++i) {
      const float t = a[i];
      a[i] = a[e];
      a[e] = t;
      e += static_cast<std::size_t>(!(p < t));
    }
    if (k < e) return p;
    lo = e;
  }
  // A short stretch: insertion sort.
  for (std::size_t i = lo + 1; i < hi; ++i) {
    const float t = a[i];
    std::size_t j = i;
    for (; j > lo && t < a[j - 1]; --j) a[j] = a[j - 1];
    a[j] = t;
  }
  return a[k];
}

}  // namespace gc::dsp::detail
