// Analysis of a stored study: integers → µV via the study's resolution, derived limb leads,
// dsp::analyze + triage::evaluate, the stored JSON and the Finding frame for the cart. Pure
// computation (runs on the analysis pool); a record that cannot be analysed still yields a stored
// result saying why (poor quality, repeat the ECG).
#pragma once

#include <string>

#include "gc/framing.hpp"
#include "gc/storage.hpp"

namespace gc::ingest::detail {

struct AnalysisOutcome {
  std::string category;  // triage category key
  std::string tier;      // critical, urgent, routine
  std::string json;      // the analyze --json contract + "alert" and "source" objects
  proto::pb::Finding finding;
  bool analysed = false;  // false when dsp/triage threw (finding says poor_quality)
};

AnalysisOutcome analyse_study(const storage::StudySamples& study);

// The outcome for a study that could not even be loaded or analysed: poor quality, repeat the
// ECG, a human reads it — with the reason in the explanation and the JSON.
AnalysisOutcome failed_analysis(const storage::StudyHeader& header, const std::string& reason);

// Rebuilds the cart's Finding from a stored analysis JSON (to re-push it after a reconnect).
// Returns a finding with an empty category when the JSON lacks one.
proto::pb::Finding finding_from_json(const std::string& study_uid, const std::string& json);

}  // namespace gc::ingest::detail
