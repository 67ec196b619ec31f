#include "annotations.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <string>

namespace gc::eval::detail {

namespace fs = std::filesystem;
using I64 = std::int64_t;

namespace {

// Wave triplets "( X )" in annotation order: the '(' right before a peak is its onset, the ')'
// right after it its offset (either may be missing, e.g. QTDB T waves often lack '(').
struct Wave {
  char symbol;
  I64 peak;
  std::optional<I64> on, off;
};

std::vector<Wave> waves_of(const std::vector<wfdb::Annotation>& ann) {
  std::vector<Wave> out;
  for (std::size_t i = 0; i < ann.size(); ++i) {
    const char c = ann[i].symbol;
    if (c == '(' || c == ')') continue;
    Wave w{c, ann[i].sample, std::nullopt, std::nullopt};
    if (i > 0 && ann[i - 1].symbol == '(') w.on = ann[i - 1].sample;
    if (i + 1 < ann.size() && ann[i + 1].symbol == ')') w.off = ann[i + 1].sample;
    out.push_back(w);
  }
  return out;
}

const char* const kLudbLeads[] = {"i",  "ii", "iii", "avr", "avl", "avf",
                                  "v1", "v2", "v3",  "v4",  "v5",  "v6"};

}  // namespace

std::vector<AnnotatedBeat> qtdb_beats(const fs::path& q1c) {
  const auto waves = waves_of(wfdb::read_annotations(q1c));
  std::vector<AnnotatedBeat> beats;
  for (std::size_t i = 0; i < waves.size(); ++i) {
    if (!wfdb::is_beat_symbol(waves[i].symbol)) continue;
    AnnotatedBeat b;
    b.peak = waves[i].peak;
    b.qrs_onset = waves[i].on;
    b.qrs_offset = waves[i].off;
    for (std::size_t j = i + 1; j < waves.size() && !wfdb::is_beat_symbol(waves[j].symbol); ++j) {
      if (waves[j].symbol == 't' && waves[j].off) {
        b.t_end = waves[j].off;
        break;
      }
    }
    beats.push_back(b);
  }
  return beats;
}

std::vector<AnnotatedBeat> ludb_beats(const fs::path& hea, double sample_rate_hz) {
  std::vector<AnnotatedBeat> beats;
  const I64 tol = static_cast<I64>(0.1 * sample_rate_hz);
  std::vector<std::vector<Wave>> per_lead;
  for (const char* ext : kLudbLeads) {
    auto p = hea;
    p.replace_extension(std::string(".") + ext);
    if (!fs::exists(p)) continue;
    per_lead.push_back(waves_of(wfdb::read_annotations(p)));
  }
  // QRS clusters by peak position.
  for (const auto& lead : per_lead) {
    for (const auto& w : lead) {
      if (!wfdb::is_beat_symbol(w.symbol)) continue;
      auto it = std::find_if(beats.begin(), beats.end(), [&](const AnnotatedBeat& b) {
        return std::llabs(b.peak - w.peak) <= tol;
      });
      if (it == beats.end()) {
        beats.push_back({w.peak, w.on, w.off, std::nullopt, std::nullopt});
        continue;
      }
      if (w.on && (!it->qrs_onset || *w.on < *it->qrs_onset)) it->qrs_onset = w.on;
      if (w.off && (!it->qrs_offset || *w.off > *it->qrs_offset)) it->qrs_offset = w.off;
    }
  }
  std::sort(beats.begin(), beats.end(),
            [](const auto& x, const auto& y) { return x.peak < y.peak; });
  // T ends: each lead's T wave belongs to the last beat before its peak.
  std::vector<std::vector<I64>> lead_t_ends(beats.size());
  for (const auto& lead : per_lead) {
    for (const auto& w : lead) {
      if (w.symbol != 't' || !w.off) continue;
      std::size_t owner = beats.size();
      for (std::size_t k = 0; k < beats.size(); ++k) {
        if (beats[k].peak < w.peak) owner = k;
      }
      if (owner == beats.size()) continue;
      lead_t_ends[owner].push_back(*w.off);
    }
  }
  const auto confirm = static_cast<I64>(std::llround(kConfirmingLeadMs / 1000.0 * sample_rate_hz));
  for (std::size_t k = 0; k < beats.size(); ++k) {
    auto& ends = lead_t_ends[k];
    if (ends.empty()) continue;
    std::sort(ends.begin(), ends.end());
    beats[k].t_end = ends.back();
    for (std::size_t i = ends.size(); i-- > 1;) {
      if (ends[i] - ends[i - 1] <= confirm) {
        beats[k].t_end_confirmed = ends[i];
        break;
      }
    }
  }
  return beats;
}

std::vector<fs::path> headers_in(const fs::path& dir) {
  std::vector<fs::path> out;
  if (!fs::is_directory(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".hea") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end(), [](const fs::path& x, const fs::path& y) {
    const auto sx = x.stem().string(), sy = y.stem().string();
    const bool nx = !sx.empty() && std::all_of(sx.begin(), sx.end(), ::isdigit);
    const bool ny = !sy.empty() && std::all_of(sy.begin(), sy.end(), ::isdigit);
    if (nx && ny) return std::stol(sx) < std::stol(sy);
    return sx < sy;
  });
  return out;
}

const dsp::Beat* match_beat(const std::vector<dsp::Beat>& det, I64 peak, double sample_rate_hz) {
  const I64 win = static_cast<I64>(std::llround(0.150 * sample_rate_hz));
  const auto it = std::lower_bound(det.begin(), det.end(), peak,
                                   [](const dsp::Beat& b, I64 p) { return b.r_sample < p; });
  const dsp::Beat* best = nullptr;
  I64 best_d = win + 1;
  for (auto j = it == det.begin() ? it : it - 1; j != det.end() && j <= it; ++j) {
    const I64 d = std::llabs(j->r_sample - peak);
    if (d < best_d) {
      best_d = d;
      best = &*j;
    }
  }
  return best;
}

void score(const std::vector<AnnotatedBeat>& ann, const dsp::Analysis& a, DelineationStats& st) {
  for (const auto& b : ann) {
    ++st.annotated;
    const dsp::Beat* d = match_beat(a.beats, b.peak, a.sample_rate_hz);
    if (!d) {
      ++st.unmatched;
      continue;
    }
    st.onset.add(b.qrs_onset, d->qrs_onset_sample, a.sample_rate_hz);
    st.offset.add(b.qrs_offset, d->qrs_offset_sample, a.sample_rate_hz);
    st.t_end.add(b.t_end, d->t_end_sample, a.sample_rate_hz);
    if (b.t_end_confirmed)
      st.t_end_confirmed.add(b.t_end_confirmed, d->t_end_sample, a.sample_rate_hz);
  }
}

}  // namespace gc::eval::detail
