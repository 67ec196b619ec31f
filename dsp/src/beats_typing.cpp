// Beat typing (see beats_typing.hpp). Greedy template clustering: each beat joins the best
// matching class (correlation ≥ kJoinCorrelation at the best lag, similar energy) or starts a new
// one. O(beats × classes × lags × window × leads); classes are capped.
#include "beats_typing.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <utility>

namespace gc::dsp::detail {

namespace {

constexpr double kJoinCorrelation = 0.90;
constexpr double kMinEnergyRatio = 0.40, kMaxEnergyRatio = 2.5;
constexpr int kMaxClasses = 12;
constexpr double kPrematureRatio = 0.85;

struct Window {
  std::int64_t pre = 0, post = 0, lag = 0;
  std::int64_t len() const { return pre + post + 1; }
};

// Σ (k − k̄)² over a window of L samples.
double trend_norm(std::int64_t L) {
  const double l = static_cast<double>(L);
  return l * (l * l - 1.0) / 12.0;
}

// Correlation of the beat at r+lag with a zero-mean-per-lead template; also its energy ratio.
struct Match {
  double corr = -1;
  double energy_ratio = 0;
  std::int64_t lag = 0;
};

Match match_at(const std::vector<std::span<const float>>& leads, std::int64_t r_plus_lag,
               const Window& w, const std::vector<float>& tmpl, double tmpl_energy) {
  const std::int64_t L = w.len();
  double dot = 0, energy = 0;
  for (std::size_t l = 0; l < leads.size(); ++l) {
    const float* x = leads[l].data() + (r_plus_lag - w.pre);
    const float* t = tmpl.data() + static_cast<std::int64_t>(l) * L;
    double s = 0, s2 = 0, st = 0, sk = 0;
    const double kc = 0.5 * static_cast<double>(L - 1);
    for (std::int64_t k = 0; k < L; ++k) {
      s += x[k];
      s2 += static_cast<double>(x[k]) * x[k];
      st += static_cast<double>(x[k]) * t[k];
      sk += (static_cast<double>(k) - kc) * x[k];
    }
    const double m = s / static_cast<double>(L);
    // Energy after removing the beat's mean and linear trend (baseline wander inside the
    // window must not lower the correlation).
    energy += std::max(0.0, s2 - m * s - sk * sk / trend_norm(L));
    dot += st;  // the template is zero-mean and trend-free per lead: both drop out
  }
  Match out;
  if (energy <= 0 || tmpl_energy <= 0) return out;
  out.corr = dot / std::sqrt(energy * tmpl_energy);
  out.energy_ratio = energy / tmpl_energy;
  return out;
}

// Best lag by hill climbing from lag 0 (the correlation is smooth in the lag over the small
// range searched, so this finds the same maximum as an exhaustive scan at ~1/3 of the cost).
Match best_match(const std::vector<std::span<const float>>& leads, std::int64_t r, const Window& w,
                 const std::vector<float>& tmpl, double tmpl_energy) {
  Match best = match_at(leads, r, w, tmpl, tmpl_energy);
  best.lag = 0;
  for (const int dir : {+1, -1}) {
    for (std::int64_t lag = best.lag + dir; lag >= -w.lag && lag <= w.lag; lag += dir) {
      Match m = match_at(leads, r + lag, w, tmpl, tmpl_energy);
      m.lag = lag;
      if (m.corr <= best.corr) break;
      best = m;
    }
    if (best.lag != 0 && dir == +1) break;  // climbed right: no need to look left
  }
  return best;
}

void add_to_sum(const std::vector<std::span<const float>>& leads, std::int64_t r, const Window& w,
                std::vector<double>& sum) {
  const std::int64_t L = w.len();
  const double kc = 0.5 * static_cast<double>(L - 1);
  for (std::size_t l = 0; l < leads.size(); ++l) {
    const float* x = leads[l].data() + (r - w.pre);
    double m = 0, sk = 0;
    for (std::int64_t k = 0; k < L; ++k) {
      m += x[k];
      sk += (static_cast<double>(k) - kc) * x[k];
    }
    m /= static_cast<double>(L);
    const double slope = sk / trend_norm(L);
    double* s = sum.data() + static_cast<std::int64_t>(l) * L;
    for (std::int64_t k = 0; k < L; ++k) s[k] += x[k] - m - slope * (static_cast<double>(k) - kc);
  }
}

struct Cls {
  std::vector<double> sum;
  std::vector<float> tmpl;
  double energy = 0;
  int count = 0;
  void refresh() {
    tmpl.resize(sum.size());
    energy = 0;
    for (std::size_t i = 0; i < sum.size(); ++i) {
      tmpl[i] = static_cast<float>(sum[i] / count);
      energy += static_cast<double>(tmpl[i]) * tmpl[i];
    }
  }
};

// Width proxy of a class template: samples where the multi-lead slope exceeds 20 % of its peak.
double template_width(const std::vector<float>& tmpl, std::size_t n_leads, std::int64_t L) {
  std::vector<double> v(static_cast<std::size_t>(L), 0.0);
  for (std::size_t l = 0; l < n_leads; ++l) {
    const float* t = tmpl.data() + static_cast<std::int64_t>(l) * L;
    for (std::int64_t k = 1; k + 1 < L; ++k) {
      const double d = t[k + 1] - t[k - 1];
      v[static_cast<std::size_t>(k)] += d * d;
    }
  }
  const double vmax = *std::max_element(v.begin(), v.end());
  if (vmax <= 0) return 0;
  std::int64_t first = -1, last = -1;
  for (std::int64_t k = 0; k < L; ++k) {
    if (v[static_cast<std::size_t>(k)] > 0.04 * vmax) {  // 0.2² on the squared slope
      if (first < 0) first = k;
      last = k;
    }
  }
  return static_cast<double>(last - first + 1);
}

}  // namespace

std::vector<double> local_reference_rr(std::span<const std::int64_t> r) {
  const std::size_t n = r.size();
  std::vector<double> ref(n, 0.0);
  if (n < 2) return ref;
  std::vector<double> rr(n - 1);
  for (std::size_t i = 0; i + 1 < n; ++i) rr[i] = static_cast<double>(r[i + 1] - r[i]);
  std::vector<double> tmp;
  constexpr std::size_t kHalf = 8;
  for (std::size_t i = 0; i < n; ++i) {
    // RR intervals around beat i, excluding the one that ends at beat i (its own prematurity).
    tmp.clear();
    const std::size_t lo = i > kHalf ? i - kHalf : 0;
    const std::size_t hi = std::min(rr.size(), i + kHalf);
    for (std::size_t j = lo; j < hi; ++j) {
      if (i > 0 && j == i - 1) continue;
      tmp.push_back(rr[j]);
    }
    if (tmp.empty()) tmp.push_back(rr[std::min(i, rr.size() - 1)]);
    std::nth_element(tmp.begin(), tmp.begin() + tmp.size() / 2, tmp.end());
    ref[i] = tmp[tmp.size() / 2];
  }
  return ref;
}

namespace {
// Centred moving average over ~20 ms (first null near 50 Hz): morphology for typing lives below
// ~40 Hz, and muscle noise above it would otherwise break the correlation of identical beats.
std::unique_ptr<float[]> smooth_for_typing(std::span<const float> x, double fs,
                                           const std::vector<std::pair<std::int64_t, std::int64_t>>& spans) {
  const auto n = static_cast<std::int64_t>(x.size());
  const std::int64_t half = std::max<std::int64_t>(1, std::llround(0.010 * fs));
  std::unique_ptr<float[]> y(new float[x.size()]);
  for (const auto& [a, b] : spans) {
    // Window [k − half, k + half] cut at the record's ends, as a running sum over the span.
    std::int64_t lo = std::max<std::int64_t>(0, a - half), hi = std::min(n, a + half + 1);  // [lo, hi)
    double run = 0;
    for (std::int64_t k = lo; k < hi; ++k) run += x[k];
    for (std::int64_t k = a; k < b; ++k) {
      const std::int64_t want_lo = std::max<std::int64_t>(0, k - half), want_hi = std::min(n, k + half + 1);
      for (; hi < want_hi; ++hi) run += x[hi];
      for (; lo < want_lo; ++lo) run -= x[lo];
      y[static_cast<std::size_t>(k)] = static_cast<float>(run / static_cast<double>(hi - lo));
    }
  }
  return y;
}
}  // namespace

BeatTypes type_beats(const std::vector<std::span<const float>>& raw_leads, double fs,
                     std::span<const std::int64_t> r) {
  const std::size_t nb = r.size();
  BeatTypes bt;
  bt.cls.assign(nb, -1);
  bt.dominant.assign(nb, 0);
  bt.premature.assign(nb, 0);
  bt.noisy.assign(nb, 0);
  bt.aligned_r.assign(r.begin(), r.end());
  if (nb == 0 || raw_leads.empty()) return bt;
  Window w;
  w.pre = std::max<std::int64_t>(2, std::llround(0.06 * fs));
  w.post = std::max<std::int64_t>(2, std::llround(0.10 * fs));
  w.lag = std::max<std::int64_t>(1, std::llround(0.012 * fs));

  // Typing reads only the beat windows (± the lag search): the smoothed leads are computed
  // there alone, into uninitialised buffers (a long recording's inter-beat samples, most of it,
  // are never touched).
  std::vector<std::pair<std::int64_t, std::int64_t>> spans;  // [a, b), merged, increasing
  {
    const auto n_raw = static_cast<std::int64_t>(raw_leads[0].size());
    std::vector<std::pair<std::int64_t, std::int64_t>> windows;
    windows.reserve(nb);
    for (const auto ri : r) {
      const std::int64_t a = std::max<std::int64_t>(0, ri - w.pre - w.lag);
      const std::int64_t b = std::min(n_raw, ri + w.post + w.lag + 1);
      if (b > a) windows.emplace_back(a, b);
    }
    // Detections come sorted; sorting anyway keeps the merge right for any input order.
    std::sort(windows.begin(), windows.end());
    for (const auto& [a, b] : windows) {
      if (!spans.empty() && a <= spans.back().second) {
        spans.back().second = std::max(spans.back().second, b);
      } else {
        spans.emplace_back(a, b);
      }
    }
  }
  std::vector<std::unique_ptr<float[]>> smoothed;
  std::vector<std::span<const float>> leads;
  smoothed.reserve(raw_leads.size());
  for (const auto& x : raw_leads) {
    smoothed.push_back(smooth_for_typing(x, fs, spans));
    leads.emplace_back(smoothed.back().get(), x.size());
  }
  const auto n = static_cast<std::int64_t>(leads[0].size());
  const std::int64_t L = w.len();
  const std::size_t feat = leads.size() * static_cast<std::size_t>(L);

  // Prematurity from the rhythm alone. In an irregular rhythm (atrial fibrillation) every
  // other beat looks "premature"; there it says nothing about the beat's origin and is ignored.
  const auto ref = local_reference_rr(r);
  std::size_t n_short = 0;
  for (std::size_t i = 1; i < nb; ++i) {
    if (static_cast<double>(r[i] - r[i - 1]) < kPrematureRatio * ref[i]) {
      bt.premature[i] = 1;
      ++n_short;
    }
  }
  const bool irregular = nb >= 5 && static_cast<double>(n_short) > 0.3 * static_cast<double>(nb - 1);
  if (irregular) std::fill(bt.premature.begin(), bt.premature.end(), 0);

  std::vector<Cls> classes;
  std::vector<std::int64_t> lag_of(nb, 0);
  int last_class = -1;
  for (std::size_t i = 0; i < nb; ++i) {
    if (i > 0 && bt.cls[i - 1] >= 0) last_class = bt.cls[i - 1];
    if (r[i] - w.pre - w.lag < 0 || r[i] + w.post + w.lag >= n) continue;
    Match best;
    int best_c = -1;
    // Try the class of the previous beat first; a confident match there ends the search.
    const auto try_class = [&](std::size_t c) {
      const Match m = best_match(leads, r[i], w, classes[c].tmpl, classes[c].energy);
      if (m.corr > best.corr) {
        best = m;
        best_c = static_cast<int>(c);
      }
    };
    if (last_class >= 0) try_class(static_cast<std::size_t>(last_class));
    if (!(best.corr >= 0.97 && best.energy_ratio >= 0.7 && best.energy_ratio <= 1.4)) {
      for (std::size_t c = 0; c < classes.size(); ++c) {
        if (static_cast<int>(c) != last_class) try_class(c);
      }
    }
    const bool joins = best_c >= 0 && best.corr >= kJoinCorrelation &&
                       best.energy_ratio >= kMinEnergyRatio && best.energy_ratio <= kMaxEnergyRatio;
    if (!joins && static_cast<int>(classes.size()) < kMaxClasses) {
      Cls c;
      c.sum.assign(feat, 0.0);
      add_to_sum(leads, r[i], w, c.sum);
      c.count = 1;
      c.refresh();
      if (c.energy <= 0) continue;  // a flat window cannot be typed
      classes.push_back(std::move(c));
      bt.cls[i] = static_cast<int>(classes.size()) - 1;
      continue;
    }
    if (best_c < 0) continue;
    bt.cls[i] = joins ? best_c : -1;  // beyond the class cap: left unclassified
    if (!joins) continue;
    lag_of[i] = best.lag;
    Cls& c = classes[static_cast<std::size_t>(best_c)];
    // Templates settle after a few dozen beats; freezing them keeps long records O(n).
    if (c.count < 64) {
      add_to_sum(leads, r[i] + best.lag, w, c.sum);
      ++c.count;
      c.refresh();
    } else {
      ++c.count;
    }
  }
  bt.n_classes = static_cast<int>(classes.size());
  if (classes.empty()) return bt;

  // Dominant class: most non-premature members; wide classes (ectopic-looking) count less so a
  // frequent PVC class does not displace the sinus beats, but an all-wide record (LBBB) still
  // has a dominant class.
  std::vector<int> normal_count(classes.size(), 0);
  for (std::size_t i = 0; i < nb; ++i) {
    if (bt.cls[i] >= 0 && !bt.premature[i]) ++normal_count[static_cast<std::size_t>(bt.cls[i])];
  }
  std::vector<double> width(classes.size());
  double narrowest = 1e300;
  const int min_members = std::max(1, static_cast<int>(nb / 10));
  for (std::size_t c = 0; c < classes.size(); ++c) {
    width[c] = template_width(classes[c].tmpl, leads.size(), L);
    if (classes[c].count >= min_members) narrowest = std::min(narrowest, width[c]);
  }
  double best_score = -1;
  for (std::size_t c = 0; c < classes.size(); ++c) {
    const bool wide = width[c] > 1.4 * narrowest;
    const double score = normal_count[c] * (wide ? 0.4 : 1.0);
    if (score > best_score) {
      best_score = score;
      bt.dominant_class = static_cast<int>(c);
    }
  }
  const auto dc = static_cast<std::size_t>(*bt.dominant_class);
  // Also accept unassigned premature beats? No: only the dominant, non-premature class.
  // Re-align dominant members against the final template.
  const Cls& dom = classes[dc];
  for (std::size_t i = 0; i < nb; ++i) {
    if (bt.cls[i] != static_cast<int>(dc)) continue;
    const Match m = best_match(leads, r[i], w, dom.tmpl, dom.energy);
    lag_of[i] = m.lag;
    if (!bt.premature[i]) bt.dominant[i] = 1;
  }
  for (std::size_t i = 0; i < nb; ++i) bt.aligned_r[i] = r[i] + lag_of[i];

  // Noisy beats: high-frequency activity outside the QRS (second difference), per beat,
  // against the record's median for dominant beats.
  const std::int64_t a_pre = std::llround(0.25 * fs), a_post = std::llround(0.45 * fs);
  const std::int64_t q_pre = std::llround(0.06 * fs), q_post = std::llround(0.10 * fs);
  std::vector<double> hf(nb, 0.0);
  std::vector<double> dom_hf;
  for (std::size_t i = 0; i < nb; ++i) {
    if (!bt.dominant[i]) continue;
    const std::int64_t a = std::max<std::int64_t>(1, bt.aligned_r[i] - a_pre);
    const std::int64_t b = std::min<std::int64_t>(n - 1, bt.aligned_r[i] + a_post);
    double acc = 0;
    std::int64_t cnt = 0;
    // Two stretches, before and after the QRS, each a branch-free (vectorisable) loop.
    const std::int64_t qa = std::max(a, bt.aligned_r[i] - q_pre), qb = std::min(b, bt.aligned_r[i] + q_post + 1);
    for (const auto& x : raw_leads) {
      for (const auto& [s0, s1] : {std::pair{a, qa}, std::pair{std::max(a, qb), b}}) {
        float part = 0;
        for (std::int64_t k = s0; k < s1; ++k) part += std::fabs(x[k] - 0.5f * (x[k - 1] + x[k + 1]));
        acc += part;
        cnt += std::max<std::int64_t>(0, s1 - s0);
      }
    }
    hf[i] = cnt ? acc / static_cast<double>(cnt) : 0;
    dom_hf.push_back(hf[i]);
  }
  if (dom_hf.size() >= 3) {
    std::nth_element(dom_hf.begin(), dom_hf.begin() + dom_hf.size() / 2, dom_hf.end());
    const double med = dom_hf[dom_hf.size() / 2];
    for (std::size_t i = 0; i < nb; ++i) {
      if (bt.dominant[i] && hf[i] > 3.0 * med + 2.0) bt.noisy[i] = 1;
    }
  }
  return bt;
}

}  // namespace gc::dsp::detail
