// Study arrival → case: find-or-open, link, first-ECG time nodes.
#include "gc/case_ingest.hpp"

#include "gc/case_io.hpp"

namespace gc::workflow {

StudyArrival record_study_arrival(storage::CaseStore& store, const storage::StudyHeader& header,
                                  std::int64_t study_id, const std::string& clinic,
                                  std::optional<std::int64_t> cart_ahead_ms, UnixMs received_ms) {
  // The case opens at FMC when the cart reported one (else at the acquisition, else receipt),
  // corrected to server time so that the joining window compares like with like.
  const auto corrected = [&](const storage::Stamp& s) {
    return s.clock == "cart" && cart_ahead_ms ? correct_cart_time(s.unix_ms, *cart_ahead_ms)
                                              : s.unix_ms;
  };
  StudyArrival out;
  // A cart time that cannot have happened (a clock at 2200, an FMC in 1970) is reported and left
  // out — it would otherwise file the case in another century and break its month's report; the
  // transmission time, the server's own, always stands.
  const auto plausible = [&](const char* what, const storage::Stamp& s) {
    for (const UnixMs at : {s.unix_ms, corrected(s)}) {
      if (const auto why = storage::implausible_time(at, received_ms)) {
        out.implausible.push_back(std::string(what) + " from " + header.device_id + ": " + *why);
        return false;
      }
    }
    return true;
  };
  const bool onset_ok = header.symptom_onset && plausible("symptom_onset", *header.symptom_onset);
  const bool fmc_ok = header.first_medical_contact && plausible("fmc", *header.first_medical_contact);
  const bool acquired_ok = header.acquired_at && plausible("first_ecg", *header.acquired_at);
  UnixMs opened_at = received_ms;
  if (fmc_ok) {
    opened_at = corrected(*header.first_medical_contact);
  } else if (acquired_ok) {
    opened_at = corrected(*header.acquired_at);
  }
  // A repeat ECG joins when its own time (FMC, else acquisition) is within 6 h after the
  // case's opening; a new case opens at that time.
  const auto kase = store.find_or_open_case(header.device_id, header.patient_id, clinic, opened_at,
                                            &out.opened, 6 * 3600 * 1000);
  out.case_id = kase.case_id;
  store.link_study(kase.case_id, study_id);
  if (!out.opened) return out;

  const auto append = [&](NodeKind kind, const storage::Stamp& s) {
    TimeNodeEvent e;
    e.kind = kind;
    e.raw_ms = s.unix_ms;
    if (s.clock == "cart" && cart_ahead_ms)
      e.corrected_ms = correct_cart_time(s.unix_ms, *cart_ahead_ms);
    e.source = s.source.empty() ? "cart" : s.source;
    e.actor = header.device_id;
    e.clock = s.clock.empty() ? "cart" : s.clock;
    e.recorded_ms = received_ms;
    out.node_seqs.push_back(store.append_node(to_record(kase.case_id, e)));
  };
  if (onset_ok) append(NodeKind::symptom_onset, *header.symptom_onset);
  if (fmc_ok) append(NodeKind::fmc, *header.first_medical_contact);
  if (acquired_ok) append(NodeKind::first_ecg, *header.acquired_at);
  append(NodeKind::ecg_transmitted, storage::Stamp{received_ms, "server", "server"});
  return out;
}

}  // namespace gc::workflow
