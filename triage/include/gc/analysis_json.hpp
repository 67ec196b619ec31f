// analysis_json — the `analyze --json` contract: one JSON object per analysed record with the
// sample rate, leads, beats (sample indices), measurements, finding and quality. Tools and
// evaluations read it; extend it, don't break it.
#pragma once

#include <boost/json/object.hpp>
#include <string>

#include "gc/dsp.hpp"
#include "gc/triage.hpp"

namespace gc::triage {

// Serialises analysis + finding to the contract. `pretty` adds newlines and two-space indents.
std::string to_json(const dsp::Analysis& analysis, const Finding& finding, bool pretty = false);

// The same contract as a JSON object, for callers that add fields before storing it.
boost::json::object to_json_object(const dsp::Analysis& analysis, const Finding& finding);

// Serialises an (extended) contract object the way to_json does, `pretty` as there.
std::string to_json_text(const boost::json::value& value, bool pretty = false);

}  // namespace gc::triage
