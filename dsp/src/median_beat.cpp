// Median beat (see median_beat.hpp): O(len × beats) per lead with nth_element.
#include "median_beat.hpp"

#include <algorithm>

namespace gc::dsp::detail {

std::vector<std::vector<float>> median_beat(const std::vector<std::span<const float>>& leads,
                                            std::span<const std::int64_t> fid,
                                            const BeatWindow& w, std::size_t max_beats) {
  const std::int64_t L = w.len();
  std::vector<std::vector<float>> out(leads.size(), std::vector<float>(static_cast<std::size_t>(L), 0.f));
  if (fid.empty() || leads.empty()) return out;
  std::vector<std::int64_t> use;
  if (fid.size() <= max_beats) {
    use.assign(fid.begin(), fid.end());
  } else {
    for (std::size_t i = 0; i < max_beats; ++i) use.push_back(fid[i * fid.size() / max_beats]);
  }
  const auto n = static_cast<std::int64_t>(leads[0].size());
  std::vector<float> vals;
  vals.reserve(use.size());
  for (std::size_t l = 0; l < leads.size(); ++l) {
    const auto x = leads[l];
    auto& m = out[l];
    std::vector<std::uint8_t> covered(static_cast<std::size_t>(L), 0);
    for (std::int64_t k = 0; k < L; ++k) {
      vals.clear();
      for (const auto f : use) {
        const std::int64_t s = f - w.pre + k;
        if (s >= 0 && s < n) vals.push_back(x[s]);
      }
      if (vals.empty()) continue;
      const std::size_t mid = vals.size() / 2;
      std::nth_element(vals.begin(), vals.begin() + mid, vals.end());
      float v = vals[mid];
      if (vals.size() % 2 == 0) {
        // Even count: average the two middle values (the lower one is the max below mid).
        const float lower = *std::max_element(vals.begin(), vals.begin() + mid);
        v = 0.5f * (v + lower);
      }
      m[static_cast<std::size_t>(k)] = v;
      covered[static_cast<std::size_t>(k)] = 1;
    }
    // Fill uncovered edges with the nearest covered value (no invented structure).
    std::int64_t first = -1, last = -1;
    for (std::int64_t k = 0; k < L; ++k) {
      if (covered[static_cast<std::size_t>(k)]) {
        if (first < 0) first = k;
        last = k;
      }
    }
    if (first < 0) continue;
    for (std::int64_t k = 0; k < first; ++k) m[static_cast<std::size_t>(k)] = m[static_cast<std::size_t>(first)];
    for (std::int64_t k = last + 1; k < L; ++k) m[static_cast<std::size_t>(k)] = m[static_cast<std::size_t>(last)];
  }
  return out;
}

}  // namespace gc::dsp::detail
