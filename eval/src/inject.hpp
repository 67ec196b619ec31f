// eval internals: the known ST elevation that eval st and the semi-synthetic occlusion check add
// to real beats (one shape for both, so their figures speak of the same injection).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

namespace gc::eval {

// Known ST elevation added to one beat: a raised-cosine rise over the 20 ms before the annotated
// J point (no step discontinuity), full amplitude from J to halfway to T end, then a raised-cosine
// taper to zero at T end.
inline void inject_beat(std::vector<float>& x, std::int64_t j, std::int64_t t_end, double amp_uv, double fs_hz) {
  const auto n = static_cast<std::int64_t>(x.size());
  const std::int64_t rise = std::max<std::int64_t>(1, std::llround(0.020 * fs_hz));
  const std::int64_t mid = j + (t_end - j) / 2;
  for (std::int64_t k = j - rise; k <= t_end && k < n; ++k) {
    if (k < 0) continue;
    double g = 1.0;
    if (k < j) {
      g = 0.5 - 0.5 * std::cos(std::numbers::pi * static_cast<double>(k - (j - rise)) /
                               static_cast<double>(rise));
    } else if (k > mid && t_end > mid) {
      g = 0.5 + 0.5 * std::cos(std::numbers::pi * static_cast<double>(k - mid) /
                               static_cast<double>(t_end - mid));
    }
    x[static_cast<std::size_t>(k)] += static_cast<float>(amp_uv * g);
  }
}

}  // namespace gc::eval
