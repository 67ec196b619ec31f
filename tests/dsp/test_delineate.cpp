// Delineation of one template with the median beat's fiducials as a hint: how far a local
// template's J point may stray from the median beat's (DelineationParams::hint_qrs_s,
// hint_j_late_s).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "../../dsp/src/delineate_fiducials.hpp"

namespace {

using gc::dsp::detail::delineate;
using gc::dsp::detail::delineation_params;
using gc::dsp::detail::Fiducials;

double bump(double t_s, double at_s, double sigma_s, double amp_uv) {
  const double u = (t_s - at_s) / sigma_s;
  return amp_uv * std::exp(-0.5 * u * u);
}

// A two-lead template at 500 Hz, R at 0.4 s: lead 1 a narrow qRs, lead 2 an RS whose S returns
// into an upsloping, depressed ST segment (0.2 mV below baseline at the J point, rising
// 3 µV/ms), then an upright T.
struct Template {
  static constexpr double fs_hz = 500;
  static constexpr std::int64_t r = 200;
  std::vector<float> lead1, lead2;
  Template() : lead1(600), lead2(600) {
    for (std::size_t i = 0; i < lead1.size(); ++i) {
      const double t = static_cast<double>(i) / fs_hz, tr = 0.4;
      lead1[i] =
          static_cast<float>(bump(t, tr - 0.02, 0.006, -100) + bump(t, tr, 0.008, 1200) +
                             bump(t, tr + 0.022, 0.007, -250) + bump(t, tr + 0.30, 0.045, 300));
      // The depression sets in smoothly over the S wave and then rises towards the T wave.
      const double onset = std::clamp((t - tr) / 0.04, 0.0, 1.0);
      const double st = onset * onset * (3 - 2 * onset) *
                        std::min(0.0, -200 + 3000 * std::max(0.0, t - tr - 0.04));
      lead2[i] =
          static_cast<float>(bump(t, tr - 0.004, 0.008, 500) + bump(t, tr + 0.025, 0.009, -700) +
                             st + bump(t, tr + 0.32, 0.05, 200));
    }
  }
  std::vector<std::span<const float>> leads() const { return {lead1, lead2}; }
};

}  // namespace

TEST_CASE("delineate with a hint: a local template's J stays near the median beat's",
          "[dsp][delineate]") {
  const Template tpl;
  const double rr_samples = 0.8 * Template::fs_hz;
  const auto alone = delineate(tpl.leads(), Template::fs_hz, Template::r, rr_samples);
  REQUIRE(alone.qrs_onset);
  REQUIRE(alone.qrs_offset);
  const auto S = [](double s) {
    return static_cast<std::int64_t>(std::llround(s * Template::fs_hz));
  };
  const auto& prm = delineation_params();

  // Hinted with its own fiducials, a template keeps them.
  const auto same = delineate(tpl.leads(), Template::fs_hz, Template::r, rr_samples, &alone);
  REQUIRE(same.qrs_offset);
  CHECK(*same.qrs_offset == *alone.qrs_offset);
  CHECK(*same.qrs_onset == *alone.qrs_onset);

  // The median beat (the consensus of every clean beat) ends its QRS 30 ms before where this
  // template's slopes settle: the template's J may come at most hint_j_late_s (16 ms) after it.
  Fiducials hint = alone;
  *hint.qrs_offset -= S(0.030);
  const auto hinted = delineate(tpl.leads(), Template::fs_hz, Template::r, rr_samples, &hint);
  REQUIRE(hinted.qrs_offset);
  // (With the earlier ±40 ms it came 22 ms after the median's J.)
  CHECK(prm.hint_j_late_s == Approx(0.016));
  CHECK(*hinted.qrs_offset <= *hint.qrs_offset + S(0.016));
  CHECK(*hinted.qrs_offset >= *hint.qrs_offset - S(prm.hint_qrs_s));
  CHECK(*hinted.qrs_offset < *alone.qrs_offset);

  // A median J later than the template's: the template keeps its own (earlier) end, down to
  // hint_qrs_s before the median's.
  Fiducials late = alone;
  *late.qrs_offset += S(0.030);
  const auto early = delineate(tpl.leads(), Template::fs_hz, Template::r, rr_samples, &late);
  REQUIRE(early.qrs_offset);
  CHECK(*early.qrs_offset >= *late.qrs_offset - S(prm.hint_qrs_s));
  CHECK(*early.qrs_offset <= *alone.qrs_offset + S(0.004));
}
