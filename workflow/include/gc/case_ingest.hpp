// case_ingest — the one call ingest makes when a study arrives: join the cart/patient's open
// case (within the window) or open one, link the study, and on a case's first ECG record its
// time nodes from the study header (symptom onset, FMC, first ECG by the cart's clock, corrected
// by the offset measured at hello) and the server's receive time as "ECG transmitted".
#pragma once

#include <optional>

#include "gc/case_store.hpp"
#include "gc/workflow.hpp"

namespace gc::workflow {

struct StudyArrival {
  std::int64_t case_id = 0;
  bool opened = false;                  // a new case
  std::vector<std::int64_t> node_seqs;  // nodes recorded now
  // Cart times outside the plausible window (storage::implausible_time): not recorded as time
  // nodes — the ECG itself is kept and analysed — each with the reason, for the log.
  std::vector<std::string> implausible;
};

// cart_ahead_ms: cart clock − server clock measured at hello (absent: times kept uncorrected).
// received_ms: when the server durably stored the study's first chunk (the transmission time).
StudyArrival record_study_arrival(storage::CaseStore& store, const storage::StudyHeader& header,
                                  std::int64_t study_id, const std::string& clinic,
                                  std::optional<std::int64_t> cart_ahead_ms, UnixMs received_ms);

}  // namespace gc::workflow
