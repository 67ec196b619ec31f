// min_max — the smallest and largest sample of a stretch, vectorised. Internal to gc_dsp.
#pragma once

#include <cstddef>
#include <utility>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace gc::dsp::detail {

// Smallest and largest of x[0, n), n ≥ 1, as `v < lo ? v : lo` / `v > hi ? v : hi` would give
// them. GCC does not vectorise a float min/max reduction without -ffinite-math-only (which would
// break the non-finite sample checks), so on x86-64 it is written with SSE: MINPS/MAXPS compute
// exactly that expression lane by lane.
inline std::pair<float, float> min_max(const float* x, std::size_t n) {
  float lo = x[0], hi = x[0];
  std::size_t i = 0;
#if defined(__SSE2__)
  if (n >= 16) {
    __m128 lo_a = _mm_set1_ps(x[0]), lo_b = lo_a, hi_a = lo_a, hi_b = lo_a;
    for (; i + 8 <= n; i += 8) {
      const __m128 a = _mm_loadu_ps(x + i), b = _mm_loadu_ps(x + i + 4);
      lo_a = _mm_min_ps(a, lo_a);
      lo_b = _mm_min_ps(b, lo_b);
      hi_a = _mm_max_ps(a, hi_a);
      hi_b = _mm_max_ps(b, hi_b);
    }
    alignas(16) float l[8], h[8];
    _mm_store_ps(l, lo_a);
    _mm_store_ps(l + 4, lo_b);
    _mm_store_ps(h, hi_a);
    _mm_store_ps(h + 4, hi_b);
    for (int j = 0; j < 8; ++j) {
      lo = l[j] < lo ? l[j] : lo;
      hi = h[j] > hi ? h[j] : hi;
    }
  }
#endif
  for (; i < n; ++i) {
    lo = x[i] < lo ? x[i] : lo;
    hi = x[i] > hi ? x[i] : hi;
  }
  return {lo, hi};
}
}  // namespace gc::dsp::detail
