// Median beat (see median_beat.hpp): O(len × beats) per lead with nth_element.
#include "median_beat.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

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
  const std::size_t nb = use.size();
  // Beat windows copied once into a [k][beat] matrix (NaN where a beat does not cover k), so
  // the per-sample median reads one contiguous row.
  std::vector<float> mat(static_cast<std::size_t>(L) * nb);
  std::vector<float> vals;
  vals.reserve(nb);
  for (std::size_t l = 0; l < leads.size(); ++l) {
    const auto x = leads[l];
    auto& m = out[l];
    std::vector<std::uint8_t> covered(static_cast<std::size_t>(L), 0);
    for (std::size_t b = 0; b < nb; ++b) {
      const std::int64_t f = use[b];
      for (std::int64_t k = 0; k < L; ++k) {
        const std::int64_t s = f - w.pre + k;
        mat[static_cast<std::size_t>(k) * nb + b] =
            (s >= 0 && s < n) ? x[s] : std::numeric_limits<float>::quiet_NaN();
      }
    }
    for (std::int64_t k = 0; k < L; ++k) {
      vals.clear();
      const float* row = mat.data() + static_cast<std::size_t>(k) * nb;
      for (std::size_t b = 0; b < nb; ++b) {
        if (!std::isnan(row[b])) vals.push_back(row[b]);
      }
      if (vals.empty()) continue;
      const std::size_t mid = vals.size() / 2;
      float v;
      if (vals.size() <= 24) {
        // A 10 s record has a dozen beats: insertion sort beats nth_element at this size.
        for (std::size_t i = 1; i < vals.size(); ++i) {
          const float e = vals[i];
          std::size_t j = i;
          for (; j > 0 && vals[j - 1] > e; --j) vals[j] = vals[j - 1];
          vals[j] = e;
        }
        v = vals.size() % 2 ? vals[mid] : 0.5f * (vals[mid - 1] + vals[mid]);
      } else {
        std::nth_element(vals.begin(), vals.begin() + static_cast<std::ptrdiff_t>(mid), vals.end());
        v = vals[mid];
        if (vals.size() % 2 == 0) {
          // Even count: average the two middle values (the lower one is the max below mid).
          const float lower = *std::max_element(vals.begin(), vals.begin() + static_cast<std::ptrdiff_t>(mid));
          v = 0.5f * (v + lower);
        }
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

std::vector<std::vector<float>> mean_beat(const std::vector<std::span<const float>>& leads,
                                          std::span<const std::int64_t> all_fid, const BeatWindow& w,
                                          std::size_t max_beats) {
  const std::int64_t L = w.len();
  std::vector<std::vector<float>> out(leads.size(), std::vector<float>(static_cast<std::size_t>(L), 0.f));
  if (all_fid.empty() || leads.empty()) return out;
  std::vector<std::int64_t> fid;
  if (all_fid.size() <= max_beats) {
    fid.assign(all_fid.begin(), all_fid.end());
  } else {
    for (std::size_t i = 0; i < max_beats; ++i) fid.push_back(all_fid[i * all_fid.size() / max_beats]);
  }
  const auto n = static_cast<std::int64_t>(leads[0].size());
  std::vector<double> sum(static_cast<std::size_t>(L));
  std::vector<int> cnt(static_cast<std::size_t>(L));
  for (std::size_t l = 0; l < leads.size(); ++l) {
    std::fill(sum.begin(), sum.end(), 0.0);
    std::fill(cnt.begin(), cnt.end(), 0);
    for (const auto f : fid) {
      const std::int64_t k0 = std::max<std::int64_t>(0, w.pre - f);
      const std::int64_t k1 = std::min(L, n - f + w.pre);
      const float* x = leads[l].data() + (f - w.pre);
      for (std::int64_t k = k0; k < k1; ++k) {
        sum[static_cast<std::size_t>(k)] += x[k];
        ++cnt[static_cast<std::size_t>(k)];
      }
    }
    auto& m = out[l];
    std::int64_t first = -1, last = -1;
    for (std::int64_t k = 0; k < L; ++k) {
      if (cnt[static_cast<std::size_t>(k)] == 0) continue;
      m[static_cast<std::size_t>(k)] = static_cast<float>(sum[static_cast<std::size_t>(k)] / cnt[static_cast<std::size_t>(k)]);
      if (first < 0) first = k;
      last = k;
    }
    if (first < 0) continue;
    for (std::int64_t k = 0; k < first; ++k) m[static_cast<std::size_t>(k)] = m[static_cast<std::size_t>(first)];
    for (std::int64_t k = last + 1; k < L; ++k) m[static_cast<std::size_t>(k)] = m[static_cast<std::size_t>(last)];
  }
  return out;
}

}  // namespace gc::dsp::detail
