// Per-lead measurements (see measure_leads.hpp).
#include "measure_leads.hpp"

#include <algorithm>
#include <cmath>

namespace gc::dsp::detail {

namespace {
using I64 = std::int64_t;
double finite_or_zero(double v) { return std::isfinite(v) ? v : 0.0; }
}  // namespace

void measure_lead(std::span<const float> m, double fs, const Fiducials& fid, double hr_bpm,
                  double rr, LeadMeasurement& out) {
  const I64 L = static_cast<I64>(m.size());
  const auto S = [fs](double sec) { return static_cast<I64>(std::llround(sec * fs)); };
  if (!fid.qrs_onset || !fid.qrs_offset || L == 0) return;
  const I64 on = *fid.qrs_onset, J = *fid.qrs_offset;
  if (on < 1 || J <= on || J >= L) return;

  // Isoelectric level: 20 ms of PR segment ending 10 ms before QRS onset — or before the
  // pacemaker stimulus, when one precedes the QRS closely (its artefact is not baseline).
  I64 iso_end = on - S(0.010);
  if (fid.pacing_stimulus) iso_end = std::min(iso_end, *fid.pacing_stimulus - S(0.010));
  const I64 i1 = std::max<I64>(1, iso_end), i0 = std::max<I64>(0, i1 - std::max<I64>(1, S(0.020)));
  double iso = 0;
  for (I64 k = i0; k < i1; ++k) iso += m[k];
  iso /= static_cast<double>(i1 - i0);

  out.st_late_offset_ms = hr_bpm > 120 ? 40 : 60;
  const I64 late = std::min(L - 1, J + S(out.st_late_offset_ms / 1000.0));
  // Small averages damp residual noise: ±2 ms at J (the J point sits on a slope, so only a few
  // samples), ±10 ms at J+60/40 (the ST segment is smooth there).
  const auto mean_around = [&](I64 c, I64 half) {
    const I64 a = std::max<I64>(0, c - half), b = std::min(L - 1, c + half);
    double s = 0;
    for (I64 k = a; k <= b; ++k) s += m[k];
    return s / static_cast<double>(b - a + 1);
  };
  out.st_j_uv = finite_or_zero(mean_around(J, S(0.002)) - iso);
  out.st_j60_uv = finite_or_zero(mean_around(late, S(0.010)) - iso);
  const double dt_s = static_cast<double>(late - J) / fs;
  out.st_slope_uv_per_s = dt_s > 0 ? finite_or_zero((out.st_j60_uv - out.st_j_uv) / dt_s) : 0.0;

  // Q/R/S inside [onset, J] relative to the isoelectric level.
  I64 kr = on;
  for (I64 k = on; k <= J; ++k) {
    if (m[k] > m[kr]) kr = k;
  }
  const double r_amp = std::max(0.0, m[kr] - iso);
  double q_amp = 0, s_amp = 0;
  I64 kq = on, ks = J;
  if (r_amp > 0) {
    for (I64 k = on; k < kr; ++k) {
      if (m[k] - iso < q_amp) {
        q_amp = m[k] - iso;
        kq = k;
      }
    }
    for (I64 k = kr + 1; k <= J; ++k) {
      if (m[k] - iso < s_amp) {
        s_amp = m[k] - iso;
        ks = k;
      }
    }
  } else {
    // QS complex: the whole deflection is negative; report it as Q.
    for (I64 k = on; k <= J; ++k) {
      if (m[k] - iso < q_amp) {
        q_amp = m[k] - iso;
        kq = k;
      }
    }
  }
  const double ms = 1000.0 / fs;
  // Durations: contiguous span around each extremum on its side of the isoelectric level.
  const auto span_ms = [&](I64 k0, bool positive) {
    if ((positive && m[k0] - iso <= 0) || (!positive && m[k0] - iso >= 0)) return 0.0;
    I64 a = k0, b = k0;
    const auto same = [&](I64 k) { return positive ? m[k] - iso > 0 : m[k] - iso < 0; };
    while (a > on && same(a - 1)) --a;
    while (b < J && same(b + 1)) ++b;
    return static_cast<double>(b - a + 1) * ms;
  };
  out.r_amplitude_uv = finite_or_zero(r_amp);
  out.q_amplitude_uv = finite_or_zero(q_amp);
  out.s_amplitude_uv = finite_or_zero(s_amp);
  out.r_duration_ms = r_amp > 0 ? span_ms(kr, true) : 0.0;
  out.q_duration_ms = q_amp < 0 ? span_ms(kq, false) : 0.0;
  out.s_duration_ms = s_amp < 0 ? span_ms(ks, false) : 0.0;
  out.qrs_net_uv = finite_or_zero(out.r_amplitude_uv + out.q_amplitude_uv + out.s_amplitude_uv);

  // T amplitude: signed extremum between J+60 ms and T end (or J+400 ms without a T end).
  const I64 t0 = std::min(L - 1, J + S(0.06));
  const I64 t1 = std::min(L - 1, fid.t_end ? *fid.t_end : J + S(0.40));
  double t_amp = 0;
  I64 kt = t0;
  for (I64 k = t0; k <= t1; ++k) {
    if (std::fabs(m[k] - iso) > std::fabs(t_amp)) {
      t_amp = m[k] - iso;
      kt = k;
    }
  }
  out.t_amplitude_uv = finite_or_zero(t_amp);
  out.t_peak_from_j_ms = static_cast<double>(kt - J) * ms;

  // ST shape: mean sag below the chord from the J point to the T peak, over the rise.
  out.st_concavity.reset();
  const double j_level = mean_around(J, S(0.002));
  const double rise_uv = m[kt] - j_level;
  if (t_amp > 0 && rise_uv >= 50 && kt - J >= 2) {
    double sag = 0;
    for (I64 k = J + 1; k < kt; ++k) {
      const double chord = j_level + rise_uv * static_cast<double>(k - J) / static_cast<double>(kt - J);
      sag += chord - m[k];
    }
    sag /= static_cast<double>(kt - J - 1);
    const double c = sag / rise_uv;
    if (std::isfinite(c)) out.st_concavity = c;
  }

  // TP level: 40 ms starting 40 ms after T end, if it ends well before the next P wave.
  out.pr_segment_vs_tp_uv = 0;
  if (fid.t_end) {
    const I64 a = *fid.t_end + S(0.04), b = *fid.t_end + S(0.08);
    const I64 r_idx = on + S(0.04);  // approximate; only used to bound the TP window
    if (b < L && static_cast<double>(b) < static_cast<double>(r_idx) + rr - fs * 0.25 && b > a) {
      double tp = 0;
      for (I64 k = a; k < b; ++k) tp += m[k];
      tp /= static_cast<double>(b - a);
      out.pr_segment_vs_tp_uv = finite_or_zero(iso - tp);
    }
  }
}

Pacing detect_pacing(const std::vector<std::span<const float>>& raw, double fs,
                     std::span<const I64> onsets, std::span<const I64> qrs_ends) {
  Pacing out;
  if (raw.empty() || onsets.empty() || onsets.size() != qrs_ends.size()) return out;
  const auto n = static_cast<I64>(raw[0].size());
  const auto S = [fs](double sec) { return static_cast<I64>(std::llround(sec * fs)); };
  // Sharpness: deviation of a sample from the mean of its neighbours (a 1–2 sample spike has
  // sharpness ≈ its height; a QRS at 500 Hz rarely exceeds a third of its amplitude).
  const auto sharp = [](std::span<const float> x, I64 k) {
    return std::fabs(x[k] - 0.5 * (static_cast<double>(x[k - 1]) + x[k + 1]));
  };
  int with_spike = 0, scored = 0;
  const I64 excl = std::max<I64>(2, S(0.006));
  out.spike_half_width_samples = excl;
  std::vector<I64> at;    // spike positions relative to the beat's onset
  std::vector<I64> hits;  // per beat, per lead: where a spike passing the sharpness tests sits
  // At most 16 beats, evenly spread: enough for a majority vote on a long recording.
  const std::size_t stride = std::max<std::size_t>(1, onsets.size() / 16);
  for (std::size_t b = 0; b < onsets.size(); b += stride) {
    // Candidates from 300 ms before QRS onset through the first 40 % of the QRS (a ventricular
    // stimulus often sits at the detected onset, since the paced QRS starts right after it).
    const I64 s0 = std::max<I64>(1, onsets[b] - S(0.30));
    const I64 s1 = std::min(n - 2, onsets[b] + std::max<I64>(S(0.02), (qrs_ends[b] - onsets[b]) * 2 / 5));
    const I64 q1 = std::min(n - 2, qrs_ends[b]);
    if (s1 <= s0 || q1 <= s0) continue;
    ++scored;
    hits.clear();
    for (const auto& x : raw) {
      double spike = 0;
      I64 ks = s0;
      double floor_sum = 0;
      for (I64 k = s0; k <= s1; ++k) {
        const double v = sharp(x, k);
        if (v > spike) {
          spike = v;
          ks = k;
        }
        floor_sum += v;
      }
      // The rest of the complex, the spike's own few samples excluded.
      double rest = 0;
      for (I64 k = s0; k <= q1; ++k) {
        if (std::llabs(k - ks) <= excl) continue;
        rest = std::max(rest, sharp(x, k));
      }
      // Mean sharpness of the window (spike included): the level of ordinary activity.
      const double noise_floor = floor_sum / static_cast<double>(s1 - s0 + 1);
      // Stimuli seen through a cart's anti-alias filter are ~100–500 µV and 1–3 samples wide:
      // far sharper than anything else in the beat.
      if (spike >= 80.0 && spike > 4.0 * rest && spike > 8.0 * noise_floor) hits.push_back(ks);
    }
    // A stimulus is the pacemaker's field, seen at the same instant in every lead that picks it
    // up; a narrow R apex that passes the sharpness tests in one lead is not (at 250–300 Hz,
    // or behind a 225 Hz low-pass, PTB-XL 00029's and LUDB 75's R waves did, see
    // kMinStimulusLeads).
    const std::size_t need = std::min(kMinStimulusLeads, raw.size());
    for (const auto h : hits) {
      const auto together = static_cast<std::size_t>(std::count_if(
          hits.begin(), hits.end(), [&](I64 g) { return std::llabs(g - h) <= excl; }));
      if (together >= need) {
        at.push_back(h - onsets[b]);
        ++with_spike;
        break;
      }
    }
  }
  out.paced = scored >= 3 && 2 * with_spike > scored;
  if (out.paced && !at.empty()) {
    std::nth_element(at.begin(), at.begin() + static_cast<std::ptrdiff_t>(at.size() / 2), at.end());
    out.spike_from_onset_samples = at[at.size() / 2];
  }
  return out;
}

}  // namespace gc::dsp::detail
