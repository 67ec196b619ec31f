// Delineation on a beat template (see delineate_fiducials.hpp).
#include "delineate_fiducials.hpp"

#include <algorithm>
#include <cmath>

#include "select.hpp"

namespace gc::dsp::detail {

namespace {

using I64 = std::int64_t;
constexpr double kMinTVoteUv = 30;  // a lead votes on the T end only with a T (lobe) of this size
// A lead has a clear QRS when its steepest QRS slope reaches this share of the strongest lead's.
constexpr double kClearQrsSlopeFraction = 0.2;
// A terminal deflection (below) is steep for at least this long — a noise spike is one or two
// samples — and has ended when its slope falls below this share of its own steepest slope.
constexpr double kDeflectionMinS = 0.008;
constexpr double kDeflectionSettleFraction = 0.2;

I64 clampi(I64 v, I64 lo, I64 hi) { return std::max(lo, std::min(hi, v)); }

// p-th quantile of [first, last) — the k-th smallest, k = ⌊p·(n−1)⌋ — without touching the
// input (selected on a reused copy).
double percentile(std::vector<float>::const_iterator first, std::vector<float>::const_iterator last,
                  double p) {
  const auto n = static_cast<std::size_t>(last - first);
  if (n == 0) return 0;
  const auto k = static_cast<std::size_t>(p * static_cast<double>(n - 1));
  thread_local std::vector<float> v;
  v.assign(first, last);
  return kth_smallest(v.data(), n, k);
}

// Walks from `from` in direction `step` (±1) until the velocity stays below `thr` for `persist`
// samples; returns the sub-threshold sample nearest the QRS. A quiet stretch that is followed
// (within `rearm_span`) by activity above `thr_high` is a pause inside the complex — a broad S
// nadir, a notch — and the walk continues past it. A quiet stretch cut short by the search
// limit counts only when `accept_partial`.
std::optional<I64> walk_below(const std::vector<float>& v, I64 from, I64 limit, int step,
                              double thr, I64 persist, double thr_high = 0, I64 rearm_span = 0,
                              bool accept_partial = true) {
  I64 run = 0, start = 0;
  for (I64 k = from; step < 0 ? k >= limit : k <= limit; k += step) {
    if (v[static_cast<std::size_t>(k)] < thr) {
      if (run == 0) start = k;
      if (++run >= persist) {
        bool resumes = false;
        I64 resume_at = k;
        if (thr_high > thr && rearm_span > 0) {
          for (I64 j = k + step, m = 0; m < rearm_span && (step < 0 ? j >= limit : j <= limit); j += step, ++m) {
            if (v[static_cast<std::size_t>(j)] > thr_high) {
              resumes = true;
              resume_at = j;
              break;
            }
          }
        }
        if (!resumes) return start;
        run = 0;
        k = resume_at;  // continue the walk beyond the renewed activity
      }
    } else {
      run = 0;
    }
  }
  if (run > 0 && accept_partial) return start;  // reached the search limit while already below threshold
  return std::nullopt;
}

// A lead's terminal QRS deflection after the spatial J point `j`: the R′ of right bundle-branch
// block in V1, a late slurred S. Within (j, look_hi] the lead's slope `d` climbs again to a clear
// QRS's steepness — ≥ kClearQrsSlopeFraction of the lead's own QRS peak slope above its baseline
// activity `dn`, and of the strongest lead's — and stays there ≥ kDeflectionMinS. The QRS is not
// over: the lead ends where that deflection settles (below kDeflectionSettleFraction of its
// steepest slope, and below `settle_thr`, for `persist` samples), by `limit`. Nothing when there
// is no such deflection or it has not settled by then. QTDB sel232 (RBBB): V1's R′ ran on to 60 ms
// past the spatial J, V1 never settled within the per-lead extension and did not vote, J came
// 41 ms early at the top of the R′, QRS read 76 ms and the R′ as a Brugada coved ST. ST and T
// slopes are far below these shares, so a lead merging into its ST-T has no such deflection.
std::optional<I64> terminal_deflection_end(const std::vector<float>& d, I64 j, I64 look_hi,
                                           I64 limit, double dn, double lead_peak, double strongest,
                                           double settle_thr, I64 persist, double fs) {
  if (j + 1 > look_hi) return std::nullopt;
  I64 km = j + 1;
  float d_km = d[static_cast<std::size_t>(km)];
  for (I64 k = km + 1; k <= look_hi; ++k) {
    if (const float dk = d[static_cast<std::size_t>(k)]; dk > d_km) {
      d_km = dk;
      km = k;
    }
  }
  const double steep =
      std::max(dn + kClearQrsSlopeFraction * (lead_peak - dn), kClearQrsSlopeFraction * strongest);
  const double dk = d[static_cast<std::size_t>(km)];
  if (!(dk > steep)) return std::nullopt;
  I64 lo = km, hi = km;
  while (lo - 1 > j && d[static_cast<std::size_t>(lo - 1)] > steep) --lo;
  while (hi + 1 <= limit && d[static_cast<std::size_t>(hi + 1)] > steep) ++hi;
  if (hi - lo + 1 < std::max<I64>(2, static_cast<I64>(std::llround(kDeflectionMinS * fs))))
    return std::nullopt;
  const double settled = std::max(settle_thr, kDeflectionSettleFraction * dk);
  return walk_below(d, km, limit, +1, settled, persist, 0, 0, /*accept_partial=*/false);
}

}  // namespace

const DelineationParams& delineation_params() {
  // Calibrated on QTDB and LUDB together (`greenchannel eval delineation`); see the header.
  static const DelineationParams p;
  return p;
}

Fiducials delineate(const std::vector<std::span<const float>>& leads, double fs, I64 r,
                    double rr, const Fiducials* hint) {
  Fiducials f;
  if (leads.empty()) return f;
  const auto& prm = delineation_params();
  const I64 L = static_cast<I64>(leads[0].size());
  const auto S = [fs](double sec) { return static_cast<I64>(std::llround(sec * fs)); };
  const I64 h = std::max<I64>(1, S(0.004));
  if (L < 4 * h + 8 || r < 2 * h || r >= L - 2 * h) return f;

  // Spatial velocity: Euclidean norm over leads of the (x[k+h] − x[k−h]) slopes.
  std::vector<float> v(static_cast<std::size_t>(L), 0.f);
  for (const auto& x : leads) {
    for (I64 k = h; k < L - h; ++k) {
      const float d = x[k + h] - x[k - h];
      v[static_cast<std::size_t>(k)] += d * d;
    }
  }
  for (auto& e : v) e = std::sqrt(e);

  const I64 pk_lo = clampi(r - S(0.08), h, L - h - 1), pk_hi = clampi(r + S(0.08), h, L - h - 1);
  I64 kp = pk_lo;
  float v_kp = v[static_cast<std::size_t>(kp)];
  for (I64 k = pk_lo; k <= pk_hi; ++k) {
    if (const float vk = v[static_cast<std::size_t>(k)]; vk > v_kp) {
      v_kp = vk;
      kp = k;
    }
  }
  const double vmax = v_kp;
  if (!(vmax > 0)) return f;
  // Baseline activity: a low percentile of the velocity before the QRS (the PR segment).
  const I64 b_lo = clampi(r - S(0.30), h, L - h - 1), b_hi = clampi(r - S(0.06), h, L - h - 1);
  double vn = 0;
  if (b_hi > b_lo + 2) {
    vn = percentile(v.begin() + b_lo, v.begin() + b_hi, 0.10);
  }
  vn = std::min(vn, 0.5 * vmax);
  const I64 persist = std::max<I64>(2, S(prm.persist_s));

  I64 on_lo = clampi(r - S(0.20), h, kp), off_hi = clampi(r + S(0.20), kp, L - h - 1);
  I64 on_from = kp, off_from = kp;
  if (hint && hint->qrs_onset && hint->qrs_offset) {
    on_lo = clampi(*hint->qrs_onset - S(prm.hint_qrs_s), h, kp);
    off_hi = clampi(*hint->qrs_offset + S(prm.hint_j_late_s), kp, L - h - 1);
    on_from = clampi(*hint->qrs_onset + S(prm.hint_qrs_s), on_lo, kp);
    off_from = clampi(*hint->qrs_offset - S(prm.hint_qrs_s), kp, off_hi);
  }
  // Noise can keep the velocity above a low threshold all the way to the search limit; the
  // threshold is then raised step by step (a noisy beat gets wider-tolerance limits, not none).
  std::optional<I64> sp_on, sp_off;
  for (double scale = 1.0; scale <= 8.0 && !sp_on; scale *= 2.0) {
    sp_on = walk_below(v, on_from, on_lo, -1, vn + std::min(0.5, scale * prm.onset_fraction) * (vmax - vn), persist,
                       vn + prm.rearm_fraction * (vmax - vn), S(prm.rearm_span_s));
  }
  for (double scale = 1.0; scale <= 8.0 && !sp_off; scale *= 2.0) {
    sp_off = walk_below(v, off_from, off_hi, +1, vn + std::min(0.5, scale * prm.offset_fraction) * (vmax - vn), persist,
                        vn + prm.rearm_fraction * (vmax - vn), S(prm.rearm_span_s));
  }
  if (!sp_on || !sp_off) return f;
  f.qrs_onset = sp_on;
  f.qrs_offset = sp_off;

  // Per-lead limits: the QRS starts where the first lead leaves its baseline and ends where the
  // last lead settles (the convention of multi-lead annotation). Only leads with a clear QRS
  // (peak slope ≥ 20 % of the strongest lead) vote, and the k-th extreme is taken so that one
  // noisy lead cannot drag the limit; the spatial limits bound how far a lead may extend them.
  {
    std::vector<I64> ons, offs;
    std::vector<float> d(static_cast<std::size_t>(L), 0.f);
    std::vector<double> peak(leads.size(), 0.0);
    std::vector<I64> peak_at(leads.size(), r);
    for (std::size_t l = 0; l < leads.size(); ++l) {
      const auto& x = leads[l];
      for (I64 k = pk_lo; k <= pk_hi; ++k) {
        const double dk = std::fabs(x[k + h] - x[k - h]);
        if (dk > peak[l]) {
          peak[l] = dk;
          peak_at[l] = k;
        }
      }
    }
    const double strongest = *std::max_element(peak.begin(), peak.end());
    const I64 ext_on = std::max(on_lo, *sp_on - S(prm.lead_extend_on_s));
    const I64 ext_off = std::min(off_hi, *sp_off + S(prm.lead_extend_off_s));
    const I64 late_off = std::min(off_hi, *sp_off + S(prm.lead_late_deflection_s));
    for (std::size_t l = 0; l < leads.size(); ++l) {
      if (peak[l] < kClearQrsSlopeFraction * strongest) continue;
      const auto& x = leads[l];
      for (I64 k = std::max(h, b_lo); k <= std::min(L - h - 1, late_off); ++k) {
        d[static_cast<std::size_t>(k)] = std::fabs(x[k + h] - x[k - h]);
      }
      double dn = 0;
      if (b_hi > b_lo + 2) dn = percentile(d.begin() + b_lo, d.begin() + b_hi, 0.10);
      dn = std::min(dn, 0.5 * peak[l]);
      const auto o = walk_below(d, peak_at[l], ext_on, -1, dn + prm.lead_onset_fraction * (peak[l] - dn), persist);
      // A lead that has not settled by the limit (fragmented, noisy, or merging into its ST-T)
      // has no QRS end of its own to offer: it does not vote, rather than voting the limit.
      const double off_thr = dn + prm.lead_offset_fraction * (peak[l] - dn);
      auto e =
          walk_below(d, peak_at[l], ext_off, +1, off_thr, persist, 0, 0, /*accept_partial=*/false);
      // ... unless it moves again, as steeply as a QRS, after the spatial J: then it ends later.
      if (const auto late = terminal_deflection_end(d, *sp_off, ext_off, late_off, dn, peak[l],
                                                    strongest, off_thr, persist, fs);
          late && (!e || *late > *e)) {
        e = late;
      }
      if (o) ons.push_back(*o);
      if (e) offs.push_back(*e);
    }
    const auto kth = [&](std::vector<I64>& v, bool smallest) -> std::optional<I64> {
      if (v.empty()) return std::nullopt;
      std::sort(v.begin(), v.end());
      const std::size_t rank = std::min<std::size_t>(v.size() - 1, v.size() >= 6 ? prm.lead_rank : 0);
      return smallest ? v[rank] : v[v.size() - 1 - rank];
    };
    if (const auto o = kth(ons, true)) f.qrs_onset = std::min(*sp_on, *o);
    if (const auto e = kth(offs, false)) f.qrs_offset = std::max(*sp_off, *e);
  }
  const I64 on = *f.qrs_onset, J = *f.qrs_offset;

  // --- T end, per lead, trapezium area ---------------------------------------------------
  const I64 hs = std::max<I64>(1, S(0.010));  // smoothing half-width for the slow T wave
  const I64 rr_i = static_cast<I64>(std::llround(rr));
  // The search ends before the next beat's P wave (RR − 160 ms after R, at most 620 ms), where
  // QTc (Bazett) would reach qtc_max_s — later waves (U, the next P) are not mistaken for T —,
  // and within the template. A T end on that bound is the bound, not a measurement
  // (t_end_limit).
  I64 t_hi = r + std::min(rr_i - S(0.16), S(0.62));
  TSearchLimit limit = TSearchLimit::next_beat;
  if (rr > 0) {
    if (const I64 qtc_hi = on + S(prm.qtc_max_s * std::sqrt(rr / fs)); qtc_hi < t_hi) {
      t_hi = qtc_hi;
      limit = TSearchLimit::qtc_max;
    }
  }
  if (L - 1 - 2 * hs < t_hi) {
    t_hi = L - 1 - 2 * hs;
    limit = TSearchLimit::window;
  }
  I64 t_lo = J + S(0.06);
  if (hint && hint->t_end) {
    t_hi = std::min(t_hi, *hint->t_end + S(0.10));
  }
  std::optional<I64> t_end_latest;
  if (t_hi > t_lo + S(0.10) && on - S(0.03) >= 0) {
    struct LeadT {
      double amp;
      I64 t_end;
      I64 t_peak;
    };
    std::vector<LeadT> lt;
    std::vector<float> s(static_cast<std::size_t>(L), 0.f);
    for (const auto& x : leads) {
      double iso = 0;
      const I64 i0 = on - S(0.03), i1 = std::max(i0 + 1, on - S(0.01));
      for (I64 k = i0; k < i1; ++k) iso += x[k];
      iso /= static_cast<double>(i1 - i0);
      // Moving average over [t_lo − 2hs, t_hi + 2hs].
      const I64 a = std::max<I64>(hs, t_lo - 2 * hs), b = std::min(L - 1 - hs, t_hi + 2 * hs);
      double run = 0;
      for (I64 k = a - hs; k <= a + hs; ++k) run += x[k];
      for (I64 k = a; k <= b; ++k) {
        s[static_cast<std::size_t>(k)] = static_cast<float>(run / static_cast<double>(2 * hs + 1));
        if (k + hs + 1 < L) run += x[k + hs + 1] - x[k - hs];
      }
      const I64 pk_end = t_hi - S(0.04);
      I64 kmax = t_lo, kmin = t_lo;
      float s_max = s[static_cast<std::size_t>(t_lo)], s_min = s_max;
      for (I64 k = t_lo; k <= pk_end; ++k) {
        const float sk = s[static_cast<std::size_t>(k)];
        if (sk > s_max) {
          s_max = sk;
          kmax = k;
        }
        if (sk < s_min) {
          s_min = sk;
          kmin = k;
        }
      }
      // A lobe's extremum at the start of the search (J + 60 ms, within the smoothing width) is
      // the ST segment still sloping out of the QRS — depressed or elevated ST on its way to the
      // T wave —, not a T peak: it has no lobe there (QTDB sele0609: a lead's ST depression of
      // 0.2 mV outweighed the other lead's T wave, so only the ST voted and the T end came 85 ms
      // early). two_lobes below does the same at the far end.
      const double pmax = kmax > t_lo + hs ? s[static_cast<std::size_t>(kmax)] - iso : 0.0;
      const double pmin = kmin > t_lo + hs ? iso - s[static_cast<std::size_t>(kmin)] : 0.0;
      // A T wave with two lobes — ST depression then an upright T, an upright T then a negative
      // terminal part, the biphasic T of ischaemia — ends after its later lobe, whichever is
      // larger: the end of repolarisation is where the last lobe returns to baseline (QTDB
      // sele0303: ST −0.28 mV then T +0.25 mV; taking the larger, earlier lobe put the T end on
      // the T's upstroke, 100 ms early).
      // The later lobe must be large enough to vote (kMinTVoteUv), or a flat T's noise would
      // replace a small T wave that can.
      // A "lobe" whose extremum is the end of the search range is a slope leaving it (drift,
      // the next P wave), not a peak.
      const bool two_lobes = std::min(pmax, pmin) >= prm.t_biphasic_fraction * std::max(pmax, pmin) &&
                             std::min(pmax, pmin) >= kMinTVoteUv && std::max(kmax, kmin) < pk_end - hs;
      const int pol = two_lobes ? (kmax > kmin ? 1 : -1) : (pmax >= pmin ? 1 : -1);
      const I64 tpk = pol > 0 ? kmax : kmin;
      const double amp = pol > 0 ? pmax : pmin;
      // Steepest return towards baseline after the peak.
      I64 xm = -1;
      double best = 0;
      for (I64 k = tpk + hs; k <= t_hi - S(0.02); ++k) {
        const double ds = s[static_cast<std::size_t>(std::min(k + hs, b))] -
                          s[static_cast<std::size_t>(std::max(k - hs, a))];
        const double ret = -pol * ds;
        if (ret > best) {
          best = ret;
          xm = k;
        }
      }
      if (xm < 0) continue;
      // The reference point lies a fixed span after the steepest descent: far enough to be past
      // the T end, near enough that drift or a U wave further on cannot pull the knee late.
      const I64 xr = std::min(t_hi, xm + S(prm.t_ref_span_s));
      I64 te = xm;
      double amax = -1;
      const double sxm = s[static_cast<std::size_t>(xm)];
      for (I64 t = xm; t <= xr; ++t) {
        const double area = pol * (sxm - s[static_cast<std::size_t>(t)]) *
                            static_cast<double>(2 * xr - xm - t);
        if (area > amax) {
          amax = area;
          te = t;
        }
      }
      lt.push_back({amp, te, tpk});
    }
    double amp_max = 0;
    I64 peak_ref = 0;
    for (const auto& e : lt) {
      if (e.amp > amp_max) {
        amp_max = e.amp;
        peak_ref = e.t_peak;
      }
    }
    std::vector<I64> ends;
    for (const auto& e : lt) {
      if (e.amp < prm.t_min_rel_amp * amp_max || e.amp < kMinTVoteUv) continue;
      // A lead whose "T peak" is far from the strongest lead's is tracking something else
      // (a U wave, the next P wave, drift) and does not vote.
      if (std::llabs(e.t_peak - peak_ref) > S(0.08)) continue;
      ends.push_back(e.t_end);
    }
    if (!ends.empty()) {
      std::sort(ends.begin(), ends.end());
      // k-th latest over the leads with a clear T wave (k grows with the lead count so that a
      // single lead's drift cannot decide).
      const auto k = std::min<std::size_t>(ends.size() - 1, static_cast<std::size_t>(prm.t_rank_fraction * static_cast<double>(ends.size())));
      t_end_latest = ends[ends.size() - 1 - k];
      // The trapezium's end reaches the last sample only while the wave is still returning to
      // baseline there (QTDB sel36/sel38: QTc 617–622 ms "measured" on the 620 ms bound, 100–
      // 130 ms after the cardiologist's T end).
      if (!hint && *t_end_latest >= t_hi - 1) f.t_end_limit = limit;
    }
  }
  if (t_end_latest) {
    I64 te = *t_end_latest + S(prm.t_end_shift_s);
    // A beat's T end follows its rate but stays near the median beat's: a local template of a
    // few beats is noisier than the median, so it may only move it a little.
    if (hint && hint->t_end) te = clampi(te, *hint->t_end - S(prm.t_hint_tol_s), *hint->t_end + S(prm.t_hint_tol_s));
    f.t_end = clampi(te, J + 1, L - 1);
  }

  // --- P onset (median beat only) ----------------------------------------------------------
  if (!hint) {
    const I64 hp = std::max<I64>(1, S(0.010));
    const I64 p_lo = std::max<I64>(2 * hp, on - S(0.30)), p_hi = on - S(0.04);
    if (p_hi > p_lo + S(0.06)) {
      // Velocity of the smoothed leads (P is slow): slope over ±hp.
      std::vector<float> vp(static_cast<std::size_t>(p_hi - p_lo + 1), 0.f);
      for (const auto& x : leads) {
        for (I64 k = p_lo; k <= p_hi; ++k) {
          const float d = x[k + hp] - x[k - hp];
          vp[static_cast<std::size_t>(k - p_lo)] += d * d;
        }
      }
      for (auto& e : vp) e = std::sqrt(e);
      const auto pk_it = std::max_element(vp.begin(), vp.end());
      const double vpp = *pk_it;
      const double vpn = percentile(vp.begin(), vp.end(), 0.10);
      // A P wave must move clearly above the flat PR/TP activity.
      if (vpp > 3.0 * vpn && vpp > 0.02 * vmax) {
        const double thr = vpn + 0.2 * (vpp - vpn);
        I64 k = static_cast<I64>(pk_it - vp.begin());
        while (k > 0 && vp[static_cast<std::size_t>(k)] >= thr) --k;
        if (k > 0) f.p_onset = p_lo + k;
      }
    }
  }
  return f;
}

}  // namespace gc::dsp::detail
