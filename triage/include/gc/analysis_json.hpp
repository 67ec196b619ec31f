// analysis_json — the `analyze --json` contract: one JSON object per analysed record with the
// sample rate, leads, beats (sample indices), measurements, finding and quality. Tools and
// evaluations read it; extend it, don't break it.
#pragma once

#include <string>

#include "gc/dsp.hpp"
#include "gc/triage.hpp"

namespace gc::triage {

// Serialises analysis + finding to the contract. `pretty` adds newlines and two-space indents.
std::string to_json(const dsp::Analysis& analysis, const Finding& finding, bool pretty = false);

}  // namespace gc::triage
