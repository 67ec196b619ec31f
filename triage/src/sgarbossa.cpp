// triage — LBBB, ventricular pacing or a very wide QRS: the ST-elevation criteria do not apply, so
// is there acute occlusion all the same? Sgarbossa (concordant ST elevation or V1–V3 depression)
// and Smith-modified Sgarbossa (discordant ST elevation ≥ 25 % of the S depth).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "evaluator.hpp"
#include "text.hpp"

namespace gc::triage::detail {

// --- LBBB / paced: Sgarbossa and Smith-modified Sgarbossa ------------------------------------

// A ratio judged at the J point is only as good as the J point: see st_j_low_uv().
constexpr double kJRampWalkMs = 60;     // how far back a J point on the ST ramp is traced
constexpr double kRampSlopeFactor = 2;  // steeper than this × ST slope = terminal QRS

// ST level at the J point, checked on the median beat (st_j_uv when there is none). Why: in LBBB
// and paced rhythms the discordant ST segment rises steeply into the T wave, and a delineator that
// reads the ramp as QRS places J late on it (the synthetic LBBB sample: J 50 ms late, ST/S 0.27
// instead of 0.16), inflating ST(J) and with it the Smith ST/S ratio. A true injury current lifts
// a flat or convex ST segment (no walk), and a J point at the knee after a steep terminal QRS
// stays where it is, so the correction only acts on a J placed on the ramp. (A fixed "J − CSE
// tolerance" window was tried and rejected: at a correct J it lands on the steep terminal QRS and
// would hide real discordant STE.)
double Evaluator::st_j_low_uv(const LeadView& v) const {
  const auto& m = a_.median;
  if (!m.qrs_offset_samples || a_.sample_rate_hz <= 0) return v.st_j_uv;
  const auto it = std::find(a_.lead_names.begin(), a_.lead_names.end(), v.name);
  if (it == a_.lead_names.end()) return v.st_j_uv;
  const auto idx = static_cast<std::size_t>(it - a_.lead_names.begin());
  if (idx >= m.samples_uv.size()) return v.st_j_uv;
  const auto& x = m.samples_uv[idx];
  const std::int64_t j = *m.qrs_offset_samples;
  if (j < 1 || j >= static_cast<std::int64_t>(x.size())) return v.st_j_uv;
  auto at = [&x](std::int64_t k) { return static_cast<double>(x[static_cast<std::size_t>(k)]); };
  double lowest = 0;  // relative to the sample at J
  // A J point placed on the ramp itself: the ST-T upstroke continues before J at about the slope
  // it has after J (no knee). Walk back along the ramp, at most kJRampWalkMs, until the signal
  // becomes steeper than twice the ST slope — the terminal QRS — and take the level there. With
  // a correctly placed J the steep terminal QRS is met at once and nothing changes.
  const double st_slope_per_sample = v.st_slope_uv_per_s / a_.sample_rate_hz;
  if (st_slope_per_sample > 0) {
    const auto d = std::max<std::int64_t>(1, std::llround(0.004 * a_.sample_rate_hz));
    const auto limit = std::max<std::int64_t>(
        d, j - static_cast<std::int64_t>(std::llround(kJRampWalkMs / 1000.0 * a_.sample_rate_hz)));
    std::int64_t k = j;
    // The walk also stops where the signal clearly falls towards J (a notch, the S nadir): it
    // follows the ramp (with its small ripples) only, never into the body of the QRS.
    while (k - 1 >= limit) {
      const double slope = (at(k) - at(k - d)) / static_cast<double>(d);
      if (std::fabs(slope) > kRampSlopeFactor * st_slope_per_sample) break;
      --k;
    }
    lowest = std::min(lowest, at(k) - at(j));
  }
  return v.st_j_uv + lowest;
}

constexpr double kSpikeMs = 10;  // deflections narrower than this in a paced beat are stimuli

bool Evaluator::sgarbossa(const std::string& reason_key) {
  std::vector<Words> hits;
  std::set<std::string> leads;
  for (auto lead_sv : detail::kStandardOrder) {
    const std::string lead(lead_sv);
    auto v = table_.find(lead);
    if (!v) continue;
    // QRS polarity must be clear (net ≥ 30 % of the peak-to-peak amplitude): in an equiphasic
    // transition lead "concordant" and "discordant" have no meaning.
    // In a paced beat an "R" narrower than 10 ms is the pacing stimulus, not myocardium: it does
    // not count towards the QRS polarity.
    const bool spike_r = reason_key == "paced" && v->r_duration_ms < kSpikeMs;
    const double r_uv = spike_r ? 0.0 : v->r_uv;
    const double net_uv = spike_r ? v->qrs_net_uv - v->r_uv : v->qrs_net_uv;
    const double net_limit = kPolarityFraction * (r_uv - v->negative_uv());
    const bool positive = net_uv >= net_limit && net_uv > 0;
    const bool negative = net_uv <= -net_limit && net_uv < 0;
    // Concordant criteria need the ST segment itself (J and J+60) beyond 1 mm: in a wide QRS the
    // J point is easily placed on the end of the QRS.
    const bool up_j_and_late = v->st_j_uv >= kSgarbossaUv && v->st_late_uv >= kSgarbossaUv;
    const bool confirmed_up = v->st_j_uv >= kSgarbossaUv && v->st_late_uv >= 0.5 * kSgarbossaUv;
    if (positive && up_j_and_late) {
      hits.push_back(say("sgarbossa_concordant_ste", {{"lead", lead}, {"st", Arg::mv(v->st_j_uv)}}));
      leads.insert(lead);
      f_.elevated.push_back({lead, v->st_j_uv, v->st_late_uv, kSgarbossaUv});
      continue;
    }
    const bool v1to3 = lead == "V1" || lead == "V2" || lead == "V3";
    if (v1to3 && negative && v->st_j_uv <= -kSgarbossaUv && v->st_late_uv <= -kSgarbossaUv) {
      hits.push_back(say("sgarbossa_concordant_std", {{"lead", lead}, {"st", Arg::mv(v->st_j_uv)}}));
      f_.depressed.push_back({lead, v->st_j_uv, v->st_late_uv, -kSgarbossaUv});
      continue;
    }
    const double s_depth = -v->negative_uv();
    // The ratio must hold across the J-point tolerance (st_j_low_uv), not only at the measured J.
    const double st_low_uv = st_j_low_uv(*v);
    if (negative && confirmed_up && st_low_uv >= kSgarbossaUv && s_depth > 0 &&
        st_low_uv / -s_depth <= -kSmithRatio) {
      hits.push_back(say("sgarbossa_discordant_ste", {{"lead", lead},
                                                      {"st", Arg::mv(v->st_j_uv)},
                                                      {"ratio", Arg::number(st_low_uv / -s_depth, 2)}}));
      leads.insert(lead);
      f_.elevated.push_back({lead, v->st_j_uv, v->st_late_uv, kSgarbossaUv});
    }
  }
  const auto& names = confounder_text(reason_key);
  const Arg what(names.short_en, names.zh);
  if (hits.empty()) return false;

  f_.category = Category::stemi;
  f_.stemi = true;
  f_.route_to_human = true;
  f_.territories = territories_of(leads);
  f_.notes.push_back(say("note_sgarbossa_positive", {{"what", what}}).en);
  if (f_.territories.empty()) {
    explain(say("sgarbossa_stemi_no_territory", {{"what", what}, {"hits", join_clauses(hits)}}));
  } else {
    explain(say("sgarbossa_stemi", {{"what", what},
                                    {"hits", join_clauses(hits)},
                                    {"territories", territory_names(f_.territories)}}));
  }
  return true;
}

}  // namespace gc::triage::detail
