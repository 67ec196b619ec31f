// kth_smallest — one order statistic of a short float stretch, fast. Internal to gc_dsp.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace gc::dsp::detail {

// The k-th smallest of a[0, n) (k < n), the value std::nth_element would place at a[k]. a is
// used as working space: its contents afterwards are unspecified.
//
// The analysis takes many medians and percentiles of a few hundred samples (per-window noise
// floors, per-block baselines, PR-segment activity). std::nth_element's partition branches on
// every comparison and mispredicts about half of them on noisy data. This quickselect has no
// data-dependent branch in its inner loop: each value is written both to the front (below the
// pivot) and the back (above it) of a second buffer and only the matching write position
// advances; values equal to the pivot are dropped, so ties and flat stretches (a lead off: all
// zeros) end in one pass. After 64 rounds — an adversarial order — it hands over to
// std::nth_element. For finite input the result is the same value as nth_element's.
inline float kth_smallest(float* a, std::size_t n, std::size_t k) {
  thread_local std::vector<float> scratch;
  if (scratch.size() < n) scratch.resize(n);
  float* src = a;
  float* dst = scratch.data();
  auto lo = static_cast<std::ptrdiff_t>(0),
       hi = static_cast<std::ptrdiff_t>(n);  // a[k] in src[lo, hi)
  const auto kk = static_cast<std::ptrdiff_t>(k);
  for (int round = 0; hi - lo > 16; ++round) {
    if (round == 64) {
      std::nth_element(src + lo, src + kk, src + hi);
      return src[kk];
    }
    const float x = src[lo], y = src[lo + (hi - lo) / 2], z = src[hi - 1];
    const float p = std::max(std::min(x, y), std::min(std::max(x, y), z));  // median of three
    std::ptrdiff_t below = lo, above = hi - 1;  // next write positions in dst
    for (std::ptrdiff_t i = lo; i < hi; ++i) {
      const float t = src[i];
      dst[below] = t;
      dst[above] = t;
      below += static_cast<std::ptrdiff_t>(t < p);
      above -= static_cast<std::ptrdiff_t>(p < t);
    }
    // dst[lo, below) < p, dst(above, hi) > p; the values in between equal p.
    if (kk < below) {
      hi = below;
    } else if (kk > above) {
      lo = above + 1;
    } else {
      return p;
    }
    std::swap(src, dst);
  }
  // A short stretch: the value whose rank range [#less, #less-or-equal) holds k. Counting is
  // branch-free and vectorises; an insertion sort here mispredicts on most of its comparisons.
  {
    const std::ptrdiff_t want = kk - lo;
    for (std::ptrdiff_t i = lo; i < hi; ++i) {
      const float t = src[i];
      std::ptrdiff_t less = 0, leq = 0;
      for (std::ptrdiff_t j = lo; j < hi; ++j) {
        less += static_cast<std::ptrdiff_t>(src[j] < t);
        leq += static_cast<std::ptrdiff_t>(src[j] <= t);
      }
      if (less <= want && want < leq) return t;
    }
  }
  // Only with NaN in the stretch (no value holds rank k): insertion sort.
  for (std::ptrdiff_t i = lo + 1; i < hi; ++i) {
    const float t = src[i];
    std::ptrdiff_t j = i;
    for (; j > lo && t < src[j - 1]; --j) src[j] = src[j - 1];
    src[j] = t;
  }
  return src[kk];
}

}  // namespace gc::dsp::detail
