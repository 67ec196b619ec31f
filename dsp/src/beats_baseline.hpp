// beats_baseline — residual baseline wander removal through isoelectric points: a natural cubic
// spline through the PR-segment level of each dominant beat, subtracted from the (already
// filtered) lead. The knots sit where ST is referenced, so the correction cannot move ST relative
// to the isoelectric level; it only removes wander between the PR segment and the ST/T.
// Internal to gc_dsp.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace gc::dsp::detail {

// knots: sample positions (strictly increasing) of the isoelectric points; half_window: samples
// averaged on each side of a knot. Subtracts the spline from x in place (flat beyond the end
// knots). Fewer than 2 knots: subtracts the single knot level (or nothing).
void subtract_isoelectric_spline(std::vector<float>& x, std::span<const std::int64_t> knots,
                                 std::int64_t half_window);

}  // namespace gc::dsp::detail
