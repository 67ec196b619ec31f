// derive — limb leads from the two independent limb channels many carts acquire (I and II):
// III = II − I, aVR = −(I + II)/2, aVL = I − II/2, aVF = II − I/2 (Einthoven/Goldberger).
#pragma once

#include "gc/dsp.hpp"

namespace gc::dsp {

// Returns a block with the standard lead order I, II, III, aVR, aVL, aVF followed by the other
// leads in their original order. Leads already present are kept as measured, never replaced.
// Throws std::invalid_argument when I or II is missing.
SignalBlock derive_limb_leads(const SignalBlock& block);

}  // namespace gc::dsp
