// Median beat (see median_beat.hpp): O(len × beats) per lead with nth_element.
#include "median_beat.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <utility>

namespace gc::dsp::detail {

namespace {

// A standard ECG has a dozen beats: for up to this many, the median runs as a sorting network
// applied to whole rows (one row per beat), so every compare-exchange is an element-wise min/max
// over the window that the compiler vectorises — ~10x faster than a per-sample sort.
constexpr std::size_t kNetworkMaxBeats = 32;

// Batcher's odd–even merge sort for p (a power of two) inputs: the comparator pairs (i < j).
const std::vector<std::pair<std::uint16_t, std::uint16_t>>& batcher_network(std::size_t p) {
  thread_local std::vector<std::pair<std::uint16_t, std::uint16_t>> cache[7];
  std::size_t log2 = 0;
  while ((std::size_t{1} << log2) < p) ++log2;
  auto& net = cache[log2];
  if (!net.empty() || p < 2) return net;
  for (std::size_t q = 1; q < p; q *= 2) {
    for (std::size_t k = q; k >= 1; k /= 2) {
      for (std::size_t j = k % q; j + k < p; j += 2 * k) {
        for (std::size_t i = 0; i < std::min(k, p - j - k); ++i) {
          if ((i + j) / (2 * q) == (i + j + k) / (2 * q)) {
            net.emplace_back(static_cast<std::uint16_t>(i + j), static_cast<std::uint16_t>(i + j + k));
          }
        }
      }
    }
  }
  return net;
}

// Median of the values of one sample over the beats that cover it; nullopt when
// no beat covers the sample.
std::optional<float> column_median(std::vector<float>& vals) {
  if (vals.empty()) return std::nullopt;
  std::sort(vals.begin(), vals.end());
  const std::size_t mid = vals.size() / 2;
  return vals.size() % 2 ? vals[mid] : 0.5f * (vals[mid - 1] + vals[mid]);
}

void median_by_network(const std::vector<std::span<const float>>& leads,
                       const std::vector<std::int64_t>& use, const BeatWindow& w, std::int64_t n,
                       std::vector<std::vector<float>>& out) {
  const std::int64_t L = w.len();
  const std::size_t nb = use.size();
  std::size_t p = 1;
  while (p < nb) p *= 2;
  // Padding rows: half at −∞, half at +∞, so the real values stay in the middle of the order.
  const std::size_t pad_lo = (p - nb) / 2;
  const auto& net = batcher_network(p);
  // Columns every beat covers; the few others (record edges) take the per-column path.
  std::int64_t k0 = 0, k1 = L;
  for (const auto f : use) {
    k0 = std::max(k0, w.pre - f);
    k1 = std::min(k1, n - f + w.pre);
  }
  k0 = std::min(k0, L);
  k1 = std::max(k1, k0);
  const auto width = static_cast<std::size_t>(k1 - k0);
  std::vector<float> rows(p * width);
  std::vector<float> vals;
  for (std::size_t l = 0; l < leads.size(); ++l) {
    const auto x = leads[l];
    auto& m = out[l];
    if (width > 0) {
      for (std::size_t b = 0; b < p; ++b) {
        float* row = rows.data() + b * width;
        if (b < pad_lo) {
          std::fill(row, row + width, -std::numeric_limits<float>::infinity());
        } else if (b >= pad_lo + nb) {
          std::fill(row, row + width, std::numeric_limits<float>::infinity());
        } else {
          const float* src = x.data() + (use[b - pad_lo] - w.pre + k0);
          std::copy(src, src + width, row);
        }
      }
      for (const auto& [i, j] : net) {
        float* a = rows.data() + std::size_t{i} * width;
        float* c = rows.data() + std::size_t{j} * width;
        for (std::size_t k = 0; k < width; ++k) {
          const float lo = a[k] < c[k] ? a[k] : c[k];
          const float hi = a[k] < c[k] ? c[k] : a[k];
          a[k] = lo;
          c[k] = hi;
        }
      }
      const std::size_t mid = pad_lo + nb / 2;
      const float* upper = rows.data() + mid * width;
      if (nb % 2) {
        std::copy(upper, upper + width, m.begin() + k0);
      } else {
        const float* lower = rows.data() + (mid - 1) * width;
        for (std::size_t k = 0; k < width; ++k) m[k0 + static_cast<std::int64_t>(k)] = 0.5f * (lower[k] + upper[k]);
      }
    }
    // Edge columns: median of the beats that cover them; uncovered ones take the nearest value.
    std::int64_t first = -1, last = -1;
    for (std::int64_t k = 0; k < L; ++k) {
      if (k >= k0 && k < k1) {
        if (first < 0) first = k;
        last = k;
        continue;
      }
      vals.clear();
      for (const auto f : use) {
        const std::int64_t s = f - w.pre + k;
        if (s >= 0 && s < n) vals.push_back(x[s]);
      }
      if (const auto v = column_median(vals)) {
        m[static_cast<std::size_t>(k)] = *v;
        if (first < 0) first = k;
        last = k;
      } else if (first >= 0 && k > last) {
        m[static_cast<std::size_t>(k)] = m[static_cast<std::size_t>(last)];
      }
    }
    if (first < 0) continue;
    for (std::int64_t k = 0; k < first; ++k) m[static_cast<std::size_t>(k)] = m[static_cast<std::size_t>(first)];
    for (std::int64_t k = last + 1; k < L; ++k) m[static_cast<std::size_t>(k)] = m[static_cast<std::size_t>(last)];
  }
}

}  // namespace

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
  if (nb <= kNetworkMaxBeats) {
    median_by_network(leads, use, w, n, out);
    return out;
  }
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
  // How many beats cover each sample of the window: the same for every lead.
  std::vector<int> cnt(static_cast<std::size_t>(L), 0);
  for (const auto f : fid) {
    const std::int64_t k0 = std::max<std::int64_t>(0, w.pre - f);
    const std::int64_t k1 = std::min(L, n - f + w.pre);
    for (std::int64_t k = k0; k < k1; ++k) ++cnt[static_cast<std::size_t>(k)];
  }
  // The covered samples [first, last] and each one's divisor (1 where no beat covers it, so that
  // the division below runs unconditionally and vectorises: the sum there is 0, as is the mean).
  std::int64_t first = -1, last = -1;
  std::vector<double> divisor(static_cast<std::size_t>(L), 1.0);
  for (std::int64_t k = 0; k < L; ++k) {
    const int c = cnt[static_cast<std::size_t>(k)];
    if (c == 0) continue;
    divisor[static_cast<std::size_t>(k)] = c;
    if (first < 0) first = k;
    last = k;
  }
  if (first < 0) return out;
  for (std::size_t l = 0; l < leads.size(); ++l) {
    std::fill(sum.begin(), sum.end(), 0.0);
    for (const auto f : fid) {
      const std::int64_t k0 = std::max<std::int64_t>(0, w.pre - f);
      const std::int64_t k1 = std::min(L, n - f + w.pre);
      const float* x = leads[l].data() + (f - w.pre);
      double* s = sum.data();
      for (std::int64_t k = k0; k < k1; ++k) s[k] += x[k];
    }
    auto& m = out[l];
    {
      float* out_k = m.data();
      const double* s = sum.data();
      const double* d = divisor.data();
      for (std::int64_t k = first; k <= last; ++k) out_k[k] = static_cast<float>(s[k] / d[k]);
    }
    for (std::int64_t k = 0; k < first; ++k) m[static_cast<std::size_t>(k)] = m[static_cast<std::size_t>(first)];
    for (std::int64_t k = last + 1; k < L; ++k) m[static_cast<std::size_t>(k)] = m[static_cast<std::size_t>(last)];
  }
  return out;
}

}  // namespace gc::dsp::detail
