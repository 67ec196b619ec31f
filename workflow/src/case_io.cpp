// Workflow values ↔ stored case records.
#include "gc/case_io.hpp"

namespace gc::workflow {

CaseInfo to_case_info(const storage::CaseRecord& r) {
  CaseInfo i;
  i.case_id = r.case_id;
  i.patient_id = r.patient_id;
  i.device_id = r.device_id;
  i.clinic = r.clinic;
  i.opened_ms = r.opened_ms;
  i.state = r.state;
  const auto outcome = parse_outcome(r.outcome);
  if (!outcome)
    throw Error("case " + std::to_string(r.case_id) + ": unknown outcome '" + r.outcome + "'");
  i.outcome = *outcome;
  return i;
}

storage::CaseRecord to_record(const CaseInfo& i) {
  storage::CaseRecord r;
  r.case_id = i.case_id;
  r.patient_id = i.patient_id;
  r.device_id = i.device_id;
  r.clinic = i.clinic;
  r.opened_ms = i.opened_ms;
  r.state = i.state;
  r.outcome = std::string(key(i.outcome));
  return r;
}

Case to_case(const storage::CaseBundle& b) {
  Case c;
  c.info = to_case_info(b.info);
  const auto where = [&] { return "case " + std::to_string(b.info.case_id) + ": "; };
  c.nodes.reserve(b.nodes.size());
  for (const auto& n : b.nodes) {
    const auto kind = parse_node_kind(n.kind);
    if (!kind)
      throw Error(where() + "unknown time node kind '" + n.kind + "' (seq " +
                  std::to_string(n.seq) + ")");
    TimeNodeEvent e;
    e.seq = n.seq;
    e.kind = *kind;
    e.raw_ms = n.raw_ms;
    e.corrected_ms = n.corrected_ms;
    e.source = n.source;
    e.actor = n.actor;
    e.clock = n.clock;
    e.recorded_ms = n.recorded_ms;
    e.supersedes = n.supersedes;
    e.note = n.note;
    c.nodes.push_back(std::move(e));
  }
  for (const auto& f : b.flags) {
    const auto flag = parse_case_flag(f.flag);
    if (!flag) throw Error(where() + "unknown flag '" + f.flag + "'");
    c.flags.push_back(FlagEvent{f.seq, *flag, f.value, f.source, f.actor, f.recorded_ms});
  }
  for (const auto& r : b.delay_reasons) {
    c.delay_reasons.push_back(DelayReason{r.seq, r.interval_key, r.reason, r.actor, r.recorded_ms});
  }
  return c;
}

storage::TimeNodeRecord to_record(std::int64_t case_id, const TimeNodeEvent& e) {
  storage::TimeNodeRecord r;
  r.seq = e.seq;
  r.case_id = case_id;
  r.kind = std::string(key(e.kind));
  r.raw_ms = e.raw_ms;
  r.corrected_ms = e.corrected_ms;
  r.source = e.source;
  r.actor = e.actor;
  r.clock = e.clock;
  r.recorded_ms = e.recorded_ms;
  r.supersedes = e.supersedes;
  r.note = e.note;
  return r;
}

storage::CaseFlagRecord to_record(std::int64_t case_id, const FlagEvent& e) {
  return storage::CaseFlagRecord{e.seq,   case_id,      std::string(key(e.flag)), e.value, e.source,
                                 e.actor, e.recorded_ms};
}

storage::DelayReasonRecord to_record(std::int64_t case_id, const DelayReason& r) {
  return storage::DelayReasonRecord{r.seq,    case_id, r.interval_key,
                                    r.reason, r.actor, r.recorded_ms};
}

storage::CaseBundle to_bundle(const Case& c) {
  storage::CaseBundle b;
  b.info = to_record(c.info);
  for (const auto& e : c.nodes) b.nodes.push_back(to_record(c.info.case_id, e));
  for (const auto& f : c.flags) b.flags.push_back(to_record(c.info.case_id, f));
  for (const auto& r : c.delay_reasons) b.delay_reasons.push_back(to_record(c.info.case_id, r));
  return b;
}

}  // namespace gc::workflow
