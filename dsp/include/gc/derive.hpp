// derive — limb leads from the two independent limb channels many carts acquire (I and II):
// III = II − I, aVR = −(I + II)/2, aVL = I − II/2, aVF = II − I/2 (Einthoven/Goldberger).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gc/dsp.hpp"

namespace gc::dsp {

// Returns a block with the standard lead order I, II, III, aVR, aVL, aVF followed by the other
// leads in their original order. Leads already present are kept as measured, never replaced.
// Throws std::invalid_argument when I or II is missing.
SignalBlock derive_limb_leads(const SignalBlock& block);

// Integer samples as a cart sent them ([lead][sample], resolution in nV per step) → µV, then the
// derived limb leads when `derive_limbs` is set. Throws std::invalid_argument when the number of
// sample rows differs from the number of lead names (or I/II are missing for derivation).
SignalBlock block_from_counts(const std::vector<std::vector<std::int32_t>>& counts,
                              const std::vector<std::string>& lead_names, double sample_rate_hz,
                              double resolution_nv_per_lsb, bool derive_limbs);

}  // namespace gc::dsp
